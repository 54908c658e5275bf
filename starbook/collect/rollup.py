"""The county's 汇总表 and 问题清单 after a collect, as edits for the patcher.

Rows from a 上报单位 collected now replace that unit's earlier rows; rows of
other units and rows the county typed itself stay. Columns the county added
(县级复核意见 …) keep what was typed in them, matched by 上报单位 and 党组织名称.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..edits import CellBlock, ClearRows, Edit, FitRows, RowHeight
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
    """问题清单 rewritten with this collect's findings, each value under its title.

    A 问题清单 left by 定星/校验 (序号, 工作表, 单元格, 问题, 改法, 类型) gets the
    titles it lacks (文件) on the right of its header.
    """
    found = find_header(grid, "问题", "改法", max_rows=10)
    if found is None:
        return []
    hr, cols = found
    edits: list[Edit] = []
    width = max(cols.values()) + 1
    for title in COLUMNS:
        if title not in cols:
            edits.append(CellBlock(PROBLEMS_SHEET, hr + 1, width + 1, ((title,),)))
            cols[title] = width
            width += 1
    edits.append(ClearRows(PROBLEMS_SHEET, hr + 2))
    values = {t: i for i, t in enumerate(COLUMNS)}
    extra = {"序号": lambda i, f: i, "类型": lambda i, f: f.severity}
    block = []
    for i, f in enumerate(findings, 1):
        line: list[Value] = [None] * width
        row = f.row()
        for t, c in cols.items():
            if t in values:
                line[c] = row[values[t]]
            elif t in extra:
                line[c] = extra[t](i, f)
        block.append(tuple(line))
    if block:
        edits.append(CellBlock(PROBLEMS_SHEET, hr + 2, 1, tuple(block)))
        edits += _heights(hr + 2, block, cols)
    return edits


def _heights(first: int, block: Sequence[tuple], cols: dict[str, int]) -> list[Edit]:
    """Wrapped problems and fixes get the rows' height they need (a row Excel or LibreOffice
    is not asked to fit keeps one line and prints its text over the next)."""
    from ..ratebook import LINE_POINTS
    from ..textwidth import wrapped_lines

    widths = {cols[t]: w - 2 for t, w in zip(COLUMNS, WIDTHS) if t in cols}
    edits: list[Edit] = [FitRows(PROBLEMS_SHEET, first, first + len(block) - 1)]
    for i, line in enumerate(block):
        lines = max((wrapped_lines(text(line[c]), w) for c, w in widths.items() if c < len(line)), default=1)
        if lines > 1:
            edits.append(RowHeight(PROBLEMS_SHEET, first + i, LINE_POINTS * lines))
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
    ws.set_paper(9)  # A4 landscape, every column on the page's width, the header on each page
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_footer("&C第 &P 页，共 &N 页")
