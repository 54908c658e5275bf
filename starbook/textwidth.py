"""How many lines a wrapped cell needs, as Excel lays out CJK text: a character from the CJK
ranges takes two columns of width. Row heights set from this keep wrapped text from
printing over the next row (LibreOffice does not fit a row written without a height)."""
from __future__ import annotations


def display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def wrapped_lines(text: str, columns: int) -> int:
    """Lines `text` takes in `columns` columns of text width (at least one)."""
    return max(1, -(-display_width(text) // max(columns, 1)))
