"""A paper-ballot count: one row per organization, one column per option (好/较好/一般/较差),
optionally the number who voted (实际参评人数)."""
from __future__ import annotations

from dataclasses import dataclass

from ..grid import Value, as_number, cell_at, cell_name, is_blank, shown_value
from ..problems import Problem
from .answers import normalize
from .orgs import OrgNames
from .source import Table

NAME = "计票表"
VOTED = ("实际参评人数", "参评人数", "投票人数", "实到人数")
NAME_TITLES = ("党组织名称", "党组织", "党支部", "单位", "名称")
TOTAL_ROWS = ("合计", "总计", "小计")


@dataclass
class TallyRow:
    where: str
    row: int
    org: str
    counts: dict[str, int]
    voted: int | None


def detect(header: list[Value], options: tuple[str, ...]) -> bool:
    cells = {normalize(v) for v in header}
    return all(o in cells for o in options)


def _count(table: Table, r: int, c: int, what: str, problems: list[Problem]) -> int | None:
    v = cell_at(table.rows, r, c)
    if is_blank(v):
        return 0
    d = as_number(v)
    if d is None and isinstance(v, str):
        d = as_number(int(v.strip())) if v.strip().isdigit() else None
    if d is None or d < 0 or d != d.to_integral_value():
        problems.append(Problem(table.where, cell_name(r, c), f"{what}「{shown_value(v)}」不是非负整数", "请填写票数（整数，没有填 0）"))
        return None
    return int(d)


def read_tally(table: Table, header_row: int, options: tuple[str, ...], orgs: OrgNames, problems: list[Problem]) -> list[TallyRow]:
    header = [normalize(v) for v in table.rows[header_row]]
    option_cols = {o: header.index(o) for o in options}
    voted_col = next((c for t in VOTED for c, h in enumerate(header) if h == t), None)
    used = {*option_cols.values(), voted_col}
    name_col = next((c for t in NAME_TITLES for c, h in enumerate(header) if h == t), None)
    if name_col is None:
        name_col = next(c for c in range(len(header)) if c not in used)
    out: list[TallyRow] = []
    seen: dict[str, int] = {}
    for r in range(header_row + 1, len(table.rows)):
        label = cell_at(table.rows, r, name_col)
        if is_blank(label) or normalize(label) in TOTAL_ROWS:
            continue
        m = orgs.match(label)
        where = cell_name(r, name_col)
        if m.name is None:
            problems.append(Problem(table.where, where, f"“{shown_value(label)}”对应不上任何党组织", "请改为量化评分表上的党组织名称，或删除这一行"))
            continue
        if m.rivals:
            problems.append(Problem(table.where, where, f"“{shown_value(label)}”同时含有“{m.name}”和“{'”“'.join(m.rivals)}”，无法确定是哪个党组织", "请只写一个党组织的名称"))
            continue
        if m.name in seen:
            problems.append(Problem(table.where, where, f"“{m.name}”出现两次（第 {seen[m.name] + 1} 行和第 {r + 1} 行）", "每个党组织只填一行，请合并后再导入"))
            continue
        seen[m.name] = r
        counts = {o: _count(table, r, c, f"“{m.name}”的“{o}”票数", problems) for o, c in option_cols.items()}
        voted = None
        if voted_col is not None and not is_blank(cell_at(table.rows, r, voted_col)):
            voted = _count(table, r, voted_col, f"“{m.name}”的实际参评人数", problems)
            if voted is None:
                continue
        if any(v is None for v in counts.values()):
            continue
        valid = sum(counts.values())
        if voted is not None and voted < valid:
            problems.append(Problem(table.where, cell_name(r, voted_col), f"“{m.name}”有效票合计 {valid} 多于实际参评人数 {voted}", "请核对票数和参评人数"))
            continue
        out.append(TallyRow(table.where, r, m.name, counts, voted))
    return out
