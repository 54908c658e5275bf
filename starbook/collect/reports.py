"""The roll-up's printable reports, computed with pandas from the collected rows.

* 定星统计: counts and shares per star in total (the layout 定星 writes, so the
  sheet's chart keeps its cells), the scheme's distribution targets, then one
  row per 上报单位;
* 审定名单: one list per approving body (审定机关), with signature lines;
* 整改名单: the organizations every township listed for rectification, with
  their 上报单位.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..edits import CellBlock, ClearRows, Edit
from ..grid import Grid, Value, find_cell, find_header, text
from ..numbers import percent_text, quantize
from ..ratebook import RECTIFY_COLUMNS, RECTIFY_SHEET, STATS_ANCHOR, STATS_SHEET
from ..rules.movement import distribution_report
from ..scheme import PENDING, STARS, Scheme
from ..sheets import summary as S

if TYPE_CHECKING:  # pandas costs a second to import: only a roll-up with reports pays it
    import pandas as pd

APPROVAL_SHEET = "审定名单"
APPROVAL_COLUMNS = ("序号", "上报单位", "党组织名称", "类别", "综合得分", "星级")
APPROVAL_WIDTHS = (6, 20, 30, 12, 10, 10)
PER_UNIT = "各上报单位星级分布"
REPORTER = "上报单位"
SIGNATURE = ("审核人（签字）：", "", "审定人（签字）：", "", "（盖章）", "")
DATE_LINE = ("日期：    年  月  日", "", "", "", "", "")


def frame(rows: Sequence[Mapping[str, Value]]) -> "pd.DataFrame":
    """The collected organizations, one per row, with the columns the reports use."""
    import pandas as pd

    columns = [REPORTER, S.S_NAME, S.S_KIND, S.O_FINAL, S.O_GRADE, S.O_STAR, S.O_BODY]
    df = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    for c in (REPORTER, S.S_NAME, S.S_KIND, S.O_GRADE, S.O_STAR, S.O_BODY):
        df[c] = df[c].map(lambda v: text(v) if v is not None else "")
    # 综合得分 orders the lists: a score typed over by hand with text or a date is no number to order by
    df[S.O_FINAL] = df[S.O_FINAL].map(lambda v: v if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else None)
    return df


def _stars_seen(df: "pd.DataFrame") -> list[str]:
    return [*STARS, *([PENDING] if (df[S.O_STAR] == PENDING).any() else [])]


def stats_edits(grid: Grid | None, df: "pd.DataFrame", scheme: Scheme) -> list[Edit]:
    """定星统计 rewritten from its anchor: the total, the targets, then each 上报单位."""
    return stats_report(grid, df, scheme)[0]


def stats_report(grid: Grid | None, df: "pd.DataFrame", scheme: Scheme) -> tuple[list[Edit], UnitTable | None]:
    """stats_edits, and where its table per 上报单位 lands (for the chart drawn from it)."""
    if grid is None:
        return [], None
    anchor = find_cell(grid, STATS_ANCHOR, max_rows=20) or (3, 0)
    r0, c0 = anchor
    stars = _stars_seen(df)
    total = len(df)
    counts = df[S.O_STAR].value_counts()
    # The total table is 定星's own (six stars, 待定, 合计): written in place, so its built formats
    # (percentages) and the chart over it stay; only the rows below are cleared and rewritten.
    head: list[tuple] = [(STATS_ANCHOR, "", ""), ("星级", "个数", "占比")]
    for star in (*STARS, PENDING):
        n = int(counts.get(star, 0))
        head.append((star, n, Decimal(n) / total if total else None))
    head.append(("合计", total, Decimal(1) if total else None))
    width = len(stars) + 3
    pad = lambda *cells: tuple(cells) + ("",) * (width - len(cells))  # noqa: E731
    lines: list[tuple] = [pad()]
    lines.append(pad("星级分布目标"))
    lines.append(pad("目标", "要求", "个数", "党组织数", "实际比例", "是否达到"))
    for t in distribution_report(list(df[S.O_STAR]), scheme):
        lines.append(pad(t.label, t.requirement, t.count, t.base, t.ratio_text, "达到" if t.met else "未达到"))
    lines.append(pad())
    lines.append(pad(PER_UNIT))
    import pandas as pd

    table = pd.crosstab(df[REPORTER], df[S.O_STAR]).reindex(columns=stars, fill_value=0)
    table["合计"] = table.sum(axis=1)
    header = len(lines)
    lines.append((REPORTER, *stars, "合计", "五星级占比"))
    for unit, row in table.iterrows():
        n = int(row["合计"])
        lines.append((unit, *(int(row[s]) for s in stars), n, _share(int(row["五星级"]), n)))
    sums = table.sum(axis=0)
    lines.append(("合计", *(int(sums[s]) for s in stars), int(sums["合计"]), _share(int(sums["五星级"]), int(sums["合计"]))))
    below = r0 + len(head)
    units = UnitTable(below + header, c0, tuple(stars), tuple(lines[header + 1: header + 1 + len(table)]))
    return [ClearRows(STATS_SHEET, below + 1), CellBlock(STATS_SHEET, r0 + 1, c0 + 1, tuple(head)),
            CellBlock(STATS_SHEET, below + 1, c0 + 1, tuple(lines))], units


def _share(part: int, whole: int) -> str:
    """A share as the targets table beside it writes one ("8.33%"): a cell written below the
    template's formatted table has no number format to show a ratio as a percentage."""
    return percent_text(quantize(Decimal(part) / whole, 4, "四舍五入")) if whole else "—"


@dataclass(frozen=True)
class UnitTable:
    """The table per 上报单位 on 定星统计: its header row and first column (0-based), the stars
    (its columns after 上报单位) and its rows (上报单位, a count per star, …)."""

    header_row: int
    col: int
    stars: tuple[str, ...]
    rows: tuple[tuple, ...]


def approval_lines(df: "pd.DataFrame", scheme: Scheme) -> list[tuple]:
    """One printable list per 审定机关, best star first, each closed by signature lines."""
    lines: list[tuple] = []
    rank = {s: i for i, s in enumerate(STARS)}
    rated = df[df[S.O_BODY] != ""]
    present = set(rated[S.O_BODY])
    bodies = list(dict.fromkeys(b for _, b in scheme.approving if b in present))
    bodies += [b for b in dict.fromkeys(rated[S.O_BODY]) if b not in bodies]
    for body in bodies:
        part = rated[rated[S.O_BODY] == body].copy()
        part["_rank"] = part[S.O_STAR].map(lambda s: rank.get(s, len(rank)))
        part = part.sort_values(["_rank", REPORTER, S.O_FINAL], ascending=[True, True, False], kind="stable")
        stars = "、".join(dict.fromkeys(part[S.O_STAR]))
        lines.append((f"报{body}审定的{stars}党组织名单（共 {len(part)} 个）", "", "", "", "", ""))
        lines.append(APPROVAL_COLUMNS)
        shown = part[[REPORTER, S.S_NAME, S.S_KIND, S.O_FINAL, S.O_STAR]]
        for i, r in enumerate(shown.itertuples(index=False, name=None), 1):
            lines.append((i, *(None if isinstance(v, float) and v != v else v for v in r)))  # pandas' NaN: a blank cell
        lines.append(("", "", "", "", "", ""))
        lines.append(SIGNATURE)
        lines.append(DATE_LINE)
        lines.append(("", "", "", "", "", ""))
    return lines


def approval_edits(grid: Grid | None, df: "pd.DataFrame", scheme: Scheme) -> list[Edit]:
    if grid is None:
        return []
    lines = approval_lines(df, scheme)
    edits: list[Edit] = [ClearRows(APPROVAL_SHEET, 1)]
    if lines:
        edits.append(CellBlock(APPROVAL_SHEET, 1, 1, tuple(lines)))
    return edits


def rectify_edits(grid: Grid | None, rectify: Sequence[Mapping[str, Value]]) -> list[Edit]:
    """整改名单: every township's rectification rows, numbered anew, with 上报单位 on the right."""
    if grid is None:
        return []
    found = find_header(grid, S.S_NAME, "列入原因", max_rows=20)
    if found is None:
        return []
    hr, cols = found
    edits: list[Edit] = []
    titles = [text(v) for v in grid[hr]]
    while titles and not titles[-1]:
        titles.pop()
    if REPORTER not in cols:
        edits.append(CellBlock(RECTIFY_SHEET, hr + 1, len(titles) + 1, ((REPORTER,),)))
        titles.append(REPORTER)
    edits.append(ClearRows(RECTIFY_SHEET, hr + 2))
    block = []
    for i, r in enumerate(rectify, 1):
        block.append(tuple(i if t == "序号" else r.get(t) for t in titles))
    if block:
        edits.append(CellBlock(RECTIFY_SHEET, hr + 2, 1, tuple(block)))
    return edits


__all__ = ["APPROVAL_SHEET", "RECTIFY_COLUMNS", "RECTIFY_SHEET", "STATS_SHEET", "approval_edits", "frame", "rectify_edits", "stats_edits"]
