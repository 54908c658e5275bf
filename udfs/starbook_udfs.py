"""Worksheet functions (xlwings UDFs) over the same core the 定星 button uses.

Every function has the prefix SB_ and calls the core function the command line
uses. Whatever a cell hands over (a value, a row, a block, an empty cell, an
error such as #N/A) the result is a value or a Chinese text starting with
"#错误：", never a traceback and never an error cell silently read as empty.
Register them with xlwings' ImportPythonUDFs (see README); the workbook's hidden
xlwings.conf sheet names this module under "UDF Modules".

Results of these functions depend on Python; the official results in the
汇总表 are written as values by 定星, so recipients never need Python.

The parameters carry no type hints on purpose: xlwings reads a UDF's hints as
converters. Each parameter is read as a 2-D block with Excel errors as their
text (see `udf`), and `udfs.cells` checks its shape.
"""
from __future__ import annotations

import inspect
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from functools import wraps

import xlwings as xw

from starbook.grid import is_blank, text
from starbook.numbers import parse_percent, percent_text, plain
from starbook.presets import find_preset
from starbook.problems import errors
from starbook.rules.grading import grade_for, star_for
from starbook.rules.rating import OrgInput, rate_organizations
from starbook.rules.scoring import dimension_subtotal, final_score, shown, vote_score
from starbook.scheme import STAR_BY_DIMENSIONS, STARS, Evaluator, Grade, Scheme, StarRule, class_fix, split_vetoes
from starbook.sheets.params import parse_params

from udfs.cells import ERROR_PREFIX, UdfError, cell_count, grid, line, number, refuse_error, refuse_errors, single

DEFAULT = "fenlei"
HUNDRED = Decimal(100)


def udf(func):
    """An xlwings worksheet function that never fails in a cell.

    Every argument arrives as a 2-D block (ndim=2: no shape makes xlwings raise)
    with error cells as their text (err_to_str: #N/A is not read as empty); the
    result is returned as it is, so a list of rows spills as a native dynamic array.
    """

    @wraps(func)
    def run(*args):
        try:
            return func(*args)
        except UdfError as exc:
            return f"{ERROR_PREFIX}{exc}"
        except Exception:  # never a traceback in a cell
            return f"{ERROR_PREFIX}参数无法计算，请检查引用的单元格"

    for name in inspect.signature(func).parameters:
        run = xw.arg(name, ndim=2, err_to_str=True)(run)
    return xw.func(run)


def _scheme(value) -> Scheme:
    """A preset by name (分类定级 when empty), or the workbook's own 参数 sheet
    given as a range from its A1 (=参数!A1:F200), read by the parser 定星 uses."""
    rows = grid(value)
    if cell_count(rows) > 1:
        scheme, problems = parse_params(rows)
        bad = errors(problems)
        if scheme is None or bad:
            p = (bad or problems)[0]
            raise UdfError(f"参数表{p.cell}：{p.message}。{p.fix}" if p.cell else f"参数表：{p.message}。{p.fix}")
        return scheme
    name = single(value, "方案")
    if is_blank(name):
        name = DEFAULT
    scheme = find_preset(text(name))
    if scheme is None:
        raise UdfError(f"没有名为“{text(name)}”的方案，请填写方案名（如 分类定级）或引用参数表 A1:F200")
    return scheme


def _count(value, what: str) -> int:
    n = number(single(value, what), what)
    if n != n.to_integral_value():
        raise UdfError(f"{what} {plain(n)} 不是整数")
    return int(n)


@udf
def SB_SUBTOTAL(items, points, scheme=None):
    """维度小计：各项得分之和，不超过维度分值，按方案舍入。=SB_SUBTOTAL(G8:G9, B8)"""
    values = line(items, "得分区域")
    pts = number(single(points, "维度分值"), "维度分值")
    scores = []
    for k, v in enumerate(values, 1):
        if not is_blank(v):
            scores.append(number(v, f"得分区域第{k}项", high=pts))
    return float(dimension_subtotal(scores, pts, _scheme(scheme)))


@udf
def SB_VOTESCORE(good, fair, average, poor, scheme=None):
    """党员群众测评得分 = 100×好票率 + 60×较好票率 + 30×一般票率 + 10×较差票率。=SB_VOTESCORE(B39, B40, B41, B42)"""
    s = _scheme(scheme)
    counts = {name: _count(v, f"“{name}”票数") for (name, _), v in zip(s.vote_options, (good, fair, average, poor))}
    if sum(counts.values()) == 0:
        raise UdfError("没有有效票")
    return float(vote_score(counts, s))


@udf
def SB_FINAL(scores, weights, scheme=None):
    """综合得分 = Σ 权重 × 各方得分（权重合计须为100%），按方案舍入。=SB_FINAL(D4:F4, 参数!B31:B33)"""
    s = _scheme(scheme)
    values = [shown(number(v, f"得分第{k}项", high=HUNDRED), s) for k, v in enumerate(line(scores, "得分"), 1)]
    ws = [_weight(w, f"权重第{k}项") for k, w in enumerate(line(weights, "权重"), 1)]
    if len(ws) != len(values):
        raise UdfError(f"得分 {len(values)} 个，权重 {len(ws)} 个，个数不一致")
    if sum(ws) != 1:
        raise UdfError(f"权重合计为{percent_text(sum(ws))}，不等于100%")
    evaluators = tuple(Evaluator(f"e{i}", w, "直接录入") for i, w in enumerate(ws))
    return float(final_score({e.name: v for e, v in zip(evaluators, values)}, evaluators, s))


def _weight(value, what: str) -> Decimal:
    """A weight as the 参数 sheet takes it (0.3, 30 or "30%"), between 0% and 100%."""
    refuse_error(value, what)
    if is_blank(value):
        raise UdfError(f"{what}未填写")
    try:
        w = parse_percent(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise UdfError(f"{what}「{value}」不是百分比") from exc
    if not Decimal(0) <= w <= Decimal(1):
        raise UdfError(f"{what}为{percent_text(w)}，超出 0%～100%")
    return w


def _table(value, what: str, first: str) -> list[list]:
    """The rows of a 参数 table, without its title row and blank rows."""
    rows = grid(value)
    refuse_errors(rows, what)
    if rows and rows[0] and text(rows[0][0]) == first:
        rows = rows[1:]
    return [row for row in rows if row and not is_blank(row[0])]


@udf
def SB_GRADE(score, table):
    """按等次表（等次、最低分，含下限）给出等次。=SB_GRADE(I4, 参数!A38:B41)"""
    rows = _table(table, "等次表", "等次")
    if not rows or any(len(r) < 2 for r in rows):
        raise UdfError("等次表应为两列：等次、最低分")
    grades = tuple(Grade(text(r[0]), number(r[1], f"等次“{text(r[0])}”的最低分", high=HUNDRED)) for r in rows)
    s = replace(_scheme(None), grades=grades)
    final = number(single(score, "综合得分"), "综合得分", high=HUNDRED)
    grade = grade_for(final, s)
    if grade is None:
        raise UdfError(f"综合得分 {plain(final)} 低于等次表中所有最低分，请在等次表中加一行最低分为 0 的等次")
    return grade


@udf
def SB_STAR(score, table, grade=None):
    """按星级表（星级、最低分[、对应等次]）给出初定星级。=SB_STAR(I4, 参数!A45:C49, J4)"""
    rows = _table(table, "星级表", "星级")
    if not rows or any(len(r) < 2 for r in rows):
        raise UdfError("星级表应为两列或三列：星级、最低分、对应等次")
    rules = []
    for r in rows:
        star = text(r[0])
        if star not in STARS:
            raise UdfError(f"星级表中的“{star}”不是星级，请填写{'、'.join(STARS)}之一")
        needs = text(r[2]) if len(r) > 2 else ""
        rules.append(StarRule(star, number(r[1], f"{star}的最低分", high=HUNDRED), needs or None))
    s = replace(_scheme(None), star_rules=tuple(rules))
    final = number(single(score, "综合得分"), "综合得分", high=HUNDRED)
    return star_for(final, text(single(grade, "等次")) or None, s)


@udf
def SB_QUOTASTARS(scores, vetoes=None, scheme=None, classes=None):
    """整列党组织的星级，与“定星”写入汇总表“星级”列的相同：由各方得分经等次、
    限定星级的等次（服务型五星的晋位升级等次）、否决事项和名额（五星级上限、较差比例、平局待定）得出，动态数组。
    =SB_QUOTASTARS(D4:F15, H4:H15, 参数!A1:F200)
    服务型五星（第四个参数为晋位升级等次列）：=SB_QUOTASTARS(D4:F15, I4:I15, 参数!A1:F200, H4:H15)
    各方得分为汇总表中各评价主体得分列（按参数表评价主体的顺序）；否决事项可省略；
    方案为参数表（从 A1 起）或方案名，省略为“分类定级”；等次为汇总表中限定星级的一列
    （服务型五星：晋位升级等次），省略时不限定，与“定星”对未填写的党组织相同。"""
    s = _scheme(scheme)
    if s.star_mode == STAR_BY_DIMENSIONS:
        raise UdfError(f"方案“{s.preset}”按维度达标定星，本函数不适用，请点击“定星”")
    rows = grid(scores)
    if not cell_count(rows):
        raise UdfError("各方得分没有内容，请选中汇总表中各评价主体得分列")
    refuse_errors(rows, "各方得分")
    titles = "、".join(e.column for e in s.evaluators)
    if any(len(r) != len(s.evaluators) for r in rows):
        raise UdfError(f"各方得分应为 {len(s.evaluators)} 列（{titles}），收到 {len(max(rows, key=len))} 列")
    hits = _vetoes(vetoes, len(rows), s)
    bounds = _classes(classes, len(rows), s)
    orgs, used = [], []
    for i, row in enumerate(rows):
        if all(is_blank(v) for v in row):
            continue  # a blank row of the 汇总表 gets a blank star
        org_scores = {e.name: shown(number(v, f"第{i + 1}行{e.column}", high=HUNDRED), s) for e, v in zip(s.evaluators, row)}
        orgs.append(OrgInput(f"第{i + 1}行", org_scores, vetoes=hits[i], star_class=bounds[i]))
        used.append(i)
    stars = [""] * len(rows)
    for i, star in zip(used, rate_organizations(s, orgs).column("star")):
        stars[i] = star
    return [[star] for star in stars]


def _vetoes(value, n: int, scheme: Scheme) -> list[tuple[str, ...]]:
    """Each row's 否决事项 as the 汇总表 parser splits them; none when omitted."""
    if value is None:
        return [()] * n
    values = line(value, "否决事项")
    if len(values) != n:
        raise UdfError(f"否决事项有 {len(values)} 行，各方得分有 {n} 行，行数应相同")
    out = []
    for i, v in enumerate(values):
        names, unknown = split_vetoes(text(v), scheme.vetoes)
        if unknown:
            raise UdfError(f"第{i + 1}行否决事项“{'、'.join(unknown)}”不在参数表的否决事项中，请使用参数表“否决事项”表中的名称")
        out.append(names)
    return out


def _classes(value, n: int, scheme: Scheme) -> list[str | None]:
    """Each row's input class (服务型五星: 晋位升级等次) as the 汇总表 parser reads it; none when omitted."""
    if value is None or is_blank(value):
        return [None] * n
    if not scheme.class_input:
        raise UdfError(f"方案“{scheme.preset}”没有限定星级的等次，请省略第四个参数")
    values = line(value, scheme.class_input)
    if len(values) != n:
        raise UdfError(f"{scheme.class_input}有 {len(values)} 行，各方得分有 {n} 行，行数应相同")
    out: list[str | None] = []
    for i, v in enumerate(values):
        word = text(v) or None
        if word is not None and word not in scheme.star_class_map:
            raise UdfError(f"第{i + 1}行{scheme.class_input}「{word}」不是可选的等次。{class_fix(scheme)}")
        out.append(word)
    return out
