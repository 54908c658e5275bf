"""The one "rate a book" path that the command line, the ribbon and the tests share.

Input: the book's sheets as plain grids. Output: either the problems that stop
the rating, or the cell blocks to write. No I/O happens here; each shell reads
grids its own way (a file on disk, or a live Excel book) and applies the blocks.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from . import __version__
from .digests import input_digest, result_digest
from .edits import Cached, CellBlock, ClearRows, Edit, FitRows, RowHeight
from .grid import Grid, Value, cell_at, cell_name, find_cell, find_header, is_blank, text
from .memo import Memo
from .problems import ERROR, WARNING, Checked, Problem
from .rules.rating import OrgInput, Rating, rate_organizations
from .scheme import PENDING, STARS, Scheme, join_vetoes
from .sheets import forms as F
from .sheets import items as I
from .sheets import ledger as L
from .sheets import titles as T
from .sheets import notice as N
from .sheets import params as P
from .sheets import summary as S
from .textwidth import wrapped_lines

LOG_SHEET = "定星记录"
LOG_COLUMNS = ("定星时间", "操作人", "方案", "党组织数", *STARS, PENDING, "调整个数", "输入摘要", "结果摘要", "程序版本")
RECTIFY_SHEET = "整改名单"
RECTIFY_COLUMNS = ("序号", "党组织名称", "类别", "综合得分", "等次", "星级", "列入原因")
STATS_SHEET = "定星统计"
STATS_ANCHOR = "星级分布"


LINE_POINTS = 15.0
NOTE_LINE_WIDTH = 44  # display columns per line of the template's 调整说明 (width 46)


@dataclass
class Outcome(Checked):
    problems: list[Problem]
    edits: list[Edit] = field(default_factory=list)
    scheme: Scheme | None = None
    rating: Rating | None = None
    names: list[str] = field(default_factory=list)
    summary: S.Summary | None = None  # the 汇总表 as parsed for this rating (collect's checks reuse it)


def rate_book(
    grids: Mapping[str, Grid],
    *,
    now: datetime | None = None,
    user: str = "",
    with_edits: bool = True,
    merges: Mapping[str, Sequence[tuple[tuple[int, int], tuple[int, int]]]] | None = None,
) -> Outcome:
    """Validate and rate a whole book given as {sheet name: grid}.

    `merges` (0-based ((row, col), (row, col)) per sheet), when the shell knows
    them, make merged cells count as content below the 汇总表's data.
    """
    problems: list[Problem] = []
    for needed in (P.SHEET, S.SHEET):
        if needed not in grids:
            problems.append(Problem(needed, "", f"工作簿中没有“{needed}”工作表", "请用 starbook new 或模板生成的工作簿，不要改动工作表名称"))
    if problems:
        return Outcome(problems)
    scheme, problems = P.parse_params(grids[P.SHEET])
    if scheme is None:
        return Outcome(problems)

    branch = _branch_book(grids[P.SHEET])
    # A branch's own book holds the branch's parts; the committee's are not due there (参数 填写方).
    not_due = frozenset(e.name for e in scheme.evaluators if not e.due_in_branch_book) if branch else frozenset()
    forms: list[F.FormResult] = []
    for sheet in F.form_sheets(list(grids)):
        form, found = F.parse_form(sheet, grids[sheet], scheme, not_due)
        problems += found
        if form is not None:
            forms.append(form)
    if I.SHEET in grids:
        problems += I.check_forms(grids[I.SHEET], forms)
    by_name: dict[str, F.FormResult] = {}
    for form in forms:
        if form.name in by_name:
            other = by_name[form.name]
            problems.append(
                Problem(form.sheet, form.name_cell, f"党组织名称“{form.name}”与“{other.sheet}”{other.name_cell} 重复", "每个党组织只能有一张评分表，请改正名称或删除多余的表")
            )
        by_name[form.name] = form

    summary, found = S.parse_summary(grids[S.SHEET], scheme, form_names=set(by_name))
    problems += found
    if summary is None or any(p.severity == ERROR for p in problems):
        return Outcome(problems, scheme=scheme)

    blank_forms = {sheet for sheet in F.form_sheets(list(grids)) if sheet not in {f.sheet for f in forms}}
    orgs, rows, sources, found = _merge(grids[S.SHEET], summary, by_name, scheme, blank_forms)
    problems += found
    problems += _room_below(grids[S.SHEET], (merges or {}).get(S.SHEET, ()), summary, rows)
    problems += _blank_classes(summary, orgs, rows, sources, scheme)
    if any(p.severity == ERROR for p in problems):
        return Outcome(problems, scheme=scheme)
    if not orgs:
        problems.append(Problem(S.SHEET, "", "没有可定星的党组织", "请在量化评分表中填写党组织名称和得分，或在汇总表中逐行填写"))
        return Outcome(problems, scheme=scheme)
    if branch is not None:
        problems.append(branch)
        rating = _preview(scheme, orgs)
    else:
        rating = rate_organizations(scheme, orgs)
    outcome = Outcome(problems, scheme=scheme, rating=rating, names=[o.name for o in orgs], summary=summary)
    if with_edits:
        outcome.edits = _summary_edits(grids[S.SHEET], summary, orgs, rows, sources, rating, scheme)
        outcome.edits += _preview_edits(forms)
        rebuilt: list[Problem] = []
        outcome.edits += _rectify_edits(grids, orgs, rating, rebuilt)
        ledger, found = L.ledger_edits(grids, *_ledger_entries(orgs, rating))
        outcome.edits += ledger
        outcome.problems += found
        outcome.edits += _stats_edits(grids, rating, rebuilt)
        if branch is None:  # a branch's preview is no proposed star to publish
            notice, found = N.notice_edits(grids, scheme, rating.column("name"), rating.column("star"))
            outcome.edits += notice
            outcome.problems += found
        outcome.edits += T.title_edits(grids, scheme, N.parse_settings(grids[P.SHEET])[0].issuer)
        outcome.edits += _log_edits(grids, scheme, orgs, rating, now or datetime.now(), user, rebuilt)
        outcome.problems += rebuilt
        if LOG_SHEET not in grids:
            outcome.problems.append(Problem(LOG_SHEET, "", "工作簿中没有“定星记录”表，本次定星不会留下记录", "请从模板复制“定星记录”表", WARNING))
    return outcome


BRANCH_PREVIEW = "预览：支部填报工作簿只按本支部得分定星，不执行名额，星级以党委统一定星为准"


def _branch_book(params: Grid) -> Problem | None:
    """The notice a branch's own book gets at every 定星 (参数 工作簿类型 = 支部填报), else None."""
    kind, at = P.book_kind(params)
    if kind != P.BOOK_BRANCH:
        return None
    return Problem(
        P.SHEET, cell_name(*at) if at else "",
        "本工作簿是支部填报工作簿：定星只预览本支部的综合得分、等次和星级，不执行五星级名额和末位等次比例（名额由党委对所辖全部党组织统一执行）",
        "填好后点击“校验”，无误即可发回党委；如这是党委自己的汇总工作簿，请把参数表“工作簿类型”改为“党委汇总”",
        WARNING)


def _preview(scheme: Scheme, orgs: Sequence[OrgInput]) -> Rating:
    """A rating without quotas, each organization's 调整说明 saying its star is a preview.

    An organization whose committee parts are still blank (not due in a branch's book)
    gets no final score, grade or star: its row shows the parts it has, and says what waits.
    """
    free = replace(scheme, five_star_cap=None, bottom_floor=None, bottom_grade=None)
    whole = [i for i, o in enumerate(orgs) if all(o.scores.get(e.name) is not None for e in scheme.evaluators)]
    rating = rate_organizations(free, [orgs[i] for i in whole])
    rated = dict(zip(whole, range(len(whole))))
    blank = {"final": None, "grade": None, "base_star": "", "star": "", "approving": "", "movement": "", "honor": "",
             "reached": (), "rectify": ()}
    columns: dict[str, list] = {f: [] for f in rating.columns}
    for i, org in enumerate(orgs):
        k = rated.get(i)
        for f in columns:
            if f == "name":
                columns[f].append(org.name)
            elif f == "notes":
                columns[f].append((BRANCH_PREVIEW, *rating.column(f)[k]) if k is not None else (_waiting(scheme, org), *org.notes))
            else:
                columns[f].append(rating.column(f)[k] if k is not None else blank[f])
    return replace(rating, columns=columns)


def _waiting(scheme: Scheme, org: OrgInput) -> str:
    """The 调整说明 of a branch's organization whose committee parts are not in yet."""
    missing = "、".join(e.name for e in scheme.evaluators if org.scores.get(e.name) is None)
    return f"预览：{missing}尚未填写，综合得分、等次和星级待党委汇总后确定"


def _merge(
    grid: Grid, summary: S.Summary, forms: dict[str, F.FormResult], scheme: Scheme, blank_forms: set[str]
) -> tuple[list[OrgInput], list[int], list[F.FormResult | None], list[Problem]]:
    """汇总表 rows in their order, then organizations that only have a form.

    A row's 数据来源 names the form sheet it was taken from: that form wins for
    everything it holds, and follows a renamed organization. A row whose source
    form was deleted or cleared is an error, never rated from its stale copy.
    Rows without a source (older books, rows typed by hand) are matched by name.
    """
    orgs: list[OrgInput] = []
    rows: list[int] = []
    plain = summary.plain
    c_src = summary.columns.get(S.O_SOURCE)
    sourced = c_src is not None and _any_filled(grid, c_src, summary.header_row + 1, summary.last_row + 1)
    if not forms and not sourced and plain is not None and plain.dimension_scores is None:
        # A 汇总表 typed or pasted in full: each row is its organization's input as it stands.
        if plain.classes is None:
            orgs = list(map(OrgInput, plain.names, plain.scores, plain.categories, plain.last_stars))
        else:
            orgs = [OrgInput(n, s, k, ls, star_class=c) for n, s, k, ls, c in
                    zip(plain.names, plain.scores, plain.categories, plain.last_stars, plain.classes)]
        return orgs, list(range(plain.first, plain.first + len(orgs))), [None] * len(orgs), []
    problems: list[Problem] = []
    by_sheet = {f.sheet: f for f in forms.values()}
    source_of = {row.row: text(cell_at(grid, row.row, c_src)) for row in summary.rows} if sourced else {}
    owner: dict[str, int] = {}  # form sheet → the 0-based row it fills
    bound: dict[int, F.FormResult] = {}
    sources: list[F.FormResult | None] = []
    for row in summary.rows:
        form = by_sheet.get(source_of.get(row.row, ""))
        if form is not None and form.sheet not in owner:
            owner[form.sheet], bound[row.row] = row.row, form
    c_name = summary.columns[S.S_NAME]
    for row in summary.rows:
        if row.row in bound:
            continue
        form = forms.get(row.name)
        if form is not None and form.sheet not in owner:
            owner[form.sheet], bound[row.row] = row.row, form
            problems += _overridden(row, form, c_name, scheme.class_input)
            continue
        if form is not None:
            problems.append(Problem(
                S.SHEET, cell_name(row.row, c_name),
                f"第{row.row + 1}行党组织名称“{row.name}”与评分表“{form.sheet}”重复（该表已是第{owner[form.sheet] + 1}行的数据来源）",
                "请改正评分表或汇总表中的名称，或删除多余的一行"))
            continue
        source = source_of.get(row.row, "")
        if source in owner:
            problems.append(Problem(
                S.SHEET, cell_name(row.row, c_src),
                f"第{row.row + 1}行“{row.name}”的数据来源“{source}”与第{owner[source] + 1}行相同，一张评分表只能对应一行",
                "删除重复的一行，或清空该行的‘数据来源’后作为手填数据定星"))
        elif source:
            gone = "已清空" if source in blank_forms else "已不存在（工作表被删除或改名）"
            problems.append(Problem(
                S.SHEET, cell_name(row.row, c_src),
                f"第{row.row + 1}行“{row.name}”的数据来源“{source}”{gone}，这一行不能再按评分表定星",
                "删除这一行，或清空该行的‘数据来源’后作为手填数据定星"))
    for row in summary.rows:
        form = bound.get(row.row)
        if form is not None and form.name != row.name:
            problems.append(Problem(
                S.SHEET, cell_name(row.row, c_name),
                f"评分表“{form.sheet}”的党组织名称已由“{row.name}”改为“{form.name}”，汇总表第{row.row + 1}行随之改名",
                "如改名有误，请改回评分表中的党组织名称", WARNING))
        orgs.append(_org_input(form.name if form else row.name, row, form, scheme))
        rows.append(row.row)
        sources.append(form)
    taken = {o.name: r for o, r in zip(orgs, rows)}
    for form in forms.values():
        if form.sheet in owner:
            continue
        if form.name in taken:  # a renamed form took the name of another row
            problems.append(Problem(
                form.sheet, form.name_cell,
                f"党组织名称“{form.name}”与汇总表第{taken[form.name] + 1}行重复",
                "每个党组织只能有一行，请改正名称或删除多余的一行"))
            continue
        orgs.append(_org_input(form.name, None, form, scheme))
        rows.append(-1)
        sources.append(form)
    names = [o.name for o in orgs]
    if len(set(names)) != len(names):
        seen: dict[str, int] = {}
        for o, r in zip(orgs, rows):
            if o.name in seen and r >= 0:
                problems.append(Problem(
                    S.SHEET, cell_name(r, c_name), f"改名后党组织名称“{o.name}”与第{seen[o.name] + 1}行重复",
                    "每个党组织只能有一行，请改正评分表中的名称或删除多余的一行"))
            seen.setdefault(o.name, r)
    next_row = summary.last_row + 1
    for i, r in enumerate(rows):
        if r < 0:
            rows[i] = next_row
            next_row += 1
    return orgs, rows, sources, problems


def _room_below(grid: Grid, merges, summary: S.Summary, rows: Sequence[int]) -> list[Problem]:
    """Organizations that only have a form get new rows below the data: never over a
    footer, a signature line or anything else there (a merged cell counts)."""
    first = summary.last_row + 1
    need = sum(1 for r in rows if r >= first)
    if not need:
        return []
    stop = first + need
    taken = [r for (r0, _), (r1, _) in merges if r0 < stop and r1 >= first for r in (max(r0, first),)]
    for r in range(first, min(stop, len(grid))):
        if any(not is_blank(v) for v in grid[r]):
            taken.append(r)
            break
    if not taken:
        return []
    n = min(taken)
    free = n - first
    c = next((c for c, v in enumerate(grid[n]) if not is_blank(v)), 0) if n < len(grid) else 0
    return [Problem(
        S.SHEET, cell_name(n, c),
        f"汇总表第{first}行以下有内容（第{n + 1}行），新增的{need}个党组织需要{need}个空行",
        f"请在第{n + 1}行前插入{need - free}行后再定星")]


def _any_filled(grid: Grid, c: int, first: int, stop: int) -> bool:
    """Whether rows first..stop-1 hold anything in column c (one pass at C speed when all are blank)."""
    values = set(line[c] for line in grid[first:stop] if c < len(line)) - {None, ""}
    return any(not is_blank(v) for v in values)


def _overridden(row: S.SummaryRow, form: F.FormResult, c_name: int, class_title: str = "") -> list[Problem]:
    """A row matched to a form by name whose own 类别, 上年星级 or 否决事项 differ: the form wins, say so."""
    differ = []
    if F.F_KIND in form.holds and row.category and row.category != form.category:
        differ.append(f"类别“{row.category}”")
    if F.F_LAST in form.holds and row.last_star and row.last_star != form.last_star:
        differ.append(f"上年星级“{row.last_star}”")
    if F.X_VETO in form.holds and set(row.vetoes) - set(form.vetoes):
        differ.append(f"否决事项“{join_vetoes(row.vetoes)}”")
    if form.star_class and row.star_class and row.star_class != form.star_class:
        differ.append(f"{class_title}“{row.star_class}”")
    if not differ:
        return []
    return [Problem(
        S.SHEET, cell_name(row.row, c_name),
        f"第{row.row + 1}行“{row.name}”的{'、'.join(differ)}与评分表“{form.sheet}”不同，已按评分表定星",
        f"如需保留，请在评分表“{form.sheet}”中填写", WARNING)]


def _blank_classes(summary: S.Summary, orgs: Sequence[OrgInput], rows: Sequence[int], sources, scheme: Scheme) -> list[Problem]:
    """A 提示 for the organizations without the scheme's input class (服务型五星: 晋位升级等次):
    their star is not bounded. Not an error: a new branch, or a committee's first year, may
    have no earlier 晋位升级 result, and one blank cell must not stop a whole committee's 定星."""
    if not scheme.star_class_map:
        return []
    title = scheme.class_input
    blank = [i for i, o in enumerate(orgs) if o.star_class is None]
    if not blank:
        return []
    fix = (f"请按此前的晋位升级结果填写{'、'.join(c.name for c in scheme.star_classes)}之一"
           f"（参数表“{title}”表规定各等次的可定星级）；确无此结果的可留空，星级只按分数定")
    problems = []
    on_form = {i for i in blank if sources[i] is not None and sources[i].class_cell}
    for i in sorted(on_form):
        problems.append(Problem(sources[i].sheet, sources[i].class_cell, f"{orgs[i].name}未填写{title}，星级未按{title}限定", fix, WARNING))
    rest = [i for i in blank if i not in on_form]
    if rest:
        c = summary.columns.get(title)
        names = "、".join(orgs[i].name for i in rest[:5]) + (f"等{len(rest)}个党组织" if len(rest) > 5 else "")
        if c is None:
            where = cell_name(summary.header_row, summary.width)
            message = f"汇总表没有“{title}”列（定星已在 {where} 加上这一列），{names}的星级未按{title}限定"
        else:
            cells = sorted(rows[i] for i in rest)
            where = cell_name(cells[0], c) if len(cells) == 1 else f"{cell_name(cells[0], c)}:{cell_name(cells[-1], c)}"
            message = f"{names}未填写{title}，星级未按{title}限定"
        problems.append(Problem(S.SHEET, where, message, fix, WARNING))
    return problems


def _org_input(name: str, row: S.SummaryRow | None, form: F.FormResult | None, scheme: Scheme) -> OrgInput:
    if form is not None:
        holds = form.holds
        return OrgInput(
            name=name,
            scores={**dict.fromkeys(form.pending), **form.scores},  # a part not due here: None, written blank
            category=form.category if F.F_KIND in holds or row is None else row.category,
            last_star=form.last_star if F.F_LAST in holds or row is None else row.last_star,
            vetoes=form.vetoes if F.X_VETO in holds or row is None else row.vetoes,
            dimension_scores=form.dimension_scores,
            satisfaction=form.satisfaction,
            notes=tuple(form.notes),
            # the form's class when it gives one, else the committee's in the 汇总表 (it knows the earlier result)
            star_class=form.star_class or (row.star_class if row is not None else None),
        )
    assert row is not None
    dims = row.dimension_scores
    if dims:
        return OrgInput(name, row.scores, row.category, row.last_star, row.vetoes, tuple(dims[d.name] for d in scheme.dimensions if d.name in dims),
                        star_class=row.star_class)
    return OrgInput(name, row.scores, row.category, row.last_star, row.vetoes, star_class=row.star_class)  # the row's own scores: nothing changes them


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous runs of sorted 0-based rows as (first, count)."""
    out: list[tuple[int, int]] = []
    for r in sorted(rows):
        if out and out[-1][0] + out[-1][1] == r:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((r, 1))
    return out


def _summary_edits(grid, summary: S.Summary, orgs, rows, sources, rating: Rating, scheme: Scheme) -> list[Edit]:
    sheet = S.SHEET
    columns = dict(summary.columns)
    edits: list[Edit] = []
    width = summary.width
    added = [scheme.class_input] if scheme.class_input else []  # an input, but an older book may lack it
    for title in added + S.output_columns(scheme):
        if title not in columns:
            edits.append(CellBlock(sheet, summary.header_row + 1, width + 1, ((title,),)))
            columns[title] = width
            width += 1
    first, last = min(rows), max(rows)
    in_order = rows == list(range(first, last + 1))
    def column(title: str, values) -> None:
        """One output column, given in the organizations' order."""
        if in_order:  # the usual case: one organization per row, in row order
            block = tuple(zip(values))
        else:
            at = dict(zip(rows, values))
            block = tuple((at.get(r),) for r in range(first, last + 1))
        edits.append(CellBlock(sheet, first + 1, columns[title] + 1, block))

    of = rating.column

    declared = _declared(grid, columns.get(S.S_DECLARED), rows, sources)
    join = Memo("；".join).__getitem__  # a few distinct notes, repeated
    notes = [_with_declared(n, d, star) if d else join(n) for n, d, star in zip(of("notes"), declared, of("star"))]
    column(S.O_FINAL, of("final"))
    column(S.O_GRADE, [g or "" for g in of("grade")])
    column(S.O_BASE, of("base_star"))
    column(S.O_STAR, of("star"))
    column(S.O_NOTE, notes)
    edits.append(FitRows(sheet, first + 1, last + 1))
    lines_of = Memo(lambda note: wrapped_lines(note, NOTE_LINE_WIDTH))
    for r, note in zip(rows, notes):
        if note:
            lines = lines_of[note]
            if lines > 1:
                edits.append(RowHeight(sheet, r + 1, LINE_POINTS * lines))
    column(S.O_BODY, of("approving"))
    column(S.O_MOVE, of("movement"))
    if S.O_SAT in columns:
        column(S.O_SAT, [o.satisfaction for o in orgs])
    if S.O_HONOR in columns:
        column(S.O_HONOR, of("honor"))
    if S.O_REACHED in columns:
        column(S.O_REACHED, ["、".join(r) for r in of("reached")])

    # Inputs that come from forms, and 序号 where it is blank: only the rows concerned.
    if not any(sources) and summary.plain is not None:
        p = summary.plain
        blanks = [i for i, number in enumerate(p.numbers) if is_blank(number)]
        if S.S_NO in columns:
            for start, count in _runs([p.first + i for i in blanks]):
                block = tuple((start - p.first + k + 1,) for k in range(count))
                edits.append(CellBlock(sheet, start + 1, columns[S.S_NO] + 1, block))
        return edits
    existing = {row.row: row for row in summary.rows}
    position = {r: i + 1 for i, r in enumerate(rows)}
    fills: dict[str, dict[int, Value]] = {}

    def fill(title: str, r: int, value: Value) -> None:
        if title in columns:
            fills.setdefault(title, {})[r] = value

    for r, org, form in zip(rows, orgs, sources):
        row = existing.get(r)
        if row is None or is_blank(row.number):
            fill(S.S_NO, r, position[r])
        if form is None:
            continue
        fill(S.O_SOURCE, r, form.sheet)
        fill(S.S_NAME, r, org.name)
        fill(S.S_KIND, r, org.category or "")
        fill(S.S_LAST, r, org.last_star or "")
        fill(S.S_VETO, r, join_vetoes(org.vetoes))
        if form.declared:
            fill(S.S_DECLARED, r, form.declared)
        if form.class_cell:
            fill(scheme.class_input, r, org.star_class or "")
        for e in scheme.evaluators:
            fill(e.column, r, org.scores[e.name])
        for d, value in zip(scheme.dimensions, org.dimension_scores):
            fill(S.dimension_column(d.name), r, value)
    for title, values in fills.items():
        for start, count in _runs(list(values)):
            block = tuple((values[r],) for r in range(start, start + count))
            edits.append(CellBlock(sheet, start + 1, columns[title] + 1, block))
    return edits


def _declared(grid: Grid, col: int | None, rows: Sequence[int], sources) -> list[str | None]:
    """Each organization's 申报星级: its form's when the form gives one, else the 汇总表's cell.

    A column of 100,000 cells holds a few distinct values: each is read as a star once.
    """
    star = Memo(lambda v: d if (d := text(v) or None) in STARS else None)
    if col is None:
        cells: Sequence[Value] = [None] * len(rows)
    elif rows and 0 <= rows[0] and rows[-1] < len(grid) and rows == list(range(rows[0], rows[0] + len(rows))):
        cells = [line[col] if col < len(line) else None for line in grid[rows[0] : rows[-1] + 1]]
    else:
        cells = [cell_at(grid, r, col) for r in rows]
    if not any(sources):
        return list(map(star.__getitem__, cells))
    out: list[str | None] = []
    for v, form in zip(cells, sources):
        d = form.declared if form is not None else None
        out.append((d if d in STARS else None) if d is not None else star[v])
    return out


def _with_declared(notes: Sequence[str], declared: str | None, star: str) -> str:
    """调整说明, with a note where the result differs from the star the branch declared (seed 002 "申报星级")."""
    if declared and star and star != PENDING and declared != star:
        notes = [*notes, f"申报{declared}，定为{star}"]
    return "；".join(notes)


def _preview_edits(forms: Sequence[F.FormResult]) -> list[Edit]:
    """Fresh cached values for the forms' preview formulas, so any viewer shows them right."""
    return [CellBlock(f.sheet, r + 1, c + 1, ((Cached(v),),)) for f in forms for r, c, v in f.preview]


def _first_row_with(grid: Grid, titles: Sequence[str], default: int, max_rows: int = 20) -> int:
    """The row (0-based) of a retyped header: the first holding any of its titles, else the template's row."""
    wanted = set(titles)
    for r, line in enumerate(grid[:max_rows]):
        if any(isinstance(v, str) and text(v) in wanted for v in line):
            return r
    return default


def _rebuilt(sheet: str, row: int, what: str) -> Problem:
    return Problem(sheet, f"A{row + 1}", f"“{sheet}”的{what}被改动，已从第{row + 1}行起按模板重写并写入本次定星结果",
                   f"请勿改动“{sheet}”的{what}；需要另作说明请写在其他工作表", WARNING)


def _rectify_edits(grids, orgs, rating: Rating, problems: list[Problem]) -> list[Edit]:
    """The 整改名单, rewritten below its header; a retyped header is rebuilt (never left stale)."""
    if RECTIFY_SHEET not in grids:
        return []
    grid = grids[RECTIFY_SHEET]
    found = find_header(grid, RECTIFY_COLUMNS[0], RECTIFY_COLUMNS[1], max_rows=20)
    head: list[Edit] = []
    if found is None:
        hr = _first_row_with(grid, RECTIFY_COLUMNS, 2)
        cols = {t: c for c, t in enumerate(RECTIFY_COLUMNS)}
        head = [ClearRows(RECTIFY_SHEET, hr + 1), CellBlock(RECTIFY_SHEET, hr + 1, 1, (RECTIFY_COLUMNS,))]
        problems.append(_rebuilt(RECTIFY_SHEET, hr, "表头"))
    else:
        hr, cols = found
    lines = []
    names, finals, grades, stars = (rating.column(c) for c in ("name", "final", "grade", "star"))
    for i, reasons in enumerate(rating.column("rectify")):
        if reasons:
            lines.append((len(lines) + 1, names[i], orgs[i].category or "", finals[i], grades[i] or "", stars[i], "；".join(reasons)))
    edits: list[Edit] = [*head, ClearRows(RECTIFY_SHEET, hr + 2)]
    if lines:
        edits.append(CellBlock(RECTIFY_SHEET, hr + 2, cols[RECTIFY_COLUMNS[0]] + 1, tuple(lines)))
    return edits


def _ledger_entries(orgs, rating: Rating) -> tuple[list[L.Entry], Mapping[str, str]]:
    """The 整改名单's organizations as ledger entries, and every organization's 等次 / 星级."""
    names, grades, stars = (rating.column(c) for c in ("name", "grade", "star"))
    results = _Results(names, grades, stars)
    entries = [L.Entry(names[i], orgs[i].category or "", results.at(i), "；".join(reasons))
               for i, reasons in enumerate(rating.column("rectify")) if reasons]
    return entries, results


class _Results(Mapping[str, str]):
    """Name → "等次 / 星级", made for the few names the ledger asks about, not for all 100,000."""

    def __init__(self, names: Sequence[str], grades: Sequence[str | None], stars: Sequence[str]) -> None:
        self.grades, self.stars = grades, stars
        self.index = dict(zip(names, range(len(names))))  # a repeated name: the last one, as a dict would keep

    def at(self, i: int) -> str:
        return " / ".join(x for x in (self.grades[i], self.stars[i]) if x)

    def __getitem__(self, name: str) -> str:
        return self.at(self.index[name])

    def __iter__(self):
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def _stats_edits(grids, rating: Rating, problems: list[Problem]) -> list[Edit]:
    """The 定星统计, rewritten from its anchor; a retyped anchor is rebuilt where it stood."""
    if STATS_SHEET not in grids:
        return []
    anchor = find_cell(grids[STATS_SHEET], STATS_ANCHOR, max_rows=20)
    if anchor is None:
        r0, c0 = max(_first_row_with(grids[STATS_SHEET], ("星级", "个数", "占比"), 4) - 1, 0), 0
        problems.append(_rebuilt(STATS_SHEET, r0, f"“{STATS_ANCHOR}”标题或表头"))
    else:
        r0, c0 = anchor
    total = sum(rating.counts.values())  # the organizations given a star (a branch's preview may leave one waiting)
    # The anchor, its header and the six star rows stay in place with their built formats
    # (the chart points at them); only the rows below are cleared and rewritten.
    table: list[tuple[Value, ...]] = [(STATS_ANCHOR, "", ""), ("星级", "个数", "占比")]
    for star in (*STARS, PENDING):
        n = rating.counts.get(star, 0)
        table.append((star, n, Decimal(n) / total if total else None))
    table.append(("合计", total, Decimal(1) if total else None))
    lines: list[tuple[Value, ...]] = []
    lines.append(("", "", "", "", "", ""))
    lines.append(("星级分布目标", "", "", "", "", ""))
    lines.append(("目标", "要求", "个数", "党组织数", "实际比例", "是否达到"))
    for t in rating.distribution:
        lines.append((t.label, t.requirement, t.count, t.base, t.ratio_text, "达到" if t.met else "未达到"))
    lines.append(("", "", "", "", "", ""))
    lines.append(("晋位升级目标", "", "", "", "", ""))
    lines.append(("目标", "要求", "升级个数", "上年个数", "实际比例", "是否达到"))
    for t in rating.upgrades:
        lines.append((t.label, t.requirement, t.count, t.base, t.ratio_text, ("达到" if t.met else "未达到") if t.base else "无此类"))
    below = r0 + len(table)
    clear = r0 if anchor is None else below
    return [ClearRows(STATS_SHEET, clear + 1), CellBlock(STATS_SHEET, r0 + 1, c0 + 1, tuple(table)),
            CellBlock(STATS_SHEET, below + 1, c0 + 1, tuple(lines))]


def _log_edits(grids, scheme: Scheme, orgs, rating: Rating, now: datetime, user: str, problems: list[Problem]) -> list[Edit]:
    """One more row in 定星记录. Its history is never cleared: when the header was
    retyped, a fresh header goes below the last record and this run under it."""
    if LOG_SHEET not in grids:
        return []
    grid = grids[LOG_SHEET]
    found = find_header(grid, LOG_COLUMNS[0], LOG_COLUMNS[1], max_rows=20)
    edits: list[Edit] = []
    if found is None:
        hr = max((r for r, line in enumerate(grid) if any(not is_blank(v) for v in line)), default=-1) + 1
        edits.append(CellBlock(LOG_SHEET, hr + 1, 1, (LOG_COLUMNS,)))
        problems.append(Problem(LOG_SHEET, f"A{hr + 1}", f"“{LOG_SHEET}”的表头被改动，找不到“{LOG_COLUMNS[0]}”“{LOG_COLUMNS[1]}”，已在第{hr + 1}行重写表头并在其下追加本次记录",
                                "请勿改动定星记录的表头；以前的记录原样保留", WARNING))
        grid = [*grid[:hr], list(LOG_COLUMNS)]
        found = (hr, {t: c for c, t in enumerate(LOG_COLUMNS)})
    hr, cols = found
    last = hr
    for r in range(hr + 1, len(grid)):
        if any(not is_blank(v) for v in grid[r]):
            last = r
    changed = rating.changed
    values = {
        "定星时间": now.strftime("%Y-%m-%d %H:%M:%S"),
        "操作人": user,
        "方案": scheme.preset,
        "党组织数": len(rating),
        **{s: rating.counts.get(s, 0) for s in (*STARS, PENDING)},
        "调整个数": changed,
        "输入摘要": input_digest(scheme, orgs),
        "结果摘要": result_digest(scheme, orgs, rating),
        "程序版本": f"starbook {__version__}",
    }
    width = len(grid[hr])
    while width and is_blank(grid[hr][width - 1]):
        width -= 1
    width = max(width, max(cols.values()) + 1)
    for title in LOG_COLUMNS:
        if title not in cols:  # a log from an older version: the new column goes on its right
            edits.append(CellBlock(LOG_SHEET, hr + 1, width + 1, ((title,),)))
            cols[title] = width
            width += 1
    placed = {cols[t]: values[t] for t in LOG_COLUMNS}
    left, right = min(placed), max(placed)
    row = tuple(placed.get(c) for c in range(left, right + 1))
    return [*edits, CellBlock(LOG_SHEET, last + 2, left + 1, (row,))]
