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
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not finite")
        return Decimal(repr(value))
    raise TypeError(type(value).__name__)


def parse_percent(value: object) -> Decimal:
    """0.2, 20 (meaning 20%), "20%" or "0.2" → Decimal("0.2")."""
    if isinstance(value, str):
        text = value.strip().replace("％", "%")
        if not text:
            raise ValueError("empty")
        try:
            if text.endswith("%"):
                return Decimal(text[:-1].strip()) / HUNDRED
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(text) from exc
    else:
        number = to_decimal(value)
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
    text = format((ratio * HUNDRED).normalize(), "f")
    return f"{text}%"


def plain(value: Decimal | None) -> str:
    """A number as the cadre typed it: 95.0 → "95", 8.50 → "8.5"."""
    if value is None:
        return ""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
