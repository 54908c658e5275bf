"""Which level a workbook comes from, read from its content, and who reported it.

A branch's own workbook (made by `starbook distribute`) says 工作簿类型 = 支部填报
in 参数; an older one is known by having no 定星记录 row and only a few filled
forms. A committee's workbook is rated and holds a 汇总表.
"""
from __future__ import annotations

from pathlib import Path

from ..grid import Grid, cell_at, not_text, text
from ..sheets import params as P

BRANCH, COMMITTEE = P.BOOK_BRANCH, P.BOOK_COMMITTEE
ISSUER = "发布单位"
BRANCH_MAX_FORMS = 3  # a branch fills its own form, a joint branch a few


def setting(grid: Grid | None, key: str) -> str:
    """A 参数 setting's value as text, '' when absent (older books lack the newer settings)."""
    at = P.setting_cell(grid, key) if grid else None
    return text(cell_at(grid, *at)) if at is not None else ""


def level(params: Grid | None, log_rows: int, filled_forms: int) -> str:
    """BRANCH or COMMITTEE: a book marked 工作簿类型 = 支部填报 is a branch's; every book
    `starbook new` makes says 党委汇总, so that value decides nothing and the content does."""
    if params and P.book_kind(params)[0] == BRANCH:
        return BRANCH
    if log_rows == 0 and 0 < filled_forms <= BRANCH_MAX_FORMS:
        return BRANCH
    return COMMITTEE


def reporting_unit(params: Grid | None, path: Path) -> str:
    """上报单位: the workbook's 发布单位 (填报单位) when filled with a name, else the file name
    without suffix (also for an error value or a date there: no unit is called “#REF!”)."""
    at = P.setting_cell(params, ISSUER) if params else None
    value = cell_at(params, *at) if at is not None else None
    return (text(value) if not_text(value) is None else "") or Path(path).stem
