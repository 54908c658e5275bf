"""Exports → counts → the edits on the forms and the 测评导入记录 (no I/O here).

Replace or add, precisely:
- without ``add`` the counts on every form become the counts of this import, and
  every earlier import of this vote is marked 已替换: importing the same export
  again gives the same counts, never double; every organization with a form must
  then have votes in this import;
- with ``add`` the counts of this import are added to the counts on the forms; an
  earlier import of the same file (same SHA-256) is taken off first, so adding a
  file twice still counts it once; organizations not in this import keep theirs.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..edits import CellBlock, Edit
from ..fill import form_cells
from ..grid import Grid, as_number, cell_at, cell_name, find_header, is_blank, shown_value, text
from ..problems import WARNING, BookError, Checked, Problem
from ..scheme import METHOD_VOTE, Scheme
from ..sheets import forms as F
from ..sheets import params as P
from ..sheets import summary as S
from . import plain, tally, tencent, wjx
from .ballot import HEADER_ROWS, Ballot, read_ballot_sheet
from .orgs import OrgNames
from .record import ACTIVE, SHEET as RECORD_SHEET, VOTED, read_record, record_edits
from .settings import ImportSettings, read_settings
from .source import Export, Table, read_tables

BALLOT_FORMATS = (wjx.FORMAT, tencent.FORMAT)  # recognized by their own columns; else a plain table


@dataclass
class OrgVotes:
    """One organization's counts as written to its form."""

    name: str
    sheet: str
    counts: dict[str, int]
    voted: int
    files: list[str] = field(default_factory=list)


@dataclass
class FileSummary:
    name: str
    fmt: str
    ballots: int  # rows read (per-ballot exports) or organizations (tallies)
    rejected: int = 0


@dataclass
class BallotOutcome(Checked):
    problems: list[Problem]
    edits: list[Edit] = field(default_factory=list)
    evaluator: str = ""
    options: tuple[str, ...] = ()
    orgs: list[OrgVotes] = field(default_factory=list)
    files: list[FileSummary] = field(default_factory=list)
    added: bool = False


@dataclass
class _Form:
    name: str
    sheet: str
    grid: Grid
    cells: dict[str, tuple[int, int]]  # label → (row, col) of the evaluator's vote column


def vote_evaluator(scheme: Scheme, wanted: str | None) -> str:
    votes = [e.name for e in scheme.evaluators if e.method == METHOD_VOTE]
    if not votes:
        raise BookError(f"方案“{scheme.preset}”没有票决的评价主体，无需导入测评票", "参数表“评价主体与权重”中评分方式为“票决”的主体才有测评票")
    if wanted is not None:
        if wanted not in votes:
            raise BookError(f"“{wanted}”不是票决的评价主体", f"请指定：{'、'.join(votes)}")
        return wanted
    if len(votes) > 1:
        raise BookError(f"本方案有 {len(votes)} 个票决的评价主体（{'、'.join(votes)}），不知道这些票属于哪一个",
                        f"请指定评价主体，如 starbook ballots 工作簿 文件 --evaluator {votes[0]}")
    return votes[0]


def has_active_imports(grids: Mapping[str, Grid]) -> bool:
    """Whether an earlier import's counts are on the forms (the ribbon then asks: add or replace?)."""
    if RECORD_SHEET not in grids:
        return False
    record = read_record(grids[RECORD_SHEET], ())
    return record is not None and any(r.active for r in record.rows)


def plan_import(
    grids: Mapping[str, Grid],
    exports: Sequence[Export],
    *,
    add: bool = False,
    evaluator: str | None = None,
    now: datetime | None = None,
    user: str = "",
) -> BallotOutcome:
    """What importing `exports` into the book `grids` changes, or the problems that stop it."""
    for needed in (P.SHEET, S.SHEET):
        if needed not in grids:
            return BallotOutcome([Problem(needed, "", f"工作簿中没有“{needed}”工作表", "请用 starbook new 或模板生成的工作簿")])
    scheme, problems = P.parse_params(grids[P.SHEET])
    if scheme is None:
        return BallotOutcome(problems)
    who = vote_evaluator(scheme, evaluator)
    options = tuple(n for n, _ in scheme.vote_options)
    settings, problems = read_settings(grids[P.SHEET], scheme)
    out = BallotOutcome(problems, evaluator=who, options=options, added=add)
    forms = _forms(grids, who, options, out.problems)
    summary_only = [n for n in _summary_names(grids[S.SHEET]) if n not in forms]
    names = OrgNames([*forms, *summary_only])
    if not forms and not out.problems:
        out.problems.append(Problem(F.PREFIX, "", "没有一张量化评分表填写了党组织名称，测评票无处可填",
                                    "请先在各量化评分表填写党组织名称（与问卷题目或计票表中的名称一致），再导入测评票"))
        return out

    ballots: list[tuple[Export, Ballot]] = []
    tallies: list[tuple[Export, tally.TallyRow]] = []
    sheets_of: dict[str, set[str]] = defaultdict(set)  # file sha → organizations it has a column/row for
    kinds_of: dict[str, list[str]] = defaultdict(list)  # file sha → formats of its sheets
    seen: dict[str, str] = {}
    used: list[Export] = []
    for export in exports:
        if export.sha256 in seen:
            out.problems.append(Problem(export.name, "", f"与“{seen[export.sha256]}”内容完全相同，只计一次", "无需处理", WARNING))
            continue
        seen[export.sha256] = export.name
        used.append(export)
        found = False
        for table in read_tables(export):
            summary = _read_table(table, options, names, out.problems)
            if summary is None:
                continue
            found = True
            kind, rows = summary
            kinds_of[export.sha256].append(kind)
            if kind == tally.NAME:
                tallies += [(export, t) for t in rows]
                sheets_of[export.sha256].update(t.org for t in rows)
                out.files.append(FileSummary(table.where, kind, len(rows)))
            else:
                ballots += [(export, b) for b in rows.ballots]
                sheets_of[export.sha256].update(rows.orgs)
                out.files.append(FileSummary(table.where, kind, len(rows.ballots)))
        if not found:
            raise BookError(
                f"认不出测评文件“{export.name}”：没有一列的标题含有党组织名称，也不是计票表（表头有 {'、'.join(options)}）",
                "请使用问卷星或腾讯问卷下载的答卷数据、每个党组织一列的逐票登记表，或每个党组织一行的计票表；列标题或行中的名称须与量化评分表“党组织名称”一致",
            )

    rejected = _check_tickets(ballots, settings, out.problems)
    for f in out.files:
        f.rejected = sum(1 for _, b in ballots if id(b) in rejected and b.where == f.name)
    per_file: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(options, 0)))
    voted: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unknown: dict[tuple[str, int, str, str], list[str]] = defaultdict(list)
    for export, b in ballots:
        if id(b) in rejected:
            continue
        for org, c, value in b.answers:
            option = settings.key.option(value)
            if option is None:
                unknown[(b.where, c, org, shown_value(value))].append(cell_name(b.row, c))
                continue
            per_file[export.sha256][org][option] += 1
            voted[export.sha256][org] += 1
    for (where, c, org, value), cells in unknown.items():
        listed = "、".join(cells[:5]) + (f" 等 {len(cells)} 处" if len(cells) > 5 else "")
        codes = "、".join(f"{k}={v}" for k, v in settings.key.codes.items())
        out.problems.append(Problem(where, cells[0], f"“{org}”一列的答案「{value}」不是测评选项（{listed}）",
                                    f"测评选项为 {'、'.join(options)}" + (f"，或按参数表“测评答案对应”：{codes}" if codes else "")
                                    + "；请改正导出文件，或在参数表“测评答案对应”中加上这个答案"))
    for export, t in tallies:
        counts = per_file[export.sha256][t.org]
        for o, n in t.counts.items():
            counts[o] += n
        voted[export.sha256][t.org] += t.voted if t.voted is not None else sum(t.counts.values())

    covered = set().union(*sheets_of.values()) if sheets_of else set()
    files = "、".join(e.name for e in used)
    for name in summary_only:
        if name in covered:
            out.problems.append(Problem(S.SHEET, "", f"“{name}”只有汇总表中的一行，没有量化评分表，汇总表只能填写测评得分，放不下票数",
                                        "请点击“新增评分表”为它添加一张量化评分表并填写党组织名称，再导入测评票；或在导出文件中删除它的列"))
    for name, form in forms.items():
        if name not in covered:
            if add:
                out.problems.append(Problem(form.sheet, "", f"本次导入的文件（{files}）中没有“{name}”的测评票，它的票数保持不变", "无需处理；如应有它的票，请检查问卷中的党组织名称", WARNING))
            else:
                out.problems.append(Problem(form.sheet, "", f"本次导入的文件（{files}）中没有“{name}”的测评票（没有哪一列的标题含有这个名称）",
                                            "请检查问卷题目或计票表中的党组织名称是否与评分表一致；只导入部分党组织的票时，请选择与已有票数相加（命令行加 --add）"))

    record = read_record(grids[RECORD_SHEET], options) if RECORD_SHEET in grids else None
    if record is None:
        if add:
            raise BookError(f"工作簿中没有“{RECORD_SHEET}”表，无法确认此前导入过哪些文件，不能相加",
                            "请不加 --add 一次导入全部测评文件（票数替换评分表上原有的票数），或用新版 starbook new 生成的工作簿")
        out.problems.append(Problem(RECORD_SHEET, "", f"工作簿中没有“{RECORD_SHEET}”表，本次导入不留记录", "可用新版 starbook new 生成带记录表的工作簿", WARNING))
    if not out.ok:
        return out

    shas = {e.sha256 for e in used}
    earlier = record.active(who) if record is not None else []
    retired = [r for r in earlier if r.sha in shas] if add else earlier
    for r in retired:
        if r.sha in shas and add:
            out.problems.append(Problem(RECORD_SHEET, f"A{r.row + 1}", f"“{r.file}”在 {r.time} 已导入过，本次替换那次的票数（不重复计票）", "无需处理", WARNING))
    edits: list[Edit] = []
    for name in sorted(covered & set(forms), key=list(forms).index):
        form = forms[name]
        counts = {o: sum(per_file[s][name][o] for s in shas) for o in options}
        total_voted = sum(voted[s][name] for s in shas)
        if add:
            current, current_voted = _current(form, options, out.problems)
            if current is None:
                continue
            back = [r for r in retired if r.org == name]
            counts = {o: current[o] + counts[o] - sum(r.counts[o] for r in back) for o in options}
            total_voted = current_voted + total_voted - sum(r.voted for r in back)
            if any(v < 0 for v in counts.values()) or total_voted < 0:
                r, c = form.cells[options[0]]
                out.problems.append(Problem(form.sheet, cell_name(r, c), f"“{name}”评分表上的票数少于导入记录中要替换的票数，评分表可能被手工改过",
                                            "请核对票数，或不选相加、重新导入全部测评文件"))
                continue
        out.orgs.append(OrgVotes(name, form.sheet, counts, total_voted, [e.name for e in used if name in sheets_of[e.sha256]]))
        for label, value in (*counts.items(), (F.V_VOTED, total_voted)):
            r, c = form.cells[label]
            edits.append(CellBlock(form.sheet, r + 1, c + 1, ((value,),)))
    if not out.ok:
        return out
    if record is not None:
        stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M:%S")
        lines = []
        for e in used:
            kinds = "、".join(dict.fromkeys(kinds_of[e.sha256]))
            for name in sorted(sheets_of[e.sha256] & set(forms), key=list(forms).index):
                lines.append({"导入时间": stamp, "操作人": user, "文件": e.name, "格式": kinds, "SHA-256": e.sha256, "测评主体": who,
                              "党组织名称": name, **per_file[e.sha256][name], VOTED: voted[e.sha256][name], "状态": ACTIVE})
        edits += record_edits(record, retired, lines)
    out.edits = edits
    return out


def _read_table(table: Table, options: tuple[str, ...], names: OrgNames, problems: list[Problem]):
    """(format name, rows) of a sheet whose header is recognized, else None."""
    for r, line in enumerate(table.rows[:HEADER_ROWS]):
        if tally.detect(line, options):
            return tally.NAME, tally.read_tally(table, r, options, names, problems)
        fmt = next((f for f in BALLOT_FORMATS if f.detect(line)), None)
        if fmt is None and any(names.match(v).name for v in line if isinstance(v, str)):
            fmt = plain.FORMAT
        if fmt is not None:
            sheet = read_ballot_sheet(table, r, fmt, names, problems)
            return fmt.name, sheet
    return None


def _check_tickets(ballots: list[tuple[Export, Ballot]], settings: ImportSettings, problems: list[Problem]) -> set[int]:
    """Ballots not counted: a number used twice (all of them: which one is genuine cannot be told),
    not issued, or missing; each reported."""
    rejected: set[int] = set()
    by_number: dict[int, list[Ballot]] = defaultdict(list)
    issued = f"（参数表“已发票号”：{settings.issued_text}）" if settings.issued is not None else ""
    for _, b in ballots:
        if b.ticket is None:
            continue
        number = int(b.ticket) if b.ticket.isdigit() else None
        if number is None:
            rejected.add(id(b))
            what = "票号为空" if not b.ticket else f"票号「{b.ticket}」不是数字"
            problems.append(Problem(b.where, b.ticket_cell, f"{what}，这张票不计", "请对照纸质票补上票号后重新导入", WARNING))
        elif not settings.was_issued(number):
            rejected.add(id(b))
            problems.append(Problem(b.where, b.ticket_cell, f"票号 {number} 不在已发出的票号中{issued}，这张票不计",
                                    "请核对：如确是发出的票，请改正票号或参数表“已发票号”后重新导入", WARNING))
        else:
            by_number[number].append(b)
    for number, same in by_number.items():
        if len(same) > 1:
            rejected.update(id(b) for b in same)
            one_file = len({b.where for b in same}) == 1
            cells = "、".join(b.ticket_cell if one_file else f"{b.where} {b.ticket_cell}" for b in same)
            problems.append(Problem(same[0].where, same[0].ticket_cell, f"票号 {number} 出现 {len(same)} 次（{cells}），无法确定哪一张是真的，这些票都不计",
                                    "请对照纸质票删除重复的记录后重新导入", WARNING))
    return rejected


def _forms(grids: Mapping[str, Grid], evaluator: str, options: tuple[str, ...], problems: list[Problem]) -> dict[str, _Form]:
    out: dict[str, _Form] = {}
    for sheet in F.form_sheets(list(grids)):
        grid = grids[sheet]
        cells = form_cells(grid)
        if F.F_NAME not in cells.header:
            continue
        r, c = cells.header[F.F_NAME]
        name = text(cell_at(grid, r, c))
        if not name:
            continue  # a blank form
        if name in out:
            problems.append(Problem(sheet, cell_name(r, c), f"党组织名称“{name}”与“{out[name].sheet}”重复", "每个党组织只能有一张评分表，请改正名称或删除多余的表"))
            continue
        votes = cells.votes.get(evaluator, {})
        missing = [label for label in (*options, F.V_VOTED) if label not in votes]
        if missing:
            problems.append(Problem(sheet, "", f"评分表的测评表中没有“{evaluator}”的{'、'.join(missing)}栏",
                                    f"请在“{F.V_ITEM}”列下补回这些行、右侧保留“{evaluator}”一列，或从模板复制一张新的量化评分表"))
            continue
        out[name] = _Form(name, sheet, grid, votes)
    return out


def _summary_names(grid: Grid) -> list[str]:
    found = find_header(grid, S.S_NAME, max_rows=30)
    if found is None:
        return []
    hr, cols = found
    c = cols[S.S_NAME]
    return [text(cell_at(grid, r, c)) for r in range(hr + 1, len(grid)) if text(cell_at(grid, r, c))]


def _current(form: _Form, options: tuple[str, ...], problems: list[Problem]) -> tuple[dict[str, int] | None, int]:
    """The counts on the form now (blank is 0); 实际参评人数 left blank means the valid votes."""
    values: dict[str, int | None] = {}
    for label in (*options, F.V_VOTED):
        r, c = form.cells[label]
        v = cell_at(form.grid, r, c)
        if is_blank(v):
            values[label] = None
            continue
        d = as_number(v)
        if d is None or d < 0 or d != d.to_integral_value():
            problems.append(Problem(form.sheet, cell_name(r, c), f"“{label}”「{shown_value(v)}」不是非负整数，无法相加",
                                    "请改为整数人数，或不选相加、重新导入全部测评文件"))
            return None, 0
        values[label] = int(d)
    voted = values.pop(F.V_VOTED)
    counts = {o: n or 0 for o, n in values.items()}
    return counts, sum(counts.values()) if voted is None else voted
