"""Many copies of one sheet, each with its own values in the same cells, patched once.

A township's collect fills a thousand new forms copied from one blank form: each
copy's edits write the same cells (the form's layout), only the values differ. The
sheet is patched once with a marker in each written cell; each copy is then that
stencil with every marker's cell rendered from the copy's own value, the way the
patcher renders a plain value (cellxml.cell_xml: from the cell's reference and
style, nothing else of the old cell). The caller checks one copy against the full
patch before trusting the stencil with the rest (`Stencil.agrees`).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from ..edits import CellBlock
from .cellxml import PLAIN_VALUES, cell_xml
from .sheetpatch import patch_sheet_xml

_OPEN, _CLOSE = "\ue100", "\ue101"  # private-use characters around a marker's number
_MARK = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_HEAD = re.compile(r'<c r="([A-Z]{1,3}\d+)"(?: s="(\d+)")? t="inlineStr"><is><t>$')


def shape(edits: Sequence[object]) -> tuple | None:
    """Where the edits write, as a key: copies with the same shape share a stencil;
    None when an edit is not a block of plain values (formulas' cached values, row heights)."""
    out = []
    for e in edits:
        if type(e) is not CellBlock or not isinstance(e.values, (list, tuple)):
            return None
        widths = []
        for line in e.values:
            if not isinstance(line, (list, tuple)) or any(type(v) not in PLAIN_VALUES for v in line):
                return None
            widths.append(len(line))
        out.append((e.row, e.col, tuple(widths)))  # the sheet is the copy's own
    return tuple(out)


def values(edits: Sequence[CellBlock]) -> list:
    """The edits' values in the order the markers number them."""
    return [v for e in edits for line in e.values for v in line]


class Stencil:
    """The patched sheet cut at each written cell: pieces[0], cell, pieces[1], cell, …"""

    def __init__(self, pieces: list[str], slots: list[tuple[int, str, str | None]]) -> None:
        self.pieces = pieces
        self.slots = slots  # (marker number, cell reference, style)

    def render(self, vals: Sequence[object]) -> str:
        out = [self.pieces[0]]
        for (k, ref, style), piece in zip(self.slots, self.pieces[1:]):
            v = vals[k]
            out.append(cell_xml(ref, style, None if v == "" and type(v) is str else v, None)[0])
            out.append(piece)
        return "".join(out)

    def agrees(self, xml: str, edits: Sequence[CellBlock]) -> bool:
        """Whether this stencil gives what patching `xml` with `edits` gives."""
        return self.render(values(edits)) == patch_sheet_xml(xml, edits)[0]


def stencil(xml: str, edits: Sequence[CellBlock]) -> Stencil | None:
    """The stencil for edits of this shape, None when the sheet cannot take markers."""
    if _OPEN in xml or _CLOSE in xml:
        return None
    marked, k = [], 0
    for e in edits:
        lines = []
        for line in e.values:
            lines.append(tuple(f"{_OPEN}{k + j}{_CLOSE}" for j in range(len(line))))
            k += len(line)
        marked.append(CellBlock(e.sheet, e.row, e.col, tuple(lines)))
    patched = patch_sheet_xml(xml, marked)[0]
    pieces, slots, at = [], [], 0
    for m in _MARK.finditer(patched):
        start = patched.rfind("<c ", at, m.start())
        head = _HEAD.match(patched, start, m.start()) if start >= 0 else None
        if head is None or not patched.startswith("</t></is></c>", m.end()):
            return None  # a marker not alone in a cell of its own: leave it to the patcher
        pieces.append(patched[at:start])
        slots.append((int(m.group(1)), head.group(1), head.group(2)))
        at = m.end() + len("</t></is></c>")
    pieces.append(patched[at:])
    return Stencil(pieces, slots)
