"""The 参数 sheet: its content (for building) and its parser (for rating).

Both sides live here so the titles the builder writes are the titles the parser
looks for. The parser finds every setting by its title, never by address.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..grid import CellError, Grid, Value, cell_at, cell_name, find_header, is_blank, is_date, not_a_number, shown_value, text
from ..numbers import parse_number, parse_percent, percent_text, plain
from ..problems import Problem
from ..scheme import (
    CAP_BASES,
    FILLERS,
    METHODS,
    ROUNDINGS,
    STAR_BY_DIMENSIONS,
    STAR_BY_SCORE,
    STAR_MODES,
    STARS,
    TURNOUT_ACTIONS,
    Dimension,
    DistributionTarget,
    Evaluator,
    Grade,
    Scheme,
    StarClass,
    StarRule,
    UpgradeTarget,
    Veto,
    NO_VETO_WORDS,
    VETO_SEPARATORS,
)

SHEET = "参数"
KEY, VALUE, HELP = "设置项", "值", "说明"
NONE_WORDS = ("", "不限", "无", "不适用", "—", "-")


@dataclass(frozen=True)
class Setting:
    key: str
    attr: str
    kind: str  # text | int | percent | opt_percent | choice | opt_star | star | list | date
    help: str
    choices: tuple[str, ...] = ()
    default: Value = None  # for settings that are not part of the Scheme (NOTICE_SETTINGS)


SETTINGS: tuple[Setting, ...] = (
    Setting("方案名称", "preset", "text", "预设方案名；下列各表可按本地规定修改"),
    Setting("方案代码", "preset_id", "text", "预设方案的英文代码，命令行 --scheme 可用"),
    Setting("星级判定方式", "star_mode", "choice", "按分数：由综合得分和等次定星；按维度达标：每达标一个维度得一星", STAR_MODES),
    Setting("小数位数", "decimals", "int", "每个显示的得分（测评得分、小计、各方总分、综合得分）都先按此位数舍入，下一步用舍入后的数"),
    Setting("舍入方式", "rounding", "choice", "四舍五入（默认）或四舍六入五成双", ROUNDINGS),
    Setting("五星级名额上限", "five_star_cap", "opt_percent", "五星级名额=向下取整(比例×基数)；留空为不限"),
    Setting("五星级名额基数", "five_star_base", "choice", "最高等次党组织数（评为最高等次、如“好”的个数）或所辖党组织总数", CAP_BASES),
    Setting("超出名额降为", "cap_fallback_star", "star", "名额外的五星级调整为此星级"),
    Setting("末位等次最低比例", "bottom_floor", "opt_percent", "末位等次（如较差）个数=向上取整(比例×总数)，不足时得分最低者调为末位等次；留空为不执行"),
    Setting("测评参与率下限", "turnout_min", "percent", "参加测评人数不少于应参评人数的此比例；评价主体表“参与率下限”列可为某一票决主体另定"),
    Setting("全员参评人数线", "full_roll_below", "int", "应参评人数少于此数时须全员参评；0 为不适用"),
    Setting("参与率不足时", "turnout_action", "choice", "提示：照常计分并在调整说明中注明；报错：不予定星", TURNOUT_ACTIONS),
    Setting("满意票选项", "satisfied_options", "list", "计入满意率的测评选项，用顿号分隔"),
    Setting("满意率整改线", "satisfaction_min", "opt_percent", "测评满意率低于此线的列入整改名单；留空为不检查（默认：文件中的80%是整改后的满意度测评，不是年度测评）"),
    Setting("可评先进最低星级", "honor_min_star", "opt_star", "低于此星级的不得评为先进；留空为不判断"),
    Setting("维度达标比例", "dimension_pass_ratio", "opt_percent", "按维度达标时，维度得分不低于其分值的此比例即得一星（Reading）"),
)

# The 公示's own settings: they belong to the notice, not to the rules, so they stay out
# of the Scheme (and of the inputs' digest); starbook.sheets.notice reads them by title.
NOTICE_SETTINGS: tuple[Setting, ...] = (
    Setting("发布单位", "issuer", "text", "公示的发布单位，写入公示标题和落款，如“中共张纪镇委员会”或“张纪镇党委”"),
    Setting("公示开始日期", "start", "date", "公示第一天；留空则公示中留出日期由手工填写"),
    Setting("公示天数（工作日）", "days", "int", "文件未规定公示天数，默认5个工作日（Reading）；结束日期按周一至周五推算，"
            "starbook 不知道法定节假日和调休，遇节假日请推后开始日期或增加天数", default=5),
    Setting("联系人", "contact", "text", "公示期间受理异议的联系人，写入公示"),
    Setting("联系电话", "phone", "text", "联系人的电话，写入公示"),
)

# What the workbook is: the committee's own (rated with quotas across its organizations),
# or one branch's copy handed down by `starbook distribute` (its 定星 only previews its
# own scores). Outside the Scheme like the 公示's settings; `book_kind` reads it.
BOOK_COMMITTEE, BOOK_BRANCH = "党委汇总", "支部填报"
BOOK_KIND = Setting("工作簿类型", "book_kind", "choice",
                    "党委汇总：党委定星，执行名额；支部填报：由“分发评分表”生成的支部工作簿，定星只预览本支部得分，不执行名额",
                    (BOOK_COMMITTEE, BOOK_BRANCH), default=BOOK_COMMITTEE)

# Tables: (section label, header titles). The first two titles identify the table.
T_EVALUATORS = ("评价主体与权重", ("评价主体", "权重", "评分方式", "平局比较顺序"))
E_TURNOUT = "参与率下限"  # optional column: a vote evaluator's own turnout minimum
E_FILLER = "填写方"  # optional column: who fills the part (支部 / 党委 / 支部或党委); older books lack it
T_GRADES = ("等次", ("等次", "最低分"))
T_STARS = ("星级", ("星级", "最低分", "对应等次"))
T_DIMENSIONS = ("达标维度", ("达标维度", "维度分值"))
T_VOTES = ("测评计分", ("测评选项", "每票分值"))
T_VETOES = ("否决事项", ("否决事项", "最高星级"))
VETO_CODE = "代码"  # the veto table's third column; optional, older workbooks lack it
T_APPROVING = ("审定机关", ("星级", "审定机关"))
T_DISTRIBUTION = ("星级分布目标", ("目标", "包含星级", "要求", "比例"))
T_UPGRADES = ("晋位升级目标", ("上年等次", "上年星级", "升级比例不低于"))
# An input class bounding the star (服务型五星's 晋位升级等次): the header's first title is the
# class's own name (the 汇总表 column and form field), found left of this title.
CLASS_STARS = "可定星级"
TOTAL_ROW = "合计"
# 测评导入 (starbook ballots): optional tables read by starbook.ballots.settings; a book
# without them imports with the defaults (option texts, A/1 = first option …).
T_ANSWERS = ("测评答案对应", ("测评答案", "计为"))
T_ISSUED = ("已发票号", ("已发票号", "说明"))
ISSUED_HELP = "如 1-120、201-250；填写后导入测评票时核对票号（重号、未发出的票不计），留空为不核对"


def default_answers(scheme: Scheme) -> list[tuple[str, str]]:
    """A/B/C/D and 1/2/3/4 mean the vote options in their order (问卷星's option numbers)."""
    names = [n for n, _ in scheme.vote_options]
    return [(chr(65 + i), n) for i, n in enumerate(names)] + [(str(i + 1), n) for i, n in enumerate(names)]


def _percent_cell(value: Decimal | None) -> Value:
    return None if value is None else value


def _setting_value(scheme: Scheme, s: Setting) -> Value:
    v = getattr(scheme, s.attr)
    if s.kind == "list":
        return "、".join(v)
    if s.kind in ("percent", "opt_percent"):
        return _percent_cell(v)
    return v


def content(scheme: Scheme, book_kind: str = BOOK_COMMITTEE) -> list[tuple[str, tuple[str, ...], list[list[Value]]]]:
    """The sheet's sections as (label, header, rows), in order, for the builder."""
    sections: list[tuple[str, tuple[str, ...], list[list[Value]]]] = [
        ("基本设置", (KEY, VALUE, HELP), [[s.key, _setting_value(scheme, s), s.help] for s in SETTINGS]
         + [[s.key, s.default, s.help] for s in NOTICE_SETTINGS] + [[BOOK_KIND.key, book_kind, BOOK_KIND.help]]),
        (
            T_EVALUATORS[0],
            (*T_EVALUATORS[1], E_TURNOUT, E_FILLER),
            [[e.name, e.weight, e.method, e.tie_order, e.turnout_min, e.filled_by] for e in scheme.evaluators],
        ),
        (T_GRADES[0], T_GRADES[1], [[g.name, g.min_score] for g in scheme.grades]),
        (T_STARS[0], T_STARS[1], [[r.star, r.min_score, r.grade] for r in scheme.star_rules]),
    ]
    if scheme.star_mode == STAR_BY_DIMENSIONS:
        sections.append((T_DIMENSIONS[0], T_DIMENSIONS[1], [[d.name, d.points] for d in scheme.dimensions]))
    if scheme.class_input:
        sections.append((scheme.class_input, (scheme.class_input, CLASS_STARS),
                         [[c.name, "、".join(c.stars)] for c in scheme.star_classes]))
    sections += [
        (T_VOTES[0], T_VOTES[1], [[n, p] for n, p in scheme.vote_options]),
        (T_VETOES[0], (*T_VETOES[1], VETO_CODE), [[v.name, v.max_star, v.code or v.name] for v in scheme.vetoes]),
        (T_APPROVING[0], T_APPROVING[1], [[s, b] for s, b in scheme.approving]),
        (
            T_DISTRIBUTION[0],
            T_DISTRIBUTION[1],
            [[t.label, "、".join(t.stars), "不低于" if t.at_least else "不高于", t.ratio] for t in scheme.distribution_targets],
        ),
        (
            T_UPGRADES[0],
            T_UPGRADES[1],
            [[t.label, "、".join(t.stars), t.ratio] for t in scheme.upgrade_targets],
        ),
        (T_ANSWERS[0], T_ANSWERS[1], [list(pair) for pair in default_answers(scheme)]),
        (T_ISSUED[0], T_ISSUED[1], [["", ISSUED_HELP]]),
    ]
    return sections


# ---------------------------------------------------------------- parsing


class _Reader:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.problems: list[Problem] = []
        self.min_cells: dict[object, tuple[int, int]] = {}  # Grade or StarRule → its 最低分 cell

    def problem(self, row: int, col: int, message: str, fix: str) -> None:
        self.problems.append(Problem(SHEET, cell_name(row, col), message, fix))

    def number(self, row: int, col: int, what: str, *, required: bool = True) -> Decimal | None:
        v = cell_at(self.grid, row, col)
        if is_blank(v):
            if required:
                self.problem(row, col, f"{what}未填写", "请填写一个数")
            return None
        try:
            return parse_number(v)
        except ValueError:
            fix = "请把单元格格式设为“常规”或“数值”后重新填写一个数（如 90）" if is_date(v) else "请填写一个数（如 90）"
            self.problem(row, col, f"{what}{not_a_number(v)}", fix)
            return None

    def percent(self, row: int, col: int, what: str, *, optional: bool = False) -> Decimal | None:
        v = cell_at(self.grid, row, col)
        if optional and (is_blank(v) or (isinstance(v, str) and v.strip() in NONE_WORDS)):
            return None
        try:
            p = parse_percent(v)
        except ValueError:
            shown = f"是日期或时间「{shown_value(v)}」，" if is_date(v) else f"「{'' if v is None else shown_value(v)}」"
            self.problem(row, col, f"{what}{shown}不是百分比", "请填写如 20% 的百分比")
            return None
        if not Decimal(0) <= p <= Decimal(1):
            self.problem(row, col, f"{what}为{percent_text(p)}，超出 0%～100%", "请填写 0% 到 100% 之间的比例")
            return None
        return p

    def star(self, row: int, col: int, what: str, *, optional: bool = False) -> str | None:
        v = text(cell_at(self.grid, row, col))
        if optional and v in NONE_WORDS:
            return None
        if v not in STARS:
            self.problem(row, col, f"{what}「{v}」不是星级", f"请填写{'、'.join(STARS)}之一")
            return None
        return v

    def stars(self, row: int, col: int, what: str) -> tuple[str, ...]:
        raw = text(cell_at(self.grid, row, col))
        names = tuple(n.strip() for n in raw.replace("，", "、").replace(",", "、").split("、") if n.strip())
        bad = [n for n in names if n not in STARS]
        if bad or not names:
            self.problem(row, col, f"{what}「{raw}」含有不是星级的内容", f"请填写{'、'.join(STARS)}中的一个或几个，用顿号分隔")
        return names

    def table(self, spec: tuple[str, tuple[str, ...]]) -> tuple[int, dict[str, int], list[int]] | None:
        """Header row, its title columns, and the rows below until a blank or 合计."""
        found = find_header(self.grid, *spec[1][:2])
        if found is None:
            return None
        header_row, cols = found
        first = cols[spec[1][0]]
        rows = []
        r = header_row + 1
        while r < len(self.grid):
            head = cell_at(self.grid, r, first)
            if is_blank(head) or text(head) == TOTAL_ROW or text(head).startswith("【"):
                break
            rows.append(r)
            r += 1
        return header_row, cols, rows


def _error_cells(grid: Grid) -> tuple[Grid, list[Problem]]:
    """Every error value (#REF! …) and formula without a result in 参数, reported by cell.

    Such a cell must never read as blank (a blank 五星级名额上限 means 不限). Once
    reported, the grid is read with those cells blank: any problem stops the
    rating, so the blanks only keep the other checks going. The 合计 row is a
    check for the eye that starbook does not read, so its formula is left alone.
    """
    problems: list[Problem] = []
    cleaned: list | None = None
    for r, line in enumerate(grid):
        if not any(isinstance(v, CellError) for v in line):
            continue
        labels = [text(v) for v in line if isinstance(v, str) and not isinstance(v, CellError) and text(v)]
        if TOTAL_ROW in labels:
            continue
        cleaned = cleaned if cleaned is not None else [list(x) for x in grid]
        for c, v in enumerate(line):
            if isinstance(v, CellError):
                label = next((text(x) for x in line[:c] if isinstance(x, str) and not isinstance(x, CellError) and text(x)), "")
                where = f"“{label}”一行的这一格" if label else "这一格"
                problems.append(Problem(SHEET, cell_name(r, c), f"{where}{v.describe()}", v.fix()))
                cleaned[r][c] = None
    return (grid if cleaned is None else cleaned), problems


_PARSED: dict[tuple, tuple[Scheme | None, list[Problem]]] = {}  # the last few distinct 参数, by content
_SAME_GRID: dict[bytes, tuple[Scheme | None, list[Problem]]] = {}  # …and by the grid's exact bytes


def parse_params(grid: Grid) -> tuple[Scheme | None, list[Problem]]:
    """The Scheme the 参数 sheet states, or the problems that stop it.

    Each distinct 参数 is parsed once per process: a collect reads hundreds of
    books that share their committee's 参数 (the Scheme is frozen; the problems
    are a fresh list each time, as callers extend it). A grid identical to one seen
    (its pickle, which keeps every value's type: 1 is not 1.0, nor a CellError its
    text) is found by those bytes, cheaper than the key of what the Scheme holds.
    """
    exact = grid_bytes(grid)
    if exact is not None and exact in _SAME_GRID:
        scheme, problems = _SAME_GRID[exact]
        return scheme, list(problems)
    try:
        key = tuple(map(_key_line, grid))
        hash(key)
    except TypeError:
        return _parse_params(grid)
    if key not in _PARSED:
        if len(_PARSED) >= 16:
            _PARSED.clear()
        _PARSED[key] = _parse_params(grid)
    if exact is not None:
        if len(_SAME_GRID) >= 16:
            _SAME_GRID.clear()
        _SAME_GRID[exact] = _PARSED[key]
    scheme, problems = _PARSED[key]
    return scheme, list(problems)


def grid_bytes(grid: Grid) -> bytes | None:
    """The grid's exact content as bytes (pickle: equal bytes, equal values of equal types), or None."""
    import pickle

    try:
        return pickle.dumps(grid, 5)
    except Exception:  # a value pickle cannot take: no shortcut
        return None


_OUTSIDE = frozenset(s.key for s in (*NOTICE_SETTINGS, BOOK_KIND))  # read elsewhere: a township's 发布单位 is its own
_SAME = object()
_TABLES = (T_EVALUATORS, T_GRADES, T_STARS, T_DIMENSIONS, T_VOTES, T_VETOES, T_APPROVING, T_DISTRIBUTION, T_UPGRADES)
_LANDMARKS = frozenset((KEY, VALUE, HELP, TOTAL_ROW, E_TURNOUT, VETO_CODE, *(t[0] for t in _TABLES), *(h for t in _TABLES for h in t[1])))


def _key_line(line) -> tuple:
    """A 参数 row as the parse cache's key: every cell with its type (a CellError equals its
    text), except the values of the settings the Scheme does not hold, which parse alike
    unless they are error cells or a title the parser looks for."""
    out = tuple(zip(map(type, line), line))
    if _OUTSIDE.isdisjoint(line):
        return out
    first = next((i for i, v in enumerate(line) if not is_blank(v)), None)
    if first is None or text(line[first]) not in _OUTSIDE:
        return out
    return out[: first + 1] + tuple(c if isinstance(c[1], CellError) or text(c[1]) in _LANDMARKS else _SAME for c in out[first + 1:])


def _parse_params(grid: Grid) -> tuple[Scheme | None, list[Problem]]:
    grid, cell_problems = _error_cells(grid)
    rd = _Reader(grid)
    rd.problems += cell_problems
    header = find_header(grid, KEY, VALUE)
    if header is None:
        return None, [Problem(SHEET, "", "找不到“设置项”“值”表头，参数表已损坏", "请从模板重新复制参数表，或用 starbook new 生成新工作簿")]
    hr, hcols = header
    kcol, vcol = hcols[KEY], hcols[VALUE]
    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    r = hr + 1
    while r < len(grid) and not is_blank(cell_at(grid, r, kcol)):
        seen[text(cell_at(grid, r, kcol))] = r
        r += 1
    for s in SETTINGS:
        if s.key not in seen:
            rd.problems.append(Problem(SHEET, cell_name(hr, kcol), f"缺少设置项“{s.key}”", "请从模板补回这一行"))
            continue
        row = seen[s.key]
        raw = text(cell_at(grid, row, vcol))
        what = s.key
        if s.kind == "text":
            values[s.attr] = raw
        elif s.kind == "int":
            n = rd.number(row, vcol, what)
            if n is not None:
                if n != n.to_integral_value() or n < 0 or n > 100000:
                    rd.problem(row, vcol, f"{what}应为非负整数", "请填写整数")
                else:
                    values[s.attr] = int(n)
        elif s.kind in ("percent", "opt_percent"):
            values[s.attr] = rd.percent(row, vcol, what, optional=s.kind == "opt_percent")
        elif s.kind == "choice":
            t = raw
            if t not in s.choices:
                rd.problem(row, vcol, f"{what}「{t}」不是可选值", f"请选择{'、'.join(s.choices)}之一")
            values[s.attr] = t
        elif s.kind == "star":
            values[s.attr] = rd.star(row, vcol, what)
        elif s.kind == "opt_star":
            values[s.attr] = rd.star(row, vcol, what, optional=True)
        elif s.kind == "list":
            values[s.attr] = tuple(n.strip() for n in raw.replace("，", "、").split("、") if n.strip())
    if values.get("decimals") is not None and values["decimals"] > 4:
        rd.problem(seen["小数位数"], vcol, "小数位数最多为 4", "请填写 0～4")

    evaluators = _evaluators(rd)
    grades = _grades(rd)
    star_rules = _star_rules(rd, grades)
    if values.get("star_mode") == STAR_BY_SCORE and not rd.problems:
        _star_coverage(rd, grades, star_rules)
    dims = _dimensions(rd) if values.get("star_mode") == STAR_BY_DIMENSIONS else ()
    votes = _vote_options(rd)
    vetoes = _vetoes(rd)
    approving = _approving(rd)
    distribution = _distribution(rd)
    upgrades = _upgrades(rd)
    class_input, star_classes = _star_classes(rd)

    option_names = {n for n, _ in votes}
    for name in values.get("satisfied_options", ()):
        if name not in option_names:
            rd.problem(seen["满意票选项"], vcol, f"满意票选项「{name}」不在测评计分表中", "请填写测评计分表中的选项名")
    if values.get("star_mode") == STAR_BY_DIMENSIONS and not values.get("dimension_pass_ratio"):
        rd.problem(seen.get("维度达标比例", hr), vcol, "按维度达标定星时必须填写维度达标比例", "请填写如 80% 的比例")

    if values.get("bottom_floor") is not None and not grades:
        rd.problem(seen["末位等次最低比例"], vcol, "本方案没有等次，不能执行末位等次比例", "请清空“末位等次最低比例”，或在等次表中填写等次")
    if rd.problems:
        return None, rd.problems
    scheme = Scheme(
        evaluators=evaluators,
        grades=grades,
        star_rules=star_rules,
        vote_options=votes,
        approving=approving,
        vetoes=vetoes,
        distribution_targets=distribution,
        upgrade_targets=upgrades,
        dimensions=dims,
        class_input=class_input,
        star_classes=star_classes,
        bottom_grade=min(grades, key=lambda g: g.min_score).name if grades and values["bottom_floor"] else None,
        **values,
    )
    return scheme, []


def _rows_or_missing(rd: _Reader, spec: tuple[str, tuple[str, ...]], required: bool = True):
    found = rd.table(spec)
    if found is None:
        if required:
            rd.problems.append(Problem(SHEET, "", f"找不到“{spec[0]}”表（表头：{'、'.join(spec[1])}）", "请从模板补回这张表"))
        return None
    header_row, cols, rows = found
    missing = [t for t in spec[1] if t not in cols]
    if missing:
        rd.problems.append(
            Problem(SHEET, cell_name(header_row, cols[spec[1][0]]), f"“{spec[0]}”表缺少列：{'、'.join(missing)}", "请按模板补回这些列标题")
        )
        return None
    return header_row, cols, rows


def _unique(rd: _Reader, rows: list[int], col: int, what: str) -> None:
    seen: dict[str, int] = {}
    for r in rows:
        name = text(cell_at(rd.grid, r, col))
        if name in seen:
            rd.problem(r, col, f"{what}「{name}」重复（另见 {cell_name(seen[name], col)}）", "每个名称只能出现一次")
        seen[name] = r


def _evaluators(rd: _Reader) -> tuple[Evaluator, ...]:
    found = _rows_or_missing(rd, T_EVALUATORS)
    if not found:
        return ()
    header_row, cols, rows = found
    c_name, c_w, c_m, c_t = (cols[t] for t in T_EVALUATORS[1])
    c_turnout, c_filler = cols.get(E_TURNOUT), cols.get(E_FILLER)
    if not rows:
        rd.problem(header_row + 1, c_name, "没有填写任何评价主体", "请至少填写一个评价主体及其权重")
        return ()
    _unique(rd, rows, c_name, "评价主体")
    out = []
    total = Decimal(0)
    orders: dict[int, int] = {}
    for r in rows:
        name = text(cell_at(rd.grid, r, c_name))
        w = rd.percent(r, c_w, f"“{name}”的权重")
        method = text(cell_at(rd.grid, r, c_m))
        if method not in METHODS:
            rd.problem(r, c_m, f"“{name}”的评分方式「{method}」不是可选值", f"请选择{'、'.join(METHODS)}之一")
        order_raw = cell_at(rd.grid, r, c_t)
        order = None
        if not is_blank(order_raw):
            n = rd.number(r, c_t, f"“{name}”的平局比较顺序")
            if n is not None and (n != n.to_integral_value() or n < 1):
                rd.problem(r, c_t, "平局比较顺序应为 1、2、3…", "请填写正整数，或留空表示不参与比较")
            elif n is not None:
                order = int(n)
                if order in orders:
                    rd.problem(r, c_t, f"平局比较顺序 {order} 重复", "每个顺序号只能用一次")
                orders[order] = r
        turnout = None if c_turnout is None else rd.percent(r, c_turnout, f"“{name}”的参与率下限", optional=True)
        filler = "" if c_filler is None else text(cell_at(rd.grid, r, c_filler))
        if filler not in ("", *FILLERS):
            rd.problem(r, c_filler, f"“{name}”的{E_FILLER}「{filler}」不是可选值",
                       f"请选择{'、'.join(FILLERS)}之一（支部填报工作簿不必填写“党委”的部分），或留空")
        if w is not None:
            total += w
            out.append(Evaluator(name, w, method, order, turnout, filler))
    if len(out) == len(rows) and total != 1:
        rd.problem(
            rows[0], c_w, f"各评价主体权重合计为{percent_text(total)}，不等于100%",
            f"请调整 {cell_name(rows[0], c_w)}:{cell_name(rows[-1], c_w)} 的权重，使合计为100%",
        )
    return tuple(out)


def _grades(rd: _Reader) -> tuple[Grade, ...]:
    found = _rows_or_missing(rd, T_GRADES, required=False)
    if not found:
        return ()
    _, cols, rows = found
    c_name, c_min = cols["等次"], cols["最低分"]
    _unique(rd, rows, c_name, "等次")
    out = []
    previous: Decimal | None = None
    for r in rows:
        m = rd.number(r, c_min, f"等次“{text(cell_at(rd.grid, r, c_name))}”的最低分")
        if m is None:
            continue
        if not Decimal(0) <= m <= Decimal(100):
            rd.problem(r, c_min, f"最低分 {plain(m)} 超出 0～100", "请填写 0 到 100 之间的分数")
        if previous is not None and m >= previous:
            rd.problem(r, c_min, f"等次最低分没有从高到低排列（{plain(m)} 不低于上一行的 {plain(previous)}）", "请按从高到低的顺序填写，每一等次的最低分都要低于上一等次")
        previous = m
        out.append(Grade(text(cell_at(rd.grid, r, c_name)), m))
        rd.min_cells[out[-1]] = (r, c_min)
    return tuple(out)


def _star_rules(rd: _Reader, grades: tuple[Grade, ...]) -> tuple[StarRule, ...]:
    found = _rows_or_missing(rd, T_STARS)
    if not found:
        return ()
    header_row, cols, rows = found
    c_star, c_min, c_grade = cols["星级"], cols["最低分"], cols["对应等次"]
    grade_names = {g.name for g in grades}
    out: list[StarRule] = []
    for r in rows:
        star = rd.star(r, c_star, "星级")
        m = rd.number(r, c_min, "星级最低分")
        g = text(cell_at(rd.grid, r, c_grade)) or None
        if g is not None and g not in grade_names:
            rd.problem(r, c_grade, f"对应等次「{g}」不在等次表中", "请填写等次表中的等次，或留空")
        if m is not None and not Decimal(0) <= m <= Decimal(100):
            rd.problem(r, c_min, f"星级最低分 {plain(m)} 超出 0～100", "请填写 0 到 100 之间的分数")
            m = None
        if star is None or m is None:
            continue
        for prev in out:
            if prev.grade != g or prev.star == star:
                continue
            better, worse = (prev, StarRule(star, m, g)) if STARS.index(prev.star) < STARS.index(star) else (StarRule(star, m, g), prev)
            if better.min_score < worse.min_score:
                rd.problem(r, c_min, f"星级最低分顺序不对：{better.star}的最低分 {plain(better.min_score)} 低于{worse.star}的 {plain(worse.min_score)}", "星级越高，最低分应越高（或相等），请改正")
        out.append(StarRule(star, m, g))
        rd.min_cells.setdefault(out[-1], (r, c_min))
    if not out and rows:
        return ()
    if not rows:
        rd.problem(header_row + 1, c_star, "星级表没有内容", "请至少填写一行星级")
    for grade in grades:
        if grade_names and not any(rule.grade in (None, grade.name) for rule in out):
            rd.problem(header_row, c_grade, f"等次“{grade.name}”在星级表中没有对应的星级", "请在星级表中为它加一行")
    return tuple(out)


def _star_coverage(rd: _Reader, grades: tuple[Grade, ...], rules: tuple[StarRule, ...]) -> None:
    """Every score from 0 to 100 must reach a star row (无星 included), or it would get 无星 silently.

    A score gets its grade first, then the best star row whose 最低分 it reaches and
    whose 对应等次 is its grade (or blank); so each grade's band needs a row of that
    grade (or of none) starting at or below the band's lower end. Scores below the
    lowest grade, and every score when there are no grades, have no grade.
    """
    bands: list[tuple[Decimal, Decimal, Grade | None, bool]] = []  # [low, high) with its grade; the top band includes 100
    high = Decimal(100)
    top = True
    for grade in sorted(grades, key=lambda g: g.min_score, reverse=True):
        bands.append((grade.min_score, high, grade, top))
        high, top = grade.min_score, False
    if high > 0:
        bands.append((Decimal(0), high, None, top))
    for low, high, grade, top in bands:
        name = grade.name if grade else None
        fitting = [rule for rule in rules if rule.grade in (None, name)]
        if not fitting:
            continue  # reported above: the grade has no star row at all
        lowest = min(fitting, key=lambda rule: rule.min_score)
        if lowest.min_score <= low:
            continue
        gap_end = min(lowest.min_score, high)
        span = f"{plain(low)}～{plain(gap_end)} 分（不含 {plain(gap_end)}）" if gap_end < high or not top else f"{plain(low)}～{plain(high)} 分"
        r, c = rd.min_cells[lowest]
        if grade is not None:
            gr, gc = rd.min_cells[grade]
            rd.problem(
                r, c,
                f"等次“{name}”从 {plain(low)} 分起（{cell_name(gr, gc)}），但对应“{name}”的最低一档星级{lowest.star}从 {plain(lowest.min_score)} 分起："
                f"{span}的“{name}”得不到任何星级",
                f"请把{lowest.star}的最低分改为 {plain(low)}，或在星级表中为“{name}”加一行从 {plain(low)} 分起的星级",
            )
        else:
            who = "没有等次的得分" if grades else "得分"
            rd.problem(
                r, c,
                f"星级表的最低一档{lowest.star}从 {plain(lowest.min_score)} 分起：{span}的{who}得不到任何星级",
                f"请把{lowest.star}的最低分改为 {plain(low)}，或在星级表中加一行“无星 {plain(low)}”",
            )


def _dimensions(rd: _Reader) -> tuple[Dimension, ...]:
    found = _rows_or_missing(rd, T_DIMENSIONS)
    if not found:
        return ()
    _, cols, rows = found
    _unique(rd, rows, cols["达标维度"], "达标维度")
    out = []
    for r in rows:
        p = rd.number(r, cols["维度分值"], "维度分值")
        if p is not None and not Decimal(0) < p <= Decimal(100):
            rd.problem(r, cols["维度分值"], f"维度分值 {plain(p)} 超出 0～100", "请填写大于 0、不超过 100 的分值")
        elif p is not None:
            out.append(Dimension(text(cell_at(rd.grid, r, cols["达标维度"])), p, ()))
    return tuple(out)


def _vote_options(rd: _Reader) -> tuple[tuple[str, Decimal], ...]:
    found = _rows_or_missing(rd, T_VOTES)
    if not found:
        return ()
    _, cols, rows = found
    _unique(rd, rows, cols["测评选项"], "测评选项")
    out = []
    for r in rows:
        p = rd.number(r, cols["每票分值"], "每票分值")
        if p is not None:
            if not Decimal(0) <= p <= Decimal(100):
                rd.problem(r, cols["每票分值"], f"每票分值 {plain(p)} 超出 0～100", "请填写 0 到 100 之间的分值")
            out.append((text(cell_at(rd.grid, r, cols["测评选项"])), p))
    return tuple(out)


def _vetoes(rd: _Reader) -> tuple[Veto, ...]:
    found = _rows_or_missing(rd, T_VETOES, required=False)
    if not found:
        return ()
    _, cols, rows = found
    c_name, c_code = cols["否决事项"], cols.get(VETO_CODE)
    _unique(rd, rows, c_name, "否决事项")
    out = []
    labels: dict[str, tuple[int, int]] = {}  # every name and code → its cell: a cell's text must name one veto
    for r in rows:
        s = rd.star(r, cols["最高星级"], "最高星级")
        name = text(cell_at(rd.grid, r, c_name))
        code = text(cell_at(rd.grid, r, c_code)) if c_code is not None else ""
        for label, c in ((name, c_name), (code, c_code)):
            if not label or (c == c_code and label == name):
                continue
            if any(sep in label for sep in VETO_SEPARATORS) or label in NO_VETO_WORDS:
                rd.problem(r, c, f"否决事项的名称或代码「{label}」含有分隔符“；”或换行，或是“无”“否”", "请改用不含“；”和换行的名称或代码（“、”可以保留）")
            elif label in labels and not (c == c_name and labels[label][1] == c_name):  # equal names: see _unique
                rd.problem(r, c, f"否决事项的代码「{label}」与 {cell_name(*labels[label])} 重复", "每个代码只能指一个否决事项，且不能与其他否决事项的名称相同")
            labels.setdefault(label, (r, c))
        if s:
            out.append(Veto(name, s, code if code != name else ""))
    return tuple(out)


def _approving(rd: _Reader) -> tuple[tuple[str, str], ...]:
    found = _rows_or_missing(rd, T_APPROVING)
    if not found:
        return ()
    _, cols, rows = found
    out = []
    for r in rows:
        s = rd.star(r, cols["星级"], "星级")
        if s:
            out.append((s, text(cell_at(rd.grid, r, cols["审定机关"]))))
    return tuple(out)


def _distribution(rd: _Reader) -> tuple[DistributionTarget, ...]:
    found = _rows_or_missing(rd, T_DISTRIBUTION, required=False)
    if not found:
        return ()
    _, cols, rows = found
    out = []
    for r in rows:
        stars = rd.stars(r, cols["包含星级"], "包含星级")
        op = text(cell_at(rd.grid, r, cols["要求"]))
        if op not in ("不低于", "不高于"):
            rd.problem(r, cols["要求"], f"要求「{op}」不是可选值", "请选择“不低于”或“不高于”")
        ratio = rd.percent(r, cols["比例"], "比例")
        if ratio is not None:
            out.append(DistributionTarget(text(cell_at(rd.grid, r, cols["目标"])), stars, op == "不低于", ratio))
    return tuple(out)


def _upgrades(rd: _Reader) -> tuple[UpgradeTarget, ...]:
    found = _rows_or_missing(rd, T_UPGRADES, required=False)
    if not found:
        return ()
    _, cols, rows = found
    out = []
    for r in rows:
        stars = rd.stars(r, cols["上年星级"], "上年星级")
        ratio = rd.percent(r, cols["升级比例不低于"], "升级比例")
        if ratio is not None:
            out.append(UpgradeTarget(text(cell_at(rd.grid, r, cols["上年等次"])), stars, ratio))
    return tuple(out)


def _star_classes(rd: _Reader) -> tuple[str, tuple[StarClass, ...]]:
    """The “<class> | 可定星级” table: the class's name and each word's stars; ("", ()) without one."""
    at = next(((r, c) for r, line in enumerate(rd.grid) for c, v in enumerate(line)
               if isinstance(v, str) and text(v) == CLASS_STARS and c > 0), None)
    if at is None:
        return "", ()
    hr, c_stars = at
    c_name = c_stars - 1
    name = text(cell_at(rd.grid, hr, c_name))
    if not name or name in (KEY, T_STARS[1][0]):
        rd.problem(hr, c_name, f"“{CLASS_STARS}”左边的表头没有填写限定星级的等次名称", "请填写汇总表和评分表中这一栏的名称，如“晋位升级等次”")
        return "", ()
    out: list[StarClass] = []
    r = hr + 1
    while r < len(rd.grid) and not is_blank(cell_at(rd.grid, r, c_name)) and not text(cell_at(rd.grid, r, c_name)).startswith("【"):
        word = text(cell_at(rd.grid, r, c_name))
        stars = rd.stars(r, c_stars, f"“{word}”的可定星级")
        if any(c.name == word for c in out):
            rd.problem(r, c_name, f"{name}「{word}」重复", "每个等次只能有一行")
        elif stars and all(s in STARS for s in stars):
            out.append(StarClass(word, stars))
        r += 1
    if not out and not rd.problems:
        rd.problem(hr + 1, c_name, f"“{name}”表没有内容", f"请逐行填写{name}及其可定星级，或删除整张表（不限定星级）")
    return name, tuple(out)


def setting_cell(grid: Grid, key: str) -> tuple[int, int] | None:
    """The value cell (0-based) of a 基本设置 row by its 设置项, the first such row; None when
    the book has no such row (older versions lack the newer settings)."""
    header = find_header(grid, KEY, VALUE)
    if header is None:
        return None
    hr, cols = header
    r = hr + 1
    while r < len(grid) and not is_blank(cell_at(grid, r, cols[KEY])):
        if text(cell_at(grid, r, cols[KEY])) == key:
            return r, cols[VALUE]
        r += 1
    return None


def book_kind(grid: Grid) -> tuple[str, tuple[int, int] | None]:
    """The 工作簿类型 setting and its cell (0-based); a book without the row (older
    versions) is the committee's own. A value that is neither choice reads as the
    committee's too: only a book that says 支部填报 is a branch's."""
    at = setting_cell(grid, BOOK_KIND.key)
    if at is None:
        return BOOK_COMMITTEE, None
    value = text(cell_at(grid, *at))
    return (BOOK_BRANCH if value == BOOK_BRANCH else BOOK_COMMITTEE), at
