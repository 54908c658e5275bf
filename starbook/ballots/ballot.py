"""Exports with one row per ballot and one column per organization (问卷星, 腾讯问卷, a plain table).

The formats differ only in their bookkeeping columns and their marks for an
unanswered question; each format module states those in a ``BallotFormat``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..grid import Value, cell_at, cell_name, column_letter
from ..problems import Problem
from .answers import normalize
from .orgs import OrgNames
from .source import Table

TICKET = "票号"
COMMON_META = ("序号", "编号")
HEADER_ROWS = 10  # a title or note may stand above the header


@dataclass(frozen=True)
class BallotFormat:
    name: str
    marks: tuple[str, ...]  # header cells only this format writes
    meta: tuple[str, ...]  # headers (or their beginnings) of columns that are not questions
    skipped: tuple[str, ...] = ()  # what the export writes for a question left unanswered

    def detect(self, header: list[Value]) -> bool:
        cells = {normalize(v) for v in header}
        return any(m in cells for m in self.marks)

    def is_meta(self, header: Value) -> bool:
        h = normalize(header)
        return any(h == m or h.startswith(m) for m in (*self.meta, *COMMON_META))


@dataclass
class Ballot:
    """One row of an export: its ballot number (if any) and its answer per organization."""

    where: str
    row: int
    ticket: str | None
    ticket_cell: str
    answers: list[tuple[str, int, Value]] = field(default_factory=list)  # organization, column, answer


@dataclass
class BallotSheet:
    fmt: BallotFormat
    where: str
    orgs: dict[str, int]  # organization → its column
    ballots: list[Ballot]
    has_tickets: bool


def header_texts(table: Table, row: int, orgs: OrgNames) -> tuple[list[str], int]:
    """The column titles; a second header row (腾讯问卷's matrix questions repeat the question
    over the columns and name the organization below) is joined to the first."""
    width = max((len(r) for r in table.rows), default=0)
    top = [str(cell_at(table.rows, row, c) or "") for c in range(width)]
    below = [cell_at(table.rows, row + 1, c) for c in range(width)]
    if not any(orgs.match(v).name for v in below if isinstance(v, str)):
        return top, 1
    filled, last = [], ""
    for c in range(width):
        last = top[c] or last  # a merged question title stands only over its first column
        filled.append(f"{last} {below[c] or ''}".strip())
    return filled, 2


def read_ballot_sheet(table: Table, header_row: int, fmt: BallotFormat, orgs: OrgNames, problems: list[Problem]) -> BallotSheet:
    headers, height = header_texts(table, header_row, orgs)
    columns: dict[str, int] = {}
    ticket_col = None
    for c, h in enumerate(headers):
        if not normalize(h):
            if any(normalize(cell_at(table.rows, r, c)) for r in range(header_row + height, len(table.rows))):
                problems.append(Problem(table.where, cell_name(header_row, c), f"第 {column_letter(c)} 列有答案但没有列标题",
                                        "请在列标题中写明党组织名称，或删除这一列"))
            continue
        if TICKET in normalize(h):
            ticket_col = c
            continue
        if fmt.is_meta(h):
            continue
        m = orgs.match(h)
        if m.name is None:
            problems.append(Problem(table.where, cell_name(header_row, c), f"列标题“{h}”对应不上任何党组织",
                                    "请把列标题改为含有党组织名称（与量化评分表“党组织名称”一致）；不是测评题的列请从文件中删除后再导入"))
        elif m.rivals:
            problems.append(Problem(table.where, cell_name(header_row, c), f"列标题“{h}”同时含有“{m.name}”和“{'”“'.join(m.rivals)}”，无法确定是哪个党组织",
                                    "请修改列标题，使其只含一个党组织的名称"))
        elif m.name in columns:
            problems.append(Problem(table.where, cell_name(header_row, c), f"“{m.name}”有两列（{column_letter(columns[m.name])} 列和 {column_letter(c)} 列）",
                                    "每个党组织只能有一列，请删除重复的一列或改正列标题"))
        else:
            columns[m.name] = c
    header_line = [normalize(v) for v in table.rows[header_row]] if header_row < len(table.rows) else []
    ballots = []
    for r in range(header_row + height, len(table.rows)):
        line = table.rows[r]
        if not any(normalize(v) for v in line) or [normalize(v) for v in line] == header_line:
            continue  # blank, or the header again (exports pasted one below the other)
        ticket = normalize(cell_at(table.rows, r, ticket_col)) if ticket_col is not None else None
        ballot = Ballot(table.where, r, ticket, cell_name(r, ticket_col) if ticket_col is not None else "")
        for name, c in columns.items():
            value = cell_at(table.rows, r, c)
            if normalize(value) and normalize(value) not in fmt.skipped:
                ballot.answers.append((name, c, value))
        ballots.append(ballot)
    return BallotSheet(fmt, table.where, columns, ballots, ticket_col is not None)
