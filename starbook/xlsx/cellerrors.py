"""Error values and formulas without a result, which python-calamine reads as ''.

calamine (0.9) turns an error cell (<c t="e"><v>#REF!</v></c>) and a formula
saved without its value (<c><f>1/0</f></c>) into '' — a blank, so a broken
五星级名额上限 would read as 不限 — and it refuses the whole sheet for the newer
error values (#SPILL!, #CALC!, #GETTING_DATA …). This module finds those cells in
the sheet's XML, so the reader can put a CellError where calamine put '', and
hands calamine a copy of the package in which the newer values read as #N/A.
"""
from __future__ import annotations

import io
import re
import zipfile

from ..grid import ERROR_LITERALS, UNCALCULATED, CellError

# A cell element with its attributes and content; t="e" cells and cells holding <f>.
_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_TYPE = re.compile(rb'\bt="([a-zA-Z]+)"')
_VALUE = re.compile(rb'<v(?:\s[^>]*)?>([^<]*)</v>')
# calamine knows the legacy seven error values and rejects the others.
_KNOWN = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
_NEWER = re.compile(rb't="e"([^>]*)>((?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?)<v>(#(?:' +
                    b"|".join(re.escape(e[1:].encode()) for e in sorted(ERROR_LITERALS - _KNOWN)) + rb'))</v>')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def error_cells(xml: bytes, fast: bool = True) -> dict[tuple[int, int], CellError]:
    """(row, col), 0-based → the error value or UNCALCULATED, for every such cell of a sheet part.

    A 100,000-row sheet holds a formula or two (the title) among 800,000 cells: the
    fast path goes straight to the cells around each `t="e"` or `<f`, instead of
    matching every cell in Python (`fast=False`, the reference it must equal).
    """
    end = xml.rfind(b"</sheetData>")  # past it, <formula> belongs to conditional formatting
    stop = end if end >= 0 else len(xml)
    if fast and _nothing_to_find(xml, stop):
        return {}
    hits = sorted(_positions(xml, b't="e"', stop) + _positions(xml, b"<f", stop))
    if not hits:
        return {}
    matches = _cells_at_hits(xml, hits, stop) if fast else None
    if matches is None:
        matches = _CELL.finditer(xml, 0, stop)
    out: dict[tuple[int, int], CellError] = {}
    for m in matches:
        attrs, body = m.group(1), m.group(2) or b""
        kind = _TYPE.search(attrs)
        is_error = kind is not None and kind.group(1) == b"e"
        if not is_error and b"<f" not in body:
            continue
        ref = _REF.search(attrs)
        if ref is None:  # every writer we know names its cells; without r= the position is unknown
            continue
        where = (int(ref.group(2)) - 1, _col_index(ref.group(1)))
        value = _VALUE.search(body)
        if is_error and value is not None and value.group(1):
            out[where] = CellError(value.group(1).decode("utf-8", "replace"))
        elif value is None:  # a formula with no result at all (<v></v> is an empty text result, as XlsxWriter writes "")
            out[where] = UNCALCULATED
    return out


# A formula element followed at once by its value (text and attributes hold no raw '<').
_VALUED_FORMULA = re.compile(rb'<f\b[^>]*(?:/>|>[^<]*</f>)<v>')


def _nothing_to_find(xml: bytes, stop: int) -> bool:
    """No `t="e"`, and every `<f` opens a formula whose <v> follows at once: the usual
    sheet, told by counting in C; anything else (a `<v/>`, spaces between) goes to the scan."""
    return xml.find(b't="e"', 0, stop) < 0 and xml.count(b"<f", 0, stop) == len(_VALUED_FORMULA.findall(xml, 0, stop))


def _cells_at_hits(xml: bytes, hits: list[int], stop: int) -> list[re.Match] | None:
    """The cells (as the full scan matches them) that hold a `t="e"` or `<f`, in order;
    None when a cell is not where a well-formed sheet puts it (then the full scan decides).

    Each hit belongs to the last cell opened before it. A full scan reaches that
    opening only if the cell before it is closed first, so that is checked: an
    unclosed cell (which the full scan would stretch over its neighbours) falls back.
    """
    out: list[re.Match] = []
    covered = -1  # end of the last cell taken: later hits inside it are the same cell
    for p in hits:
        if p < covered:
            continue
        at = _opening_before(xml, p)
        if at < 0:  # no cell opens before it (the sheet's head): no cell holds it
            continue
        m = _CELL.match(xml, at, stop)
        if m is None:
            return None
        before = _opening_before(xml, at)
        if before >= 0:
            prev = _CELL.match(xml, before, stop)
            if prev is None or prev.end() > at:
                return None
        if m.end() <= p:  # the hit lies between cells (no cell holds it): nothing to take
            continue
        out.append(m)
        covered = m.end()
    return out


def _positions(xml: bytes, needle: bytes, stop: int) -> list[int]:
    out = []
    at = xml.find(needle, 0, stop)
    while at >= 0:
        out.append(at)
        at = xml.find(needle, at + 1, stop)
    return out


def _opening_before(xml: bytes, p: int) -> int:
    """Where the last `<c` that opens a cell (as _CELL's `<c\\b`) starts before p, or -1."""
    at = xml.rfind(b"<c", 0, p)
    while at >= 0 and _WORD.match(xml, at + 2):
        at = xml.rfind(b"<c", 0, at)
    return at


_WORD = re.compile(rb"\w")


def overlay(grid: list, errors: dict[tuple[int, int], CellError]) -> list:
    """The grid with each error cell in place of calamine's ''; grown when an error lies past its edge."""
    if not errors:
        return grid
    rows = max(r for r, _ in errors) + 1
    cols = max(c for _, c in errors) + 1
    width = max(cols, max(map(len, grid), default=0))
    if rows > len(grid) or any(len(line) < width for line in grid):
        grid = [list(line) + [""] * (width - len(line)) for line in grid]
        grid += [[""] * width for _ in range(rows - len(grid))]
    for (r, c), err in errors.items():
        grid[r][c] = err
    return grid


def needs_patch(xml: bytes) -> bool:
    """True when calamine would refuse this sheet for a newer error value."""
    return b't="e"' in xml and _NEWER.search(xml) is not None


def readable_copy(zf: zipfile.ZipFile, parts: set[str]) -> io.BytesIO:
    """The package with the newer error values of `parts` written as #N/A, for calamine only."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename in parts:
                data = _NEWER.sub(rb't="e"\1>\2<v>#N/A</v>', data)
            out.writestr(info.filename, data)
    buf.seek(0)
    return buf
