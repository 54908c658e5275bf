"""What a rating changes in a book: the edits both shells apply (file patcher, live Excel)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

from .grid import Value


@dataclass(frozen=True)
class Cached:
    """A formula cell's cached value: the formula stays; a cell without a formula is left alone."""

    value: Value


@dataclass(frozen=True)
class CellBlock:
    """Values for a rectangle whose top-left cell is (row, col), both 1-based."""

    sheet: str
    row: int
    col: int
    values: Sequence[Sequence[Union[Value, Cached]]]


@dataclass(frozen=True)
class ClearRows:
    """Empty every row from `row` (1-based) down, before blocks rewrite the area."""

    sheet: str
    row: int


@dataclass(frozen=True)
class RowHeight:
    """A row's height in points, for wrapped text that needs more than one line."""

    sheet: str
    row: int
    points: float


@dataclass(frozen=True)
class FitRows:
    """Rows `first`..`last` (1-based) get the height their text needs: a RowHeight edit
    sets it, and the other rows written there drop a height left from an earlier rating."""

    sheet: str
    first: int
    last: int


Edit = Union[CellBlock, ClearRows, RowHeight, FitRows]
