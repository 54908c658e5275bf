"""One cell's XML: values as Excel stores them (numbers as typed, escaped text,
booleans), styles taken from the column, formulas kept for cached values.

`Writer` caches the per-column and per-string work of a sheet's cells."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Union

from ..edits import Cached
from .errors import SAVE_AGAIN, PatchError

_FORMULA = re.compile(r"<f\b[^>]*?(?:/>|>.*?</f>)", re.S)
_COL = re.compile(r"<col\b[^>]*/>")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def escape(value: str) -> str:
    """&, < and > as entities, as xml.sax.saxutils.escape (which would import urllib, http and email with it)."""
    return value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def col_letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def number_text(value: Union[int, float, Decimal]) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PatchError(f"无法写入数值 {value}（不是有限数）", "请检查参数与得分中的数值", repr(value))
        return format(value, "f")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise PatchError(f"无法写入数值 {value}（不是有限数）", "请检查参数与得分中的数值", repr(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    return str(value)


def text_xml(value: str) -> str:
    if "_" in value or _ILLEGAL.search(value):  # most texts need neither substitution
        value = _ESCAPE_LOOKALIKE.sub(r"_x005F_\1", value)
        value = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    space = ' xml:space="preserve"' if value != value.strip() or "\n" in value or "\r" in value else ""
    return f"<t{space}>{escape(value).replace(chr(13), '&#13;')}</t>"  # a raw CR would read back as LF


_SEP = "\ue000"  # a private-use character: a batch with a text holding it goes one by one


def texts_xml(values: list[str]) -> list[str]:
    """text_xml of each text, escaped in one pass over them all (a 公示's 30,000 lines)."""
    joined = _SEP.join(values)
    if joined.count(_SEP) != len(values) - 1 or "_" in joined or "\r" in joined or _ILLEGAL.search(joined):
        return [text_xml(v) for v in values]
    escaped = escape(joined).split(_SEP)
    out = [f"<t>{e}</t>" for e in escaped]
    for i in [i for i, v in enumerate(values) if v[:1].isspace() or v[-1:].isspace() or "\n" in v]:
        out[i] = f'<t xml:space="preserve">{escaped[i]}</t>'
    return out


# Values whose new cell depends on nothing but the value, its reference and its style (cell_xml),
# so one rendering serves every cell holding the same value: a band's column, a stencil's copies.
PLAIN_VALUES = frozenset((str, int, float, Decimal, bool, type(None)))


def cell_xml(ref: str, style: str | None, value, existing: str | None) -> tuple[str, bool]:
    """New cell XML, and whether a formula was replaced by a plain value."""
    s = f' s="{style}"' if style is not None else ""
    formula = _FORMULA.search(existing).group() if existing and "<f" in existing else None
    if isinstance(value, Cached):
        if formula is None:  # no formula here (a cadre typed over it): leave the cell alone
            return existing if existing is not None else f'<c r="{ref}"{s}/>', False
        v = value.value
        if v is None:
            return f'<c r="{ref}"{s}>{formula}</c>', False
        if isinstance(v, bool):
            return f'<c r="{ref}"{s} t="b">{formula}<v>{int(v)}</v></c>', False
        if isinstance(v, str):
            return f'<c r="{ref}"{s} t="str">{formula}<v>{escape(_ILLEGAL.sub("", v))}</v></c>', False
        return f'<c r="{ref}"{s}>{formula}<v>{number_text(v)}</v></c>', False
    if isinstance(value, Rehome):  # a shared formula's new master: only its <f> changes
        assert existing is not None and formula is not None
        cell = existing.replace(formula, value.formula, 1)
        return (cell, False) if value.then is None else cell_xml(ref, style, value.then, cell)
    replaced = formula is not None  # a shared master's followers were re-homed by formula_plan
    if value is None:
        return f'<c r="{ref}"{s}/>', replaced
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>', replaced
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr"><is>{text_xml(value)}</is></c>', replaced
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}"{s}><v>{number_text(value)}</v></c>', replaced
    raise PatchError(f"单元格 {ref} 无法写入这种值", SAVE_AGAIN, f"a {type(value).__name__}")


@dataclass(frozen=True)
class Rehome:
    """A follower of a shared formula whose master is overwritten becomes the new master:
    `formula` is its new <f> element; `then` a Cached value also written to it."""

    formula: str
    then: Cached | None = None


def column_styles(head: str) -> dict[int, str]:
    styles: dict[int, str] = {}
    for m in _COL.finditer(head):
        tag = m.group()
        lo = re.search(r'\bmin="(\d+)"', tag)
        hi = re.search(r'\bmax="(\d+)"', tag)
        st = re.search(r'\bstyle="(\d+)"', tag)
        if lo and hi and st:
            for c in range(int(lo.group(1)), min(int(hi.group(1)), 16384) + 1):
                styles[c] = st.group(1)
    return styles


class Writer:
    """Cell XML for one sheet, with the per-column and per-string work done once."""

    def __init__(self, col_styles: dict[int, str]) -> None:
        self.col_styles = col_styles
        self.letters: dict[int, str] = {}
        self.numbers: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.leads: dict[tuple[int, str | None], tuple[str, str]] = {}
        self.heights: dict[int, float] = {}
        self.fits = lambda row: False  # rows whose old custom height goes (FitRows)

    def letter(self, col: int) -> str:
        try:
            return self.letters[col]
        except KeyError:
            self.letters[col] = out = col_letters(col)
            return out

    def number(self, letters: str) -> int:
        try:
            return self.numbers[letters]
        except KeyError:
            self.numbers[letters] = out = col_number(letters)
            return out

    def new_cell(self, col: int, rnum: int, style: str | None, value) -> str | None:
        """Fast path for a cell that did not exist: text, Decimal or blank; None if not applicable."""
        try:
            lead, st = self.leads[(col, style)]
        except KeyError:
            lead, st = self.leads[(col, style)] = (f'<c r="{self.letter(col)}', f' s="{style}"' if style is not None else "")
        body = plain_body(self, type(value), value)
        return None if body is None else f'{lead}{rnum}"{st}{body}'

    def cell(self, col: int, rnum: int, style: str | None, value, existing: str | None) -> tuple[str, bool]:
        if existing is None:
            fast = self.new_cell(col, rnum, style, value)
            if fast is not None:
                return fast, False
        if value == "" and type(value) is str:
            value = None
        return cell_xml(f"{self.letter(col)}{rnum}", style, value, existing)


def plain_body(w: "Writer", kind: type, value) -> str | None:
    """What follows a new cell's r and s attributes, for blanks, text, Decimals and ints."""
    if value is None or (kind is str and not value):
        return "/>"
    if kind is str:
        body = w.texts.get(value)
        if body is None:
            body = w.texts[value] = f' t="inlineStr"><is>{text_xml(value)}</is></c>'
        return body
    if kind is Decimal and value.is_finite():
        return f"><v>{value:f}</v></c>"
    if kind is int:
        return f"><v>{value}</v></c>"
    return None
