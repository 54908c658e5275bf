"""Type values into a workbook's forms and 汇总表 the way a cadre would.

Used to build the bundled example, by the tests and by the benchmark. It finds
input cells by the same titles the parsers read, so a filled form exercises the
real reading path.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .grid import Grid, Value, cell_at, find_cell, find_header, is_blank, text
from .ratebook import CellBlock
from .sheets import forms as F
from .sheets import summary as S


@dataclass(frozen=True)
class FormFill:
    name: str
    category: str | None = None
    last_star: str | None = None
    items: Mapping[str, Sequence[Value]] = field(default_factory=dict)  # evaluator → item scores, in order
    votes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # evaluator → {label: count}
    vetoes: Sequence[str] = ()
    direct: Mapping[str, Value] = field(default_factory=dict)


def _one(sheet: str, r: int, c: int, value: Value) -> CellBlock:
    return CellBlock(sheet, r + 1, c + 1, ((value,),))


def form_edits(sheet: str, grid: Grid, fill: FormFill) -> list[CellBlock]:
    edits: list[CellBlock] = []
    for label, value in ((F.F_NAME, fill.name), (F.F_KIND, fill.category), (F.F_LAST, fill.last_star)):
        if value is not None:
            r, c = find_cell(grid, label, max_rows=12)
            edits.append(_one(sheet, r, c + 1, value))
    if fill.items:
        hr, cols = find_header(grid, F.I_DIM, F.I_CONTENT, F.I_POINTS)
        rows = []
        r = hr + 1
        while text(cell_at(grid, r, cols[F.I_DIM])) != F.TOTAL and not is_blank(cell_at(grid, r, cols[F.I_CONTENT])):
            rows.append(r)
            r += 1
        for evaluator, scores in fill.items.items():
            if len(scores) != len(rows):
                raise ValueError(f"{sheet}: {evaluator} needs {len(rows)} item scores, got {len(scores)}")
            edits.append(CellBlock(sheet, rows[0] + 1, cols[evaluator] + 1, tuple((s,) for s in scores)))
    if fill.votes:
        hr, c0 = find_cell(grid, F.V_ITEM)
        cols = {text(v): c for c, v in enumerate(grid[hr]) if c > c0 and text(v)}
        labels = {}
        r = hr + 1
        while not is_blank(cell_at(grid, r, c0)):
            labels[text(cell_at(grid, r, c0))] = r
            r += 1
        for evaluator, counts in fill.votes.items():
            for label, n in counts.items():
                edits.append(_one(sheet, labels[label], cols[evaluator], n))
    if fill.vetoes:
        hr, cols = find_header(grid, F.X_VETO, F.X_HIT)
        r = hr + 1
        while not is_blank(cell_at(grid, r, cols[F.X_VETO])):
            if text(cell_at(grid, r, cols[F.X_VETO])) in fill.vetoes:
                edits.append(_one(sheet, r, cols[F.X_HIT], F.YES))
            r += 1
    if fill.direct:
        hr, cols = find_header(grid, F.D_WHO, F.D_SCORE)
        r = hr + 1
        while not is_blank(cell_at(grid, r, cols[F.D_WHO])):
            who = text(cell_at(grid, r, cols[F.D_WHO]))
            if who in fill.direct:
                edits.append(_one(sheet, r, cols[F.D_SCORE], fill.direct[who]))
            r += 1
    return edits


def item_scores(points: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """Item scores adding up to `total`: full marks less half-point deductions taken in turn."""
    out = [Decimal(p) for p in points]
    lost = sum(out, Decimal(0)) - Decimal(total)
    if lost < 0:
        raise ValueError("total above full marks")
    step, i = Decimal("0.5"), 0
    while lost >= step:
        if out[i] >= step:
            out[i] -= step
            lost -= step
        i = (i + 1) % len(out)
    if lost:
        j = next(k for k, v in enumerate(out) if v >= lost)
        out[j] -= lost
    return out


def summary_rows(grid: Grid, rows: Sequence[Mapping[str, Value]]) -> CellBlock:
    """Rows typed directly into the 汇总表 below its header (for books without forms)."""
    hr, cols = find_header(grid, S.S_NAME, max_rows=30)
    titles = sorted({t for row in rows for t in row}, key=lambda t: cols[t])
    left = cols[titles[0]]
    right = cols[titles[-1]]
    by_col = {cols[t]: t for t in titles}
    values = tuple(tuple(row.get(by_col[c]) if c in by_col else None for c in range(left, right + 1)) for row in rows)
    return CellBlock(S.SHEET, hr + 2, left + 1, values)
