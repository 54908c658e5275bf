"""The 汇总表: one row per organization below one header row (CONTRACT.md)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from types import MappingProxyType
from decimal import Decimal

from ..memo import Memo
from ..grid import DATE_TYPES, CellError, Grid, as_number, cell_name, find_header, is_blank, not_a_number, not_text, not_text_fix, text
from ..problems import Problem
from ..numbers import plain
from ..rules.scoring import shown
from ..scheme import STAR_BY_DIMENSIONS, STARS, Scheme, class_fix, veto_rule, split_vetoes

SHEET = "汇总表"
S_NO, S_NAME, S_KIND, S_LAST, S_VETO = "序号", "党组织名称", "类别", "上年星级", "否决事项"
O_FINAL, O_GRADE, O_BASE, O_STAR, O_NOTE, O_BODY, O_MOVE = "综合得分", "等次", "初定星级", "星级", "调整说明", "审定机关", "升降"
OUTPUTS = (O_FINAL, O_GRADE, O_BASE, O_STAR, O_NOTE, O_BODY, O_MOVE)
O_SAT, O_HONOR, O_REACHED = "满意率", "可评先进", "达标维度"
VETO_FIX = f"请改正：{veto_rule()}"
# Filing columns (seed 001/002): inputs that 定星 never writes, kept across ratings.
S_DECLARED, S_SUPERVISOR, S_REVIEW = "申报星级", "主管部门党组织意见", "县级复核意见"
SUPERVISED = ("非公企业", "社会组织")  # the 类别 whose grading seeks the 主管部门党组织's opinion
O_SOURCE = "数据来源"  # the form sheet a row was taken from; blank for a row typed by hand


def input_columns(scheme: Scheme) -> list[str]:
    cols = [S_NO, S_NAME, S_KIND, *(e.column for e in scheme.evaluators)]
    if scheme.star_mode == STAR_BY_DIMENSIONS:
        cols += [dimension_column(d.name) for d in scheme.dimensions]
    cols.append(S_LAST)
    if scheme.class_input:
        cols.append(scheme.class_input)
    return cols + [S_VETO]


def dimension_column(name: str) -> str:
    return f"{name}得分"


def output_columns(scheme: Scheme) -> list[str]:
    cols = list(OUTPUTS)
    if any(e.method == "票决" for e in scheme.evaluators):
        cols.append(O_SAT)
    if scheme.honor_min_star:
        cols.append(O_HONOR)
    if scheme.star_mode == STAR_BY_DIMENSIONS:
        cols.append(O_REACHED)
    return cols + [O_SOURCE]


@dataclass(slots=True)
class SummaryRow:
    row: int  # 0-based grid row
    name: str
    number: object = None
    category: str | None = None
    last_star: str | None = None
    vetoes: tuple[str, ...] = ()
    scores: dict[str, Decimal] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)  # evaluator/dimension → column left blank
    dimension_scores: dict[str, Decimal] = field(default_factory=dict)
    star_class: str | None = None  # the scheme's input class (晋位升级等次), when it has one


@dataclass
class PlainRows:
    """The usual 汇总表, kept as columns: consecutive rows from `first`, every score a valid number."""

    first: int  # 0-based grid row of the first organization
    names: list[str]
    numbers: list
    categories: list[str | None]
    last_stars: list[str | None]
    scores: list[dict[str, Decimal]]
    dimension_scores: list | None  # per row {dimension: score}, only for 按维度达标
    classes: list[str | None] | None = None  # per row the input class, only when the scheme has one

    def rows(self) -> list[SummaryRow]:
        n = len(self.names)
        return list(
            map(
                SummaryRow,
                range(self.first, self.first + n),
                self.names,
                self.numbers,
                self.categories,
                self.last_stars,
                repeat(()),
                self.scores,
                repeat(_EMPTY),
                self.dimension_scores if self.dimension_scores is not None else repeat(_EMPTY),
                self.classes if self.classes is not None else repeat(None),
            )
        )


@dataclass
class Summary:
    header_row: int
    columns: dict[str, int]
    parsed_rows: list[SummaryRow] | None
    last_row: int  # last 0-based row holding data (header_row when none)
    width: int  # columns used by the header
    plain: PlainRows | None = None  # set instead of parsed_rows for the usual 汇总表

    @property
    def rows(self) -> list[SummaryRow]:
        """One object per row, made on first use when the rows were kept as columns."""
        if self.parsed_rows is None:
            self.parsed_rows = self.plain.rows() if self.plain is not None else []
        return self.parsed_rows


def parse_summary(
    grid: Grid, scheme: Scheme, *, form_names: set[str] = frozenset(), fast: bool = True
) -> tuple[Summary | None, list[Problem]]:
    """The 汇总表's rows; organizations with a form may leave their scores blank.

    The usual 汇总表 (every score a valid number, names filled and unique, nothing
    else to report) is kept as columns without a per-row loop. That path is taken
    only when the general loop would report nothing and build the same rows;
    `fast=False` forces the general loop (the tests compare the two).
    """
    problems: list[Problem] = []

    def add(r: int, c: int, message: str, fix: str) -> None:
        problems.append(Problem(SHEET, cell_name(r, c), message, fix))

    found = find_header(grid, S_NAME, max_rows=30)
    if found is None:
        return None, [Problem(SHEET, "", f"前 30 行中找不到“{S_NAME}”列标题", "请在表头行填写“党组织名称”等列标题（见模板）")]
    hr, _ = found
    columns: dict[str, int] = {}
    for c, v in enumerate(grid[hr]):
        t = text(v)
        if not t:
            continue
        if t in columns:
            add(hr, c, f"列标题“{t}”重复（另见 {cell_name(hr, columns[t])}）", "请删除或改名重复的列")
        else:
            columns[t] = c
    wanted = [S_NAME, *(e.column for e in scheme.evaluators)]
    if scheme.star_mode == STAR_BY_DIMENSIONS:
        wanted += [dimension_column(d.name) for d in scheme.dimensions]
    width = max(columns.values(), default=-1) + 1
    for title in wanted:
        if title not in columns:
            add(hr, width, f"缺少列“{title}”", f"请在表头行加上“{title}”列（参数表中的评价主体名加“得分”）")
    if problems:
        return None, problems

    score_cols = {e.name: columns[e.column] for e in scheme.evaluators}
    dim_cols = {d.name: columns[dimension_column(d.name)] for d in scheme.dimensions} if scheme.star_mode == STAR_BY_DIMENSIONS else {}
    c_name = columns[S_NAME]
    c_no, c_kind, c_last, c_veto = (columns.get(t) for t in (S_NO, S_KIND, S_LAST, S_VETO))
    c_class = columns.get(scheme.class_input) if scheme.class_input else None
    checks = [(e.name, score_cols[e.name], False, Decimal(100)) for e in scheme.evaluators]
    checks += [(d.name, dim_cols[d.name], True, d.points) for d in scheme.dimensions if d.name in dim_cols]
    body = grid[hr + 1 :]

    narrowest = min(map(len, body), default=0)

    def column(c: int | None) -> list:
        if c is None:
            return [None] * len(body)
        if c < narrowest:  # the reader's grids are rectangular: take the column at C speed
            return list(map(itemgetter(c), body))
        return [line[c] if c < len(line) else None for line in body]

    def texts(values: list) -> list[str]:
        if set(map(type, values)) == {str}:
            return list(map(str.strip, values))
        return [v.strip() if type(v) is str else text(v) for v in values]

    # Text columns: error values (#REF! …) are reported, never read as text.
    text_cells = {c: column(c) for c in (c_name, c_kind, c_last, c_veto, c_class) if c is not None}
    cell_errors = {c: _errors(values) for c, values in text_cells.items()}
    names = texts(text_cells[c_name])
    numbers = column(c_no)
    kinds = [k or None for k in texts(text_cells[c_kind])] if c_kind is not None else [None] * len(body)
    lasts = texts(text_cells[c_last]) if c_last is not None else [""] * len(body)
    veto_cells = text_cells[c_veto] if c_veto is not None else [None] * len(body)
    classes = [k or None for k in texts(text_cells[c_class])] if c_class is not None else None
    class_words = set(scheme.star_class_map)
    # Score columns are converted column by column through a cache: a 汇总表 repeats
    # the same few thousand scores, and each distinct value is judged once.
    score_columns = [(key, c, is_dim, _scores(column(c), top, scheme)) for key, c, is_dim, top in checks]
    judged = [values for _, _, _, values in score_columns]
    if fast and not any(cell_errors.values()) and all(set(map(type, values)) == {Decimal} for values in judged):
        # Every score valid: the rows are kept as columns, zipped into dicts at C speed,
        # provided nothing else in them would be reported either.
        n = len(names)
        if (
            all(names)
            and len(set(names)) == n
            and set(lasts) <= _STAR_OR_BLANK
            and set(veto_cells) <= {None, ""}
            and (classes is None or set(classes) - {None} <= class_words)
        ):
            keys = [key for key, _, is_dim, _ in score_columns if not is_dim]
            dim_keys = [key for key, _, is_dim, _ in score_columns if is_dim]
            score_dicts = list(map(dict, map(zip, repeat(keys), zip(*[v for (_, _, is_dim, v) in score_columns if not is_dim]))))
            dim_dicts = list(map(dict, map(zip, repeat(dim_keys), zip(*[v for (_, _, is_dim, v) in score_columns if is_dim])))) if dim_keys else None
            kept = PlainRows(hr + 1, names, numbers, kinds, [ls or None for ls in lasts], score_dicts, dim_dicts, classes)
            return Summary(hr, columns, None, hr + n, width, kept), problems

    def cell_error(i: int, c: int | None, what: str) -> bool:
        """Report an error value in a text cell of row i; True when there was one."""
        err = cell_errors.get(c, {}).get(i) if c is not None else None
        if err is None:
            return False
        add(hr + 1 + i, c, f"{what}{err.describe()}", err.fix())
        return True

    veto_list = scheme.vetoes
    rows: list[SummaryRow] = []
    seen: dict[str, int] = {}
    last = hr
    for i, name in enumerate(names):
        r = hr + 1 + i
        if cell_error(i, c_name, "党组织名称"):
            continue
        if not name:
            if any(not is_blank(body[i][c]) for _, c, _, _ in score_columns if c < len(body[i])):
                add(r, c_name, "这一行有得分但没有党组织名称", "请填写党组织名称，或清空这一行")
            continue
        if name in seen:
            add(r, c_name, f"党组织名称“{name}”重复（另见 {cell_name(seen[name], c_name)}）", "每个党组织只能有一行，请删除重复行或改正名称")
            continue
        seen[name] = r
        last = r
        cell_error(i, c_kind, f"{name}的类别")
        ls = lasts[i]
        if cell_error(i, c_last, f"{name}的上年星级"):
            ls = ""
        elif ls and ls not in STARS:
            add(r, c_last, f"上年星级「{ls}」不是星级", f"请填写{'、'.join(STARS)}之一，没有请留空")
        star_class = classes[i] if classes is not None else None
        if cell_error(i, c_class, f"{name}的{scheme.class_input}"):
            star_class = None
        elif star_class is not None and star_class not in class_words:
            add(r, c_class, f"{scheme.class_input}「{star_class}」不是可选的等次", class_fix(scheme))
            star_class = None
        vetoes: tuple[str, ...] = ()
        v = veto_cells[i]
        if cell_error(i, c_veto, f"{name}的否决事项"):
            pass
        elif v is not None and v != "":
            raw = v.strip() if type(v) is str else text(v)
            if raw:
                vetoes, unknown = split_vetoes(raw, veto_list)
                if unknown:
                    add(r, c_veto, f"否决事项“{'、'.join(unknown)}”不在参数表的否决事项中", VETO_FIX)
        scores: dict[str, Decimal] = {}
        dims: dict[str, Decimal] = {}
        missing: dict[str, int] = {}
        for key, c, is_dim, values in score_columns:
            d = values[i]
            if type(d) is Decimal:
                (dims if is_dim else scores)[key] = d
            elif d is None:
                missing[key] = c
            else:
                raw_value, title = body[i][c], text(grid[hr][c])
                if isinstance(d, CellError):
                    add(r, c, f"{name}的{title}{d.describe()}", d.fix())
                elif d is _NOT_NUMBER:
                    add(r, c, f"{name}的{title}{not_a_number(raw_value)}", "请填写数字（文本格式的数字请把单元格设为“数值”后重新输入）")
                else:
                    top = d[0]
                    add(r, c, f"{name}的{title} {plain(as_number(raw_value))} 超出范围 0～{plain(top)}", f"请改为 0 到 {plain(top)} 之间的分数")
        rows.append(SummaryRow(r, name, numbers[i], kinds[i], ls or None, vetoes, scores, missing or _EMPTY, dims or _EMPTY, star_class))
    for row in rows:
        if row.name in form_names:
            continue
        for key, c in row.missing.items():
            add(row.row, c, f"{row.name}的{text(grid[hr][c])}未填写", "请填写得分，或为该党组织建一张量化评分表")
    if problems:
        return None, problems
    return Summary(hr, columns, rows, last, width), []


def _errors(values: list) -> dict[int, "CellError | DateInText"]:
    """Row index → error value, for the cells of a text column holding one; a date or time
    counts as one (Excel's reading of a name or star typed as "5-1" or "9:30")."""
    if not any(issubclass(t, CellError) or issubclass(t, DATE_TYPES) for t in set(map(type, values))):
        return {}
    return {i: (v if isinstance(v, CellError) else DateInText(v)) for i, v in enumerate(values) if isinstance(v, (CellError, *DATE_TYPES))}


class DateInText:
    """A date or time where text belongs, reported as an error value is."""

    def __init__(self, value: object) -> None:
        self.value = value

    def describe(self) -> str:
        return not_text(self.value)

    def fix(self) -> str:
        return not_text_fix(self.value)


_NOT_NUMBER = ("not a number",)
_STAR_OR_BLANK = {"", *STARS}
_EMPTY: Mapping = MappingProxyType({})  # shared by rows with nothing missing (read only)


def _scores(values: list, top: Decimal, scheme: Scheme) -> list:
    """Each cell as its shown Decimal, None when blank, _NOT_NUMBER, or (top,) when out of range."""
    out_of_range = (top,)
    zero = Decimal(0)

    def judge(v: object) -> object:
        if isinstance(v, CellError):
            return v
        if is_blank(v):
            return None
        d = as_number(v)
        if d is None:
            return _NOT_NUMBER
        if not zero <= d <= top:
            return out_of_range
        return shown(d, scheme)

    numeric = {float, int, bool, Decimal}
    types = set(map(type, values))
    # Key by the value itself unless equal values of different types would clash:
    # 1 == 1.0 == True, and the text "#N/A" == the error value #N/A.
    if len(types & numeric) <= 1 and not (str in types and any(issubclass(t, CellError) for t in types)):
        try:
            return list(map(Memo(judge).__getitem__, values))
        except TypeError:  # an unhashable value: never from a grid, but judge it anyway
            pass
    return [judge(v) for v in values]

