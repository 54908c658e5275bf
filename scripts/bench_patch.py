"""Benchmark: starbook.xlsx.patch.patch_workbook on a big sheet.

Builds (once, cached in the temp directory) a workbook with XlsxWriter whose
sheet has 100,000 rows x 20 columns (text, styled numbers, plain numbers), then
times, each in a fresh Python process that also reports its peak memory:

  inplace   7 of the 20 columns of every row rewritten in place
  rebuild   ClearBelow(2) then the same 7 columns written again (the usual use)
  one-row   a single row written (the floor: inflate, copy, deflate)

The values are what a rating writes: Decimal scores, unique branch names,
grades from a short list, ranks, booleans, blanks and floats. Every figure is
the best of --repeat runs (the wall clock of a shared machine is noisy).

    python scripts/bench_patch.py                # 100,000 rows
    python scripts/bench_patch.py --rows 20000 --repeat 3
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, json, resource, sys, time
from decimal import Decimal
sys.path.insert(0, sys.argv[1])
from starbook.xlsx.patch import Block, ClearBelow, patch_workbook
src, dst, scenario, rows, repeat = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
grades = ["好", "较好", "一般", "差"]
values = [
    [Decimal(60000 + r % 40000) / 1000, f"第{r}党支部", grades[r % 4], r, r % 3 == 0, None, r * 0.25]
    for r in range(1, rows + 1)
]
if scenario == "inplace":
    edits = [Block("数据", 1, 4, values)]
elif scenario == "rebuild":
    edits = [ClearBelow("数据", 2), Block("数据", 2, 4, values[1:])]
else:
    edits = [Block("数据", rows // 2, 4, [values[rows // 2]])]
times = []
for _ in range(repeat):
    gc.collect()
    t = time.perf_counter()
    patch_workbook(src, dst, edits)
    times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"best": min(times), "times": times, "peak_mib": peak}))
"""


def build(path: Path, rows: int, cols: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("数据")
    money = wb.add_format({"num_format": "0.00", "border": 1})
    head = wb.add_format({"bold": True})
    ws.set_column(0, cols - 1, 12)
    ws.freeze_panes(1, 0)
    ws.write_row(0, 0, [f"列{c + 1}" for c in range(cols)], head)
    names = [f"支部{i}" for i in range(97)]
    for r in range(1, rows):
        for c in range(cols):
            if c % 4 == 0:
                ws.write_string(r, c, names[(r + c) % 97])
            elif c % 4 == 1:
                ws.write_number(r, c, r * 0.25 + c, money)
            else:
                ws.write_number(r, c, r + c)
    ws.data_validation(1, 5, rows, 5, {"validate": "list", "source": ["好", "较好", "一般", "差"]})
    wb.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scenarios", default="inplace,rebuild,one-row")
    args = ap.parse_args()

    cache = Path(tempfile.gettempdir()) / f"starbook-bench-patch-{args.rows}x{args.cols}.xlsx"
    if not cache.exists():
        t = time.perf_counter()
        tmp = cache.with_suffix(".tmp.xlsx")
        build(tmp, args.rows, args.cols)
        os.replace(tmp, cache)
        print(f"built {cache} in {time.perf_counter() - t:.1f} s")
    import zipfile

    with zipfile.ZipFile(cache) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    print(f"sheet XML {info.file_size / 2**20:.1f} MiB ({info.compress_size / 2**20:.1f} MiB deflated), {args.rows:,} rows x {args.cols} columns, {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory() as tmp:
        dst = str(Path(tmp) / "out.xlsx")
        print(f"{'scenario':<10}{'best':>8}{'runs (s)':>36}{'peak MiB':>10}")
        for scenario in args.scenarios.split(","):
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(ROOT), str(cache), dst, scenario, str(args.rows), str(args.repeat)],
                check=True, capture_output=True, text=True,
            )
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            runs = " ".join(f"{t:.2f}" for t in res["times"])
            print(f"{scenario:<10}{res['best']:>7.2f}s{runs:>36}{res['peak_mib']:>10.0f}")
        import python_calamine

        rows = python_calamine.CalamineWorkbook.from_path(dst).get_sheet_by_name("数据").to_python()
        assert len(rows) == args.rows, len(rows)


if __name__ == "__main__":
    main()
