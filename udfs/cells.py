"""Worksheet-function arguments of any shape, read cell by cell into Chinese errors.

Excel may hand a function a single value, a row, a column, a block, an empty
cell or an error cell (#N/A); Python callers may pass nested lists. Everything
here turns that into rows of cells first and then checks what the function
expects, so every wrong shape or value becomes a `UdfError` that names the
argument and the item, never an exception from xlwings or a silently skipped
error cell.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from starbook.grid import as_number, is_blank, shown_value
from starbook.numbers import plain

ERROR_PREFIX = "#错误："

# Excel's error values as xlwings hands them over with err_to_str=True.
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
     "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#BUSY!", "#PYTHON!", "#TIMEOUT!"}
)

Rows = list[list[object]]


class UdfError(ValueError):
    """A wrong argument; its text follows "#错误：" in the cell."""


def grid(value: object) -> Rows:
    """Any argument as rows of cells: a value is one cell, a flat list one row,
    a list holding lists one row per element (deeper lists are flattened into it)."""
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not any(isinstance(v, (list, tuple)) for v in value):
        return [list(value)] if value else []
    return [_flat(v) for v in value]


def _flat(value: object) -> list[object]:
    if not isinstance(value, (list, tuple)):
        return [value]
    out: list[object] = []
    for v in value:
        out += _flat(v)
    return out


def shape_text(rows: Rows) -> str:
    width = max(map(len, rows), default=0)
    return f"{len(rows)} 行 {width} 列"


def cell_count(rows: Rows) -> int:
    return sum(map(len, rows))


def single(value: object, what: str) -> object:
    """The one cell of a scalar argument (None when it is empty)."""
    rows = grid(value)
    n = cell_count(rows)
    if n == 0:
        return None
    if n > 1:
        raise UdfError(f"{what}应为一个单元格，收到 {shape_text(rows)}的区域")
    cell = next(c for row in rows for c in row)
    refuse_error(cell, what)
    return cell


def line(value: object, what: str) -> list[object]:
    """The cells of a one-row or one-column argument, in order, none of them an error."""
    rows = [row for row in grid(value) if row]
    if len(rows) <= 1 or all(len(row) == 1 for row in rows):
        refuse_errors(rows, what)
        return [c for row in rows for c in row]
    raise UdfError(f"{what}应为一行或一列，收到 {shape_text(rows)}的区域")


def error_text(value: object) -> str | None:
    """The error a cell holds: an Excel error or another SB_ function's "#错误：…"."""
    if isinstance(value, str):
        t = value.strip()
        if t.upper() in EXCEL_ERRORS or t.startswith(ERROR_PREFIX):
            return t
    return None


def refuse_error(value: object, where: str) -> None:
    err = error_text(value)
    if err is not None:
        raise UdfError(f"{where}是错误值 {err}，请先改正该单元格")


def refuse_errors(rows: Sequence[Sequence[object]], what: str) -> None:
    """An error anywhere in a range makes the result an error, as in Excel's own SUM."""
    is_line = len(rows) <= 1 or all(len(row) <= 1 for row in rows)
    k = 0
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            k += 1
            if error_text(v) is not None:
                refuse_error(v, f"{what}第{k}项" if is_line else f"{what}第{r + 1}行第{c + 1}列")


def number(value: object, what: str, low: Decimal = Decimal(0), high: Decimal | None = None) -> Decimal:
    """A cell that must hold a number within [low, high]."""
    refuse_error(value, what)
    if is_blank(value):
        raise UdfError(f"{what}未填写")
    d = as_number(value)
    if d is None:
        raise UdfError(f"{what}{_quoted(value)}不是数字")
    if d < low or (high is not None and d > high):
        top = plain(high) if high is not None else ""
        raise UdfError(f"{what} {plain(d)} 超出范围 {plain(low)}～{top}")
    return d


def _quoted(value: object) -> str:
    if isinstance(value, bool):
        return f"「{'TRUE' if value else 'FALSE'}」"
    if isinstance(value, (dt.date, dt.time)):
        return f"「{shown_value(value)}」是日期，"  # as the cadre sees it: 2026-01-01, no 00:00:00
    return f"「{value}」"
