"""Shared (filled-down) and array formulas under plain values: re-home a shared
formula whose master is overwritten, refuse a value inside an array."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..edits import Cached
from .cellxml import Rehome, col_letters, col_number, escape
from .errors import SAVE_AGAIN, PatchError

if TYPE_CHECKING:
    from .bands import Band
    from .rows import Target

_FORMULA_CELL = re.compile(rb"<c\b([^>]*)>\s*<f\b([^>]*?)(?:/>|>([^<]*)</f>)")
_XML_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def formula_plan(body: bytes, target: "Target", bands: Sequence["Band"]) -> None:
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
            from xml.sax.saxutils import unescape  # a rare path: no import of urllib for every rating

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
        cells[col] = Rehome(formula, then if isinstance(then, Cached) else None)


_MISSING = object()


def _band_value(bands: Sequence["Band"], row: int, col: int):
    for band in bands:
        values = band.values.get(col)
        if values is not None and band.first_row <= row < band.first_row + len(values):
            return values[row - band.first_row]
    return _MISSING


def _plain_writes(target: "Target", bands: Sequence["Band"]):
    """Whether the edits leave cell (row, col) without its formula: cleared, or written a plain value."""
    clear = target.clear_from

    def plain(row: int, col: int) -> bool:
        if clear is not None and row >= clear:
            return True
        cells = target.rows.get(row)
        value = cells[col] if cells is not None and col in cells else _band_value(bands, row, col)
        return value is not _MISSING and not isinstance(value, (Cached, Rehome))

    return plain


def _check_array(master: tuple[int, int], ref: str, target: "Target", bands: Sequence["Band"], plain) -> None:
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
