"""Tall blocks written column by column (a 汇总表's result columns): a band's rows
are assembled as UTF-8 at C speed, and a plain sheet's rows are patched in bulk
without being decoded."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING

from ..edits import CellBlock, ClearRows
from .cellxml import PLAIN_VALUES, Writer, plain_body, texts_xml
from .rows import Target, written_row_head

if TYPE_CHECKING:
    from .sheetpatch import SheetScan

BAND_MIN_ROWS = 64


@dataclass
class Band:
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
    numbers: list[bytes] = field(default_factory=list)  # the rows' numbers as text, set by build()
    _tail: tuple | None = None
    _left: dict[bytes, bool] = field(default_factory=dict)  # a row's last column letters → left of the band?

    def build(self, w: "Writer") -> None:
        self.first_col = min(self.values)
        self.size = len(next(iter(self.values.values())))
        rows = range(self.first_row, self.first_row + self.size)
        numbers = self.numbers = [b"%d" % r for r in rows]
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

    def _column(self, w: "Writer", col: int, rows: range, numbers: list[bytes]) -> list:
        """Iterables whose row-wise concatenation is the column's cells."""
        values = self.values[col]
        style = w.col_styles.get(col)
        lead = f'<c r="{w.letter(col)}'.encode("ascii")
        st = f' s="{style}"' if style is not None else ""
        kinds = set(map(type, values))
        if kinds <= {str, type(None)}:  # the usual text column: one body per distinct text
            distinct = list(set(values))
            texts = _inline_texts([v for v in distinct if v])
            bodies = {v: f'"{st}{texts[v] if v else "/>"}'.encode("utf-8") for v in distinct}
            return [repeat(lead), numbers, map(bodies.__getitem__, values)]
        if kinds <= {str, type(None), int}:  # text with numbers among it (a ledger's 序号): keyed by type too, 1 is not "1"
            keys = list(zip(map(type, values), values))
            distinct = list(set(keys))
            texts = _inline_texts([v for k, v in distinct if k is str and v])
            bodies = {(k, v): f'"{st}{texts[v] if k is str and v else plain_body(w, k, v)}'.encode("utf-8") for k, v in distinct}
            return [repeat(lead), numbers, map(bodies.__getitem__, keys)]
        if kinds == {Decimal} and all(map(Decimal.is_finite, values)):
            texts = map(str.encode, map(format, values, repeat("f")))  # exactly as typed: 85.10 stays 85.10
            return [repeat(lead), numbers, repeat(f'"{st}><v>'.encode("ascii")), texts, repeat(b"</v></c>")]
        if kinds == {int}:
            return [repeat(lead), numbers, repeat(f'"{st}><v>'.encode("ascii")), map(str.encode, map(str, values)), repeat(b"</v></c>")]
        if kinds <= PLAIN_VALUES:  # numbers as calamine reads them (floats), mixed with text: one body per distinct value
            keys = list(zip(map(type, values), values))
            if any(k is Decimal or (k is float and (v == 0 or v != v)) for k, v in set(keys)):
                keys = [(type(v), v if type(v) is str else repr(v)) for v in values]  # equal, written apart: 85.10, 85.1; -0.0, 0.0
            bodies: dict = {}
            skip = len(f'<c r="{w.letter(col)}1')
            for key, v in zip(keys, values):
                if key not in bodies:
                    cell = w.new_cell(col, 1, style, v)
                    bodies[key] = (cell if cell is not None else w.cell(col, 1, style, v, None)[0])[skip:].encode("utf-8")
            return [repeat(lead), numbers, map(bodies.__getitem__, keys)]
        cells = []
        for r, v in zip(rows, values):
            cell = w.new_cell(col, r, style, v)
            cells.append((cell if cell is not None else w.cell(col, r, style, v, None)[0]).encode("utf-8"))
        return [cells]

    def at(self, i: int) -> dict[int, object]:
        return {col: values[i] for col, values in self.values.items()}

    def cut(self, inner: bytes, w: "Writer", cells_checked: bool = False) -> int | None:
        """Where the band's cells go in a row's cell XML (UTF-8), or None when the row needs the general path.

        A row whose cells all lie left of the band gets the band appended. A row
        that already holds the band's columns (a second 定星) has them replaced
        when they are plain values in the column's own style and nothing lies
        right of the band; anything else (formulas, a cadre's own formatting,
        other cells among the band) is left to the general path, which keeps them.
        `cells_checked`: `band_cells_plain` found every cell of the band's rows at or
        right of its first column to be a band column in that column's style, so
        each row's tail needs only a count: a cell left of the band written after
        the band's cells (out of order) still sends the row to the general path.
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
        if cells_checked:  # only the order is left to check: no cell in the tail but the band's
            return m.start() if tail.count(b'<c r="') == len(pattern.findall(tail)) else None
        for letters, style in _REF_AND_STYLE.findall(tail):
            if styles.get(letters) != style:
                return None
        return m.start()


def _inline_texts(texts: list[str]) -> dict[str, str]:
    """What follows a new cell's r and s for each text (as plain_body writes it), escaped in one batch."""
    return {t: f' t="inlineStr"><is>{x}</is></c>' for t, x in zip(texts, texts_xml(texts))}


def split_edits(edits) -> tuple[list[Band], list]:
    """Tall rectangular blocks become bands (grouped by their rows), column by column; the rest stays as is.

    Cells of `rest` win over band cells, so a block stays in `rest` when it writes
    a column a band already holds, or cells an earlier block of `rest` wrote: the
    later write wins, as in edit order. A ClearRows after a tall block would make
    order matter: then nothing is banded. Bands never share a row (a row belongs
    to one band): a tall block over part of another band's rows stays in `rest` too.
    """
    bands: dict[tuple[int, int], Band] = {}
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
                band = bands.setdefault(key, Band(e.row, {}))
                cols = range(e.col, e.col + width)
                if not any(c in band.values for c in cols):
                    for j, c in enumerate(cols):
                        band.values[c] = list(map(itemgetter(j), e.values))
                    continue
        if isinstance(e, CellBlock) and e.values:
            written.append((e.row, e.row + len(e.values) - 1, e.col, e.col + max(map(len, e.values), default=1) - 1))
        rest.append(e)
    return [b for b in bands.values() if b.values], rest


_REF_AND_STYLE = re.compile(rb'<c r="([A-Z]+)\d+"(?: s="(\d+)")?')


def _at_or_right_of(letters: str) -> str | None:
    """A regex for the column letters at or right of `letters` (up to three letters), or None."""
    if len(letters) == 1:
        return f"[{letters}-Z]|[A-Z]{{2,3}}"
    if len(letters) == 2:
        first, second = letters
        later = f"[{chr(ord(first) + 1)}-Z][A-Z]|" if first != "Z" else ""
        return f"{first}[{second}-Z]|{later}[A-Z]{{3}}"
    return None


def _band_rows(body: bytes, band: "Band") -> tuple[int, int] | None:
    """Where the band's rows lie in the sheet's body, or None when a first or last row is missing."""
    start = body.find(b'<row r="%d"' % band.first_row)
    last = body.find(b'<row r="%d"' % (band.first_row + band.size - 1))
    if start < 0 or last < 0:
        return None
    return start, body.find(b"</row>", last)


def band_cells_plain(body: bytes, band: "Band", w: "Writer") -> bool:
    """Whether, in the band's rows, every cell at or right of the band's first column
    is one of the band's columns written in that column's own style (a second 定星).

    One C-speed regex search over all the band's rows instead of a check per row
    in `Band.cut`; a cell it rejects sends the check back to each row. It is as
    strict as the per-row check (`_REF_AND_STYLE`): a styled column's cell must
    have s="<style>" right after its r, an unstyled column's cell no s there.
    """
    right = _at_or_right_of(w.letter(band.first_col))
    where = _band_rows(body, band)
    if right is None or where is None:
        return False
    plain = []
    for col in sorted(band.values):
        style = w.col_styles.get(col)
        plain.append(f'{w.letter(col)}\\d+"' + (f' s="{style}"' if style is not None else '(?! s=")'))
    other = re.compile(f'<c r="(?!(?:{"|".join(plain)}))(?:{right})\\d'.encode("ascii"))
    return other.search(body, *where) is None


def _rows_end_left_of(body: bytes, band: "Band", w: "Writer") -> bool:
    """Whether every row of the band ends left of it and needs no change of its own.

    Checked once over the band's rows with C-speed scans: no cell in the band's
    columns or right of them, no spans hint to correct and no row style. Then
    each row only gets the band's cells appended.
    """
    right = _at_or_right_of(w.letter(band.first_col))
    where = _band_rows(body, band)
    if right is None or where is None:
        return False
    start, end = where
    for needle in (b"spans=", b'customFormat="1"', b"customHeight"):
        if body.find(needle, start, end) >= 0:
            return False
    return re.compile(f'<c r="(?:{right})\\d'.encode("ascii")).search(body, start, end) is None


def bulk_rows(scan: "SheetScan", bands: list["Band"], in_band, target: "Target", pending: list[int], writer: "Writer", emit, out: list) -> int | None:
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
    rows, heights = target.rows, target.heights  # the writer's too: written_row_head reads them there
    every_cell_has_ref = scan.every_cell_has_ref
    end_row = b"</row>"
    clean = {id(band): every_cell_has_ref and _rows_end_left_of(scan.body, band, writer) for band in bands}
    checked = {id(band): every_cell_has_ref and not clean[id(band)] and band_cells_plain(scan.body, band, writer) for band in bands}
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
                cut = band.cut(inner, writer, checked[id(band)])
                if cut is not None:
                    cells_xml = encoded[id(band)][i]
                    if rnum in heights or b"spans=" in row_head or (b"customHeight" in row_head and target.fits(rnum)):
                        head_xml = written_row_head(row_head.decode("utf-8"), rnum, writer).encode("utf-8")
                        out += (head_xml, b">", inner[:cut], cells_xml, end_row)
                    else:  # the row's head stays: no copy of it
                        out += (chunk if cut == len(inner) else chunk[: head_end + 1 + cut], cells_xml, end_row)
                    continue
        replaced += emit(rnum, (chunk + end_row).decode("utf-8"), False)
    return replaced
