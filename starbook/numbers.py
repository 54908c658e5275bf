"""Decimal arithmetic as the cadre sees it: shown values are the judged values."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

from .scheme import ROUND_HALF_EVEN as HALF_EVEN_NAME

HUNDRED = Decimal(100)


def to_decimal(value: object) -> Decimal:
    """Exact decimal of a cell value: floats go through their shortest repr.

    Excel stores 85.1 as the text "85.1"; a reader hands us the float 85.1,
    whose repr is "85.1" again, so nothing of binary floating point leaks in.
    """
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("not finite")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not finite")
        return Decimal(repr(value))
    raise TypeError(type(value).__name__)


# Excel holds doubles: no number a cadre can type lies outside this exponent range.
_MAX_EXPONENT = 308


def parse_number(value: object) -> Decimal:
    """A number cell or numeric text ("90", " 8.5 ") as an exact finite decimal.

    ValueError for anything else: blanks, words, dates, booleans, error values,
    and the texts Decimal() would take but no cell means (NaN, Infinity, sNaN,
    1E+999999, 1_000).
    """
    if isinstance(value, str):
        text = value.strip()
        if "_" in text:
            raise ValueError(text)
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(text) from exc
    else:
        try:
            number = to_decimal(value)
        except TypeError as exc:
            raise ValueError(type(value).__name__) from exc
    if not number.is_finite() or (number and abs(number.adjusted()) > _MAX_EXPONENT):
        raise ValueError(str(value))
    return number


def parse_percent(value: object) -> Decimal:
    """0.2, 20 (meaning 20%), "20%" or "0.2" → Decimal("0.2"); ValueError for anything else."""
    if isinstance(value, str):
        text = value.strip().replace("％", "%")
        if not text:
            raise ValueError("empty")
        if text.endswith("%"):
            return parse_number(text[:-1]) / HUNDRED
        number = parse_number(text)
    else:
        number = parse_number(value)
    return number / HUNDRED if number > 1 else number


_EXPONENTS = {n: Decimal(1).scaleb(-n) for n in range(0, 9)}


def quantizer(decimals: int, rounding: str) -> tuple[Decimal, str]:
    """The exponent and decimal rounding mode for `decimals` places and a 参数 rounding name."""
    mode = ROUND_HALF_EVEN if rounding == HALF_EVEN_NAME else ROUND_HALF_UP
    return _EXPONENTS.get(decimals) or Decimal(1).scaleb(-decimals), mode


def quantize(value: Decimal, decimals: int, rounding: str) -> Decimal:
    exponent, mode = quantizer(decimals, rounding)
    return value.quantize(exponent, rounding=mode)


def floor_count(ratio: Decimal, base: int) -> int:
    return int((ratio * base).to_integral_value(rounding="ROUND_FLOOR"))


def ceil_count(ratio: Decimal, base: int) -> int:
    return int((ratio * base).to_integral_value(rounding="ROUND_CEILING"))


def percent_text(ratio: Decimal) -> str:
    """0.3 → "30%", 0.125 → "12.5%"."""
    return f"{plain(ratio * HUNDRED)}%"


def plain(value: Decimal | None) -> str:
    """A number as the cadre typed it: 95.0 → "95", 8.50 → "8.5"; 1E+300 stays short."""
    if value is None:
        return ""
    if value and abs(value.adjusted()) > 15:
        return format(value.normalize(), "E")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
