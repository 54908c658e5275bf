"""Worksheet functions (xlwings UDFs) over the same core the 定星 button uses.

Every function has the prefix SB_ and calls the core function the command line
uses. A bad argument returns a readable Chinese text starting with "#错误：",
never a traceback. Register them with xlwings' ImportPythonUDFs (see README);
the workbook's hidden xlwings.conf sheet names this module under "UDF Modules".

Results of these functions depend on Python; the official results in the
汇总表 are written as values by 定星, so recipients never need Python.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from functools import wraps

import xlwings as xw

from starbook.numbers import parse_percent, to_decimal
from starbook.presets import find_preset
from starbook.rules.grading import grade_for, star_for
from starbook.rules.rating import OrgInput, rate_organizations
from starbook.rules.scoring import dimension_subtotal, final_score, vote_score
from starbook.scheme import STARS, Evaluator, Grade, Scheme, StarRule

DEFAULT = "fenlei"


class UdfError(ValueError):
    pass


def _safe(func):
    @wraps(func)
    def run(*args):
        try:
            return func(*args)
        except UdfError as exc:
            return f"#错误：{exc}"
        except Exception:  # never a traceback in a cell
            return "#错误：参数无法计算，请检查引用的单元格"

    return run


def _number(value, what: str, low=Decimal(0), high: Decimal | None = None) -> Decimal:
    if value is None or value == "":
        raise UdfError(f"{what}为空")
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise UdfError(f"{what}「{value}」不是数字")
    d = to_decimal(value)
    if d < low or (high is not None and d > high):
        raise UdfError(f"{what} {value} 超出范围 {low}～{high if high is not None else ''}")
    return d


def _flat(values) -> list:
    if not isinstance(values, list):
        return [values]
    out = []
    for v in values:
        out += _flat(v)
    return out


def _scheme(name) -> Scheme:
    scheme = find_preset(str(name) if name not in (None, "") else DEFAULT)
    if scheme is None:
        raise UdfError(f"没有名为“{name}”的方案")
    return scheme


@xw.func
@xw.arg("items", ndim=1)
@_safe
def SB_SUBTOTAL(items, points, scheme=None):
    """维度小计：各项得分之和，不超过维度分值，按方案舍入。=SB_SUBTOTAL(G8:G9, B8)"""
    pts = _number(points, "维度分值")
    scores = [_number(v, "得分", high=pts) for v in _flat(items) if v not in (None, "")]
    return float(dimension_subtotal(scores, pts, _scheme(scheme)))


@xw.func
@_safe
def SB_VOTESCORE(good, fair, average, poor, scheme=None):
    """党员群众测评得分 = 100×好票率 + 60×较好票率 + 30×一般票率 + 10×较差票率。=SB_VOTESCORE(B39,B40,B41,B42)"""
    s = _scheme(scheme)
    counts = {}
    for (name, _), v in zip(s.vote_options, (good, fair, average, poor)):
        n = _number(v, f"“{name}”票数")
        if n != n.to_integral_value():
            raise UdfError(f"“{name}”票数应为整数")
        counts[name] = int(n)
    if sum(counts.values()) == 0:
        raise UdfError("没有有效票")
    return float(vote_score(counts, s))


@xw.func
@xw.arg("scores", ndim=1)
@xw.arg("weights", ndim=1)
@_safe
def SB_FINAL(scores, weights, scheme=None):
    """综合得分 = Σ 权重 × 各方得分（权重合计须为100%），按方案舍入。=SB_FINAL(D4:F4, {0.5,0.3,0.2})"""
    values = [_number(v, "得分", high=Decimal(100)) for v in _flat(scores)]
    try:
        ws = [parse_percent(w) for w in _flat(weights)]
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise UdfError("权重应为百分比") from exc
    if len(ws) != len(values):
        raise UdfError(f"得分 {len(values)} 个，权重 {len(ws)} 个，个数不一致")
    if sum(ws) != 1:
        raise UdfError(f"权重合计为 {float(sum(ws)) * 100:g}%，不等于100%")
    evaluators = tuple(Evaluator(f"e{i}", w, "直接录入") for i, w in enumerate(ws))
    return float(final_score({e.name: v for e, v in zip(evaluators, values)}, evaluators, _scheme(scheme)))


def _grades(table) -> tuple[Grade, ...]:
    rows = table if isinstance(table, list) and table and isinstance(table[0], list) else None
    if not rows or len(rows[0]) < 2:
        raise UdfError("等次表应为两列：等次、最低分")
    return tuple(Grade(str(r[0]), _number(r[1], f"“{r[0]}”的最低分", high=Decimal(100))) for r in rows if r[0] not in (None, ""))


@xw.func
@xw.arg("table", ndim=2)
@_safe
def SB_GRADE(score, table):
    """按分数线表（等次、最低分，含下限）给出等次。=SB_GRADE(J4, 参数!A20:B23)"""
    s = replace(_scheme(None), grades=_grades(table))
    return grade_for(_number(score, "综合得分", high=Decimal(100)), s) or ""


@xw.func
@xw.arg("table", ndim=2)
@_safe
def SB_STAR(score, table, grade=None):
    """按星级表（星级、最低分[、对应等次]）给出初定星级。=SB_STAR(J4, 参数!A26:C30, K4)"""
    if not isinstance(table, list) or not table or len(table[0]) < 2:
        raise UdfError("星级表应为两列或三列：星级、最低分、对应等次")
    rules = []
    for r in table:
        if r[0] in (None, ""):
            continue
        if r[0] not in STARS:
            raise UdfError(f"“{r[0]}”不是星级")
        rules.append(StarRule(r[0], _number(r[1], f"{r[0]}的最低分", high=Decimal(100)), (r[2] or None) if len(r) > 2 else None))
    s = replace(_scheme(None), star_rules=tuple(rules))
    return star_for(_number(score, "综合得分", high=Decimal(100)), grade or None, s)


@xw.func
@xw.arg("finals", ndim=1)
@xw.arg("ties", ndim=2)
@xw.ret(expand="table", transpose=True)
@_safe
def SB_QUOTASTARS(finals, ties=None, scheme=None):
    """整列综合得分执行名额（较差比例、五星级上限、平局待定）后的星级，动态数组。
    =SB_QUOTASTARS(J4:J15, D4:E15, "分类定级")  —— ties 为按平局比较顺序排列的各方得分列。"""
    s = _scheme(scheme)
    values = [_number(v, "综合得分", high=Decimal(100)) for v in _flat(finals)]
    tie_rows = ties if isinstance(ties, list) and ties and isinstance(ties[0], list) else [[] for _ in values]
    if len(tie_rows) != len(values):
        raise UdfError("平局比较列的行数与综合得分不一致")
    width = len(tie_rows[0])
    evaluators = (Evaluator("综合得分", Decimal(1), "直接录入"),) + tuple(
        Evaluator(f"平局{i + 1}", Decimal(0), "直接录入", i + 1) for i in range(width)
    )
    local = replace(s, evaluators=evaluators)
    orgs = []
    for i, (final, row) in enumerate(zip(values, tie_rows)):
        scores = {"综合得分": final}
        scores.update({f"平局{k + 1}": _number(v, "平局比较得分", high=Decimal(100)) for k, v in enumerate(row)})
        orgs.append(OrgInput(f"第{i + 1}行", scores))
    return [[r.star for r in rate_organizations(local, orgs).results]]
