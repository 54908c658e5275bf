"""The 量化评分表: one organization's form, read by its titles.

A form has a header (党组织名称, 类别, 年度, 上年星级), the item table (one score
column per item-scoring evaluator), the ballot table, the veto table and the
direct-entry table. Its formulas are a live preview for the cadre; the official
scores are computed here in decimal arithmetic and written to the 汇总表.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..grid import CellError, Grid, as_number, cell_at, cell_name, find_cell, find_header, is_blank, is_date, not_a_number, not_text, not_text_fix, shown_value, text
from ..numbers import parse_number, percent_text, plain
from ..problems import ERROR, Problem, WARNING
from ..rules.scoring import (
    Turnout,
    final_score,
    dimension_subtotal,
    evaluator_total,
    required_turnout,
    satisfaction,
    shown,
    vote_score,
)
from ..scheme import FILLED_BY_EITHER, METHOD_DIRECT, METHOD_ITEMS, METHOD_VOTE, STARS, TURNOUT_ERROR, Dimension, Item, Scheme, class_fix

PREFIX = "量化评分表"
F_NAME, F_KIND, F_YEAR, F_LAST = "党组织名称", "类别", "年度", "上年星级"
F_DECLARED = "申报星级"  # the branch's own declared star (seed 002 "开展自评，申报星级")
I_DIM, I_DIM_POINTS, I_NO, I_CONTENT, I_STANDARD, I_POINTS = "维度", "维度分值", "序号", "评分内容", "评分标准", "分值"
V_ITEM, V_ROLL, V_VOTED, V_SCORE, V_SAT = "测评项目", "应参评人数", "实际参评人数", "测评得分", "满意率"
X_VETO, X_HIT = "否决事项", "是否存在"
D_WHO, D_WEIGHT, D_SCORE, D_WEIGHTED = "评价主体", "权重", "得分", "加权得分"
TOTAL = "合计"
SUBTOTALS, ALL_TOTALS = "维度小计", "各方总分"
FINAL = "综合得分"  # the weighted total's row; a preview of 定星 (its note says so, not the print)
FINAL_PREVIEW = "综合得分（预览）"  # the same row in books built before
CATEGORIES = ("农村", "城市社区", "非公企业", "机关事业单位", "高等院校", "国有企业", "社会组织")
YES, NO = "是", "否"


def is_form(sheet_name: str) -> bool:
    return sheet_name.startswith(PREFIX)


@dataclass
class FormResult:
    sheet: str
    name: str
    name_cell: str
    category: str | None
    last_star: str | None
    scores: dict[str, Decimal] = field(default_factory=dict)
    dimension_scores: tuple[Decimal, ...] = ()
    vetoes: tuple[str, ...] = ()
    satisfaction: Decimal | None = None
    notes: list[str] = field(default_factory=list)
    subtotals: dict[str, list[Decimal]] = field(default_factory=dict)  # evaluator → per dimension
    dimensions: list[str] = field(default_factory=list)
    preview: list[tuple[int, int, object]] = field(default_factory=list)  # (row, col, value) of preview formulas
    holds: frozenset[str] = frozenset()  # which of 类别, 上年星级, 否决事项 the form has a place for: there it wins
    items: tuple[Dimension, ...] = ()  # the items as the form lists them, checked against the 评分细则
    items_cell: str = ""  # the item table's header cell
    declared: str | None = None  # 申报星级: the star the branch declared in its 自评 (filing only, not rated)
    pending: list[str] = field(default_factory=list)  # parts left blank that are not due here (the committee's, in a branch's book)
    star_class: str | None = None  # the scheme's input class (晋位升级等次) when the form has the field
    class_cell: str = ""  # that field's value cell


class _Form:
    def __init__(self, sheet: str, grid: Grid, scheme: Scheme, not_due: frozenset[str] = frozenset()) -> None:
        self.sheet, self.grid, self.scheme = sheet, grid, scheme
        self.problems: list[Problem] = []
        self.not_due = not_due  # parts that may be left blank here (parse_form)

    def blank(self, cells) -> bool:
        return all(is_blank(cell_at(self.grid, r, c)) for r, c in cells)

    def not_yet(self, result: "FormResult", who: str, r: int, c: int) -> None:
        """A part left blank that is not due in this book: a 提示 naming its column."""
        result.pending.append(who)
        if self.scheme.evaluator(who).filled_by == FILLED_BY_EITHER:
            by, fix = "由组织测评的一方（支部或党委）填写", "本支部组织了测评的，请填写后再校验；否则不必填写"
        else:
            by, fix = "由党委填写", "不必填写，发回党委后由党委评定"
        self.add(r, c, f"“{who}”未填写：本工作簿是支部填报工作簿，这一部分{by}（参数表“评价主体与权重”的“填写方”），"
                 "综合得分和星级待党委汇总后确定", fix, WARNING)

    def add(self, row: int, col: int, message: str, fix: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(self.sheet, cell_name(row, col), message, fix, severity))

    def right_of(self, label: str) -> tuple[int, int, object] | None:
        """The value cell of a header field: the cell right of its label (a merge keeps its value there)."""
        pos = find_cell(self.grid, label, max_rows=12)
        if pos is None:
            return None
        r, c = pos
        return r, c + 1, cell_at(self.grid, r, c + 1)

    def cell_error(self, r: int, c: int, what: str) -> bool:
        """Report an error value (#DIV/0! …) or a formula without a result: never read as blank."""
        v = cell_at(self.grid, r, c)
        if isinstance(v, CellError):
            self.add(r, c, f"{what}{v.describe()}", v.fix())
            return True
        return False

    def text_error(self, r: int, c: int, what: str) -> bool:
        """A text field (名称, 类别, 星级): an error value, or a date or time that Excel made of
        what was typed as "5-1" or "9:30"; reported, never read as that text."""
        v = cell_at(self.grid, r, c)
        why = not_text(v)
        if why is None:
            return False
        self.add(r, c, f"{what}{why}", not_text_fix(v))
        return True

    def score(self, r: int, c: int, what: str, top: Decimal | None) -> Decimal | None:
        """A score cell: a number in [0, top]; text, dates, error values and blanks are reported."""
        v = cell_at(self.grid, r, c)
        if self.cell_error(r, c, what):
            return None
        if is_blank(v):
            self.add(r, c, f"{what}未填写", "请填写得分（没有得分请填 0）")
            return None
        d = as_number(v)
        if d is None:
            hint = "这是文本格式的数字，请把单元格设为“数值”格式后重新输入" if _numeric_text(v) else "请填写数字"
            if isinstance(v, str):
                self.add(r, c, f"{what}「{shown_value(v)}」是文本，不是数字", hint)
            else:
                self.add(r, c, f"{what}{not_a_number(v)}", "请把单元格设为“数值”格式后重新填写得分" if is_date(v) else hint)
            return None
        if d < 0 or (top is not None and d > top):
            self.add(r, c, f"{what} {plain(d)} 超出范围 0～{plain(top)}", f"请改为 0 到 {plain(top)} 之间的分数")
            return None
        return d

    def count(self, r: int, c: int, what: str, *, required: bool = True) -> int | None:
        v = cell_at(self.grid, r, c)
        if self.cell_error(r, c, what):
            return None
        if is_blank(v):
            if required:
                self.add(r, c, f"{what}未填写", "请填写人数（没有请填 0）")
            return None
        d = as_number(v)
        if d is None:
            self.add(r, c, f"{what}{not_a_number(v)}", "请填写整数人数")
            return None
        if d < 0 or d != d.to_integral_value():
            self.add(r, c, f"{what} {plain(d)} 不是非负整数", "请填写整数人数")
            return None
        return int(d)


def _numeric_text(v: object) -> bool:
    """Text a cadre meant as a number ("7"), not "NaN" or "inf", which are no score."""
    try:
        parse_number(str(v))
        return True
    except ValueError:
        return False


def _has_input(form: _Form) -> bool:
    """A blank form (from the template) has no name and no scores: it is skipped."""
    name = form.right_of(F_NAME)
    if name and not is_blank(name[2]):
        return True
    header = find_header(form.grid, I_DIM, I_CONTENT, I_POINTS)
    if header is None:
        return False
    hr, cols = header
    score_cols = [c for t, c in cols.items() if t not in (I_DIM, I_DIM_POINTS, I_NO, I_CONTENT, I_STANDARD, I_POINTS)]
    for r in range(hr + 1, len(form.grid)):
        if text(cell_at(form.grid, r, cols[I_DIM])) == TOTAL:
            break
        if any(not is_blank(cell_at(form.grid, r, c)) for c in score_cols):
            return True
    return False


def parse_form(sheet: str, grid: Grid, scheme: Scheme, not_due: frozenset[str] = frozenset()
               ) -> tuple[FormResult | None, list[Problem]]:
    """One form's scores, or its problems; (None, []) for a blank form.

    `not_due` names the evaluators whose part may be left blank (a branch's own book
    holds only the branch's parts): left wholly blank, such a part is listed in
    `pending` with a 提示, not scored; filled in, it is checked as usual.
    """
    form = _Form(sheet, grid, scheme, not_due)
    if not _has_input(form):
        return None, []
    name_at = form.right_of(F_NAME)
    if name_at is None:
        return None, [Problem(sheet, "", f"找不到“{F_NAME}”栏", "请从模板复制一张新的量化评分表")]
    nr, nc, name_v = name_at
    name = text(name_v)
    if form.text_error(nr, nc, "党组织名称"):
        name = ""
    elif not name:
        form.add(nr, nc, "党组织名称未填写，但表中已有得分", "请填写党组织名称")
    kind = form.right_of(F_KIND)
    category = text(kind[2]) or None if kind and not form.text_error(kind[0], kind[1], "类别") else None
    last = form.right_of(F_LAST)
    last_star = text(last[2]) or None if last and not form.text_error(last[0], last[1], "上年星级") else None
    if last and last_star and last_star not in STARS:
        form.add(last[0], last[1], f"上年星级「{last_star}」不是星级", f"请选择{'、'.join(STARS)}之一，没有请留空")
        last_star = None
    result = FormResult(sheet, name, cell_name(nr, nc), category, last_star)
    declared = form.right_of(F_DECLARED)
    if declared and not form.cell_error(declared[0], declared[1], F_DECLARED):
        result.declared = text(declared[2]) or None
        if result.declared and result.declared not in STARS:
            form.add(declared[0], declared[1], f"申报星级「{result.declared if isinstance(declared[2], str) else shown_value(declared[2])}」不是星级", f"请选择{'、'.join(STARS)}之一，没有请留空", WARNING)
            result.declared = None
    if scheme.class_input:
        _star_class(form, result)
    held = {F_KIND: kind, F_LAST: last, X_VETO: find_header(grid, X_VETO, X_HIT)}
    result.holds = frozenset(k for k, at in held.items() if at is not None)

    item_evaluators = [e for e in scheme.evaluators if e.method == METHOD_ITEMS]
    if item_evaluators:
        _items(form, result, item_evaluators)
    votes = [e for e in scheme.evaluators if e.method == METHOD_VOTE]
    if votes:
        _votes(form, result, votes)
    direct = [e for e in scheme.evaluators if e.method == METHOD_DIRECT]
    if direct:
        _direct(form, result, direct)
    _vetoes(form, result)
    if any(p.severity == ERROR for p in form.problems):
        return None, form.problems
    _final_preview(form, result)
    return result, form.problems


def _star_class(form: _Form, result: FormResult) -> None:
    """The scheme's input class (服务型五星: 晋位升级等次) from its header field, when the form has one."""
    scheme = form.scheme
    at = form.right_of(scheme.class_input)
    if at is None or form.cell_error(at[0], at[1], scheme.class_input):
        return
    result.class_cell = cell_name(at[0], at[1])
    word = text(at[2]) or None
    if word is not None and word not in scheme.star_class_map:
        form.add(at[0], at[1], f"{scheme.class_input}「{word}」不是可选的等次", class_fix(scheme))
        return
    result.star_class = word


def _final_preview(form: _Form, result: FormResult) -> None:
    """The 综合得分 table: weight, score and weighted score of each evaluator whose part is in,
    and the total once every part is (blank before, as its formula shows it)."""
    scheme = form.scheme
    header = find_header(form.grid, D_WHO, D_WEIGHTED)
    if header is None or not result.scores:
        return
    hr, cols = header
    r = hr + 1
    while r < len(form.grid) and not is_blank(cell_at(form.grid, r, cols[D_WHO])):
        who = text(cell_at(form.grid, r, cols[D_WHO]))
        if who in (FINAL, FINAL_PREVIEW):
            complete = len(result.scores) == len(scheme.evaluators)
            result.preview.append((r, cols[D_WEIGHTED], final_score(result.scores, scheme.evaluators, scheme) if complete else ""))
            break
        if who in result.scores:
            e = scheme.evaluator(who)
            if D_WEIGHT in cols:
                result.preview.append((r, cols[D_WEIGHT], e.weight))
            if e.method != METHOD_DIRECT and D_SCORE in cols:
                result.preview.append((r, cols[D_SCORE], result.scores[who]))
            result.preview.append((r, cols[D_WEIGHTED], e.weight * result.scores[who]))
        r += 1


def _items(form: _Form, result: FormResult, evaluators) -> None:
    scheme = form.scheme
    header = find_header(form.grid, I_DIM, I_CONTENT, I_POINTS)
    if header is None:
        form.problems.append(Problem(form.sheet, "", "找不到评分表表头（维度、评分内容、分值）", "请从模板复制一张新的量化评分表"))
        return
    hr, cols = header
    if I_DIM_POINTS not in cols:
        form.add(hr, cols[I_DIM], "评分表缺少“维度分值”列", "请按模板补回这一列")
        return
    ecols = {}
    for e in evaluators:
        col = cols.get(e.name, cols.get(e.column))
        if col is None:
            form.add(hr, max(cols.values()) + 1, f"评分表缺少“{e.name}”得分列", f"请在表头加一列“{e.name}”")
        else:
            ecols[e.name] = col
    if len(ecols) != len(evaluators):
        return
    c_dim, c_dp, c_pts, c_content = cols[I_DIM], cols[I_DIM_POINTS], cols[I_POINTS], cols[I_CONTENT]
    if form.not_due:
        rows = []
        r = hr + 1
        while r < len(form.grid) and text(cell_at(form.grid, r, c_dim)) != TOTAL and not form.blank(
                (r, c) for c in (c_dim, c_pts, c_content)):
            rows.append(r)
            r += 1
        for e in [e for e in ecols if e in form.not_due]:
            if form.blank((r, ecols[e]) for r in rows):
                form.not_yet(result, e, hr, ecols.pop(e))
    dims: list[tuple[str, Decimal | None, int]] = []  # name, points, first row
    per_dim: dict[str, dict[str, list[Decimal]]] = {}
    listed: dict[str, list[Item]] = {}  # the items' texts and points, per dimension
    c_std = cols.get(I_STANDARD)
    dim_name, r = "", hr + 1
    while r < len(form.grid):
        head = text(cell_at(form.grid, r, c_dim))
        if head == TOTAL:
            break
        row_blank = all(is_blank(cell_at(form.grid, r, c)) for c in (c_dim, c_pts, c_content, *ecols.values()))
        if row_blank:
            break
        if head:
            dim_name = head
            pts = form.score(r, c_dp, f"维度“{head}”的维度分值", None)
            if pts is not None and pts <= 0:
                form.add(r, c_dp, f"维度“{head}”的维度分值应大于 0", "请填写该维度的满分")
            if any(d[0] == head for d in dims):
                form.add(r, c_dim, f"维度“{head}”重复出现", "同一维度的各项请连续排列，维度名只在第一行填写")
            dims.append((head, pts, r))
            per_dim[head] = {e: [] for e in ecols}
            listed.setdefault(head, [])
        elif not dim_name:
            form.add(r, c_dim, "第一项评分内容没有维度", "请在该行填写维度名称")
            dim_name = "?"
            dims.append((dim_name, None, r))
            per_dim[dim_name] = {e: [] for e in ecols}
            listed.setdefault(dim_name, [])
        item_pts = form.score(r, c_pts, "分值", None)
        if item_pts is not None and item_pts <= 0:
            form.add(r, c_pts, "分值应大于 0", "请填写该项的满分")
            item_pts = None
        if item_pts is not None:
            standard = text(cell_at(form.grid, r, c_std)) if c_std is not None else ""
            listed[dim_name].append(Item(text(cell_at(form.grid, r, c_content)), standard, item_pts))
        for e, c in ecols.items():
            s = form.score(r, c, f"{e}得分", item_pts)
            if s is not None:
                per_dim[dim_name][e].append(s)
        r += 1
    if not dims:
        form.add(hr + 1, c_dim, "评分表没有任何评分项", "请填写评分项或从模板复制评分表")
        return
    total_points = sum((d[1] for d in dims if d[1] is not None), Decimal(0))
    if all(d[1] is not None for d in dims) and total_points != 100:
        form.add(dims[0][2], c_dp, f"各维度分值合计为 {plain(total_points)}，不是 100", f"请调整“{I_DIM_POINTS}”列，使合计为 100")
    if any(p.severity == ERROR for p in form.problems):
        return
    result.dimensions = [d[0] for d in dims]
    result.items = tuple(Dimension(name, pts, tuple(listed[name])) for name, pts, _ in dims)
    result.items_cell = cell_name(hr, c_content)
    for e in ecols:
        subs = [dimension_subtotal(per_dim[name][e], pts, scheme) for name, pts, _ in dims]
        result.subtotals[e] = subs
        result.scores[e] = evaluator_total(subs, scheme)
    if text(cell_at(form.grid, r, c_dim)) == TOTAL:
        for e, c in ecols.items():
            result.preview.append((r, c, result.scores[e]))
    _subtotal_preview(form, result, dims, ecols)
    if scheme.star_mode == "按维度达标":
        wanted = [d.name for d in scheme.dimensions]
        if result.dimensions != wanted:
            form.add(hr, c_dim, f"评分表的维度（{'、'.join(result.dimensions)}）与参数表“达标维度”（{'、'.join(wanted)}）不一致", "请让两处维度名称和顺序一致")
            return
        weight = sum(scheme.evaluator(e).weight for e in ecols)
        if result.pending or not weight:  # a part not in yet (a branch's book): no dimension reached so far
            return
        result.dimension_scores = tuple(
            shown(sum(scheme.evaluator(e).weight * result.subtotals[e][i] for e in ecols) / weight, scheme)
            for i in range(len(dims))
        )


def _subtotal_preview(form: _Form, result: FormResult, dims, ecols: dict[str, int]) -> None:
    """Cells of the 维度小计 table, which repeat the capped subtotals and totals."""
    pos = find_cell(form.grid, SUBTOTALS)
    if pos is None:
        return
    hr, c0 = pos
    cols = {text(v): c for c, v in enumerate(form.grid[hr]) if text(v)}
    names = {name: i for i, (name, _, _) in enumerate(dims)}
    r = hr + 1
    while r < len(form.grid) and not is_blank(cell_at(form.grid, r, c0)):
        label = text(cell_at(form.grid, r, c0))
        for e in ecols:
            if e not in cols:
                continue
            if label in names:
                result.preview.append((r, cols[e], result.subtotals[e][names[label]]))
            elif label == ALL_TOTALS:
                result.preview.append((r, cols[e], result.scores[e]))
        r += 1


def _votes(form: _Form, result: FormResult, evaluators) -> None:
    """The ballot table: labels down its first column, one column per vote evaluator."""
    scheme = form.scheme
    options = [name for name, _ in scheme.vote_options]
    pos = find_cell(form.grid, V_ITEM)
    if pos is None:
        form.problems.append(Problem(form.sheet, "", f"找不到测评表（“{V_ITEM}”）", "请从模板复制一张新的量化评分表"))
        return
    hr, c0 = pos
    cols = {text(v): c for c, v in enumerate(form.grid[hr]) if c > c0 and text(v)}
    labels: dict[str, int] = {}
    r = hr + 1
    while r < len(form.grid) and not is_blank(cell_at(form.grid, r, c0)):
        labels.setdefault(text(cell_at(form.grid, r, c0)), r)
        r += 1
    missing = [t for t in (V_ROLL, *options) if t not in labels]
    if missing:
        form.add(hr, c0, f"测评表缺少：{'、'.join(missing)}", f"请在“{V_ITEM}”列下补回这些行（选项以参数表“测评计分”为准）")
        return
    happy: list[Decimal] = []
    for e in evaluators:
        c = cols.get(e.name)
        if c is None:
            form.add(hr, c0 + 1, f"测评表中没有“{e.name}”这一列", f"请在“{V_ITEM}”右侧加一列“{e.name}”")
            continue
        if e.name in form.not_due and form.blank((labels[t], c) for t in (V_ROLL, V_VOTED, *options) if t in labels):
            form.not_yet(result, e.name, hr, c)
            continue
        roll = form.count(labels[V_ROLL], c, f"{e.name}应参评人数")
        counts = {o: form.count(labels[o], c, f"{e.name}“{o}”票数") for o in options}
        voted = form.count(labels[V_VOTED], c, f"{e.name}实际参评人数", required=False) if V_VOTED in labels else None
        if roll is None or any(v is None for v in counts.values()):
            continue
        valid = sum(counts.values())
        first_option = labels[options[0]]
        if voted is not None and valid > voted:
            form.add(first_option, c, f"{e.name}有效票合计 {valid} 多于实际参评人数 {voted}", "请核对票数和参评人数")
            continue
        voted = valid if voted is None else voted
        if voted > roll:
            where = labels[V_VOTED] if V_VOTED in labels and not is_blank(cell_at(form.grid, labels[V_VOTED], c)) else first_option
            form.add(where, c, f"{e.name}参评 {voted} 人，多于应参评人数 {roll}", "票数不能超过应参评人数，请核对")
            continue
        if valid == 0:
            form.add(first_option, c, f"{e.name}没有有效票", "请填写各选项票数")
            continue
        t = Turnout(roll, voted, required_turnout(roll, scheme, e))
        if not t.ok:
            rule = (f"应参评人数少于{scheme.full_roll_below}人须全员参评" if roll < scheme.full_roll_below
                    else f"参评人数不少于{percent_text(e.required_share(scheme))}")
            msg = f"{e.name}参评 {voted}/{roll} 人，未达到要求（{rule}，至少 {t.required} 人）"
            if scheme.turnout_action == TURNOUT_ERROR:
                form.add(labels[V_ROLL], c, msg, "请重新组织测评后填写")
                continue
            form.add(labels[V_ROLL], c, msg, "已照常计分并在调整说明中注明，请重新组织测评", WARNING)
            result.notes.append(msg)
        result.scores[e.name] = vote_score(counts, scheme)
        happy.append(satisfaction(counts, scheme))
        if V_SCORE in labels:
            result.preview.append((labels[V_SCORE], c, result.scores[e.name]))
        if V_SAT in labels:
            result.preview.append((labels[V_SAT], c, happy[-1]))
    if happy:
        result.satisfaction = min(happy)


def _direct(form: _Form, result: FormResult, evaluators) -> None:
    header = find_header(form.grid, D_WHO, D_SCORE)
    if header is None:
        form.problems.append(Problem(form.sheet, "", "找不到“评价主体、得分”表", "请从模板复制一张新的量化评分表"))
        return
    hr, cols = header
    r = hr + 1
    while r < len(form.grid) and not is_blank(cell_at(form.grid, r, cols[D_WHO])):
        who = text(cell_at(form.grid, r, cols[D_WHO]))
        for e in evaluators:
            if e.name == who:
                if who in form.not_due and is_blank(cell_at(form.grid, r, cols[D_SCORE])):
                    form.not_yet(result, who, r, cols[D_SCORE])
                    break
                s = form.score(r, cols[D_SCORE], f"{who}得分", Decimal(100))
                if s is not None:
                    result.scores[who] = shown(s, form.scheme)
        r += 1
    for e in evaluators:
        if e.name not in result.scores and e.name not in result.pending and not any(p.severity == ERROR for p in form.problems):
            form.add(hr, cols[D_WHO], f"没有“{e.name}”的得分行", f"请在“{D_WHO}”列加一行“{e.name}”并填写得分")


def _vetoes(form: _Form, result: FormResult) -> None:
    header = find_header(form.grid, X_VETO, X_HIT)
    if header is None:
        return
    hr, cols = header
    known = {label: v.name for v in form.scheme.vetoes for label in v.labels}
    hits = []
    r = hr + 1
    while r < len(form.grid) and not is_blank(cell_at(form.grid, r, cols[X_VETO])):
        name = text(cell_at(form.grid, r, cols[X_VETO]))
        if form.cell_error(r, cols[X_VETO], "否决事项") or form.cell_error(r, cols[X_HIT], f"否决事项“{name}”的“是否存在”"):
            r += 1
            continue
        answer = text(cell_at(form.grid, r, cols[X_HIT]))
        if answer not in ("", YES, NO):
            form.add(r, cols[X_HIT], f"“是否存在”应填“是”或“否”，现为「{answer}」", "请从下拉列表选择")
        elif answer == YES:
            if name not in known:
                form.add(r, cols[X_VETO], f"否决事项“{name}”不在参数表的否决事项中", "请在参数表“否决事项”表中加上它，或改用参数表中的名称或代码")
            elif known[name] not in hits:
                hits.append(known[name])
        r += 1
    result.vetoes = tuple(hits)


def form_sheets(names: Sequence[str]) -> list[str]:
    return [n for n in names if is_form(n)]


def listed_items(grid: Grid) -> tuple[Dimension, ...] | None:
    """The items a form lists (维度, 维度分值, 评分内容, 评分标准, 分值), read without its scores,
    so a blank form can be matched to a 类别's items; None when the table cannot be read."""
    header = find_header(grid, I_DIM, I_CONTENT, I_POINTS)
    if header is None:
        return None
    hr, cols = header
    if I_DIM_POINTS not in cols:
        return None
    c_std = cols.get(I_STANDARD)
    dims: list[tuple[str, Decimal | None, list[Item]]] = []
    for line in grid[hr + 1:]:
        head = text(cell_at([line], 0, cols[I_DIM]))
        content = text(cell_at([line], 0, cols[I_CONTENT]))
        points = as_number(cell_at([line], 0, cols[I_POINTS]))
        if head == TOTAL or (not content and points is None):
            break
        if head:
            dims.append((head, as_number(cell_at([line], 0, cols[I_DIM_POINTS])), []))
        if not dims or points is None:
            return None
        dims[-1][2].append(Item(content, text(cell_at([line], 0, c_std)) if c_std is not None else "", points))
    return tuple(Dimension(name, points, tuple(items)) for name, points, items in dims if points is not None)
