"""Sheets as plain grids of values, addressed the way a cadre reads them (A1)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Union
from decimal import Decimal


class CellError(str):
    """An Excel error value (#DIV/0!, #REF!, …); its text is Excel's own literal.

    Both readers (the file reader and the live Excel shell) deliver error cells as
    this type, so both shells report them alike; it is never blank and never a number.
    """

    __slots__ = ()

    def describe(self) -> str:
        return f"是错误值 {self}"

    def fix(self) -> str:
        return "请改正该单元格的公式或引用，或直接填写数值"


class Uncalculated(CellError):
    """A formula saved without its result (by a program that does not calculate): its value is unknown."""

    __slots__ = ()

    def describe(self) -> str:
        return "是公式，但文件中没有它的计算结果"

    def fix(self) -> str:
        return "请在 Excel 中打开工作簿，按 F9 重新计算后保存，再试"


UNCALCULATED = Uncalculated("#未计算")

# Every error value Excel shows (the legacy seven, the dynamic-array and data-type
# ones); the live shell receives them as this text, the file reader from t="e" cells.
ERROR_LITERALS = frozenset((
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#UNKNOWN!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#DATA!",
    "#EXTERNAL!", "#PYTHON!", "#TIMEOUT!",
))

Value = Union[None, str, int, float, Decimal, bool, datetime, date, time, timedelta]
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
            if isinstance(v, str) and label in v and text(v) == label:  # `in` first: the text is part of the cell
                return r, c
    return None


def find_header(grid: Grid, *titles: str, max_rows: int | None = None) -> tuple[int, dict[str, int]] | None:
    """The first row holding every title; maps each title of that row to its column."""
    rows = grid if max_rows is None else grid[:max_rows]
    first = titles[0] if titles else None
    for r, line in enumerate(rows):
        if first is not None and not any(isinstance(v, str) and first in v for v in line):
            continue  # cheap test first: a row holding the title holds it as a substring
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
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    return str(value)


DATE_TYPES = (date, time, timedelta)  # datetime is a date


def is_date(value: Value) -> bool:
    """A date or time cell: Excel turns "1-2" or "9:30" into one when the cell is not set to 数值."""
    return isinstance(value, DATE_TYPES)


DATE_TYPED_AS_TEXT_FIX = "请把该单元格设为“文本”格式后重新输入（Excel 会把“5-1”这类输入当成日期）"


def not_text(value: Value) -> str | None:
    """Why a name, 类别 or star cell holds no text, as the middle of a sentence: an error value, or
    a date or time Excel made of what was typed ("5-1", "9:30"); None for anything else."""
    if isinstance(value, CellError):
        return value.describe()
    if is_date(value):
        return f"是日期或时间「{shown_value(value)}」，不是文字"
    return None


def not_text_fix(value: Value) -> str:
    """The fix for a cell not_text reports."""
    return value.fix() if isinstance(value, CellError) else DATE_TYPED_AS_TEXT_FIX


def not_a_number(value: Value) -> str:
    """Why a cell that should hold a number does not, as the middle of a sentence."""
    if isinstance(value, CellError):
        return value.describe()
    if is_date(value):
        return f"是日期或时间「{shown_value(value)}」，不是数字"
    return f"「{shown_value(value)}」不是数字"
