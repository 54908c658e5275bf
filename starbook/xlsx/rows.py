"""Rows of a worksheet: the cells the edits leave per row (`Target`), one row's
patched XML (cells found by their r, the rest kept as text), row heights, and the
<dimension> that covers what was written."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Union

from ..edits import CellBlock, ClearRows, FitRows, RowHeight
from .cellxml import Writer, col_letters, col_number
from .errors import SAVE_AGAIN, PatchError

_CELL = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_CELL_WITH_REF = re.compile(r'<c r="([A-Z]{1,3})\d+"[^>]*?(?:/>|>.*?</c>)', re.S)
_ATTR_R = re.compile(r"""\sr\s*=\s*["']([A-Z]*)(\d*)["']""")
_ATTR_S = re.compile(r'\bs="(\d+)"')


class Target:
    """The cells to write on one sheet, after applying the edits in order."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, object]] = {}
        self.heights: dict[int, float] = {}
        self.fit: list[tuple[int, int]] = []
        self.clear_from: int | None = None

    def fits(self, row: int) -> bool:
        return any(lo <= row <= hi for lo, hi in self.fit)

    def apply(self, edit: Union[CellBlock, ClearRows, RowHeight, FitRows]) -> None:
        if isinstance(edit, FitRows):
            self.fit.append((edit.first, edit.last))
            return
        if isinstance(edit, RowHeight):
            self.heights[edit.row] = edit.points
            self.rows.setdefault(edit.row, {})
            return
        if isinstance(edit, ClearRows):
            if edit.row < 1:
                raise PatchError("要清除的行号无效（行号从 1 开始）", SAVE_AGAIN, f"ClearRows row {edit.row}")
            for r in [r for r in self.rows if r >= edit.row]:
                del self.rows[r]
            self.clear_from = edit.row if self.clear_from is None else min(self.clear_from, edit.row)
            return
        if edit.row < 1 or edit.col < 1:
            raise PatchError("要写入的单元格位置无效（行号、列号从 1 开始）", SAVE_AGAIN, f"row {edit.row}, col {edit.col}")
        for line in edit.values:
            if isinstance(line, (str, bytes)) or not isinstance(line, (list, tuple)):
                raise PatchError("要写入的数据格式有误", SAVE_AGAIN, f"a block's rows must be lists of values, not {type(line).__name__}")
        for i, line in enumerate(edit.values):
            if edit.row + i > 1048576 or edit.col + len(line) - 1 > 16384:
                raise PatchError("要写入的数据超出了工作表的最大行列", SAVE_AGAIN, "block extends beyond the sheet")
            row = self.rows.setdefault(edit.row + i, {})
            for j, v in enumerate(line):
                row[edit.col + j] = v


def row_number(tag_head: str, previous: int) -> int:
    m = re.search(r'\br="(\d+)"', tag_head)
    return int(m.group(1)) if m else previous + 1


def split_tail(inner: str, first_col: int, w: Writer) -> int:
    """Where the cells at or right of `first_col` begin in a row's XML (cells are in column order)."""
    cut = len(inner)
    while True:
        at = inner.rfind('<c r="', 0, cut)
        if at < 0:
            return cut
        end = at + 6
        while inner[end].isalpha():
            end += 1
        if w.number(inner[at + 6 : end]) < first_col:
            return cut
        cut = at


def written_row_head(head: str, rnum: int, w: "Writer") -> str:
    """A written row's start tag (up to its '>'): without the spans hint, which the new
    cells may contradict, and with the height a RowHeight edit sets, or with no custom
    height where FitRows lets the row fit its text again. A row without its number (legal:
    it follows the row above) gets it, like the unchanged rows."""
    if 'r="' not in head:
        head = head.replace("<row", f'<row r="{rnum}"', 1)
    if "spans=" in head:
        head = re.sub(r'\s+spans="[^"]*"', "", head)
    height = w.heights.get(rnum)
    if height is not None:
        if 'ht="' in head or 'customHeight="' in head:  # else nothing to take away: a note's row on a first 定星
            head = re.sub(r'\s+(ht|customHeight)="[^"]*"', "", head)
        head += f' ht="{height:g}" customHeight="1"'
    elif "customHeight" in head and w.fits(rnum):
        head = re.sub(r'\s+(ht|customHeight)="[^"]*"', "", head)
    return head


def patch_row(rnum: int, row_xml: str | None, cells: dict[int, object], w: Writer, cleared: bool) -> tuple[str, int]:
    """A row's new XML and the number of formulas it replaced.

    Cells left of the first column written keep their exact text and are not
    parsed; only the tail from that column on is split into cells.
    """
    if row_xml is not None:
        head_end = row_xml.index(">")
        self_closing = row_xml[head_end - 1] == "/"
        head = row_xml[: head_end - 1] if self_closing else row_xml[:head_end]
        inner = "" if self_closing or cleared else row_xml[head_end + 1 : -len("</row>")]
    else:
        head, inner = f'<row r="{rnum}"', ""
    head = written_row_head(head, rnum, w)
    row_style = None
    if 'customFormat="1"' in head:
        m = _ATTR_S.search(head)
        row_style = m.group(1) if m else None
    first = min(cells) if cells else 16385
    prefix = inner
    existing: dict[int, str] = {}
    if inner and cells:
        if inner.count("<c") != inner.count('<c r="'):  # some cell has no r, or not as its first attribute
            prefix, existing = "", cells_by_column(inner, rnum)
        else:
            cut = split_tail(inner, first, w)
            prefix = inner[:cut]
            existing = {w.number(m.group(1)): m.group() for m in _CELL_WITH_REF.finditer(inner, cut)}
    replaced = 0
    styles = w.col_styles
    for col, value in cells.items():
        old = existing.get(col)
        if old is not None:
            m = _ATTR_S.search(old, 0, old.index(">") + 1)
            style = m.group(1) if m else None
        else:
            style = styles.get(col, row_style)
        new, was_formula = w.cell(col, rnum, style, value, old)
        existing[col] = new
        replaced += was_formula
    body = "".join([existing[c] for c in sorted(existing)])
    return f"{head}>{prefix}{body}</row>", replaced


def cells_by_column(inner: str, rnum: int) -> dict[int, str]:
    """A row's cells by column number, wherever their r attribute stands; a cell without
    one (legal: it follows its left neighbour) gets it, the others keep their exact text."""
    out, previous = {}, 0
    for m in _CELL.finditer(inner):
        cell = m.group()
        ref = _ATTR_R.search(cell, 0, cell.index(">") + 1)
        if ref and ref.group(1):
            col = col_number(ref.group(1))
        else:
            col = previous + 1
            cell = cell.replace("<c", f'<c r="{col_letters(col)}{rnum}"', 1)
        out[col] = cell
        previous = col
    return out


def dimension(head: str, target: Target, extents: Sequence[tuple[int, int, int, int]] = ()) -> str:
    m = re.search(r'<dimension\b[^>]*\bref="([^"]*)"[^>]*/>', head)
    rows = [r for r, cells in target.rows.items() if cells]
    cols = [c for cells in target.rows.values() for c in cells]
    for r_lo, r_hi, c_lo, c_hi in extents:
        rows += [r_lo, r_hi]
        cols += [c_lo, c_hi]
    if not rows:
        return head
    r1, r2, c1, c2 = min(rows), max(rows), min(cols), max(cols)
    if m:
        parts = re.findall(r"([A-Z]+)(\d+)", m.group(1))
        if parts:
            (a_col, a_row), (b_col, b_row) = parts[0], parts[-1]
            r1, r2 = min(r1, int(a_row)), max(r2, int(b_row))
            c1, c2 = min(c1, col_number(a_col)), max(c2, col_number(b_col))
        ref = f"{col_letters(c1)}{r1}" if (r1, c1) == (r2, c2) else f"{col_letters(c1)}{r1}:{col_letters(c2)}{r2}"
        tag = m.group().replace(f'ref="{m.group(1)}"', f'ref="{ref}"')
        return head[: m.start()] + tag + head[m.end() :]
    return head
