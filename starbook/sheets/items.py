"""The 评分细则: the items of the 量化评分表 per 类别, as the 组织部 issues them.

Seed 001 asks for separate standards per kind of organization ("针对农村、城市社区、
非公企业…共7类…分别…设定分值和评分要点"), so a form is built from the items of its
organization's 类别 and a 机关 branch never gets village items. The same parser
reads the workbook's own `评分细则` sheet and a 组织部's table loaded from a file:
one row per item, columns found by their titles in any order. A blank 类别 or 维度
continues the one above (merged cells in a 组织部's table read that way).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..grid import CellError, Grid, as_number, cell_at, cell_name, find_header, is_blank, shown_value, text
from ..numbers import plain
from ..problems import ERROR, Problem, WARNING
from ..scheme import Dimension, Item, Scheme
from .forms import CATEGORIES

SHEET = "评分细则"
GENERAL = "通用"  # items for every 类别 that has none of its own
KIND, DIM, DIM_POINTS, CONTENT, STANDARD, POINTS, SOURCE = "类别", "维度", "维度分值", "评分内容", "评分标准", "分值", "来源"
COLUMNS = (KIND, DIM, DIM_POINTS, CONTENT, STANDARD, POINTS, SOURCE)
REQUIRED = (KIND, DIM, CONTENT, POINTS)
EXAMPLE = "预设示例"
HEADER_ROWS = 30  # a 组织部's table may open with a title and notes


@dataclass(frozen=True)
class ItemTable:
    """Dimensions with their items per 类别 (GENERAL for all), and where each 类别's items came from."""

    kinds: dict[str, tuple[Dimension, ...]]
    sources: dict[str, str] = field(default_factory=dict)

    def for_kind(self, kind: str | None) -> tuple[Dimension, ...] | None:
        """The items a form of this 类别 is built from: its own, else the 通用 ones."""
        if kind and kind in self.kinds:
            return self.kinds[kind]
        return self.kinds.get(GENERAL)

    def is_example(self, kind: str | None) -> bool:
        key = kind if kind and kind in self.kinds else GENERAL
        return self.sources.get(key) == EXAMPLE


def preset_items(scheme: Scheme) -> ItemTable:
    """The preset's own items, for every 类别 and marked as examples until the 组织部's replace them."""
    return ItemTable({GENERAL: scheme.dimensions}, {GENERAL: EXAMPLE})


def rows_of(table: ItemTable) -> list[tuple[str, str, Decimal, str, str, Decimal, str]]:
    """The sheet's rows, one per item, in the order of COLUMNS."""
    return [
        (kind, d.name, d.points, it.content, it.standard, it.points, table.sources.get(kind, ""))
        for kind, dims in table.kinds.items()
        for d in dims
        for it in d.items
    ]


def same_items(a: tuple[Dimension, ...], b: tuple[Dimension, ...]) -> str | None:
    """None when two item lists agree in dimensions, points and item texts; else the first difference."""
    for i in range(max(len(a), len(b))):
        if i >= len(a):
            return f"缺少维度“{b[i].name}”"
        if i >= len(b):
            return f"多出维度“{a[i].name}”"
        da, db = a[i], b[i]
        if da.name != db.name:
            return f"第{i + 1}个维度是“{da.name}”，评分细则为“{db.name}”"
        if da.points != db.points:
            return f"维度“{da.name}”分值为 {plain(da.points)}，评分细则为 {plain(db.points)}"
        for k in range(max(len(da.items), len(db.items))):
            if k >= len(da.items):
                return f"维度“{da.name}”缺少评分项“{db.items[k].content}”"
            if k >= len(db.items):
                return f"维度“{da.name}”多出评分项“{da.items[k].content}”"
            ia, ib = da.items[k], db.items[k]
            if ia.content != ib.content:
                return f"维度“{da.name}”第{k + 1}项为“{ia.content}”，评分细则为“{ib.content}”"
            if ia.points != ib.points:
                return f"评分项“{ia.content}”分值为 {plain(ia.points)}，评分细则为 {plain(ib.points)}"
    return None


class _Reader:
    def __init__(self, sheet: str, grid: Grid) -> None:
        self.sheet, self.grid = sheet, grid
        self.problems: list[Problem] = []

    def add(self, r: int, c: int, message: str, fix: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(self.sheet, cell_name(r, c) if r >= 0 else "", message, fix, severity))

    def number(self, r: int, c: int, what: str) -> Decimal | None:
        v = cell_at(self.grid, r, c)
        if isinstance(v, CellError):
            self.add(r, c, f"{what}{v.describe()}", v.fix())
            return None
        d = as_number(v)
        if d is None:
            self.add(r, c, f"{what}「{shown_value(v)}」不是数字", "请填写数字分值（单元格设为“数值”格式）")
            return None
        if d <= 0:
            self.add(r, c, f"{what} {plain(d)} 应大于 0", "请填写该项的满分")
            return None
        return d


def parse_items(grid: Grid, sheet: str = SHEET) -> tuple[ItemTable | None, list[Problem]]:
    """The table on one sheet, or its problems (each with sheet, cell and fix)."""
    rd = _Reader(sheet, grid)
    header = find_header(grid, *REQUIRED, max_rows=HEADER_ROWS)
    if header is None:
        found = find_header(grid, KIND, max_rows=HEADER_ROWS) or find_header(grid, CONTENT, max_rows=HEADER_ROWS)
        titles = set(found[1]) if found else set()
        missing = [t for t in REQUIRED if t not in titles]
        rd.add(found[0] if found else -1, 0, f"找不到评分细则的表头（缺少：{'、'.join(missing)}）",
               f"请在表头一行写明 {'、'.join(COLUMNS[:-1])} 各列（顺序不限，{DIM_POINTS}、{STANDARD}可省略）")
        return None, rd.problems
    hr, cols = header
    c_kind, c_dim, c_content, c_points = (cols[t] for t in REQUIRED)
    c_dp, c_std, c_src = cols.get(DIM_POINTS), cols.get(STANDARD), cols.get(SOURCE)
    # 类别 → [(dimension, points or None, first row, [(item, row)])]
    table: dict[str, list[list]] = {}
    first_row: dict[str, int] = {}
    sources: dict[str, str] = {}
    seen_rows: dict[str, int] = {}  # item rows per 类别, valid or not
    left: set[str] = set()
    kind = dim = ""
    used = [c for c in (c_kind, c_dim, c_content, c_points, c_dp, c_std) if c is not None]
    for r in range(hr + 1, len(grid)):
        if all(is_blank(cell_at(grid, r, c)) for c in used):
            continue
        new_kind = text(cell_at(grid, r, c_kind))
        if new_kind and new_kind != kind:
            if new_kind not in (*CATEGORIES, GENERAL):
                rd.add(r, c_kind, f"类别「{new_kind}」不是规定的七类之一",
                       f"请改为{'、'.join(CATEGORIES)}之一，适用于所有类别的评分项填“{GENERAL}”")
            if kind:
                left.add(kind)
            kind, dim = new_kind, ""
            if kind in left:
                rd.add(r, c_kind, f"类别“{kind}”的评分项分在几处", "同一类别的评分项请连续排列")
            first_row.setdefault(kind, r)
            table.setdefault(kind, [])
        if not kind:
            rd.add(r, c_kind, "类别未填写", f"请填写{'、'.join(CATEGORIES)}之一，或“{GENERAL}”")
            kind = "?"
            first_row.setdefault(kind, r)
            table.setdefault(kind, [])
        if c_src is not None and text(cell_at(grid, r, c_src)):
            sources.setdefault(kind, text(cell_at(grid, r, c_src)))
        new_dim = text(cell_at(grid, r, c_dim))
        dims = table[kind]
        if new_dim and new_dim != dim:
            if any(d[0] == new_dim for d in dims):
                rd.add(r, c_dim, f"类别“{kind}”的维度“{new_dim}”重复出现", "同一维度的各项请连续排列")
            dim = new_dim
            dims.append([dim, None, r, [], 0])
        elif not dim:
            if not is_blank(cell_at(grid, r, c_content)) or not is_blank(cell_at(grid, r, c_points)):
                rd.add(r, c_dim, "维度未填写", "请填写该项所属的维度（如“党组织带头人”）")
            continue
        current = dims[-1]
        if c_dp is not None and not is_blank(cell_at(grid, r, c_dp)):
            dp = rd.number(r, c_dp, f"维度“{dim}”的维度分值")
            if dp is not None:
                if current[1] is not None and current[1] != dp:
                    rd.add(r, c_dp, f"维度“{dim}”的维度分值前后不一（{plain(current[1])} 和 {plain(dp)}）", "同一维度各行的维度分值请填同一个数")
                current[1] = dp
        content = text(cell_at(grid, r, c_content))
        raw_points = cell_at(grid, r, c_points)
        if not content and is_blank(raw_points) and (c_std is None or is_blank(cell_at(grid, r, c_std))):
            continue  # a dimension's heading row (its name and points only)
        seen_rows[kind] = seen_rows.get(kind, 0) + 1
        current[4] += 1
        if not content:
            rd.add(r, c_content, f"评分内容未填写（类别“{kind}”维度“{dim}”）", "请填写该项的评分内容，或删除这一行")
        if is_blank(raw_points):
            rd.add(r, c_points, f"评分项“{content or '（空）'}”的分值未填写", "请填写该项的满分")
            points = None
        else:
            points = rd.number(r, c_points, f"评分项“{content or '（空）'}”的分值")
        standard = text(cell_at(grid, r, c_std)) if c_std is not None else ""
        if content and points is not None:
            current[3].append((Item(content, standard, points), r))
    if not table:
        rd.add(hr, c_kind, "评分细则中没有任何评分项", "请在表头下逐行填写类别、维度、评分内容、评分标准、分值")
        return None, rd.problems
    for kind, dims in table.items():
        if kind == "?":
            continue
        items = [it for d in dims for it in d[3]]
        if not seen_rows.get(kind):
            rd.add(first_row[kind], c_kind, f"类别“{kind}”没有评分项", f"请为“{kind}”逐行填写评分内容和分值，或删除这一类别的行")
            continue
        for name, dp, r0, its, raw in dims:
            total = sum((it.points for it, _ in its), Decimal(0))
            if not raw:
                rd.add(r0, c_dim, f"类别“{kind}”的维度“{name}”没有评分项", "请在这一维度下填写评分内容和分值，或删除这一行")
            elif dp is not None and len(its) == raw and total != dp:
                rd.add(r0, c_dp if c_dp is not None else c_points,
                       f"类别“{kind}”维度“{name}”各项分值合计 {plain(total)}，不等于维度分值 {plain(dp)}",
                       "请调整各项分值或维度分值，使两者相等")
        sum_dims = sum(((dp if dp is not None else sum((it.points for it, _ in its), Decimal(0))) for _, dp, _, its, _ in dims), Decimal(0))
        if items and not any(len(d[3]) != d[4] for d in dims) and sum_dims != 100:
            rd.add(first_row[kind], c_dp if c_dp is not None else c_points,
                   f"类别“{kind}”各维度分值合计 {plain(sum_dims)}，不是 100", "量化评分表为百分制，请调整分值使合计为 100")
    if any(p.severity == ERROR for p in rd.problems):
        return None, rd.problems
    kinds = {
        kind: tuple(Dimension(name, dp if dp is not None else sum((it.points for it, _ in its), Decimal(0)), tuple(it for it, _ in its))
                    for name, dp, _, its, _ in dims)
        for kind, dims in table.items()
    }
    if GENERAL not in kinds:
        missing = [k for k in CATEGORIES if k not in kinds]
        if missing:
            rd.add(hr, c_kind, f"评分细则没有{'、'.join(missing)}的评分项，也没有“{GENERAL}”评分项：这些类别的党组织生成不了评分表",
                   f"需要时请补上这些类别的评分项，或加一组类别为“{GENERAL}”的评分项", WARNING)
    return ItemTable(kinds, sources), rd.problems


def find_items_sheet(grids: dict[str, Grid]) -> tuple[str, Grid] | None:
    """The sheet holding the table in a 组织部's file: the one named 评分细则, else the first with the titles."""
    if SHEET in grids:
        return SHEET, grids[SHEET]
    for name, grid in grids.items():
        if find_header(grid, *REQUIRED, max_rows=HEADER_ROWS) is not None:
            return name, grid
    return None


def check_forms(grid: Grid, forms: list) -> list[Problem]:
    """The workbook's 评分细则, and a 提示 for each form whose items differ from those of its 类别.

    A difference is reported, not refused: the scores are what the evaluators gave for the
    items printed on that form, and a level may add its own (遵义 "5+2+x"); the committee decides.
    """
    table, problems = parse_items(grid)
    problems = [p for p in problems if p.severity == ERROR]  # missing 类别 are reported per form below
    if table is None:
        return problems
    for form in forms:
        if not form.items:
            continue
        expected = table.for_kind(form.category)
        kind = form.category or GENERAL
        if expected is None and not form.category:
            problems.append(Problem(form.sheet, form.items_cell, f"这张评分表没有填写类别，“{SHEET}”表中也没有“{GENERAL}”评分项，无法核对评分项",
                                    "请填写本表的类别", WARNING))
            continue
        if expected is None:
            problems.append(Problem(form.sheet, form.items_cell, f"“{SHEET}”表中没有类别“{kind}”的评分项，也没有“{GENERAL}”评分项，无法核对这张评分表",
                                    f"请在“{SHEET}”表中补上“{kind}”的评分项（或点击“导入评分细则”）", WARNING))
            continue
        diff = same_items(form.items, expected)
        if diff is not None:
            own = kind if form.category in table.kinds else GENERAL
            problems.append(Problem(form.sheet, form.items_cell, f"评分项与“{SHEET}”表类别“{own}”的评分项不一致：{diff}",
                                    f"请核对本表的类别和“{SHEET}”表，按评分细则改正本表的评分项（还没有填写的工作簿可用 starbook forms 重新生成评分表）", WARNING))
    return problems


def check_scheme(table: ItemTable, scheme: Scheme) -> list[Problem]:
    """Where stars go by dimensions (五星创建), every 类别's dimensions must be the scheme's."""
    from ..scheme import STAR_BY_DIMENSIONS

    if scheme.star_mode != STAR_BY_DIMENSIONS:
        return []
    wanted = [d.name for d in scheme.dimensions]
    return [
        Problem(SHEET, "", f"类别“{kind}”的维度（{'、'.join(d.name for d in dims)}）与方案的达标维度（{'、'.join(wanted)}）不一致",
                "按维度达标定星时，每一类评分项的维度须与参数表“达标维度”相同")
        for kind, dims in table.kinds.items()
        if [d.name for d in dims] != wanted
    ]


def form_of_kind(grids: dict[str, Grid], table: ItemTable, kind: str | None) -> str | None:
    """A form of the book listing exactly the items a form of this 类别 is built from (its own, else
    通用), the last such; None when there is none. 新增评分表 copies it: Excel copies a sheet as
    it is, so only a form built from the same items gives a form of that 类别."""
    from . import forms as F

    found = None
    for sheet in F.form_sheets(list(grids)):
        if fits_kind(grids[sheet], table, kind):
            found = sheet
    return found


def fits_kind(grid: Grid, table: ItemTable, kind: str | None) -> bool:
    """Whether a form lists exactly the items a form of 类别 `kind` is built from."""
    from . import forms as F

    expected = table.for_kind(kind)
    if expected is None:
        return False
    listed = F.listed_items(grid)
    return listed is not None and same_items(listed, expected) is None
