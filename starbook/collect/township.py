"""A township collects its branches' own workbooks into the matching forms of its workbook.

Each branch form's inputs (header, item scores, ballot counts, vetoes, directly
typed scores) are found by their titles, in the branch's form and in the
township's form of the same 党组织名称, so a form laid out differently still
matches. A township cell that is blank receives the branch's value; one that
already holds another value is a conflict, listed and never overwritten. A new
organization takes a blank form of the township's workbook, or a new form
copied from the workbook's last form with its inputs cleared (as 新增评分表 does).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..digests import canonical
from ..edits import CellBlock, Edit
from ..fill import form_cells
from ..grid import Grid, Value, cell_at, cell_name, find_cell, is_blank, text
from ..scheme import METHOD_DIRECT, Scheme
from ..sheets import forms as F
from .findings import Finding
from .readbook import Book

DECLARED = "申报星级"  # a branch's own claim, when its form has the field
Key = tuple


def slots(grid: Grid, scheme: Scheme) -> dict[Key, tuple[int, int]]:
    """Every input cell of a form by what it means, 0-based (row, col)."""
    cells = form_cells(grid)
    out: dict[Key, tuple[int, int]] = {("header", label): pos for label, pos in cells.header.items()}
    pos = find_cell(grid, DECLARED, max_rows=12)
    if pos is not None:
        out[("header", DECLARED)] = (pos[0], pos[1] + 1)
    for who, places in cells.items.items():
        for i, p in enumerate(places):
            out[("item", who, i)] = p
    for who, labels in cells.votes.items():
        for label, p in labels.items():
            out[("vote", who, label)] = p
    for veto, p in cells.vetoes.items():
        out[("veto", veto)] = p
    direct = {e.name for e in scheme.evaluators if e.method == METHOD_DIRECT}
    for who, p in cells.scores.items():
        if who in direct:
            out[("direct", who)] = p
    return out


@dataclass
class FormInputs:
    """A branch form's filled inputs by meaning, with their cells: all a township needs of it."""

    sheet: str
    name: str
    name_cell: str
    values: dict[Key, Value]


def form_inputs(sheet: str, grid: Grid, scheme: Scheme) -> FormInputs:
    places = slots(grid, scheme)
    values = {k: cell_at(grid, r, c) for k, (r, c) in places.items() if not _unset(k, cell_at(grid, r, c))}
    pos = places.get(("header", F.F_NAME), (0, 0))
    return FormInputs(sheet, text(cell_at(grid, *pos)), cell_name(*pos), values)


def what(key: Key) -> str:
    kind = key[0]
    if kind == "header":
        return key[1]
    if kind == "item":
        return f"{key[1]}第 {key[2] + 1} 项得分"
    if kind == "vote":
        return f"{key[1]}“{key[2]}”票数"
    if kind == "veto":
        return f"否决事项“{key[1]}”"
    return f"{key[1]}得分"


def _unset(key: Key, value: Value) -> bool:
    """Blank, or the blank form's default (a veto answered 否)."""
    return is_blank(value) or (key[0] == "veto" and text(value) == F.NO)


def branch_edits(grids: Mapping[str, Grid], scheme: Scheme, books: Sequence[Book]) -> tuple[list[Edit], list[Finding]]:
    """The township's form edits for every branch form, and the conflicts and refusals."""
    forms = F.form_sheets(list(grids))
    by_name: dict[str, str] = {}
    blank: list[str] = []
    for sheet in forms:
        cells = form_cells(grids[sheet])
        pos = cells.header.get(F.F_NAME)
        name = text(cell_at(grids[sheet], *pos)) if pos else ""
        if name:
            by_name.setdefault(name, sheet)
        elif pos is not None and not _has_inputs(grids[sheet], scheme):
            blank.append(sheet)
    edits: list[Edit] = []
    findings: list[Finding] = []
    for book in books:
        for form in book.forms:
            name = form.name
            target = by_name.get(name)
            if target is None:
                if not blank:
                    findings.append(Finding(book.name, form.sheet, form.name_cell,
                                            f"乡镇工作簿中没有“{name}”的评分表，也没有空白评分表可用，未汇总这张表",
                                            "请在乡镇工作簿中点击“星级评定”选项卡的“新增评分表”（每个新党组织一张），保存后重新汇总"))
                    continue
                target = by_name[name] = blank.pop(0)
            mine = slots(grids[target], scheme)
            for key, value in form.values.items():
                if key not in mine:
                    continue
                tr, tc = mine[key]
                have = cell_at(grids[target], tr, tc)
                if _unset(key, have):
                    edits.append(CellBlock(target, tr + 1, tc + 1, ((value,),)))
                elif canonical(have) != canonical(value):
                    findings.append(Finding(book.name, target, cell_name(tr, tc),
                                            f"“{name}”的{what(key)}：支部报来「{canonical(value)}」，乡镇工作簿已填「{canonical(have)}」，未覆盖",
                                            f"请与该支部核实后，在乡镇工作簿“{target}”{cell_name(tr, tc)} 中手工改正"))
    return edits, findings


def _has_inputs(grid: Grid, scheme: Scheme) -> bool:
    return any(not _unset(k, cell_at(grid, r, c)) for k, (r, c) in slots(grid, scheme).items())


def new_form_names(grids: Mapping[str, Grid], scheme: Scheme, books: Sequence[Book]) -> tuple[str | None, list[str]]:
    """(the form to copy, the names of the new forms) so that every new organization has a form."""
    forms = F.form_sheets(list(grids))
    if not forms:
        return None, []
    named, blank = set(), 0
    for sheet in forms:
        pos = form_cells(grids[sheet]).header.get(F.F_NAME)
        name = text(cell_at(grids[sheet], *pos)) if pos else ""
        if name:
            named.add(name)
        elif pos is not None and not _has_inputs(grids[sheet], scheme):
            blank += 1
    new = {f.name for b in books for f in b.forms if f.name and f.name not in named}
    count = max(0, len(new) - blank)
    numbers = [int(s[len(F.PREFIX):]) for s in forms if s[len(F.PREFIX):].isdigit()]
    start = max(numbers, default=len(forms)) + 1
    return forms[-1], [f"{F.PREFIX}{start + i}" for i in range(count)]


def blanked(sheet: str, grid: Grid, scheme: Scheme) -> tuple[list[Edit], list[list[Value]]]:
    """A copy of `grid` as a new blank form `sheet`: the edits that clear it, and the grid they leave."""
    from ..fill import blank_form_edits

    direct = [e.name for e in scheme.evaluators if e.method == METHOD_DIRECT]
    edits = blank_form_edits(sheet, grid, direct)
    out = [list(r) for r in grid]
    for e in edits:
        for i, line in enumerate(e.values):
            for j, v in enumerate(line):
                r, c = e.row - 1 + i, e.col - 1 + j
                if r < len(out) and c < len(out[r]):
                    out[r][c] = v
    return edits, out
