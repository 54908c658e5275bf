"""Prove an optimization changed no output byte of `starbook rate`.

    python scripts/same_outputs.py save DIR     # rate the books, keep every package part
    python scripts/same_outputs.py check DIR    # rate again, compare part by part

The books: a 3,000 and a 100,000 organization 汇总表 (scripts/bench.py make_book)
and examples/zhangji-2026.xlsm; each is rated once and the result rated again,
with a fixed `now` and `user` so the 定星记录 rows are comparable.
"""
from __future__ import annotations

import argparse
import sys
import zipfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from starbook import api  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 30, 0)
USER = "基准"


def books(work: Path, sizes: list[int]) -> dict[str, Path]:
    from bench import make_book

    out = {"example": ROOT / "examples" / "zhangji-2026.xlsm"}
    for n in sizes:
        path = work / f"book-{n}.xlsm"
        if not path.exists():
            make_book(path, n)
        out[str(n)] = path
    return out


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def rate_all(source: Path, work: Path, sizes: list[int]) -> dict[str, Path]:
    results = {}
    for name, book in books(source, sizes).items():
        first, second = work / f"{name}-first.xlsm", work / f"{name}-second.xlsm"
        for src, dst in ((book, first), (first, second)):
            outcome = api.rate(src, dst, now=NOW, user=USER)
            assert outcome.ok, [str(p) for p in outcome.problems[:5]]
        results[f"{name}-first"], results[f"{name}-second"] = first, second
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("save", "check"))
    parser.add_argument("dir", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 100000])
    args = parser.parse_args()
    saved = args.dir / "saved"
    work = args.dir / ("saved" if args.mode == "save" else "check")
    work.mkdir(parents=True, exist_ok=True)
    source = args.dir / "books"  # made once, rated by both modes
    source.mkdir(parents=True, exist_ok=True)
    results = rate_all(source, work, args.sizes)
    if args.mode == "save":
        print("saved:", ", ".join(results))
        return 0
    bad = 0
    for name, path in results.items():
        old, new = parts(saved / path.name), parts(path)
        if list(old) != list(new):
            print(f"{name}: part lists differ: {sorted(set(old) ^ set(new))}")
            bad += 1
        for part in old:
            if part in new and old[part] != new[part]:
                print(f"{name}: {part} differs")
                bad += 1
    print("same" if not bad else f"{bad} difference(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
