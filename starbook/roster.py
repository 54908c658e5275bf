"""Who a committee's book holds: its organizations and the items of its forms.

`distribute` hands each organization a form of its own and `new --from` starts
next year with the same organizations; both read them here, from the 汇总表 rows
and the forms, by their titles, whether or not the book has been scored yet
(the rating parsers insist on scores, these readers do not).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .fill import form_cells
from .grid import Grid, Value, cell_at, cell_name, find_cell, find_header, is_blank, not_text, not_text_fix, text
from .numbers import parse_number
from .problems import Problem
from .scheme import Dimension, Item
from .sheets import forms as F
from .sheets import summary as S


@dataclass(frozen=True)
class Member:
    """One organization of the book."""

    name: str
    category: str | None = None
    last_star: str | None = None
    star: str | None = None  # the 汇总表's 星级 (after 定星), for next year's 上年星级
    form: str | None = None  # its form sheet, if it has one
    row: int | None = None  # its 0-based 汇总表 row, if it has one
    star_class: str | None = None  # the scheme's input class (服务型五星's 晋位升级等次), when it has one


def _value(grid: Grid, at: tuple[int, int] | None) -> str | None:
    return (text(cell_at(grid, *at)) or None) if at is not None else None


def members(grids: Mapping[str, Grid], class_title: str = "", problems: list[Problem] | None = None) -> list[Member]:
    """汇总表 rows in order (a row bound to a form by 数据来源 or by name takes the form's
    name, 类别, 上年星级 and `class_title` (the scheme's input class) where the form has them),
    then forms no row names. `problems`, when given, receives each name, 类别 or star cell
    holding an error value or a date (that row or form is left out)."""
    labels = (class_title,) if class_title else ()

    def usable(sheet: str, grid: Grid, places: Mapping[str, tuple[int, int] | None]) -> bool:
        ok = True
        for title, at in places.items():
            value = cell_at(grid, *at) if at is not None else None
            why = not_text(value)
            if why is not None:
                ok = False
                if problems is not None:
                    problems.append(Problem(sheet, cell_name(*at), f"{title}{why}", not_text_fix(value)))
        return ok

    forms: dict[str, tuple[str, str | None, str | None, str | None]] = {}
    for sheet in F.form_sheets(list(grids)):
        header = form_cells(grids[sheet], labels).header
        if not usable(sheet, grids[sheet], {t: header.get(t) for t in (F.F_NAME, F.F_KIND, F.F_LAST, *labels)}):
            continue
        name = _value(grids[sheet], header.get(F.F_NAME))
        if name:
            forms[sheet] = (name, _value(grids[sheet], header.get(F.F_KIND)), _value(grids[sheet], header.get(F.F_LAST)),
                            _value(grids[sheet], header.get(class_title)) if class_title else None)
    by_name = {v[0]: sheet for sheet, v in forms.items()}
    out: list[Member] = []
    taken: set[str] = set()
    grid = grids.get(S.SHEET)
    found = find_header(grid, S.S_NAME, max_rows=30) if grid is not None else None
    if found is not None:
        hr, cols = found
        cols = {text(v): c for c, v in enumerate(grid[hr]) if text(v)}

        def at(r: int, title: str) -> str | None:
            return (text(cell_at(grid, r, cols[title])) or None) if title in cols else None

        for r in range(hr + 1, len(grid)):
            if is_blank(cell_at(grid, r, cols.get(S.S_NAME, -1))):
                continue  # no organization on this row, whatever else it holds
            titles = (S.S_NAME, S.S_KIND, S.S_LAST, S.O_STAR, *labels)
            if not usable(S.SHEET, grid, {t: (r, cols[t]) for t in titles if t in cols}):
                continue
            name = at(r, S.S_NAME)
            if not name:
                continue
            sheet = at(r, S.O_SOURCE)
            sheet = sheet if sheet in forms and sheet not in taken else by_name.get(name)
            sheet = sheet if sheet not in taken else None
            kind, last = at(r, S.S_KIND), at(r, S.S_LAST)
            klass = at(r, class_title) if class_title else None
            if sheet is not None:
                taken.add(sheet)
                f = forms[sheet]
                name, kind, last, klass = f[0], f[1] or kind, f[2] or last, f[3] or klass
            out.append(Member(name, kind, last, at(r, S.O_STAR), sheet, r, klass))
    for sheet, (name, kind, last, klass) in forms.items():
        if sheet not in taken:
            out.append(Member(name, kind, last, None, sheet, None, klass))
    return out


def form_dimensions(grid: Grid) -> tuple[Dimension, ...]:
    """The items a form lists (维度, 维度分值, 评分内容, 评分标准, 分值), as the cadre left them.

    A merged 维度 cell holds its text in the first row only: the rows below belong to it.
    Empty when the form has no item table (a scheme without item scoring).
    """
    found = find_header(grid, F.I_DIM, F.I_CONTENT, F.I_POINTS)
    if found is None:
        return ()
    hr, cols = found
    dims: list[tuple[str, Decimal, list[Item]]] = []
    r = hr + 1
    while r < len(grid) and text(cell_at(grid, r, cols[F.I_DIM])) != F.TOTAL and not is_blank(cell_at(grid, r, cols[F.I_CONTENT])):
        name = text(cell_at(grid, r, cols[F.I_DIM]))
        if name or not dims:
            points = cell_at(grid, r, cols[F.I_DIM_POINTS]) if F.I_DIM_POINTS in cols else None
            dims.append((name, _number(points), []))
        standard = text(cell_at(grid, r, cols[F.I_STANDARD])) if F.I_STANDARD in cols else ""
        dims[-1][2].append(Item(text(cell_at(grid, r, cols[F.I_CONTENT])), standard, _number(cell_at(grid, r, cols[F.I_POINTS]))))
        r += 1
    return tuple(Dimension(n, p if p else sum((i.points for i in items), Decimal(0)), tuple(items)) for n, p, items in dims)


def _number(v: Value) -> Decimal:
    try:
        return parse_number(v) if not is_blank(v) else Decimal(0)
    except (ValueError, TypeError):
        return Decimal(0)


_YEAR = re.compile(r"年度[：:]\s*(\d{4})")


def book_year(grids: Mapping[str, Grid]) -> int | None:
    """The year the book is for: a form's 年度, else the 汇总表's “年度：” line."""
    for sheet in F.form_sheets(list(grids)):
        pos = find_cell(grids[sheet], F.F_YEAR, max_rows=12)
        if pos is not None:
            v = cell_at(grids[sheet], pos[0], pos[1] + 1)
            try:
                n = parse_number(v) if not is_blank(v) else None
            except (ValueError, TypeError):
                n = None
            if n is not None and n == n.to_integral_value() and 1900 < n < 3000:
                return int(n)
    for line in (grids.get(S.SHEET) or [])[:5]:
        for v in line:
            m = _YEAR.search(text(v)) if isinstance(v, str) else None
            if m:
                return int(m.group(1))
    return None


def form_title(grids: Mapping[str, Grid]) -> str | None:
    """The title on the book's first form (A1), which its forms were built with."""
    for sheet in F.form_sheets(list(grids)):
        t = text(cell_at(grids[sheet], 0, 0))
        if t:
            return t
    return None
