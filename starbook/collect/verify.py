"""The checks on one committee workbook that need nothing but the workbook itself.

* 定星记录's digests against the 汇总表 as it is now: inputs changed after the last
  定星 (stale results), or results edited by hand;
* re-rating the inputs under the book's own 参数, naming each organization and
  column whose result does not follow;
* the book's own quotas (五星 over the cap, the bottom grade under its floor).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..digests import canonical, summary_digests
from ..grid import Grid, cell_at, cell_name, find_header, is_blank, text
from ..numbers import ceil_count, floor_count, percent_text
from ..ratebook import LOG_SHEET, Outcome
from ..scheme import BASE_ALL, Scheme
from ..sheets import summary as S
from .findings import WARNING, Finding

RERATE_FIX = "请上报单位按本工作簿参数重新定星后再报送；如系党委审定时有意调整，请在调整说明中写明理由"
COMPARED = (S.O_FINAL, S.O_GRADE, S.O_BASE, S.O_STAR, S.O_BODY, S.O_MOVE)
_RESULT_COLUMN = {S.O_FINAL: "final", S.O_GRADE: "grade", S.O_BASE: "base_star", S.O_STAR: "star", S.O_BODY: "approving", S.O_MOVE: "movement"}


def last_log(grid: Grid | None) -> tuple[int, dict[str, str]]:
    """(number of 定星记录 rows, the last row's values by title)."""
    if not grid:
        return 0, {}
    found = find_header(grid, "输入摘要", "结果摘要")
    if found is None:
        return 0, {}
    hr, cols = found
    rows = [r for r in range(hr + 1, len(grid)) if not is_blank(cell_at(grid, r, cols["输入摘要"]))]
    if not rows:
        return 0, {}
    return len(rows), {t: text(cell_at(grid, rows[-1], c)) for t, c in cols.items()}


def digests(file: str, grid: Grid, scheme: Scheme, log: Mapping[str, str], summary: S.Summary | None = None) -> tuple[list[Finding], bool]:
    """Findings from the digests; True when the inputs are as they were rated."""
    now = summary_digests(grid, scheme, summary)
    if now is None or not log:
        return [], True
    inputs, results = now
    if inputs != log.get("输入摘要"):
        when = log.get("定星时间", "")
        return [Finding(file, S.SHEET, "", f"最后一次定星（{when}）之后，汇总表的输入或参数又被改动过，星级结果已过期",
                        "请上报单位重新定星后再报送")], False
    if results != log.get("结果摘要"):
        return [Finding(file, S.SHEET, "", "定星之后，汇总表的结果列被手工改动过（与定星记录的结果摘要不符）",
                        "改动的单元格见下面各行；" + RERATE_FIX)], True
    return [], True


def _expected(outcome: Outcome) -> dict[str, dict[str, str]]:
    rating = outcome.rating
    names = rating.column("name")
    out: dict[str, dict[str, str]] = {n: {} for n in names}
    for title, key in _RESULT_COLUMN.items():
        for n, v in zip(names, rating.column(key)):
            out[n][title] = canonical(v)
    return out


def rerated(file: str, grid: Grid, outcome: Outcome, summary: S.Summary, stale: frozenset[str] = frozenset()) -> list[Finding]:
    """Each result cell that differs from what the book's own inputs and 参数 give
    (organizations in `stale`, whose inputs changed after 定星, already have their finding)."""
    if outcome.rating is None:
        return []
    expected = _expected(outcome)
    found: list[Finding] = []
    for row in summary.rows:
        want = expected.get(row.name)
        if want is None or row.name in stale:
            continue
        for title in COMPARED:
            c = summary.columns.get(title)
            if c is None:
                continue
            have = canonical(cell_at(grid, row.row, c))
            if have != want[title]:
                shown_have = f"“{have}”" if have else "空白"
                shown_want = f"“{want[title]}”" if want[title] else "空白"
                found.append(Finding(file, S.SHEET, cell_name(row.row, c),
                                     f"“{row.name}”的{title}为{shown_have}，按本工作簿的输入和参数重新计算应为{shown_want}", RERATE_FIX))
    return found


def forms_changed(file: str, grids: Mapping[str, Grid], scheme: Scheme, summary: S.Summary) -> tuple[list[Finding], frozenset[str]]:
    """Forms whose scores are no longer those 定星 copied into the 汇总表: edited after the last
    定星 (the 定星记录 digest covers the 汇总表, where a form's scores land only when rated)."""
    from ..sheets import forms as F

    rows = {r.name: r for r in summary.rows}
    found: list[Finding] = []
    names: set[str] = set()
    for sheet in F.form_sheets(list(grids)):
        form, _ = F.parse_form(sheet, grids[sheet], scheme)
        row = rows.get(form.name) if form is not None else None
        if row is None:
            continue
        changed = [f"{who}得分汇总表为 {canonical(row.scores[who])}、评分表现为 {canonical(v)}"
                   for who, v in form.scores.items() if who in row.scores and row.scores[who] != v]
        if changed:
            names.add(form.name)
            found.append(Finding(file, sheet, form.name_cell, f"“{form.name}”的评分表在最后一次定星之后被改动（{'；'.join(changed)}），星级结果已过期",
                                 "请上报单位重新定星后再报送"))
    return found, frozenset(names)


def quotas(file: str, grid: Grid, scheme: Scheme, summary: S.Summary) -> list[Finding]:
    """The book's own 五星 cap and bottom-grade floor, counted on the stars and grades it reports."""
    if not summary.rows:
        return []
    stars = [text(cell_at(grid, r.row, summary.columns[S.O_STAR])) for r in summary.rows] if S.O_STAR in summary.columns else []
    grades = [text(cell_at(grid, r.row, summary.columns[S.O_GRADE])) for r in summary.rows] if S.O_GRADE in summary.columns else []
    total = len(summary.rows)
    found: list[Finding] = []
    if scheme.five_star_cap is not None and stars:
        top = scheme.grades_by_score[0].name if scheme.grades else None
        base = total if scheme.five_star_base == BASE_ALL or top is None else sum(g == top for g in grades)
        cap = floor_count(scheme.five_star_cap, base)
        five = stars.count("五星级")
        if five > cap:
            found.append(Finding(file, S.SHEET, "", f"五星级 {five} 个，超过本工作簿参数的名额上限 {cap} 个"
                                 f"（{percent_text(scheme.five_star_cap)}×{scheme.five_star_base} {base}）", RERATE_FIX))
    if scheme.bottom_grade and scheme.bottom_floor is not None and grades:
        need = ceil_count(scheme.bottom_floor, total)
        have = grades.count(scheme.bottom_grade)
        if have < need:
            found.append(Finding(file, S.SHEET, "", f"等次为“{scheme.bottom_grade}”的 {have} 个，少于本工作簿参数要求的至少 {need} 个"
                                 f"（{percent_text(scheme.bottom_floor)}×{total}）", RERATE_FIX))
    return found


def never_rated(file: str) -> Finding:
    return Finding(file, LOG_SHEET, "", "工作簿从未定星（定星记录中没有记录），没有可汇总的结果，未汇总",
                   "请上报单位在 Excel 中点击“定星”（或运行 starbook rate 文件名）后再报送")


def no_log(file: str) -> Finding:
    return Finding(file, LOG_SHEET, "", "工作簿没有定星记录表，无法核对结果是否被改动", "请上报单位使用新版模板重新定星", WARNING)


def _param_labels() -> tuple[dict[str, str], dict[str, str]]:
    """The Scheme's fields that 参数 states as a setting (field → 设置项) or as a table (field → its title)."""
    from ..sheets.params import SETTINGS, T_APPROVING, T_DIMENSIONS, T_DISTRIBUTION, T_EVALUATORS, T_GRADES, T_STARS, T_UPGRADES, T_VETOES, T_VOTES

    tables = {"evaluators": T_EVALUATORS, "grades": T_GRADES, "star_rules": T_STARS, "vote_options": T_VOTES, "vetoes": T_VETOES,
              "approving": T_APPROVING, "distribution_targets": T_DISTRIBUTION, "upgrade_targets": T_UPGRADES, "dimensions": T_DIMENSIONS}
    return {s.attr: s.key for s in SETTINGS}, {f: t[0] for f, t in tables.items()}


def param_places(params: Grid) -> dict[str, tuple[int, int]]:
    """Where each setting and table a difference may name sits in 参数 (find_cell's first
    cell, found in one pass): a worker sends these few places, not the whole grid."""
    from ..sheets.params import grid_bytes

    exact = grid_bytes(params)
    if exact is not None and exact in _PLACES:
        return dict(_PLACES[exact])
    wanted = _WANTED
    out: dict[str, tuple[int, int]] = {}
    for r, line in enumerate(params):
        for c, v in enumerate(line):
            if isinstance(v, str) and v:
                # text(v) differs from v only at blanks or a colon on its ends: the usual cell is looked up as it is
                t = v if v in wanted else (text(v) if v[0].isspace() or v[-1].isspace() or v[-1] in "：:" else None)
                if t in wanted and t not in out:
                    out[t] = (r, c)
    if exact is not None:
        if len(_PLACES) >= 16:
            _PLACES.clear()
        _PLACES[exact] = dict(out)
    return out


_PLACES: dict[bytes, dict[str, tuple[int, int]]] = {}  # the last few 参数 grids' places, by their exact bytes
_WANTED = frozenset(v for labels in _param_labels() for v in labels.values())


def param_differences(file: str, places: Mapping[str, tuple[int, int]], theirs: Scheme, ours: Scheme) -> list[Finding]:
    """Each rule in which the book's 参数 differs from the collector's, named (at `places`, param_places of its 参数)."""
    from dataclasses import fields

    names, tables = _param_labels()
    found: list[Finding] = []
    for f in fields(Scheme):
        if f.name in ("preset", "preset_id", "bottom_grade") or not f.compare:
            continue
        a, b = getattr(theirs, f.name), getattr(ours, f.name)
        if a == b:
            continue
        if f.name in names:
            key = names[f.name]
            pos = places.get(key)
            where = cell_name(pos[0], pos[1] + 1) if pos else ""
            found.append(Finding(file, "参数", where, f"“{key}”为 {_shown(a)}，与汇总单位的 {_shown(b)} 不同",
                                 "请核实上报单位是否擅自修改了参数；如须统一，请上报单位改回后重新定星"))
        elif f.name in tables:
            title = tables[f.name]
            pos = places.get(title)
            detail = _table_diff(a, b)
            found.append(Finding(file, "参数", cell_name(*pos) if pos else "", f"“{title}”表与汇总单位的不同" + (f"：{detail}" if detail else ""),
                                 "请逐行核对该表；如须统一，请上报单位改回后重新定星"))
    return found


def _table_diff(theirs: Sequence[object], ours: Sequence[object]) -> str:
    """Which rows of a 参数 table differ, by their first column (name, star, label)."""

    def key(row: object) -> str:
        for attr in ("name", "label", "star"):
            if hasattr(row, attr):
                return str(getattr(row, attr))
        return str(row[0]) if isinstance(row, tuple) and row else str(row)

    a = {}
    for row in theirs:
        a.setdefault(key(row), []).append(row)
    b = {}
    for row in ours:
        b.setdefault(key(row), []).append(row)
    parts = []
    extra = [k for k in a if k not in b]
    missing = [k for k in b if k not in a]
    changed = [k for k in a if k in b and a[k] != b[k]]
    if extra:
        parts.append("多出" + "、".join(f"“{k}”" for k in extra))
    if missing:
        parts.append("缺少" + "、".join(f"“{k}”" for k in missing))
    if changed:
        parts.append("、".join(f"“{k}”" for k in changed) + "的设定不同")
    return "；".join(parts)


def _shown(value: object) -> str:
    from decimal import Decimal

    if value is None or value == "" or value == ():
        return "空白（不限）"
    if isinstance(value, Decimal) and value <= 1:
        return percent_text(value)
    if isinstance(value, (tuple, list)):
        return "、".join(map(str, value))
    return str(value)


def names_of(rows: Sequence[Mapping[str, object]]) -> list[str]:
    return [text(r.get(S.S_NAME)) for r in rows]
