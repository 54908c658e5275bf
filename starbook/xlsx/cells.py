"""A1-style cell references: column letters <-> numbers, both 1-based."""
from __future__ import annotations

import re
from functools import lru_cache

MAX_ROW = 1_048_576
MAX_COL = 16_384

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")


@lru_cache(maxsize=None)
def col_letters(col: int) -> str:
    """1 -> "A", 27 -> "AA", 16384 -> "XFD"."""
    if not 1 <= col <= MAX_COL:
        raise ValueError(f"column {col} is outside 1..{MAX_COL}")
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


@lru_cache(maxsize=None)
def col_number(letters: str) -> int:
    """ "A" -> 1, "aa" -> 27; raises ValueError for anything that is not 1-3 letters within XFD."""
    if not 1 <= len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"{letters!r} is not a column name")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    if n > MAX_COL:
        raise ValueError(f"column {letters!r} is beyond XFD")
    return n


def cell_ref(row: int, col: int) -> str:
    """(5, 2) -> "B5"."""
    if not 1 <= row <= MAX_ROW:
        raise ValueError(f"row {row} is outside 1..{MAX_ROW}")
    return f"{col_letters(col)}{row}"


def parse_ref(ref: str) -> tuple[int, int]:
    """ "B5" (or "$B$5") -> (5, 2)."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        raise ValueError(f"{ref!r} is not a cell reference")
    row = int(m.group(2))
    if not 1 <= row <= MAX_ROW:
        raise ValueError(f"row {row} is outside 1..{MAX_ROW}")
    return row, col_number(m.group(1))


def range_ref(top: int, left: int, bottom: int, right: int) -> str:
    """(1, 1, 10, 4) -> "A1:D10"; a single cell gives "A1"."""
    first = cell_ref(top, left)
    if (top, left) == (bottom, right):
        return first
    return f"{first}:{cell_ref(bottom, right)}"
