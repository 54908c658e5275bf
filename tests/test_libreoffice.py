"""Values travel: a recipient without Python (here LibreOffice) sees the same official results."""
from __future__ import annotations

import openpyxl
import pytest

import lo_uno
from conftest import lo_required
from starbook import api

RESULT_COLUMNS = ("党组织名称", "综合得分", "等次", "初定星级", "星级", "调整说明", "审定机关", "升降")


def by_title(rows: list[list], header_text: str = "党组织名称") -> dict[str, dict]:
    header_index = next(i for i, r in enumerate(rows) if header_text in r)
    header = rows[header_index]
    out = {}
    for r in rows[header_index + 1 :]:
        rec = dict(zip(header, r))
        if rec.get(header_text):
            out[rec[header_text]] = {k: rec.get(k) for k in RESULT_COLUMNS}
    return out


def test_libreoffice_recalculates_a_rated_workbook_without_changing_results(example, tmp_path):
    lo_required()
    rated = tmp_path / "rated.xlsm"
    assert api.rate(example, rated).ok
    ws = openpyxl.load_workbook(rated, data_only=True)["汇总表"]
    written = by_title([list(r) for r in ws.iter_rows(values_only=True)])
    seen = by_title(lo_uno.recalculated_values(rated, "汇总表"))
    assert len(seen) == 12
    assert seen.keys() == written.keys()
    for name, rec in written.items():
        lo = seen[name]
        assert lo["综合得分"] == pytest.approx(rec["综合得分"]), name
        for column in ("等次", "初定星级", "星级", "调整说明", "审定机关"):
            assert (lo[column] or "") == (rec[column] or ""), (name, column)
        assert (lo["升降"] or "") == (rec["升降"] or "")
    assert seen["向阳社区党支部"]["星级"] == "四星级"


def test_form_preview_formulas_agree_with_the_official_scores(example, tmp_path):
    """The live preview a cadre sees on a form equals what 定星 writes, after a real recalculation."""
    lo_required()
    rated = tmp_path / "rated.xlsm"
    outcome = api.rate(example, rated)
    final = {r.name: float(r.final) for r in outcome.rating.results}
    rows = lo_uno.recalculated_values(rated, "量化评分表3")
    preview = next(r for r in rows if r and r[0] in ("综合得分", "综合得分（预览）"))
    assert preview[3] == pytest.approx(final["向阳社区党支部"])


def test_workbooks_do_not_force_a_full_recalculation_on_load(example, tmp_path):
    """Excel without Python must not recalculate stored results into errors on open."""
    import zipfile

    from starbook import api as sb

    rated = tmp_path / "rated.xlsm"
    assert sb.rate(example, rated).ok
    for path in (sb.template_path(), example, rated):
        with zipfile.ZipFile(path) as zf:
            workbook = zf.read("xl/workbook.xml").decode()
            sheets = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert "fullCalcOnLoad" not in workbook, path
        assert "<calcPr" in workbook and 'calcMode="manual"' not in workbook
        assert not any("SB_" in s for s in sheets), "no Python worksheet function in a shipped cell"


def test_a_branch_s_form_shows_no_total_while_the_committee_s_parts_are_blank(example, tmp_path):
    """A branch fills 自评 (and its ballot); 党委评定 is the committee's. Its form must not show a
    partial weighted sum as its 综合得分: blank in the file as 定星 leaves it and after a real
    recalculation, while the 自评 row shows the branch's own weighted score."""
    lo_required()
    from make_example import fills
    from starbook.fill import FormFill, form_edits
    from starbook.sheets.forms import form_sheets
    from starbook.xlsx.read import read_grids

    rated = tmp_path / "rated.xlsm"
    assert api.rate(example, rated).ok
    folder = tmp_path / "分发"
    api.distribute(rated, folder)
    branch = folder / "东风村党支部.xlsm"
    grids = read_grids(branch)
    [sheet] = form_sheets(list(grids))
    full = next(f for f in fills() if f.name == "东风村党支部")
    api.write_edits(branch, branch, form_edits(sheet, grids[sheet], FormFill("东风村党支部", items={"自评": full.items["自评"]}, votes=full.votes)))
    assert api.rate(branch).ok
    own = read_grids(branch)["汇总表"]
    head = next(r for r in own if "自评得分" in r)
    mine = next(r for r in own if "东风村党支部" in r)
    own_score = float(mine[head.index("自评得分")])
    for rows in ([list(r) for r in openpyxl.load_workbook(branch, data_only=True)[sheet].iter_rows(values_only=True)],
                 lo_uno.recalculated_values(branch, sheet)):
        total = next(r for r in rows if r and r[0] in ("综合得分", "综合得分（预览）"))
        assert total[3] in (None, ""), total
        self_row = next(r for r in rows if r and r[0] == "自评" and isinstance(r[1], (int, float)))
        assert self_row[2] == pytest.approx(own_score) and self_row[3] == pytest.approx(own_score * self_row[1])
