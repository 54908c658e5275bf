"""Sheets as plain grids of values, addressed the way a cadre reads them (A1)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Union
from decimal import Decimal

Value = Union[None, str, int, float, Decimal, bool]
Grid = Sequence[Sequence[Value]]


def column_letter(col: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    col += 1
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_name(row: int, col: int) -> str:
    """0-based (row, col) → "B7"."""
    return f"{column_letter(col)}{row + 1}"


def cell_at(grid: Grid, row: int, col: int) -> Value:
    if 0 <= row < len(grid):
        line = grid[row]
        if 0 <= col < len(line):
            return line[col]
    return None


def is_blank(value: Value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Value) -> str:
    """A label cell's text without surrounding blanks or a trailing colon."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().rstrip("：:").strip()


def find_cell(grid: Grid, label: str, *, max_rows: int | None = None) -> tuple[int, int] | None:
    """First cell (row-major) whose text is exactly `label`."""
    rows = grid if max_rows is None else grid[:max_rows]
    for r, line in enumerate(rows):
        for c, v in enumerate(line):
            if isinstance(v, str) and text(v) == label:
                return r, c
    return None


def find_header(grid: Grid, *titles: str, max_rows: int | None = None) -> tuple[int, dict[str, int]] | None:
    """The first row holding every title; maps each title of that row to its column."""
    rows = grid if max_rows is None else grid[:max_rows]
    for r, line in enumerate(rows):
        found = {text(v): c for c, v in enumerate(line) if isinstance(v, str) and text(v)}
        if all(t in found for t in titles):
            return r, found
    return None


def as_number(value: Value) -> Decimal | None:
    """The cell's exact decimal, or None for text, dates, booleans and errors."""
    from .numbers import to_decimal

    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    try:
        return to_decimal(value)
    except ValueError:
        return None


def shown_value(value: Value) -> str:
    """How a bad cell value is quoted back to the cadre."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
