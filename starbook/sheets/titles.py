"""Printed titles: the issuing unit (参数 发布单位) followed by the document's form name.

Each title is a formula joining the 参数 cell and the form name, so Excel updates it
as soon as the cadre types the unit; 定星 refreshes the formulas' cached values, so a
viewer that does not recalculate (LibreOffice's default for .xlsx, the PDF export)
prints the same. A title the cadre typed over is left as it is.
"""
from __future__ import annotations

from collections.abc import Mapping

from ..edits import Cached, CellBlock, Edit
from ..grid import Grid, cell_at
from ..presets import preset_title
from ..scheme import Scheme
from . import forms as F

RECTIFY = "后进党组织整改名单"
LEDGER = "后进党组织整改台账"
STATS = "基层党组织星级评定统计表"
SURVEY = "重点整顿的后进党组织调查摸底表"  # seed 001 附件3 "全县重点整顿的后进党组织调查摸底表"


def summary_title(scheme: Scheme) -> str:
    """Seed 001's own name for it: 《…县基层党组织分类定级结果汇总表》."""
    return f"基层党组织{scheme.preset}结果汇总表"


def sheet_titles(scheme: Scheme) -> dict[str, str]:
    """The form name printed under each output sheet's issuer, by sheet."""
    from ..ratebook import RECTIFY_SHEET, STATS_SHEET  # the sheet names live with their writers
    from . import ledger as L
    from . import summary as S

    return {S.SHEET: summary_title(scheme), RECTIFY_SHEET: RECTIFY, L.SHEET: LEDGER, STATS_SHEET: STATS, L.SURVEY_SHEET: SURVEY}


def formula(issuer_cell: str, name: str) -> str:
    return f'={issuer_cell}&"{name}"'


def title_edits(grids: Mapping[str, Grid], scheme: Scheme, issuer: str) -> list[Edit]:
    """Fresh cached values for the title formulas in A1 of every titled sheet and form."""
    names = dict(sheet_titles(scheme))
    for sheet in F.form_sheets(list(grids)):
        names[sheet] = preset_title(scheme.preset_id)
    return [CellBlock(sheet, 1, 1, ((Cached(issuer + name),),)) for sheet, name in names.items()
            if sheet in grids and cell_at(grids[sheet], 0, 0) != issuer + name]  # unchanged sheets keep their bytes
