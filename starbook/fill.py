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
from .edits import CellBlock
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
    declared: str | None = None  # 申报星级, the star the branch declares with its 自评
    extra: Mapping[str, Value] = field(default_factory=dict)  # a scheme's own header fields (晋位升级等次) → value


def _one(sheet: str, r: int, c: int, value: Value) -> CellBlock:
    return CellBlock(sheet, r + 1, c + 1, ((value,),))


@dataclass
class FormCells:
    """Where a form's input cells are, found by their titles (0-based row, col)."""

    header: dict[str, tuple[int, int]] = field(default_factory=dict)
    items: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # evaluator → item cells
    votes: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)  # evaluator → label → cell
    vetoes: dict[str, tuple[int, int]] = field(default_factory=dict)  # veto → answer cell
    scores: dict[str, tuple[int, int]] = field(default_factory=dict)  # evaluator → its 得分 cell in the preview table


FIXED_ITEM_TITLES = (F.I_DIM, F.I_DIM_POINTS, F.I_NO, F.I_CONTENT, F.I_STANDARD, F.I_POINTS)


def form_cells(grid: Grid, labels: Sequence[str] = ()) -> FormCells:
    """`labels`: further header fields a scheme adds (服务型五星's 晋位升级等次)."""
    cells = FormCells()
    for label in (F.F_NAME, F.F_KIND, F.F_LAST, F.F_DECLARED, *labels):
        pos = find_cell(grid, label, max_rows=12)
        if pos is not None:
            cells.header[label] = (pos[0], pos[1] + 1)
    found = find_header(grid, F.I_DIM, F.I_CONTENT, F.I_POINTS)
    if found is not None:
        hr, cols = found
        rows = []
        r = hr + 1
        while text(cell_at(grid, r, cols[F.I_DIM])) != F.TOTAL and not is_blank(cell_at(grid, r, cols[F.I_CONTENT])):
            rows.append(r)
            r += 1
        for title, c in cols.items():
            if title not in FIXED_ITEM_TITLES:
                cells.items[title] = [(r, c) for r in rows]
    pos = find_cell(grid, F.V_ITEM)
    if pos is not None:
        hr, c0 = pos
        labels = {}
        r = hr + 1
        while not is_blank(cell_at(grid, r, c0)):
            labels[text(cell_at(grid, r, c0))] = r
            r += 1
        # The counts come before the results (测评得分, 满意率); below those only sign-off lines.
        ends = [i for i, label in enumerate(labels) if label in (F.V_SCORE, F.V_SAT)]
        counted = list(labels)[: ends[0] if ends else len(labels)]
        for c, v in enumerate(grid[hr]):
            if c > c0 and text(v) and len(text(v)) <= 12:
                cells.votes[text(v)] = {label: (labels[label], c) for label in counted}
    found = find_header(grid, F.X_VETO, F.X_HIT)
    if found is not None:
        hr, cols = found
        r = hr + 1
        while not is_blank(cell_at(grid, r, cols[F.X_VETO])):
            cells.vetoes[text(cell_at(grid, r, cols[F.X_VETO]))] = (r, cols[F.X_HIT])
            r += 1
    found = find_header(grid, F.D_WHO, F.D_SCORE)
    if found is not None:
        hr, cols = found
        r = hr + 1
        while not is_blank(cell_at(grid, r, cols[F.D_WHO])):
            cells.scores[text(cell_at(grid, r, cols[F.D_WHO]))] = (r, cols[F.D_SCORE])
            r += 1
    return cells


def form_edits(sheet: str, grid: Grid, fill: FormFill) -> list[CellBlock]:
    cells = form_cells(grid, tuple(fill.extra))
    edits: list[CellBlock] = []
    for label, value in ((F.F_NAME, fill.name), (F.F_KIND, fill.category), (F.F_LAST, fill.last_star), (F.F_DECLARED, fill.declared),
                         *((k, v) for k, v in fill.extra.items() if k in cells.header)):  # an older form may lack a field
        if value is not None:
            edits.append(_one(sheet, *cells.header[label], value))
    for evaluator, scores in fill.items.items():
        places = cells.items[evaluator]
        if len(scores) != len(places):
            raise ValueError(f"{sheet}: {evaluator} needs {len(places)} item scores, got {len(scores)}")
        edits.append(CellBlock(sheet, places[0][0] + 1, places[0][1] + 1, tuple((v,) for v in scores)))
    for evaluator, counts in fill.votes.items():
        for label, n in counts.items():
            edits.append(_one(sheet, *cells.votes[evaluator][label], n))
    for veto in fill.vetoes:
        edits.append(_one(sheet, *cells.vetoes[veto], F.YES))
    for who, value in fill.direct.items():  # only evaluators entered directly have an input there
        edits.append(_one(sheet, *cells.scores[who], value))
    return edits


def blank_form_edits(sheet: str, grid: Grid, direct: Sequence[str] = (), labels: Sequence[str] = ()) -> list[CellBlock]:
    """Edits that empty a copied form's inputs (for 新增评分表): it reads as a blank form.

    `direct` names the evaluators whose score is typed on the form (直接录入);
    the other 得分 cells are formulas and stay; `labels` are the scheme's own header fields.
    """
    cells = form_cells(grid, labels)
    edits = [_one(sheet, r, c, None) for r, c in cells.header.values()]
    for places in cells.items.values():
        if places:
            edits.append(CellBlock(sheet, places[0][0] + 1, places[0][1] + 1, tuple((None,) for _ in places)))
    for labels in cells.votes.values():
        edits += [_one(sheet, r, c, None) for r, c in labels.values()]
    edits += [_one(sheet, r, c, F.NO) for r, c in cells.vetoes.values()]
    edits += [_one(sheet, *cells.scores[who], None) for who in direct if who in cells.scores]
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
