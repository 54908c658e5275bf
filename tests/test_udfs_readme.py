"""Every worksheet-function example in the README, evaluated on the workbook it describes.

The README's table lists each example formula and the sheet it is typed on. Here
each formula is parsed, its references are resolved against a workbook made by
`starbook new --scheme 分类定级 --orgs 12` (filled and rated like the bundled
example), the function is called with those cells, directly and through xlwings'
UDF machinery, and the result is checked against the core and against what 定星
wrote into the 汇总表.
"""
from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

import xlwings_udfs as XL
from make_example import build
from starbook import api
from starbook.fill import form_cells
from starbook.grid import is_blank, text
from starbook.rules.grading import grade_for, star_for
from starbook.rules.scoring import dimension_subtotal, final_score, vote_score
from starbook.sheets import params as P
from starbook.sheets.params import parse_params
from udfs import starbook_udfs as U

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\|\s*`(SB_\w+)\(.*?\)`\s*\|.*?\|\s*`(=SB_\w+\(.*\))`\s*\|\s*([^|]+?)\s*\|\s*$")
REF = re.compile(r"^(?:(?P<sheet>'[^']+'|[^!'\"]+)!)?(?P<a>\$?[A-Z]{1,3}\$?\d+)(?::(?P<b>\$?[A-Z]{1,3}\$?\d+))?$")


def readme_examples() -> list[tuple[str, str, str]]:
    """(function, formula, sheet) for each row of the README's worksheet-function table."""
    section = README.read_text(encoding="utf-8").split("### 工作表函数", 1)[1].split("\n## ", 1)[0]
    return [m.groups() for m in map(ROW.match, section.splitlines()) if m]


def split_args(inner: str) -> list[str]:
    args, depth, quoted, cur = [], 0, False, ""
    for ch in inner:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "{(":
            depth += 1
        elif not quoted and ch in "})":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            args.append(cur.strip())
            cur = ""
            continue
        cur += ch
    return args + [cur.strip()]


def _cell_value(v):
    """As xlwings hands a cell over: numbers as floats."""
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Book:
    def __init__(self, path: Path) -> None:
        self.wb = openpyxl.load_workbook(path, data_only=True)

    def block(self, sheet: str, ref: str) -> tuple[str, tuple[int, int, int, int], list[list]]:
        m = REF.match(ref)
        assert m, f"not a reference: {ref}"
        name = (m["sheet"] or sheet).strip("'")
        a = m["a"].replace("$", "")
        b = (m["b"] or a).replace("$", "")
        bounds = range_boundaries(f"{a}:{b}")
        c1, r1, c2, r2 = bounds
        ws = self.wb[name]
        rows = [[_cell_value(v) for v in row] for row in ws.iter_rows(r1, r2, c1, c2, values_only=True)]
        return name, bounds, rows

    def arg(self, sheet: str, source: str):
        if source == "":
            return None
        if source.startswith('"'):
            return source.strip('"')
        if source.startswith("{"):
            return [[float(x) for x in source.strip("{}").split(",")]]
        if re.fullmatch(r"-?\d+(\.\d+)?", source):
            return float(source)
        return self.block(sheet, source)[2]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    path = build(tmp_path_factory.mktemp("readme") / "张纪镇.xlsm")  # starbook new --scheme 分类定级 --orgs 12, forms filled
    assert api.rate(path).ok
    return path


@pytest.fixture(scope="module")
def wb(book) -> Book:
    return Book(book)


def test_the_readme_lists_one_example_per_function_as_in_its_docstring():
    examples = readme_examples()
    assert sorted(f for f, _, _ in examples) == sorted(n for n in dir(U) if n.startswith("SB_"))
    for func, formula, _ in examples:
        assert formula.startswith(f"={func}(")
        assert formula in getattr(U, func).__doc__, func


def test_readme_references_to_参数_are_whole_labelled_tables(wb):
    """A 参数 range is the entire sheet from A1, or the rows of one titled table (right below its header)."""
    headers = [spec[1] for name, spec in vars(P).items() if name.startswith("T_")]
    seen = 0
    for func, formula, sheet in readme_examples():
        for source in split_args(formula[len(func) + 2 : -1]):
            m = REF.match(source)
            if not m or (m["sheet"] or sheet).strip("'") != P.SHEET:
                continue
            seen += 1
            name, (c1, r1, c2, r2), rows = wb.block(sheet, source)
            ws = wb.wb[name]
            if (c1, r1) == (1, 1):
                assert ws.max_row <= r2 and parse_params(rows)[0] is not None, source
                continue
            above = [text(ws.cell(r1 - 1, c).value) for c in range(c1, c2 + 1)]
            table = next((h for h in headers if any(tuple(h[i : i + len(above)]) == tuple(above) for i in range(len(h)))), None)
            assert table is not None, f"{source}: the row above it ({above}) is not the header of a 参数 table"
            first_col = next(c for c in range(1, c1 + 1) if text(ws.cell(r1 - 1, c).value) == table[0])
            assert all(not is_blank(ws.cell(r, first_col).value) for r in range(r1, r2 + 1)), source
            after = ws.cell(r2 + 1, first_col).value
            assert is_blank(after) or text(after) == P.TOTAL_ROW, f"{source} stops before the end of its table"
    assert seen >= 4


def _summary(wb: Book) -> tuple[list, dict[str, int]]:
    ws = wb.wb["汇总表"]
    header = [c.value for c in ws[3]]
    return ws, {t: header.index(t) + 1 for t in header if t}


def _row_of(ws, label: str, column: int) -> int:
    return next(r for r in range(1, ws.max_row + 1) if text(ws.cell(r, column).value) == label)


def _expected(wb: Book, func: str, sheet: str, sources: list[str], args: list, scheme):
    """What the core says for these cells, and what 定星 wrote for them."""
    ws, col = _summary(wb)
    cells = lambda v: [c for row in v for c in row]  # noqa: E731
    if func == "SB_SUBTOTAL":  # the form's own 维度小计 row for the dimension whose 维度分值 is referenced
        core = float(dimension_subtotal([D(str(v)) for v in cells(args[0])], D(str(cells(args[1])[0])), scheme))
        form = wb.wb[sheet]
        _, (c1, r1, _, _), _ = wb.block(sheet, sources[1])
        dimension = form.cell(r1, c1 - 1).value
        _, (item_col, _, _, _), _ = wb.block(sheet, sources[0])
        evaluator = text(form.cell(_row_of(form, "维度", 1), item_col).value)
        table = _row_of(form, "维度小计", 1)
        row = next(r for r in range(table, form.max_row + 1) if form.cell(r, 1).value == dimension)
        assert form.cell(table, item_col).value == evaluator and form.cell(row, item_col).value == core
        return core
    if func == "SB_VOTESCORE":  # the 汇总表's 测评得分 of the organization the form belongs to
        counts = {name: int(cells(a)[0]) for (name, _), a in zip(scheme.vote_options, args)}
        core = float(vote_score(counts, scheme))
        grid = [list(r) for r in wb.wb[sheet].iter_rows(values_only=True)]
        r, c = form_cells(grid).header["党组织名称"]
        row = next(i for i in range(4, ws.max_row + 1) if ws.cell(i, col["党组织名称"]).value == grid[r][c])
        assert ws.cell(row, col["党员群众测评得分"]).value == core
        return core
    if func == "SB_FINAL":
        scores = dict(zip((e.name for e in scheme.evaluators), (D(str(v)) for v in cells(args[0]))))
        core = float(final_score(scores, scheme.evaluators, scheme))
        assert ws.cell(4, col["综合得分"]).value == core
        return core
    if func == "SB_GRADE":
        core = grade_for(D(str(cells(args[0])[0])), scheme)
        assert ws.cell(4, col["等次"]).value == core
        return core
    if func == "SB_STAR":
        core = star_for(D(str(cells(args[0])[0])), cells(args[2])[0], scheme)
        assert ws.cell(4, col["初定星级"]).value == core
        return core
    if func == "SB_QUOTASTARS":
        return [[ws.cell(r, col["星级"]).value] for r in range(4, 4 + len(args[0]))]
    raise AssertionError(f"no check for {func}")


@pytest.mark.parametrize("func,formula,sheet", readme_examples(), ids=[f for f, _, _ in readme_examples()])
def test_readme_example_gives_what_the_core_gives(wb, func, formula, sheet):
    sources = split_args(formula[len(func) + 2 : -1])
    args = [wb.arg(sheet, s) for s in sources]
    scheme = parse_params(wb.block(sheet, "参数!A1:F200")[2])[0]
    expected = _expected(wb, func, sheet, sources, args, scheme)
    assert expected not in (None, "", [])
    got = getattr(U, func)(*args)
    assert got == expected, formula
    assert XL.call(XL.load(), func, *args) == (got if isinstance(got, list) else [[got]])
