"""The county's 汇总表 and 问题清单 after a collect, as edits for the patcher.

Rows from a 上报单位 collected now replace that unit's earlier rows; rows of
other units and rows the county typed itself stay. Columns the county added
(县级复核意见 …) keep what was typed in them, matched by 上报单位 and 党组织名称.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..edits import CellBlock, ClearRows, Edit
from ..grid import Grid, Value, cell_at, find_header, is_blank, text
from ..problems import BookError
from ..scheme import Scheme
from ..sheets import summary as S
from .findings import COLUMNS, Finding
from .readbook import Book

REPORTER, SOURCE_FILE = "上报单位", "来源文件"
PROBLEMS_SHEET = "问题清单"
COLUMNS_SHOWN = COLUMNS
WIDTHS = (28, 12, 10, 60, 50)


def _header(grid: Grid) -> tuple[int, list[str]]:
    found = find_header(grid, S.S_NAME, max_rows=30)
    if found is None:
        raise BookError(f"汇总工作簿的“{S.SHEET}”找不到“{S.S_NAME}”表头", "请用 starbook new 生成的工作簿作为汇总工作簿")
    hr, _ = found
    titles = [text(v) for v in grid[hr]]
    while titles and not titles[-1]:
        titles.pop()
    return hr, titles


def _last_row(grid: Grid, hr: int, width: int) -> int:
    last = hr
    for r in range(hr + 1, len(grid)):
        if any(not is_blank(cell_at(grid, r, c)) for c in range(width)):
            last = r
    return last


def rollup_rows(grid: Grid, scheme: Scheme, books: Sequence[Book]) -> tuple[int, list[str], list[list[Value]], list[Edit]]:
    """(header row, titles, every data row after the collect, the header edits it needs)."""
    hr, titles = _header(grid)
    edits: list[Edit] = []
    for title in (REPORTER, SOURCE_FILE):
        if title not in titles:
            edits.append(CellBlock(S.SHEET, hr + 1, len(titles) + 1, ((title,),)))
            titles.append(title)
    col = {t: c for c, t in enumerate(titles) if t}
    ours = set(S.input_columns(scheme)) | set(S.output_columns(scheme)) | {REPORTER, SOURCE_FILE}
    own = [t for t in col if t not in ours]
    units = {b.unit for b in books}
    kept: list[list[Value]] = []
    typed: dict[tuple[str, str], dict[str, Value]] = {}
    for r in range(hr + 1, _last_row(grid, hr, len(titles)) + 1):
        values = [cell_at(grid, r, c) for c in range(len(titles))]
        if all(is_blank(v) for v in values):
            continue
        unit = text(values[col[REPORTER]])
        if unit in units:
            typed[(unit, text(values[col[S.S_NAME]]))] = {t: values[col[t]] for t in own}
        else:
            kept.append(values)
    rows = kept
    for book in books:
        for source in book.rows:
            name = text(source.get(S.S_NAME))
            mine = typed.get((book.unit, name), {})
            row: list[Value] = []
            for t in titles:
                if t == REPORTER:
                    row.append(book.unit)
                elif t == SOURCE_FILE:
                    row.append(book.name)
                elif t == S.O_SOURCE or not t:
                    row.append(None)
                elif t in own:
                    row.append(mine.get(t))
                else:
                    row.append(_plain(source.get(t)))
            rows.append(row)
    if S.S_NO in col:
        for i, row in enumerate(rows, 1):
            row[col[S.S_NO]] = i
    return hr, titles, rows, edits


def _plain(value: Value) -> Value:
    if value == "":
        return None
    return value


def summary_edits(grid: Grid, scheme: Scheme, books: Sequence[Book]) -> tuple[list[Edit], int, tuple]:
    """The 汇总表's edits, the number of organizations it then holds, and its layout (header row, titles, rows)."""
    hr, titles, rows, edits = rollup_rows(grid, scheme, books)
    edits.append(ClearRows(S.SHEET, hr + 2))
    if rows:
        edits.append(CellBlock(S.SHEET, hr + 2, 1, tuple(map(tuple, rows))))
    return edits, len(rows), (hr, titles, rows)


def problem_edits(grid: Grid, findings: Sequence[Finding]) -> list[Edit]:
    """问题清单 rewritten with this collect's findings (its header found by title)."""
    found = find_header(grid, "问题", "改法", max_rows=10)
    if found is None:
        return []
    hr, cols = found
    edits: list[Edit] = [ClearRows(PROBLEMS_SHEET, hr + 2)]
    placed = [cols.get("工作表" if t == "工作表" else t) for t in COLUMNS]
    if findings and all(c is not None for c in placed):
        left, right = min(placed), max(placed)
        block = []
        for f in findings:
            line: list[Value] = [None] * (right - left + 1)
            for c, v in zip(placed, f.row()):
                line[c - left] = v
            block.append(tuple(line))
        edits.append(CellBlock(PROBLEMS_SHEET, hr + 2, left + 1, tuple(block)))
    return edits


def add_problems_sheet(wb, vba: bool) -> None:
    """The 问题清单 of a new roll-up workbook (xlsxwriter; the patcher cannot add sheets)."""
    ws = wb.add_worksheet(PROBLEMS_SHEET)
    if vba:
        ws.set_vba_name("SheetCollect1")
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    ws.write_row(0, 0, COLUMNS, head)
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width, wb.add_format({"text_wrap": True, "valign": "top"}))
    ws.freeze_panes(1, 0)
