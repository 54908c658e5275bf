"""Prove an optimization of `starbook collect` changed no output byte.

    python scripts/same_collect.py save DIR     # collect the inputs, keep every package part
    python scripts/same_collect.py check DIR    # collect again, compare part by part

The inputs (made once in DIR/inputs by scripts/bench_collect.py's builders):
200 branch workbooks; 20 township workbooks of 30 organizations; and the
townships again with findings (a star typed by hand, an input edited after
定星, a damaged file, the same file twice). Each is collected into a new
roll-up, then collected a second time into that roll-up.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from starbook import api  # noqa: E402
from same_outputs import differences  # noqa: E402

VARYING = ("docProps/core.xml",)  # xlsxwriter stamps the creation time of a new roll-up


def _tamper(folder: Path) -> None:
    from starbook.edits import CellBlock
    from starbook.grid import find_cell
    from starbook.xlsx.read import read_grids
    from starbook.xlsx.sheetpatch import patch_workbook

    books = sorted(folder.glob("*.xlsm"))
    for book, (title, value) in zip(books, (("星级", "五星级"), ("党委评定得分", 99))):
        grid = read_grids(book)["汇总表"]
        r, _ = find_cell(grid, f"{book.stem}第01支部")
        _, c = find_cell(grid, title)
        patch_workbook(book, book, [CellBlock("汇总表", r + 1, c + 1, ((value,),))])
    shutil.copy(books[2], folder / "副本.xlsm")
    (folder / "损坏.xlsm").write_bytes(books[3].read_bytes()[:5000])


def inputs(work: Path) -> dict[str, Path]:
    from bench_collect import make_branches, make_townships

    out = {"branches": work / "branches", "towns": work / "towns", "findings": work / "findings"}
    if not out["branches"].exists():
        make_branches(out["branches"], 200)
    if not out["towns"].exists():
        make_townships(out["towns"], 20, 30)
    if not out["findings"].exists():
        shutil.copytree(out["towns"], out["findings"])
        _tamper(out["findings"])
    return out


def collect_all(work: Path, into: Path) -> list[Path]:
    results = []
    for name, folder in inputs(work).items():
        out = into / f"{name}.xlsm"
        if out.exists():
            out.unlink()
        api.collect([folder], out)
        first = into / f"{name}-first.xlsm"
        shutil.copy(out, first)
        api.collect([folder], out)  # into the roll-up it made
        results += [first, out]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("save", "check"))
    parser.add_argument("dir", type=Path)
    args = parser.parse_args()
    into = args.dir / ("saved" if args.mode == "save" else "check")
    into.mkdir(parents=True, exist_ok=True)
    results = collect_all(args.dir / "inputs", into)
    if args.mode == "save":
        print("saved:", ", ".join(p.name for p in results))
        return 0
    return 1 if differences({p.name: (args.dir / "saved" / p.name, p) for p in results}, VARYING) else 0


if __name__ == "__main__":
    sys.exit(main())
