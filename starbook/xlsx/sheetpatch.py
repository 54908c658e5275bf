"""Write cell values into an .xlsx/.xlsm by patching only the worksheet XML that changes.

Every other ZIP entry is copied unchanged (same name, order, bytes and
compression method): the VBA project, the ribbon part and its relationship in
_rels/.rels, styles, charts, images and defined names survive as they were. In a
patched sheet, only the rows written to and the <dimension> change; validations,
conditional formats, merges and page setup stay byte-identical.

The sheet XML is never parsed into a tree: rows are found with a scanner and only
the rows that receive values are split into cells, so a 100,000-row sheet costs
time and memory in proportion to its text.
"""
from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import Union
from xml.sax.saxutils import escape, unescape

from xml.etree import ElementTree

from ..edits import Cached, CellBlock, ClearRows, FitRows, RowHeight
from .atomic import atomic_write
from .limits import check_sizes
from .zipwrite import Unsupported, deflate_level, write_package

SAVE_AGAIN = "请在 Excel 中打开该文件另存一次后再试；仍不行请把文件发给技术支持"


class PatchError(Exception):
    """What the patcher cannot do safely, in Chinese for the cadre: the message names the
    sheet and cell where it can, `fix` says what to do, `detail` is for technical support."""

    def __init__(self, message: str, fix: str = SAVE_AGAIN, detail: str = "") -> None:
        super().__init__(message)
        self.message, self.fix, self.detail = message, fix, detail

    def __str__(self) -> str:
        return f"{self.message}（技术信息：{self.detail}）" if self.detail else self.message


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CALC_CHAIN_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"

_ROW = re.compile(r"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_CELL = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_CELL_WITH_REF = re.compile(r'<c r="([A-Z]{1,3})\d+"[^>]*?(?:/>|>.*?</c>)', re.S)
_ATTR_R = re.compile(r"""\sr\s*=\s*["']([A-Z]*)(\d*)["']""")
_ATTR_S = re.compile(r'\bs="(\d+)"')
_FORMULA = re.compile(r"<f\b[^>]*?(?:/>|>.*?</f>)", re.S)
_COL = re.compile(r"<col\b[^>]*/>")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def col_letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _number_text(value: Union[int, float, Decimal]) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PatchError(f"无法写入数值 {value}（不是有限数）", "请检查参数与得分中的数值", repr(value))
        return format(value, "f")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PatchError(f"无法写入数值 {value}（不是有限数）", "请检查参数与得分中的数值", repr(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    return str(value)


def _text_xml(value: str) -> str:
    if "_" in value or _ILLEGAL.search(value):  # most texts need neither substitution
        value = _ESCAPE_LOOKALIKE.sub(r"_x005F_\1", value)
        value = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    space = ' xml:space="preserve"' if value != value.strip() or "\n" in value or "\r" in value else ""
    return f"<t{space}>{escape(value).replace(chr(13), '&#13;')}</t>"  # a raw CR would read back as LF


def _cell_xml(ref: str, style: str | None, value, existing: str | None) -> tuple[str, bool]:
    """New cell XML, and whether a formula was replaced by a plain value."""
    s = f' s="{style}"' if style is not None else ""
    formula = _FORMULA.search(existing).group() if existing and "<f" in existing else None
    if isinstance(value, Cached):
        if formula is None:  # no formula here (a cadre typed over it): leave the cell alone
            return existing if existing is not None else f'<c r="{ref}"{s}/>', False
        v = value.value
        if v is None:
            return f'<c r="{ref}"{s}>{formula}</c>', False
        if isinstance(v, bool):
            return f'<c r="{ref}"{s} t="b">{formula}<v>{int(v)}</v></c>', False
        if isinstance(v, str):
            return f'<c r="{ref}"{s} t="str">{formula}<v>{escape(_ILLEGAL.sub("", v))}</v></c>', False
        return f'<c r="{ref}"{s}>{formula}<v>{_number_text(v)}</v></c>', False
    if isinstance(value, _Rehome):  # a shared formula's new master: only its <f> changes
        assert existing is not None and formula is not None
        cell = existing.replace(formula, value.formula, 1)
        return (cell, False) if value.then is None else _cell_xml(ref, style, value.then, cell)
    replaced = formula is not None  # a shared master's followers were re-homed by _formula_plan
    if value is None:
        return f'<c r="{ref}"{s}/>', replaced
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>', replaced
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr"><is>{_text_xml(value)}</is></c>', replaced
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}"{s}><v>{_number_text(value)}</v></c>', replaced
    raise PatchError(f"单元格 {ref} 无法写入这种值", SAVE_AGAIN, f"a {type(value).__name__}")


@dataclass(frozen=True)
class _Rehome:
    """A follower of a shared formula whose master is overwritten becomes the new master:
    `formula` is its new <f> element; `then` a Cached value also written to it."""

    formula: str
    then: Cached | None = None


_FORMULA_CELL = re.compile(rb"<c\b([^>]*)>\s*<f\b([^>]*?)(?:/>|>([^<]*)</f>)")
_XML_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _formula_plan(body: bytes, target: "_Target", bands: Sequence["_Band"]) -> None:
    """Keep shared and array formulas valid when plain values overwrite some of their cells.

    A shared formula (Excel's fill-down) stores its text in its master cell only.
    When a value overwrites the master, the first follower that keeps the formula
    becomes the master, with the text moved as Excel would fill it (relative
    references shift); when every cell is overwritten, the formula just goes.
    A plain value inside an array formula's range, whose first cell keeps it, is
    refused: Excel cannot change part of an array. Cached values change no formula.
    Adds the re-homed masters to `target`; a sheet without such formulas costs two searches.
    """
    shared, array = b't="shared"' in body, b't="array"' in body
    if not shared and not array:
        return
    plain = _plain_writes(target, bands)
    masters: dict[bytes, tuple[tuple[int, int], str, bytes]] = {}
    followers: dict[bytes, list[tuple[int, int]]] = {}
    for m in _FORMULA_CELL.finditer(body):
        f = dict(_XML_ATTR.findall(m.group(2)))
        kind = f.get(b"t")
        if kind not in (b"shared", b"array"):
            continue
        r = _REF.fullmatch(dict(_XML_ATTR.findall(m.group(1))).get(b"r", b"").decode("ascii"))
        if r is None:
            raise PatchError("工作表中有公式单元格缺少位置信息，starbook 不能安全改写", SAVE_AGAIN, "formula cell without r")
        cell = (int(r.group(2)), col_number(r.group(1)))
        if kind == b"array":
            _check_array(cell, f.get(b"ref", b"").decode("ascii"), target, bands, plain)
        elif b"ref" in f:
            masters[f.get(b"si", b"")] = (cell, f[b"ref"].decode("ascii"), m.group(3) or b"")
        else:
            followers.setdefault(f.get(b"si", b""), []).append(cell)
    for si, (cell, ref, text) in masters.items():
        if not plain(*cell):
            continue
        survivors = [c for c in followers.get(si, ()) if not plain(*c)]
        if not survivors:
            continue
        row, col = new = min(survivors)
        where = f"{col_letters(new[1])}{new[0]}"
        try:
            from openpyxl.formula.translate import Translator

            moved = Translator("=" + unescape(text.decode("utf-8")), origin=f"{col_letters(cell[1])}{cell[0]}").translate_formula(where)[1:]
        except Exception as exc:
            raise PatchError(
                f"{ref} 是向下填充的公式，starbook 不能只改写其中一部分",
                f"请选中 {ref} 这些单元格按 Delete 清除后再试",
                f"shared formula {si.decode()}: {exc}",
            ) from exc
        r1, r2 = min(r for r, _ in survivors), max(r for r, _ in survivors)
        c1, c2 = min(c for _, c in survivors), max(c for _, c in survivors)
        span = where if (r1, c1) == (r2, c2) else f"{col_letters(c1)}{r1}:{col_letters(c2)}{r2}"
        formula = f'<f t="shared" ref="{span}" si="{si.decode()}">{escape(moved)}</f>'
        cells = target.rows.setdefault(row, {})
        then = cells.get(col, _band_value(bands, row, col))
        cells[col] = _Rehome(formula, then if isinstance(then, Cached) else None)


_MISSING = object()


def _band_value(bands: Sequence["_Band"], row: int, col: int):
    for band in bands:
        values = band.values.get(col)
        if values is not None and band.first_row <= row < band.first_row + len(values):
            return values[row - band.first_row]
    return _MISSING


def _plain_writes(target: "_Target", bands: Sequence["_Band"]):
    """Whether the edits leave cell (row, col) without its formula: cleared, or written a plain value."""
    clear = target.clear_from

    def plain(row: int, col: int) -> bool:
        if clear is not None and row >= clear:
            return True
        cells = target.rows.get(row)
        value = cells[col] if cells is not None and col in cells else _band_value(bands, row, col)
        return value is not _MISSING and not isinstance(value, (Cached, _Rehome))

    return plain


def _check_array(master: tuple[int, int], ref: str, target: "_Target", bands: Sequence["_Band"], plain) -> None:
    """Refuse a plain value inside an array formula's range whose first cell keeps the formula."""
    corners = [_REF.fullmatch(x) for x in ref.split(":")]
    if plain(*master) or not corners or not all(corners) or len(corners) > 2:
        return  # the array goes with its first cell
    (r1, c1), (r2, c2) = [(int(x.group(2)), col_number(x.group(1))) for x in (corners[0], corners[-1])]
    written = [(r, c) for r, cells in target.rows.items() if r1 <= r <= r2 for c in cells if c1 <= c <= c2]
    for band in bands:
        for c, values in band.values.items():
            if c1 <= c <= c2:
                lo, hi = max(r1, band.first_row), min(r2, band.first_row + len(values) - 1)
                written += [(r, c) for r in range(lo, hi + 1)]
    for r, c in sorted(written):
        if (r, c) != master and plain(r, c):
            raise PatchError(
                f"单元格 {col_letters(c)}{r} 属于数组公式 {ref}（公式在 {col_letters(master[1])}{master[0]}），不能单独改写",
                f"请选中 {ref} 这些单元格按 Delete 清除后再试",
                "array formula",
            )


def _column_styles(head: str) -> dict[int, str]:
    styles: dict[int, str] = {}
    for m in _COL.finditer(head):
        tag = m.group()
        lo = re.search(r'\bmin="(\d+)"', tag)
        hi = re.search(r'\bmax="(\d+)"', tag)
        st = re.search(r'\bstyle="(\d+)"', tag)
        if lo and hi and st:
            for c in range(int(lo.group(1)), min(int(hi.group(1)), 16384) + 1):
                styles[c] = st.group(1)
    return styles


class _Target:
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


def _row_number(tag_head: str, previous: int) -> int:
    m = re.search(r'\br="(\d+)"', tag_head)
    return int(m.group(1)) if m else previous + 1


class _Writer:
    """Cell XML for one sheet, with the per-column and per-string work done once."""

    def __init__(self, col_styles: dict[int, str]) -> None:
        self.col_styles = col_styles
        self.letters: dict[int, str] = {}
        self.numbers: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.leads: dict[tuple[int, str | None], tuple[str, str]] = {}
        self.heights: dict[int, float] = {}
        self.fits = lambda row: False  # rows whose old custom height goes (FitRows)

    def letter(self, col: int) -> str:
        try:
            return self.letters[col]
        except KeyError:
            self.letters[col] = out = col_letters(col)
            return out

    def number(self, letters: str) -> int:
        try:
            return self.numbers[letters]
        except KeyError:
            self.numbers[letters] = out = col_number(letters)
            return out

    def new_cell(self, col: int, rnum: int, style: str | None, value) -> str | None:
        """Fast path for a cell that did not exist: text, Decimal or blank; None if not applicable."""
        try:
            lead, st = self.leads[(col, style)]
        except KeyError:
            lead, st = self.leads[(col, style)] = (f'<c r="{self.letter(col)}', f' s="{style}"' if style is not None else "")
        body = _plain_body(self, type(value), value)
        return None if body is None else f'{lead}{rnum}"{st}{body}'

    def cell(self, col: int, rnum: int, style: str | None, value, existing: str | None) -> tuple[str, bool]:
        if existing is None:
            fast = self.new_cell(col, rnum, style, value)
            if fast is not None:
                return fast, False
        if value == "" and type(value) is str:
            value = None
        return _cell_xml(f"{self.letter(col)}{rnum}", style, value, existing)


def _plain_body(w: "_Writer", kind: type, value) -> str | None:
    """What follows a new cell's r and s attributes, for blanks, text, Decimals and ints."""
    if value is None or (kind is str and not value):
        return "/>"
    if kind is str:
        body = w.texts.get(value)
        if body is None:
            body = w.texts[value] = f' t="inlineStr"><is>{_text_xml(value)}</is></c>'
        return body
    if kind is Decimal and value.is_finite():
        return f"><v>{value:f}</v></c>"
    if kind is int:
        return f"><v>{value}</v></c>"
    return None


def _split_tail(inner: str, first_col: int, w: _Writer) -> int:
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


def _row_head(head: str, rnum: int, w: "_Writer") -> str:
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
        head = re.sub(r'\s+(ht|customHeight)="[^"]*"', "", head) + f' ht="{height:g}" customHeight="1"'
    elif "customHeight" in head and w.fits(rnum):
        head = re.sub(r'\s+(ht|customHeight)="[^"]*"', "", head)
    return head


def _patch_row(rnum: int, row_xml: str | None, cells: dict[int, object], w: _Writer, cleared: bool) -> tuple[str, int]:
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
    head = _row_head(head, rnum, w)
    row_style = None
    if 'customFormat="1"' in head:
        m = _ATTR_S.search(head)
        row_style = m.group(1) if m else None
    first = min(cells) if cells else 16385
    prefix = inner
    existing: dict[int, str] = {}
    if inner and cells:
        if inner.count("<c") != inner.count('<c r="'):  # some cell has no r, or not as its first attribute
            prefix, existing = "", _cells_by_column(inner, rnum)
        else:
            cut = _split_tail(inner, first, w)
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


def _cells_by_column(inner: str, rnum: int) -> dict[int, str]:
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


def _dimension(head: str, target: _Target, extents: Sequence[tuple[int, int, int, int]] = ()) -> str:
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


BAND_MIN_ROWS = 64


@dataclass
class _Band:
    """Tall blocks over the same rows, one list of values per column.

    Each row's cells are assembled as UTF-8 bytes with one C-level join over
    per-column pieces (the column's constant XML, the row number, the value's
    text), so a 100,000-row band costs no Python work per cell.
    """

    first_row: int
    values: dict[int, Sequence]  # col → one value per row
    size: int = 0  # rows, set by build()
    first_col: int = 0  # set by build()
    _encoded: list[bytes] | None = None
    _tail: tuple | None = None
    _left: dict[bytes, bool] = field(default_factory=dict)  # a row's last column letters → left of the band?

    def build(self, w: "_Writer") -> None:
        self.first_col = min(self.values)
        self.size = len(next(iter(self.values.values())))
        rows = range(self.first_row, self.first_row + self.size)
        numbers = [b"%d" % r for r in rows]
        parts: list = []
        for col in sorted(self.values):
            parts += self._column(w, col, rows, numbers)
        self._encoded = list(map(b"".join, zip(*parts)))

    def encoded(self) -> list[bytes]:
        """Each row's band cells, UTF-8."""
        assert self._encoded is not None, "build() first"
        return self._encoded

    def cell_text(self, i: int) -> str:
        return self.encoded()[i].decode("utf-8")

    def _column(self, w: "_Writer", col: int, rows: range, numbers: list[bytes]) -> list:
        """Iterables whose row-wise concatenation is the column's cells."""
        values = self.values[col]
        style = w.col_styles.get(col)
        lead = f'<c r="{w.letter(col)}'.encode("ascii")
        st = f' s="{style}"' if style is not None else ""
        kinds = set(map(type, values))
        if kinds <= {str, type(None)}:  # the usual text column: one body per distinct text
            bodies = {v: f'"{st}{_plain_body(w, type(v), v)}'.encode("utf-8") for v in set(values)}
            return [repeat(lead), numbers, map(bodies.__getitem__, values)]
        if kinds == {Decimal} and all(map(Decimal.is_finite, values)):
            texts = map(str.encode, map(format, values, repeat("f")))  # exactly as typed: 85.10 stays 85.10
            return [repeat(lead), numbers, repeat(f'"{st}><v>'.encode("ascii")), texts, repeat(b"</v></c>")]
        if kinds == {int}:
            return [repeat(lead), numbers, repeat(f'"{st}><v>'.encode("ascii")), map(str.encode, map(str, values)), repeat(b"</v></c>")]
        cells = []
        for r, v in zip(rows, values):
            cell = w.new_cell(col, r, style, v)
            cells.append((cell if cell is not None else w.cell(col, r, style, v, None)[0]).encode("utf-8"))
        return [cells]

    def at(self, i: int) -> dict[int, object]:
        return {col: values[i] for col, values in self.values.items()}

    def cut(self, inner: bytes, w: "_Writer") -> int | None:
        """Where the band's cells go in a row's cell XML (UTF-8), or None when the row needs the general path.

        A row whose cells all lie left of the band gets the band appended. A row
        that already holds the band's columns (a second 定星) has them replaced
        when they are plain values in the column's own style and nothing lies
        right of the band; anything else (formulas, a cadre's own formatting,
        other cells among the band) is left to the general path, which keeps them.
        """
        if not inner:
            return 0
        at = inner.rfind(b'<c r="')
        if at < 0:
            return None
        letters = inner[at + 6 : inner.find(b'"', at + 6)].rstrip(b"0123456789")
        left = self._left.get(letters)
        if left is None:
            left = self._left[letters] = w.number(letters.decode("ascii")) < self.first_col
        if left:
            return len(inner)
        last = w.number(letters.decode("ascii"))
        if self._tail is None:
            cols = sorted(self.values)
            letters_of = [w.letter(c).encode("ascii") for c in cols]
            styles = {l: (w.col_styles[c].encode("ascii") if c in w.col_styles else b"") for l, c in zip(letters_of, cols)}
            self._tail = (re.compile(b'<c r="(?:' + b"|".join(letters_of) + rb')\d'), styles, max(cols))
        pattern, styles, last_col = self._tail
        if last > last_col:
            return None
        m = pattern.search(inner)
        if m is None:
            return None
        tail = inner[m.start() :]
        if b"<f" in tail:
            return None
        for letters, style in _REF_AND_STYLE.findall(tail):
            if styles.get(letters) != style:
                return None
        return m.start()



def _split_edits(edits) -> tuple[list[_Band], list]:
    """Tall rectangular blocks become bands (grouped by their rows), column by column; the rest stays as is.

    Cells of `rest` win over band cells, so a block stays in `rest` when it writes
    a column a band already holds, or cells an earlier block of `rest` wrote: the
    later write wins, as in edit order. A ClearRows after a tall block would make
    order matter: then nothing is banded. Bands never share a row (a row belongs
    to one band): a tall block over part of another band's rows stays in `rest` too.
    """
    bands: dict[tuple[int, int], _Band] = {}
    rest = []
    written: list[tuple[int, int, int, int]] = []  # rows and columns of the blocks in rest
    clears = [i for i, e in enumerate(edits) if isinstance(e, ClearRows)]
    for i, e in enumerate(edits):
        if isinstance(e, CellBlock) and len(e.values) >= BAND_MIN_ROWS:
            widths = set(map(len, e.values))
            key = (e.row, len(e.values))
            overlaps = key not in bands and any(r < e.row + len(e.values) and e.row < r + n for r, n in bands)
            width = max(widths)
            overlaps = overlaps or any(
                r1 < e.row + len(e.values) and e.row <= r2 and c1 < e.col + width and e.col <= c2 for r1, r2, c1, c2 in written
            )
            if len(widths) == 1 and not overlaps and not any(k > i for k in clears):
                (width,) = widths
                band = bands.setdefault(key, _Band(e.row, {}))
                cols = range(e.col, e.col + width)
                if not any(c in band.values for c in cols):
                    for j, c in enumerate(cols):
                        band.values[c] = list(map(itemgetter(j), e.values))
                    continue
        if isinstance(e, CellBlock) and e.values:
            written.append((e.row, e.row + len(e.values) - 1, e.col, e.col + max(map(len, e.values), default=1) - 1))
        rest.append(e)
    return [b for b in bands.values() if b.values], rest


def patch_sheet_xml(xml: str, edits: Sequence[Union[CellBlock, ClearRows, RowHeight]]) -> tuple[str, int]:
    """The sheet XML with the edits applied, and how many formulas became values."""
    pieces, replaced = _patch_sheet_pieces(xml.encode("utf-8"), edits)
    return b"".join(pieces).decode("utf-8"), replaced


_REF_AND_STYLE = re.compile(rb'<c r="([A-Z]+)\d+"(?: s="(\d+)")?')
_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
_SELF_CLOSING_ROW = re.compile(rb"<row\b[^>]*/>")


def _rows_end_left_of(body: bytes, band: "_Band", w: "_Writer") -> bool:
    """Whether every row of the band ends left of it and needs no change of its own.

    Checked once over the band's rows with C-speed scans: no cell in the band's
    columns or right of them, no spans hint to correct and no row style. Then
    each row only gets the band's cells appended.
    """
    letters = w.letter(band.first_col)
    if len(letters) == 1:
        right = f"[{letters}-Z]|[A-Z]{{2,3}}"
    elif len(letters) == 2:
        first, second = letters
        later = f"[{chr(ord(first) + 1)}-Z][A-Z]|" if first != "Z" else ""
        right = f"{first}[{second}-Z]|{later}[A-Z]{{3}}"
    else:
        return False
    start = body.find(b'<row r="%d"' % band.first_row)
    last = body.find(b'<row r="%d"' % (band.first_row + band.size - 1))
    if start < 0 or last < 0:
        return False
    end = body.find(b"</row>", last)
    for needle in (b"spans=", b'customFormat="1"', b"customHeight"):
        if body.find(needle, start, end) >= 0:
            return False
    return re.compile(f'<c r="(?:{right})\\d'.encode("ascii")).search(body, start, end) is None


def _bulk_rows(scan: "SheetScan", bands: list["_Band"], in_band, target: "_Target", pending: list[int], writer: "_Writer", emit, out: list) -> int | None:
    """Fast path for the common sheet: split the UTF-8 rows with bytes.split instead of scanning them.

    Applies when nothing is cleared, every row is written as <row r="…">…</row> in
    ascending order and every row to write already exists. Unchanged rows are
    passed on as the very bytes they were; rows with other edits (single cells,
    formulas) go through `emit` like in the general path. Returns the number of
    formulas replaced, or None (having done nothing) when the sheet does not qualify.
    """
    if target.clear_from is not None or not in_band or scan.chunks is None:
        return None
    chunks, nums = scan.chunks, scan.nums
    if not set(pending) <= set(nums):
        return None
    rows, heights = target.rows, target.heights  # the writer's too: _row_head reads them there
    every_cell_has_ref = scan.every_cell_has_ref
    end_row = b"</row>"
    clean = {id(band): every_cell_has_ref and _rows_end_left_of(scan.body, band, writer) for band in bands}
    encoded = {id(band): band.encoded() for band in bands}
    replaced = 0
    for chunk, rnum in zip(chunks, nums):
        hit = in_band.get(rnum)
        cells = rows.get(rnum)
        if hit is None and cells is None:
            out += (chunk, end_row)
            continue
        if hit is not None and cells is None and clean[id(hit[0])]:  # the first 定星 of a plain sheet
            out += (chunk, encoded[id(hit[0])][hit[1]], end_row)
            continue
        at = chunk.find(b"<row")
        if at:
            out.append(chunk[:at])
            chunk = chunk[at:]
        if hit is not None and not cells and every_cell_has_ref:  # band values, perhaps a new height
            band, i = hit
            head_end = chunk.index(b">")
            row_head = chunk[:head_end]
            if b'customFormat="1"' not in row_head:
                inner = chunk[head_end + 1 :]
                cut = band.cut(inner, writer)
                if cut is not None:
                    cells_xml = encoded[id(band)][i]
                    if rnum in heights or b"spans=" in row_head or (b"customHeight" in row_head and target.fits(rnum)):
                        head_xml = _row_head(row_head.decode("utf-8"), rnum, writer).encode("utf-8")
                        out += (head_xml, b">", inner[:cut], cells_xml, end_row)
                    else:  # the row's head stays: no copy of it
                        out += (chunk if cut == len(inner) else chunk[: head_end + 1 + cut], cells_xml, end_row)
                    continue
        replaced += emit(rnum, (chunk + end_row).decode("utf-8"), False)
    return replaced


@dataclass
class SheetScan:
    """A worksheet's XML cut into head, rows and tail: the part of patching that needs no edits.

    Made ahead of time (scan_sheet_part), it can run in a thread while the
    reader parses the same sheet, which releases the GIL.
    """

    crc: int | None  # of the part it was read from, to know it is still the same
    head: str
    body: bytes
    tail: str
    chunks: list[bytes] | None  # rows split at </row>, or None when the body does not suit the bulk path
    nums: list[int]
    every_cell_has_ref: bool


def scan_sheet(data: bytes, crc: int | None = None) -> SheetScan:
    if b"<worksheet" not in data[:2000]:
        if b"<chartsheet" in data[:2000]:
            raise PatchError("这是一张图表工作表，没有可写入的单元格", "请勿把星级评定用的工作表改成图表工作表", "chartsheet")
        raise PatchError("工作表的文件格式不常见，starbook 不能安全改写", SAVE_AGAIN, "the worksheet XML uses a namespace prefix")
    start = data.find(b"<sheetData")
    if start < 0:
        raise PatchError("工作表内容不完整（缺少单元格数据）", SAVE_AGAIN, "no <sheetData>")
    open_end = data.index(b">", start)
    if data[open_end - 1 : open_end] == b"/":
        head, body, tail = data[:start].decode("utf-8"), b"", data[open_end + 1 :].decode("utf-8")
    else:
        close = data.index(b"</sheetData>", open_end)
        head, body, tail = data[:start].decode("utf-8"), data[open_end + 1 : close], data[close + len(b"</sheetData>") :].decode("utf-8")
    chunks: list[bytes] | None = None
    nums: list[int] = []
    if not _SELF_CLOSING_ROW.search(body):
        chunks = body.split(b"</row>")
        nums = list(map(int, _ROW_NUMBER.findall(body)))
        if chunks[-1].strip() or len(chunks) - 1 != len(nums) or body.count(b"<row") != len(nums):
            chunks = None
        elif any(a >= b for a, b in zip(nums, nums[1:])):
            chunks = None
    every_cell_has_ref = body.count(b"<c") == body.count(b'<c r="')
    return SheetScan(crc, head, body, tail, chunks, nums, every_cell_has_ref)


def scan_sheet_part(path: Path, sheet: str) -> SheetScan | None:
    """scan_sheet for a sheet of a workbook on disk; None when there is no such sheet."""
    with zipfile.ZipFile(path) as zf:
        check_sizes(zf, Path(path).name)
        parts = sheet_parts(zf)
        part = parts.get(sheet) or {n.casefold(): p for n, p in parts.items()}.get(sheet.casefold())
        if part is None:
            return None
        return scan_sheet(zf.read(part), zf.getinfo(part).CRC)


def _patch_sheet_pieces(data: bytes | SheetScan, edits) -> tuple[list[bytes], int]:
    """The patched sheet (UTF-8) as a list of pieces, so a big sheet is never joined in memory."""
    scan = data if isinstance(data, SheetScan) else scan_sheet(data)
    bands, rest = _split_edits(edits)
    target = _Target()
    for e in rest:
        target.apply(e)
    head, raw_body, tail = scan.head, scan.body, scan.tail
    _formula_plan(raw_body, target, bands)
    writer = _Writer(_column_styles(head))
    writer.heights = target.heights
    writer.fits = target.fits
    in_band: dict[int, tuple[_Band, int]] = {}
    for band in bands:
        band.build(writer)
        in_band.update(zip(range(band.first_row, band.first_row + band.size), zip(repeat(band), range(band.size))))
    clear_from = target.clear_from
    pending = sorted(set(target.rows) | set(in_band))
    out: list[str] = []
    replaced = 0

    def emit(rnum: int, row_xml: str | None, cleared: bool) -> int:
        hit = in_band.get(rnum)
        if hit is not None and rnum not in target.rows:
            band, i = hit
            if row_xml is None:
                put(f'<row r="{rnum}">{band.cell_text(i)}</row>')
                return 0
            head_end = row_xml.index(">")
            self_closing = row_xml[head_end - 1] == "/"
            row_head = row_xml[: head_end - 1] if self_closing else row_xml[:head_end]
            if 'customFormat="1"' not in row_head:
                inner = "" if self_closing or cleared else row_xml[head_end + 1 : -len("</row>")]
                if not inner or (inner.count("<c") == inner.count('<c r="') and _split_tail(inner, band.first_col, writer) == len(inner)):
                    put(f"{_row_head(row_head, rnum, writer)}>{inner}{band.cell_text(i)}</row>")
                    return 0
        cells = hit[0].at(hit[1]) if hit is not None else {}
        cells.update(target.rows.get(rnum, {}))
        text, n = _patch_row(rnum, row_xml, cells, writer, cleared)
        put(text)
        return n

    def put(text: str) -> None:
        out.append(text.encode("utf-8") if in_bytes else text)

    in_bytes = True
    bulk = _bulk_rows(scan, bands, in_band, target, pending, writer, emit, out)
    if bulk is not None:
        extents = [(b.first_row, b.first_row + b.size - 1, min(b.values), max(b.values)) for b in bands]
        return [f"{_dimension(head, target, extents)}<sheetData>".encode("utf-8"), *out, f"</sheetData>{tail}".encode("utf-8")], bulk
    in_bytes = False

    body = raw_body.decode("utf-8")
    k = 0
    previous = 0
    for m in _ROW.finditer(body):
        row_xml = m.group()
        rnum = _row_number(row_xml[: row_xml.index(">")], previous)
        previous = rnum
        while k < len(pending) and pending[k] < rnum:
            emit(pending[k], None, False)
            k += 1
        cleared = clear_from is not None and rnum >= clear_from
        if cleared:
            replaced += row_xml.count("<f")
        if k < len(pending) and pending[k] == rnum:
            replaced += emit(rnum, row_xml, cleared)
            k += 1
        elif not cleared:
            out.append(row_xml if 'r="' in row_xml[: row_xml.index(">")] else row_xml.replace("<row", f'<row r="{rnum}"', 1))
    while k < len(pending):
        emit(pending[k], None, False)
        k += 1
    extents = [(b.first_row, b.first_row + b.size - 1, min(b.values), max(b.values)) for b in bands]
    head = _dimension(head, target, extents)
    return [p.encode("utf-8") for p in (f"{head}<sheetData>", *out, f"</sheetData>{tail}")], replaced


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name as the user sees it → its part name in the package."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError as exc:
        raise PatchError("文件不是完整的 Excel 工作簿（缺少工作簿目录）", SAVE_AGAIN, "xl/workbook.xml or its relationships are missing") from exc
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{NS_PKG_REL}}}Relationship")}
    out = {}
    for sheet in book.iter(f"{{{NS_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{NS_REL}}}id"))
        if target is None:
            continue
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        out[sheet.get("name")] = os.path.normpath(part).replace(os.sep, "/")
    return out


def _drop_calc_chain(files: dict[str, bytes], names: list[str]) -> None:
    """Excel rebuilds a missing calcChain; a stale one makes it report a damaged file."""
    if "xl/calcChain.xml" not in names:
        return
    from lxml import etree  # keeps prefixes and declarations as they were
    names.remove("xl/calcChain.xml")
    rels = etree.fromstring(files["xl/_rels/workbook.xml.rels"])
    for r in list(rels):
        if r.get("Type") == CALC_CHAIN_TYPE:
            rels.remove(r)
    files["xl/_rels/workbook.xml.rels"] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
    types = etree.fromstring(files["[Content_Types].xml"])
    for o in list(types):
        if o.get("PartName") == "/xl/calcChain.xml":
            types.remove(o)
    files["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)


STREAM_BATCH = 8000


def _stream(zout: zipfile.ZipFile, info: zipfile.ZipInfo, pieces: list[bytes]) -> None:
    """Write a patched sheet in batches of rows: no joined copy of a big sheet in memory."""
    entry = zipfile.ZipInfo(info.filename, info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    entry.create_system = info.create_system
    level = deflate_level(sum(map(len, pieces)))
    if hasattr(entry, "compress_level"):  # Python 3.13+
        entry.compress_level = level
    else:
        entry._compresslevel = level
    with zout.open(entry, "w") as out:
        for start in range(0, len(pieces), STREAM_BATCH):
            out.write(b"".join(pieces[start : start + STREAM_BATCH]))


def patch_workbook(
    src,
    dst,
    edits: Sequence[Union[CellBlock, ClearRows, RowHeight, FitRows]],
    scans: dict[str, SheetScan] | None = None,
    *,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Apply `edits` to `src` and write the result atomically to `dst` (may equal src).

    `scans` may hold sheets already scanned (by sheet name); one whose part has
    changed since is scanned again. `before_replace` runs once the new file is
    complete, right before it replaces `dst` (atomic_write).
    """
    src, dst = Path(src), Path(dst)
    with zipfile.ZipFile(src) as zin:
        check_sizes(zin, src.name)
        parts = sheet_parts(zin)
        folded = {name.casefold(): part for name, part in parts.items()}  # Excel's names ignore case
        by_sheet: dict[str, list] = {}
        for e in edits:
            if not isinstance(e, (CellBlock, ClearRows, RowHeight, FitRows)):
                raise PatchError("要写入的内容有误", SAVE_AGAIN, f"not an edit: {e!r}")
            part = parts.get(e.sheet) or folded.get(e.sheet.casefold())
            if part is None:
                raise PatchError(f"找不到工作表“{e.sheet}”", "请不要删除或重命名星级评定用的工作表；可从模板中复制回来")
            by_sheet.setdefault(part, []).append(e)
        infos = zin.infolist()
        names = [i.filename for i in infos]
        patched: dict[str, bytes] = {}
        sheets: dict[str, list[bytes]] = {}
        replaced = 0
        ready = {}
        for name, scan in (scans or {}).items():
            part = parts.get(name) or folded.get(name.casefold())
            if scan is not None and part is not None and scan.crc == zin.getinfo(part).CRC:
                ready[part] = scan
        for part, sheet_edits in by_sheet.items():
            try:
                sheets[part], n = _patch_sheet_pieces(ready.pop(part, None) or zin.read(part), sheet_edits)
            except PatchError as exc:
                exc.message = f"{sheet_edits[0].sheet} 表：{exc.message}"
                raise
            replaced += n
        if replaced:
            for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                patched[name] = zin.read(name)
            _drop_calc_chain(patched, names)

        def write(fh) -> None:
            new_parts = {**sheets, **{name: [data] for name, data in patched.items()}}
            dropped = {i.filename for i in infos} - set(names)
            try:
                with open(src, "rb") as raw:
                    write_package(raw, fh, new_parts, dropped)
                return
            except Unsupported:  # ZIP64, encrypted or odd packages: zipfile copies them part by part
                fh.seek(0)
                fh.truncate()
            with zipfile.ZipFile(fh, "w") as zout:
                for info in infos:
                    if info.filename not in names:
                        continue
                    if info.filename in sheets:
                        _stream(zout, info, sheets.pop(info.filename))
                        continue
                    data = patched.get(info.filename)
                    if data is None:
                        data = zin.read(info.filename)
                    level = deflate_level(len(data))
                    zout.writestr(info, data, compress_type=info.compress_type, compresslevel=level)

        atomic_write(dst, write, before_replace=before_replace)
