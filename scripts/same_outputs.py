"""Prove an optimization changed no output byte of `starbook rate`.

    python scripts/same_outputs.py save DIR     # rate the books, keep every package part
    python scripts/same_outputs.py check DIR    # rate again, compare part by part

The books: a 3,000 and a 100,000 organization 汇总表 (scripts/bench.py make_book)
and examples/zhangji-2026.xlsm; each is rated once and the result rated again,
with a fixed `now` and `user` so the 定星记录 rows are comparable. Error values
(which calamine reads as blanks and the error scan finds): the rated example with
an error cell below its 定星记录 (the next record goes below it), and the 3,000 book
with an error score and a formula without a result (rated: the problems are compared).
"""
from __future__ import annotations

import argparse
import re
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


def with_xml(src: Path, dst: Path, sheet: str, change) -> Path:
    """A copy of `src` whose `sheet` XML is change(xml)."""
    from starbook.xlsx.parts import sheet_parts

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        part = sheet_parts(zin)[sheet]
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == part else data)
    return dst


def error_books(work: Path, rated_example: Path, book_3000: Path | None) -> dict[str, Path]:
    out = {"errors-log": with_xml(rated_example, work / "errors-log.xlsm", "定星记录", lambda x: x.replace(
        b"</sheetData>", b'<row r="9"><c r="B9" t="e"><v>#REF!</v></c><c r="C9"><f>1/0</f></c></row></sheetData>'))}
    if book_3000 is not None:
        def broken(x: bytes) -> bytes:
            x = re.sub(rb'<c r="D5"([^>]*)><v>[^<]*</v></c>', rb'<c r="D5"\1 t="e"><v>#DIV/0!</v></c>', x)
            return re.sub(rb'<c r="E7"([^>]*)><v>[^<]*</v></c>', rb'<c r="E7"\1><f>1/0</f></c>', x)
        out["errors-summary"] = with_xml(book_3000, work / "errors-summary.xlsm", "汇总表", broken)
    return out


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def differences(pairs: dict[str, tuple[Path, Path]], varying: tuple[str, ...] = ()) -> int:
    """Print every part that differs between each (saved, new) package, `varying` parts aside; the count."""
    bad = 0
    for name, (saved, path) in pairs.items():
        old, new = parts(saved), parts(path)
        if list(old) != list(new):
            print(f"{name}: part lists differ: {sorted(set(old) ^ set(new))}")
            bad += 1
        for part in old:
            if part in new and old[part] != new[part] and part not in varying:
                print(f"{name}: {part} differs")
                bad += 1
    print("same" if not bad else f"{bad} difference(s)")
    return bad


def rate_all(source: Path, work: Path, sizes: list[int]) -> dict[str, Path]:
    results = {}
    for name, book in books(source, sizes).items():
        first, second = work / f"{name}-first.xlsm", work / f"{name}-second.xlsm"
        for src, dst in ((book, first), (first, second)):
            outcome = api.rate(src, dst, now=NOW, user=USER)
            assert outcome.ok, [str(p) for p in outcome.problems[:5]]
        results[f"{name}-first"], results[f"{name}-second"] = first, second
    for name, book in error_books(work, results["example-first"], books(source, sizes).get("3000")).items():
        rated = work / f"{name}-rated.xlsm"
        outcome = api.rate(book, rated, now=NOW, user=USER)
        if not outcome.ok:  # the problems are the output: kept as a one-part "package"
            rated = work / f"{name}-rated.problems.zip"
            with zipfile.ZipFile(rated, "w") as z:
                z.writestr("problems.txt", "\n".join(str(p) for p in outcome.problems))
        results[name] = rated
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
    return 1 if differences({name: (saved / path.name, path) for name, path in results.items()}) else 0


if __name__ == "__main__":
    sys.exit(main())
