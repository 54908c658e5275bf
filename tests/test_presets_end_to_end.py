"""Every preset end to end: `starbook new` → fill the forms as a cadre would → `starbook rate`."""
from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from starbook import api
from starbook.cli import main
from starbook.fill import FormFill, form_edits, item_scores
from starbook.presets import all_presets, preset
from starbook.rules.rating import OrgInput, rate_organizations
from starbook.scheme import METHOD_ITEMS, METHOD_VOTE
from starbook.xlsx.read import read_grids

# (name, item-evaluator total, (好, 较好, 一般, 较差) of a roll of 40, dimensions to spoil)
ORGS = [
    ("甲支部", "96", (30, 2, 0, 0), 0),
    ("乙支部", "91", (20, 10, 2, 0), 1),
    ("丙支部", "84", (12, 12, 6, 2), 2),
    ("丁支部", "72", (6, 10, 10, 6), 3),
    ("戊支部", "58", (2, 8, 12, 10), 5),
]


def fill_for(scheme, name, total, ballot) -> FormFill:
    points = [it.points for d in scheme.dimensions for it in d.items]
    good, fair, so_so, poor = ballot
    return FormFill(
        name=name,
        category="机关事业单位",
        last_star="三星级",
        items={e.name: item_scores(points, Decimal(total)) for e in scheme.evaluators if e.method == METHOD_ITEMS},
        votes={
            e.name: {"应参评人数": 40, "实际参评人数": sum(ballot), "好": good, "较好": fair, "一般": so_so, "较差": poor}
            for e in scheme.evaluators
            if e.method == METHOD_VOTE
        },
    )


@pytest.mark.parametrize("scheme_id", [s.preset_id for s in all_presets()])
def test_new_fill_rate(tmp_path, scheme_id, capsys):
    scheme = preset(scheme_id)
    book = tmp_path / f"{scheme_id}.xlsm"
    assert main(["new", "--scheme", scheme.preset, "--orgs", str(len(ORGS) + 1), "-o", str(book)]) == 0
    grids = read_grids(book)
    edits = []
    for i, (name, total, ballot, _) in enumerate(ORGS, start=1):
        sheet = f"量化评分表{i}"
        edits += form_edits(sheet, grids[sheet], fill_for(scheme, name, total, ballot))
    api.write_edits(book, book, edits)  # the last form stays blank and must be skipped

    assert main(["rate", str(book)]) == 0, capsys.readouterr().err

    # The same organizations rated directly by the core: the file path adds nothing and loses nothing.
    outcome = api.check(book)
    assert outcome.ok and outcome.names == [o[0] for o in ORGS]
    expected = {r.name: r for r in outcome.rating.results}
    ws = openpyxl.load_workbook(book, data_only=True)["汇总表"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[2]
    got = {r[header.index("党组织名称")]: dict(zip(header, r)) for r in rows[3:] if r[header.index("党组织名称")]}
    assert list(got) == [o[0] for o in ORGS]
    for name, res in expected.items():
        rec = got[name]
        assert Decimal(str(rec["综合得分"])).quantize(Decimal("0.01")) == res.final
        assert rec["星级"] == res.star and rec["初定星级"] == res.base_star
        assert (rec["等次"] or "") == (res.grade or "")
        assert (rec["审定机关"] or "") == res.approving  # empty where the document names no body
        assert (rec["升降"] or "") == res.movement


@pytest.mark.parametrize("scheme_id", [s.preset_id for s in all_presets()])
def test_evaluator_scores_in_the_summary_come_from_the_forms(tmp_path, scheme_id):
    """Item-scored evaluators get the sum of their items; vote evaluators the ballot formula."""
    scheme = preset(scheme_id)
    book = tmp_path / "one.xlsm"
    api.new(scheme_id, book, orgs=1)
    grid = read_grids(book)["量化评分表1"]
    api.write_edits(book, book, form_edits("量化评分表1", grid, fill_for(scheme, "甲支部", "87.5", (10, 6, 3, 1))))
    outcome = api.rate(book)
    assert outcome.ok, [str(p) for p in outcome.problems]
    ws = openpyxl.load_workbook(book, data_only=True)["汇总表"]
    header = [c.value for c in ws[3]]
    row = {h: c.value for h, c in zip(header, ws[4])}
    for e in scheme.evaluators:
        if e.method == METHOD_ITEMS:
            assert row[e.column] == 87.5
        else:
            # (10×100 + 6×60 + 3×30 + 1×10) / 20 = 73
            assert row[e.column] == 73
    scores = {e.name: Decimal("87.5") if e.method == METHOD_ITEMS else Decimal(73) for e in scheme.evaluators}
    items = iter(item_scores([it.points for d in scheme.dimensions for it in d.items], Decimal("87.5")))
    dims = tuple(sum(next(items) for _ in d.items) for d in scheme.dimensions)
    direct = rate_organizations(scheme, [OrgInput("甲支部", scores, dimension_scores=dims)])
    assert Decimal(str(row["综合得分"])).quantize(Decimal("0.01")) == direct.results[0].final
