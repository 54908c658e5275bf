"""The two SHA-256 digests of a rating that 定星记录 keeps: 输入摘要 and 结果摘要.

Two digests, not one, so that a verifier (a roll-up, an auditor) can tell "the
inputs changed since this rating" from "a result was edited by hand". Both are
computable from the 汇总表 alone (plus the scheme in 参数): `summary_digests`
recomputes them from a rated 汇总表, exactly as `rate_book` computed them.

Canonical form (version 2):

* A value becomes text as follows. Blank (None, "", spaces only) → "". Text →
  stripped of surrounding blanks. A number (int, float or Decimal) → the IEEE
  double a cell holds, float(x), written as an integer without ".0" when it is
  whole (and below 10**15), else as Python's shortest round-trip repr, e.g.
  90, 90.0 and Decimal("90.00") → "90"; 94.7 and Decimal("94.70") → "94.7";
  -0.0 → "0". Booleans → "TRUE" / "FALSE". So the same book gives the same
  digest whichever shell read it (calamine's ints, xlwings' floats, the core's
  Decimals).
* The digest reads the 汇总表 column by column: each column's values, one per
  organization in 汇总表 row order, are joined by U+001F and the column ends
  with U+001E; all is encoded as UTF-8 after a first line naming the digest.
* 输入摘要 = SHA-256 of "starbook 输入摘要 v2\\n", the scheme's text (every field of
  the 参数 scheme, recursively, in declaration order: `scheme_text`), U+001E,
  then these columns: 党组织名称, 类别, each
  `<evaluator>得分` in the scheme's evaluator order, each `<dimension>得分` in
  the scheme's order (按维度达标 only), 上年星级, 否决事项 (the recognised veto
  names joined by "；", `scheme.VETO_SEPARATOR`, which no veto name holds, in the
  order given), then, only for a scheme with an input class bounding the star
  (服务型五星's 晋位升级等次), that class. Such a scheme's text has its class table;
  a scheme without one is written as before the class existed.
* 结果摘要 = SHA-256 of "starbook 结果摘要 v2\\n", then these columns:
  党组织名称 and the output columns the scheme has, in this order:
  综合得分, 等次, 初定星级, 星级, 调整说明, 审定机关, 升降, then 满意率,
  可评先进, 达标维度 when the scheme writes them (`sheets.summary.output_columns`
  without 数据来源).
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal

from .grid import Grid, cell_at
from .memo import Memo
from .rules.rating import OrgInput, Rating
from .scheme import STAR_BY_DIMENSIONS, VETO_SEPARATOR, Scheme
from .sheets import summary as S

INPUTS_HEAD = "starbook 输入摘要 v2\n"
RESULTS_HEAD = "starbook 结果摘要 v2\n"
_US, _RS = "\x1f", "\x1e"
_SLICE = 8192  # values hashed per update: no single string for a 100,000-row book


def canonical(value: object) -> str:
    """One cell value as the digests see it (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return _number(value)
    return str(value).strip()


def _number(value: int | float | Decimal) -> str:
    f = float(value)
    if not math.isfinite(f):
        return repr(f)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))  # also turns -0.0 into "0"
    return repr(f)


_TEXTS: dict[int, tuple[Scheme, str]] = {}  # the last few schemes' texts (a collect digests hundreds of books under one)


def scheme_text(scheme: Scheme) -> str:
    """Every rule of the scheme as canonical text, so the input digest covers 参数 too.

    A Scheme is frozen, and parse_params hands out one object per distinct 参数: its
    text is kept by identity (the object itself kept alongside, so the id stays its own)."""
    kept = _TEXTS.get(id(scheme))
    if kept is not None and kept[0] is scheme:
        return kept[1]
    if len(_TEXTS) >= 16:
        _TEXTS.clear()
    text = _scheme_text(scheme)
    _TEXTS[id(scheme)] = (scheme, text)
    return text


def _scheme_text(scheme: Scheme) -> str:
    out: list[str] = []

    def walk(v: object) -> None:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            out.append(type(v).__name__ + "(")
            for f in dataclasses.fields(v):
                if f.metadata.get("digest") is False:  # not a rule of the rating (e.g. who fills a part)
                    continue
                if f.metadata.get("digest") == "when set" and not getattr(v, f.name):
                    continue  # a newer, optional rule: older books' digests stay as they were
                out.append(f.name + "=")
                walk(getattr(v, f.name))
                out.append(";")
            out.append(")")
        elif isinstance(v, (tuple, list)):
            out.append("[")
            for item in v:
                walk(item)
                out.append(",")
            out.append("]")
        else:
            out.append(canonical(v))

    walk(scheme)
    return "".join(out)


def _hash(head: str, columns: Sequence[Sequence[object]]) -> str:
    """SHA-256 of the columns, each one's values joined by U+001F and ended by U+001E.

    A column of texts is taken as it is: the callers' texts are stripped already."""
    digest = hashlib.sha256(head.encode("utf-8"))
    text = Memo(canonical)
    for column in columns:
        for start in range(0, len(column), _SLICE):
            values = column[start : start + _SLICE]
            if set(map(type, values)) == {str}:  # names, stars, notes: already stripped where they come from
                texts = values
            else:  # numbers repeat: each distinct one is converted once
                texts = map(text.__getitem__, values)
            digest.update(((_US if start else "") + _US.join(texts)).encode("utf-8"))
        digest.update(_RS.encode("utf-8"))
    return digest.hexdigest()


def _joined(sep: str, tuples: Sequence[tuple[str, ...]]) -> list[str]:
    """Each tuple as one text; most are empty or repeat, so each distinct one is joined once."""
    return list(map(Memo(sep.join).__getitem__, tuples))


def _input_columns(scheme: Scheme, names, categories, scores, dims, lasts, vetoes, classes=()) -> list[Sequence[object]]:
    columns: list[Sequence[object]] = [names, categories]
    columns += [[s[e.name] for s in scores] for e in scheme.evaluators]
    if scheme.star_mode == STAR_BY_DIMENSIONS:
        columns += [[d[i] if i < len(d) else None for d in dims] for i in range(len(scheme.dimensions))]
    columns += [lasts, _joined(VETO_SEPARATOR, vetoes)]
    return columns + [classes] if scheme.star_class_map else columns


def input_digest(scheme: Scheme, orgs: Sequence[OrgInput]) -> str:
    """输入摘要: the rules and every organization's inputs, as rated."""
    columns = _input_columns(
        scheme,
        [o.name for o in orgs],
        [o.category for o in orgs],
        [o.scores for o in orgs],
        [o.dimension_scores for o in orgs],
        [o.last_star for o in orgs],
        [o.vetoes for o in orgs],
        [o.star_class for o in orgs],
    )
    return _hash(INPUTS_HEAD + scheme_text(scheme) + _RS, columns)


def result_titles(scheme: Scheme) -> list[str]:
    return [t for t in S.output_columns(scheme) if t != S.O_SOURCE]


def result_digest(scheme: Scheme, orgs: Sequence[OrgInput], rating: Rating) -> str:
    """结果摘要: every output column as 定星 writes it to the 汇总表."""
    of = rating.column
    values = {
        S.O_FINAL: of("final"),
        S.O_GRADE: of("grade"),
        S.O_BASE: of("base_star"),
        S.O_STAR: of("star"),
        S.O_NOTE: _joined("；", of("notes")),
        S.O_BODY: of("approving"),
        S.O_MOVE: of("movement"),
        S.O_SAT: [o.satisfaction for o in orgs],
        S.O_HONOR: of("honor"),
        S.O_REACHED: _joined("、", of("reached")),
    }
    return _hash(RESULTS_HEAD, [of("name"), *(values[t] for t in result_titles(scheme))])


def summary_digests(grid: Grid, scheme: Scheme, summary: "S.Summary | None" = None) -> tuple[str, str] | None:
    """(输入摘要, 结果摘要) recomputed from a rated 汇总表 alone; None when it cannot be read.

    `summary`, when the caller has parsed `grid` already, spares a second parse."""
    if summary is None:
        summary, _problems = S.parse_summary(grid, scheme)
    if summary is None:
        return None
    rows = summary.rows
    dim_names = [d.name for d in scheme.dimensions]
    inputs = _input_columns(
        scheme,
        [r.name for r in rows],
        [r.category for r in rows],
        [r.scores for r in rows],
        [tuple(r.dimension_scores[d] for d in dim_names if d in r.dimension_scores) for r in rows],
        [r.last_star for r in rows],
        [r.vetoes for r in rows],
        [r.star_class for r in rows],
    )
    outputs: list[Iterable[object]] = [[r.name for r in rows]]
    for title in result_titles(scheme):
        c = summary.columns.get(title)
        outputs.append([canonical(cell_at(grid, r.row, c)) if c is not None else "" for r in rows])
    return _hash(INPUTS_HEAD + scheme_text(scheme) + _RS, inputs), _hash(RESULTS_HEAD, outputs)
