"""--rerate: the collector's scheme and quotas applied across every collected organization.

For a committee that rates county-wide (a 机关工委, a county that pools its quotas):
the roll-up's 汇总表, as the collect leaves it, is rated by the one path
`rate_book` under the roll-up's own 参数; its edits follow the collect's, so
results, 调整说明 (the quotas' reasons), 整改名单, 定星统计 and 定星记录 are the
roll-up's own. Each organization whose star changes from its committee's
decision is reported.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ..edits import Edit
from ..grid import Grid, Value, text
from ..ratebook import rate_book
from ..scheme import Scheme
from ..sheets import forms as F
from ..sheets import summary as S
from ..shell import os_user
from .findings import WARNING, Finding


def rerate_edits(grids: Mapping[str, Grid], scheme: Scheme, hr: int, titles: Sequence[str], rows: Sequence[Sequence[Value]],
                 out_name: str) -> tuple[list[Edit], list[Finding], list[tuple[str, str, str, str]], list[dict] | None]:
    """(edits, findings, [(上报单位, 党组织名称, decided star, re-rated star)], the re-rated rows for the reports)."""
    summary = [list(r) for r in grids[S.SHEET][:hr]] + [list(titles)] + [list(r) for r in rows]
    book = {name: g for name, g in grids.items() if not F.is_form(name)}
    book[S.SHEET] = summary
    outcome = rate_book(book, now=datetime.now(), user=os_user())
    if not outcome.ok:
        found = [Finding(out_name, p.sheet, p.cell, p.message, p.fix, p.severity) for p in outcome.problems]
        found.append(Finding(out_name, S.SHEET, "", "汇总后的党组织不能统一重新定星（见上面各条），本次未重新定星，保留各党委的定星结果",
                             "请改正上面的问题（如同名党组织）后再用 --rerate 汇总"))
        return [], found, [], None
    col = {t: c for c, t in enumerate(titles)}
    decided = {(text(r[col["上报单位"]]), text(r[col[S.S_NAME]])): text(r[col[S.O_STAR]]) if S.O_STAR in col else "" for r in rows}
    names, stars = outcome.rating.column("name"), outcome.rating.column("star")
    units = [text(r[col["上报单位"]]) for r in rows]
    changes = []
    for unit, name, star in zip(units, names, stars):
        before = decided.get((unit, name), "")
        if before and before != star:
            changes.append((unit, name, before, star))
    found = [Finding(out_name, p.sheet, p.cell, p.message, p.fix, p.severity) for p in outcome.problems if p.severity == WARNING]
    of = outcome.rating.column
    report = [{"上报单位": u, S.S_NAME: n, S.S_KIND: r[col[S.S_KIND]] if S.S_KIND in col else None, S.O_FINAL: f, S.O_GRADE: g,
               S.O_STAR: s, S.O_BODY: b}
              for u, r, n, f, g, s, b in zip(units, rows, names, of("final"), of("grade"), stars, of("approving"))]
    return outcome.edits, found, changes, report
