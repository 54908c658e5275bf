"""A township collects its branches' own workbooks into the matching forms of its workbook.

Each branch form's inputs (header, item scores, ballot counts, vetoes, directly
typed scores) are found by their titles, in the branch's form and in the
township's form of the same 党组织名称, so a form laid out differently still
matches. A township cell that is blank receives the branch's value; one that
already holds another value is a conflict, listed and never overwritten. A new
organization takes a blank form of the township's workbook, or a new form
copied from the workbook's last form with its inputs cleared (as 新增评分表 does);
with a 评分细则, only a form listing the items of the organization's 类别 will do,
so a 机关 branch never lands on a village form.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..digests import canonical
from ..edits import CellBlock, Edit
from ..fill import form_cells
from ..grid import Grid, Value, cell_at, cell_name, find_cell, is_blank, not_a_number, not_text, text
from ..problems import WARNING
from ..scheme import FILLED_BY_COMMITTEE, METHOD_DIRECT, Scheme
from ..sheets import forms as F
from ..sheets.items import ItemTable, fits_kind
from .findings import Finding
from .readbook import Book

DECLARED = "申报星级"  # a branch's own claim, when its form has the field
Key = tuple


def slots(grid: Grid, scheme: Scheme) -> dict[Key, tuple[int, int]]:
    """Every input cell of a form by what it means, 0-based (row, col)."""
    cells = form_cells(grid, (scheme.class_input,) if scheme.class_input else ())
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
    unusable: dict[Key, tuple[str, str]] = field(default_factory=dict)  # an error value or a date: (its cell, why)


def form_inputs(sheet: str, grid: Grid, scheme: Scheme) -> FormInputs:
    places = slots(grid, scheme)
    values = {k: cell_at(grid, r, c) for k, (r, c) in places.items() if not _unset(k, cell_at(grid, r, c))}
    # An error value (or a formula saved without its result) or a date is no input to pass on:
    # the township's form would show it as text, or could not hold it at all.
    unusable = {k: (cell_name(*places[k]), not_text(v) if k[0] == "header" else not_a_number(v))
                for k, v in values.items() if not_text(v) is not None}
    for k in unusable:
        del values[k]
    pos = places.get(("header", F.F_NAME), (0, 0))
    name = "" if ("header", F.F_NAME) in unusable else text(cell_at(grid, *pos))  # no organization to match it to
    return FormInputs(sheet, name, cell_name(*pos), values, unusable)


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


class Forms:
    """The township's forms as a collect sees them: each one's input cells found once.

    New forms copied from one source share its layout, so they share its cells
    and start blank: they are added without reading them again.
    """

    def __init__(self, grids: Mapping[str, Grid], scheme: Scheme, items: ItemTable | None = None) -> None:
        self.grids = grids
        self.scheme = scheme
        self.items = items  # the workbook's 评分细则: a new organization needs a form of its 类别
        self.copied_from: dict[str, str] = {}
        self._fits: dict[tuple[str, str | None], bool] = {}
        self.cells: dict[str, dict[Key, tuple[int, int]]] = {}
        self.fresh: set[str] = set()
        self.by_name: dict[str, str] = {}
        self.blank: list[str] = []
        self.placed = 0  # branch forms that found their form here
        for sheet in F.form_sheets(list(grids)):
            places = self.cells[sheet] = slots(grids[sheet], scheme)
            pos = places.get(("header", F.F_NAME))
            name = text(cell_at(grids[sheet], *pos)) if pos else ""
            if name:
                self.by_name.setdefault(name, sheet)
            elif pos is not None and not any(not _unset(k, cell_at(grids[sheet], r, c)) for k, (r, c) in places.items()):
                self.blank.append(sheet)

    def add_copies(self, source: str, names: Sequence[str]) -> tuple[list[Edit], list[Edit]]:
        """New blank forms copied from `source`: (the edits that clear `source`'s inputs,
        the same for each copy by its name)."""
        from dataclasses import replace

        from ..fill import blank_form_edits

        direct = [e.name for e in self.scheme.evaluators if e.method == METHOD_DIRECT]
        clear = blank_form_edits(source, self.grids[source], direct)
        edits: list[Edit] = []
        for name in names:
            self.cells[name] = self.cells[source]
            self.copied_from[name] = source
            self.fresh.add(name)
            self.blank.append(name)
            edits += [replace(e, sheet=name) for e in clear]
        return clear, edits

    def fits(self, sheet: str, kind: str | None) -> bool:
        """Whether `sheet` lists the items a form of 类别 `kind` is built from (any form does
        in a workbook without 评分细则)."""
        if self.items is None:
            return True
        key = (self.copied_from.get(sheet, sheet), kind)  # a copy lists its source's items
        if key not in self._fits:  # asked for every blank form per new organization: each form read once per 类别
            self._fits[key] = fits_kind(self.grids[key[0]], self.items, kind)
        return self._fits[key]

    def take_blank(self, kind: str | None) -> str | None:
        """The first blank form that fits `kind`, taken; None when there is none."""
        for i, sheet in enumerate(self.blank):
            if self.fits(sheet, kind):
                return self.blank.pop(i)
        return None

    def value(self, sheet: str, r: int, c: int) -> Value:
        return None if sheet in self.fresh else cell_at(self.grids[sheet], r, c)


def branch_edits(forms: Forms, books: Sequence[Book]) -> tuple[list[Edit], list[Finding]]:
    """The township's form edits for every branch form, and the conflicts and refusals."""
    edits: list[Edit] = []
    findings: list[Finding] = []
    theirs = {e.name for e in forms.scheme.evaluators if e.filled_by == FILLED_BY_COMMITTEE}
    for book in books:
        for form in book.forms:
            name = form.name
            if not name:  # its 党组织名称 is an error value or a date
                cell, why = form.unusable.get(("header", F.F_NAME), (form.name_cell, "为空"))
                findings.append(Finding(book.name, form.sheet, cell, f"支部评分表的党组织名称{why}，这张表未汇总",
                                        "请该支部在党组织名称一栏填写本支部的名称后重新发回"))
                continue
            target = forms.by_name.get(name)
            if target is None:
                kind = kind_of(form)
                target = forms.take_blank(kind)
                if target is None:
                    findings.append(_no_form(book.name, form, forms.items is not None, kind))
                    continue
                forms.by_name[name] = target
            forms.placed += 1
            mine = forms.cells[target]
            for key, (cell, why) in form.unusable.items():
                findings.append(Finding(book.name, form.sheet, cell, f"“{name}”的{what(key)}{why}，未汇入“{target}”",
                                        "请该支部改正后重新发回；或核实后在乡镇工作簿中手工填写"))
            skipped: set[str] = set()
            for key, value in form.values.items():
                if book.handed_down and key[0] in ("item", "vote", "direct") and key[1] in theirs:
                    skipped.add(key[1])  # the committee's part, typed in a branch's book
                    continue
                if key not in mine:
                    continue
                tr, tc = mine[key]
                have = forms.value(target, tr, tc)
                if _unset(key, have):
                    edits.append(CellBlock(target, tr + 1, tc + 1, ((value,),)))
                elif canonical(have) != canonical(value):
                    findings.append(Finding(book.name, target, cell_name(tr, tc),
                                            f"“{name}”的{what(key)}：支部报来「{canonical(value)}」，乡镇工作簿已填「{canonical(have)}」，未覆盖",
                                            f"请与该支部核实后，在乡镇工作簿“{target}”{cell_name(tr, tc)} 中手工改正"))
            if skipped:
                parts = "、".join(e.name for e in forms.scheme.evaluators if e.name in skipped)
                findings.append(Finding(book.name, form.sheet, form.name_cell,
                                        f"支部填报工作簿中填写了{parts}，按参数表“填写方”这是党委填写的部分，未汇入“{target}”",
                                        f"请由党委在乡镇工作簿“{target}”中填写{parts}；如确需采用支部报来的数据，请核实后手工录入", WARNING))
    return edits, findings


def kind_of(form: FormInputs) -> str | None:
    """The 类别 a branch's form states, if any."""
    return text(form.values.get(("header", F.F_KIND))) or None


def _no_form(book: str, form: FormInputs, by_kind: bool, kind: str | None) -> Finding:
    if by_kind:
        said = f"类别“{kind}”" if kind else "未填类别"
        return Finding(book, form.sheet, form.name_cell,
                       f"乡镇工作簿中没有按评分细则为{said}的党组织生成的评分表，“{form.name}”的评分表未汇总",
                       "请在乡镇工作簿的汇总表中填好该党组织的名称和类别，选中这一行后点击“新增评分表”"
                       "（或运行 starbook forms / starbook new --items … --kind 生成该类别的评分表），保存后重新汇总")
    return Finding(book, form.sheet, form.name_cell,
                   f"乡镇工作簿中没有“{form.name}”的评分表，也没有空白评分表可用，未汇总这张表",
                   "请在乡镇工作簿中点击“星级评定”选项卡的“新增评分表”（每个新党组织一张），保存后重新汇总")


def new_form_names(forms: Forms, books: Sequence[Book]) -> list[tuple[str, list[str]]]:
    """[(the form to copy, the names of its copies)] so that every new organization has a form:
    one group per 类别 with a 评分细则 (a copy of the last form listing that 类别's items;
    none when no form does, which branch_edits reports), else one copy group of the last form."""
    sheets = list(forms.cells)
    if not sheets:
        return []
    new: dict[str, str | None] = {}
    for b in books:
        for f in b.forms:
            if f.name and f.name not in forms.by_name and f.name not in new:
                new[f.name] = kind_of(f) if forms.items is not None else None
    free = list(forms.blank)
    need: dict[str | None, int] = {}
    for kind in new.values():  # the blank forms branch_edits will take, in the same order
        hit = next((i for i, sheet in enumerate(free) if forms.fits(sheet, kind)), None)
        if hit is None:
            need[kind] = need.get(kind, 0) + 1
        else:
            free.pop(hit)
    numbers = [int(s[len(F.PREFIX):]) for s in sheets if s[len(F.PREFIX):].isdigit()]
    start = max(numbers, default=len(sheets)) + 1
    groups: list[tuple[str, list[str]]] = []
    for kind, count in need.items():
        source = next((s for s in reversed(sheets) if forms.fits(s, kind)), None)
        if source is None:
            continue
        groups.append((source, [f"{F.PREFIX}{start + i}" for i in range(count)]))
        start += count
    return groups
