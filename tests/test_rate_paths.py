"""Column-wise shortcuts of ratebook.rate_book and the 公示 give what the row-by-row code gave.

Each reference below is the row-by-row code the shortcut replaced, kept here to
compare against on random inputs: blanks, stars with spaces and colons, numbers
that equal each other across types (1, 1.0, True), error values, rows past the grid.
"""
from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

from starbook import api
from starbook.grid import CellError, cell_at, text
from starbook.ratebook import _declared, _ledger_entries, rate_book
from starbook.scheme import STARS
from starbook.sheets import notice as N
from starbook.xlsx.read import read_grids

CELLS = [*STARS, " 三星级 ", "三星级：", "五颗星", "", None, "   ", 1, 1.0, True, 0, Decimal("1"), 3.5,
         datetime(2026, 1, 2), CellError("#N/A"), "待定"]


class Form:
    def __init__(self, declared):
        self.declared = declared


def declared_row_by_row(grid, col, rows, sources):
    out = []
    for r, form in zip(rows, sources):
        d = form.declared if form is not None else None
        if d is None and col is not None:
            d = text(cell_at(grid, r, col)) or None
        out.append(d if d in STARS else None)
    return out


def test_declared_stars_read_column_wise_as_row_by_row(monkeypatch):
    import starbook.ratebook as R

    calls = []
    monkeypatch.setattr(R, "cell_at", lambda *a: calls.append(a) or cell_at(*a))
    rng = random.Random(2026)
    column_wise = 0
    for _ in range(2000):
        width = rng.randint(1, 6)
        grid = [[rng.choice(CELLS) for _ in range(rng.randint(0, width))] for _ in range(rng.randint(0, 12))]
        col = rng.choice([None, *range(width + 1)])
        first = rng.randint(0, 4)
        rows = list(range(first, first + rng.randint(0, 12)))
        if rng.random() < 0.3:
            rng.shuffle(rows)  # forms' organizations placed out of order, or below the grid
        sources = [None] * len(rows)
        if rng.random() < 0.5:
            sources = [rng.choice([None, Form(None), Form(rng.choice(CELLS[:8] + [None]))]) for _ in rows]
        calls.clear()
        assert _declared(grid, col, rows, sources) == declared_row_by_row(grid, col, rows, sources), (grid, col, rows)
        if col is not None and rows and rows == sorted(rows) and rows[-1] < len(grid):
            assert not calls  # the rows in order within the grid: read as one slice of the column
            column_wise += 1
    assert column_wise > 200


def test_ledger_results_are_every_organizations_grade_and_star(tmp_path):
    book = tmp_path / "b.xlsm"
    api.new("分类定级", book, orgs=0)
    grids = read_grids(book)
    grids["汇总表"] = [*grids["汇总表"][:3]] + [
        [i + 1, f"支部{i}", "农村", 50 + i % 50, 60 + i % 40, 70 + i % 30] for i in range(200)
    ]
    outcome = rate_book(grids, with_edits=False)
    assert outcome.ok, outcome.problems
    rating = outcome.rating
    names, grades, stars = (rating.column(c) for c in ("name", "grade", "star"))
    expected = {n: " / ".join(x for x in (g, s) if x) for n, g, s in zip(names, grades, stars)}
    entries, results = _ledger_entries(_orgs(outcome), rating)
    assert dict(results) == expected and list(results) == list(expected)
    assert all(results[n] == expected[n] for n in expected)
    assert [e.result for e in entries] == [expected[e.name] for e in entries] and entries


def _orgs(outcome):
    from starbook.rules.rating import OrgInput

    return [OrgInput(n, {}, "农村") for n in outcome.names]


def test_a_first_notice_is_not_compared_row_by_row(tmp_path, monkeypatch):
    """At the first rating the sheet holds the template's few rows: only those are trimmed."""
    book = tmp_path / "b.xlsm"
    api.new("分类定级", book, orgs=0)
    grids = read_grids(book)
    grids["汇总表"] = [*grids["汇总表"][:3]] + [[i + 1, f"支部{i}", "农村", 90, 90, 90] for i in range(300)]
    trimmed = []
    real = N._trimmed
    monkeypatch.setattr(N, "_trimmed", lambda rows: trimmed.append(len(rows)) or real(rows))
    outcome = rate_book(grids)
    assert outcome.ok and [e for e in outcome.edits if e.sheet == N.SHEET]
    assert trimmed == [len(grids[N.SHEET])]
