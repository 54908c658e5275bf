"""Collect (issue 9): a county gathers its townships' rated workbooks, verifies each, and
writes one roll-up; real files made by `starbook new`, rated by `api.rate`, tampered
with openpyxl the way cadres and mail programs do."""
from __future__ import annotations

import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from starbook import api
from test_bad_input import run  # the CLI run the bad-input tests use
from starbook.fill import summary_rows
from starbook.xlsx.read import read_grids


def township(folder: Path, unit: str, n: int = 12, *, start: int = 0, scheme: str = "分类定级") -> Path:
    """A rated committee workbook of `n` branches with typed 汇总表 rows, 发布单位 = unit."""
    book = folder / f"{unit}.xlsm"
    api.new(scheme, book, orgs=0)
    columns = [e.column for e in api.resolve_scheme(scheme).evaluators]
    rows = [{"党组织名称": f"{unit}第{i + 1}支部", "类别": "农村",
             **{c: 70 + (i * (7 - k) + start + k) % 30 for k, c in enumerate(columns)}} for i in range(n)]
    grids = read_grids(book)
    edits = [summary_rows(grids["汇总表"], rows)]
    edits += [_setting(grids["参数"], "发布单位", unit)]
    api.write_edits(book, book, edits)
    outcome = api.rate(book, user="测试")
    assert outcome.ok, outcome.problems
    return book


def _setting(grid, key: str, value):
    from starbook.edits import CellBlock
    from starbook.grid import find_cell

    r, c = find_cell(grid, key)
    return CellBlock("参数", r + 1, c + 2, ((value,),))


def rows_of(path: Path) -> tuple[list[str], list[dict]]:
    ws = openpyxl.load_workbook(path, data_only=True)["汇总表"]
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if "党组织名称" in r)
    header = [v for v in rows[h]]
    return header, [dict(zip(header, r)) for r in rows[h + 1:] if r[header.index("党组织名称")]]


def problems_of(path: Path) -> list[dict]:
    ws = openpyxl.load_workbook(path, data_only=True)["问题清单"]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(r)]


def edit(path: Path, change) -> None:
    wb = openpyxl.load_workbook(path, keep_vba=True)
    change(wb)
    wb.save(path)


def cell_of(ws, name: str, title: str):
    header = next(r for r in ws.iter_rows() if any(c.value == "党组织名称" for c in r))
    col = next(c.column for c in header if c.value == title)
    name_col = next(c.column for c in header if c.value == "党组织名称")
    row = next(r for r in range(header[0].row + 1, ws.max_row + 1) if ws.cell(r, name_col).value == name)
    return ws.cell(row, col)


@pytest.fixture(scope="module")
def clean_county(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    for i, unit in enumerate(("张纪镇党委", "李集镇党委", "王庄镇党委")):
        township(folder, unit, start=i * 3)
    return folder


def test_clean_townships_roll_up_with_reporter_and_source(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    out = tmp_path / "县汇总.xlsm"
    code, text = run(capsys, "collect", inbox, "-o", out)
    assert code == 0, text
    header, rows = rows_of(out)
    assert "上报单位" in header and "来源文件" in header
    assert len(rows) == 36
    assert {r["上报单位"] for r in rows} == {"张纪镇党委", "李集镇党委", "王庄镇党委"}
    assert {r["来源文件"] for r in rows} == {"张纪镇党委.xlsm", "李集镇党委.xlsm", "王庄镇党委.xlsm"}
    assert [r["序号"] for r in rows] == list(range(1, 37))
    # inputs and the townships' own results are carried as they were decided
    src = {r["党组织名称"]: r for r in rows_of(inbox / "李集镇党委.xlsm")[1]}
    for r in rows:
        if r["上报单位"] == "李集镇党委":
            for title in ("党委评定得分", "综合得分", "等次", "星级", "审定机关"):
                assert r[title] == src[r["党组织名称"]][title]
    assert problems_of(out) == []


def test_collecting_again_replaces_a_units_rows_and_keeps_the_countys_column(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    out = tmp_path / "县汇总.xlsm"
    assert run(capsys, "collect", inbox, "-o", out)[0] == 0

    def add_review(wb):
        ws = wb["汇总表"]
        header = next(r for r in ws.iter_rows() if any(c.value == "党组织名称" for c in r))
        col = max(c.column for c in header if c.value) + 1
        ws.cell(header[0].row, col, "县级复核意见")
        cell_of(ws, "张纪镇党委第3支部", "党委评定得分").offset(0, col - cell_of(ws, "张纪镇党委第3支部", "党委评定得分").column).value = "同意"

    edit(out, add_review)
    # 张纪镇 reports again with one branch fewer
    again = tmp_path / "again"
    again.mkdir()
    township(again, "张纪镇党委", n=11)
    code, text = run(capsys, "collect", again, "-o", out)
    assert code == 0, text
    header, rows = rows_of(out)
    assert len(rows) == 35
    zhang = [r for r in rows if r["上报单位"] == "张纪镇党委"]
    assert len(zhang) == 11
    assert next(r for r in zhang if r["党组织名称"] == "张纪镇党委第3支部")["县级复核意见"] == "同意"
    assert len([r for r in rows if r["上报单位"] == "李集镇党委"]) == 12


def test_hand_edited_star_is_named_by_organization_and_column(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    book = inbox / "王庄镇党委.xlsm"
    ws_name = "王庄镇党委第2支部"
    before = rows_of(book)[1]
    star = next(r for r in before if r["党组织名称"] == ws_name)["星级"]
    forged = "五星级" if star != "五星级" else "三星级"
    edit(book, lambda wb: setattr(cell_of(wb["汇总表"], ws_name, "星级"), "value", forged))
    out = tmp_path / "县汇总.xlsm"
    code, text = run(capsys, "collect", inbox, "-o", out)
    assert code == 1
    assert "结果列被手工改动" in text
    assert f"“{ws_name}”的星级为“{forged}”，按本工作簿的输入和参数重新计算应为“{star}”" in text
    listed = problems_of(out)
    assert any(p["文件"] == "王庄镇党委.xlsm" and p["工作表"] == "汇总表" and ws_name in p["问题"] and p["单元格"] for p in listed)
    assert len(rows_of(out)[1]) == 36  # still written


def test_input_edited_after_rating_is_stale(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    edit(inbox / "李集镇党委.xlsm", lambda wb: setattr(cell_of(wb["汇总表"], "李集镇党委第1支部", "自评得分"), "value", 99))
    code, text = run(capsys, "collect", inbox, "-o", tmp_path / "out.xlsm")
    assert code == 1
    assert "李集镇党委.xlsm" in text and "星级结果已过期" in text


def test_param_difference_and_broken_quota_are_named(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    book = inbox / "张纪镇党委.xlsm"
    grids = read_grids(book)
    api.write_edits(book, book, [_setting(grids["参数"], "五星级名额上限", 0.5)])
    assert api.rate(book, user="测试").ok
    code, text = run(capsys, "collect", inbox, "-o", tmp_path / "out.xlsm")
    assert code == 1
    assert "“五星级名额上限”为 50%，与汇总单位的 20% 不同" in text
    # the book rated itself under its own 50% cap: it is consistent with its own 参数
    assert "重新计算应为" not in text


def test_broken_own_quota_is_found(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)

    def five_everywhere(wb):
        ws = wb["汇总表"]
        for i in range(1, 13):
            cell_of(ws, f"张纪镇党委第{i}支部", "星级").value = "五星级"

    edit(inbox / "张纪镇党委.xlsm", five_everywhere)
    code, text = run(capsys, "collect", inbox, "-o", tmp_path / "out.xlsm")
    assert code == 1
    assert "五星级 12 个，超过本工作簿参数的名额上限" in text


def test_same_organization_in_two_townships(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    book = inbox / "李集镇党委.xlsm"
    edit(book, lambda wb: setattr(cell_of(wb["汇总表"], "李集镇党委第4支部", "党组织名称"), "value", "张纪镇党委第4支部"))
    assert api.rate(book, user="测试").ok
    code, text = run(capsys, "collect", inbox, "-o", tmp_path / "out.xlsm")
    assert code == 1
    assert "党组织“张纪镇党委第4支部”同时出现在" in text


def test_unusable_files_are_skipped_with_their_reasons(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    sub = inbox / "补报"
    sub.mkdir()
    (sub / "损坏.xlsm").write_bytes((inbox / "张纪镇党委.xlsm").read_bytes()[:5000])
    (sub / "加密.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with zipfile.ZipFile(sub / "报告.xlsx", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    township(sub, "其他方案镇", n=3, scheme="黔南机关星级")
    shutil.copy(inbox / "王庄镇党委.xlsm", sub / "王庄镇党委（副本）.xlsm")
    (inbox / "~$李集镇党委.xlsm").write_bytes(b"owner")
    never = sub / "未定星镇.xlsm"
    api.new("分类定级", never, orgs=0)
    out = tmp_path / "out.xlsm"
    code, text = run(capsys, "collect", inbox, "-o", out)
    assert code == 1, text
    assert "“损坏.xlsm”" in text and "已损坏" in text
    assert "“加密.xlsx”" in text and "设置了打开密码" in text
    assert "“报告.xlsx”" in text and "不是 Excel 工作簿" in text
    assert "方案为“黔南机关星级”" in text
    assert "同一个文件报送了两次" in text
    assert "“李集镇党委.xlsm”" in text and "仍在 Excel" in text
    assert "从未定星" in text
    rows = rows_of(out)[1]
    assert {r["上报单位"] for r in rows} == {"张纪镇党委", "王庄镇党委"}
    assert len(rows) == 24
    files = {p["文件"] for p in problems_of(out)}
    assert {"损坏.xlsm", "加密.xlsx", "报告.xlsx", "李集镇党委.xlsm"} <= files


def test_nothing_usable_is_exit_2_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "a.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "out.xlsm"
    code, text = run(capsys, "collect", tmp_path / "a.xlsx", "-o", out)
    assert code == 2
    assert "不是 Excel 工作簿" in text
    assert not out.exists()


# ---------------------------------------------------------------- two levels: branches → townships → county


def _branch_fill(name: str, i: int, *, own: int | None = None):
    from decimal import Decimal

    from starbook.fill import FormFill, item_scores
    from starbook.presets import preset

    points = [it.points for d in preset("fenlei").dimensions for it in d.items]
    return FormFill(name=name, category="农村", items={"自评": item_scores(points, Decimal(own or 80 + i))},
                    votes={"党员群众测评": {"应参评人数": 40, "实际参评人数": 30, "好": 12 + i % 6, "较好": 10,
                                            "一般": 8 - i % 6 - i % 3, "较差": i % 3}})


def _committee_fill(name: str, i: int):
    from decimal import Decimal

    from starbook.fill import FormFill, item_scores
    from starbook.presets import preset

    points = [it.points for d in preset("fenlei").dimensions for it in d.items]
    return FormFill(name=name, items={"党委评定": item_scores(points, Decimal(70 + (i * 7) % 29))})


def fill_form(book: Path, sheet: str, fill) -> None:
    from starbook.fill import form_edits

    api.write_edits(book, book, form_edits(sheet, read_grids(book)[sheet], fill))


@pytest.fixture(scope="module")
def blank_books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("blanks")
    api.new("分类定级", folder / "branch.xlsm", orgs=1)
    api.new("分类定级", folder / "township.xlsm", orgs=12)
    return {"branch": folder / "branch.xlsm", "township": folder / "township.xlsm"}


def branches(folder: Path, unit: str, blank: Path, n: int = 12) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        name = f"{unit}第{i + 1}支部"
        book = folder / f"{name}.xlsm"
        shutil.copy(blank, book)
        fill_form(book, "量化评分表1", _branch_fill(name, i))
        names.append(name)
    return names


def test_township_collects_its_branches_into_forms(blank_books, tmp_path, capsys):
    names = branches(tmp_path / "mail", "张纪镇", blank_books["branch"], n=3)
    town = tmp_path / "张纪镇党委.xlsm"
    shutil.copy(blank_books["township"], town)
    # the township typed 第2支部's form before: one 自评 item differently
    fill_form(town, "量化评分表1", _branch_fill(names[1], 1, own=90))
    before = read_grids(town)["量化评分表1"]
    code, text = run(capsys, "collect", tmp_path / "mail", "-o", town)
    assert code == 1, text
    assert "“张纪镇第2支部”的自评第" in text and "未覆盖" in text
    assert read_grids(town)["量化评分表1"] == before  # never overwritten
    from starbook.collect.township import form_inputs
    from starbook.presets import preset

    grids = read_grids(town)
    scheme = preset("fenlei")
    filled = {form_inputs(s, g, scheme).name: form_inputs(s, g, scheme).values for s, g in grids.items() if s.startswith("量化评分表")}
    branch = read_grids(tmp_path / "mail" / f"{names[0]}.xlsm")["量化评分表1"]
    assert filled[names[0]] == form_inputs("量化评分表1", branch, scheme).values
    assert set(names) <= set(filled)
    assert any(p["文件"] == f"{names[1]}.xlsm" and p["工作表"] == "量化评分表1" for p in problems_of(town))


def test_new_organizations_get_new_forms_copied_blank(blank_books, tmp_path, capsys):
    names = branches(tmp_path / "mail", "李集镇", blank_books["branch"], n=3)
    town = tmp_path / "李集镇党委.xlsm"
    api.new("分类定级", town, orgs=1)
    fill_form(town, "量化评分表1", _branch_fill("镇机关党支部", 5))  # the township's own, already typed
    fill_form(town, "量化评分表1", _committee_fill("镇机关党支部", 5))
    code, text = run(capsys, "collect", tmp_path / "mail", "-o", town)
    assert code == 0, text
    assert "支部评分表汇入 3 张" in text
    from starbook.collect.township import form_inputs
    from starbook.presets import preset

    grids = read_grids(town)
    scheme = preset("fenlei")
    forms = {s: form_inputs(s, g, scheme) for s, g in grids.items() if s.startswith("量化评分表")}
    assert sorted(forms) == ["量化评分表1", "量化评分表2", "量化评分表3", "量化评分表4"]
    assert forms["量化评分表1"].name == "镇机关党支部"
    by_name = {f.name: f for f in forms.values()}
    for name in names:
        branch = read_grids(tmp_path / "mail" / f"{name}.xlsm")["量化评分表1"]
        # the copy of the township's typed form keeps nothing of it: exactly the branch's inputs
        assert by_name[name].values == form_inputs("量化评分表1", branch, scheme).values
    # the township then types its own scores and rates: the new forms are real forms
    edits = []
    from starbook.fill import form_edits

    for i, name in enumerate(names):
        sheet = next(s for s, f in forms.items() if f.name == name)
        edits += form_edits(sheet, grids[sheet], _committee_fill(name, i))
    api.write_edits(town, town, edits)
    outcome = api.rate(town, user="测试")
    assert outcome.ok, outcome.problems
    assert sorted(outcome.names) == sorted([*names, "镇机关党支部"])
    assert openpyxl.load_workbook(town, keep_vba=True).sheetnames[-3:] == ["量化评分表2", "量化评分表3", "量化评分表4"]


def test_a_book_without_any_form_refuses_with_the_way_to_add_one(blank_books, tmp_path, capsys):
    branches(tmp_path / "mail", "王庄镇", blank_books["branch"], n=1)
    town = tmp_path / "王庄镇党委.xlsm"
    api.new("分类定级", town, orgs=0)
    code, text = run(capsys, "collect", tmp_path / "mail", "-o", town)
    assert code == 1
    assert "评分表未汇总" in text and "新增评分表" in text and "starbook forms" in text


def test_county_of_three_townships_of_twelve_branches_two_levels_up(blank_books, tmp_path, capsys):
    county = tmp_path / "县委组织部收件箱"
    county.mkdir()
    for unit in ("张纪镇", "李集镇", "王庄镇"):
        names = branches(tmp_path / unit / "支部来件", unit, blank_books["branch"])
        town = county / f"{unit}党委.xlsm"
        shutil.copy(blank_books["township"], town)
        code, text = run(capsys, "collect", tmp_path / unit / "支部来件", "-o", town)
        assert code == 0, text
        grids = read_grids(town)
        from starbook.collect.township import form_inputs
        from starbook.presets import preset

        sheet_of = {form_inputs(s, g, preset("fenlei")).name: s for s, g in grids.items() if s.startswith("量化评分表")}
        edits = []
        from starbook.fill import form_edits

        for i, name in enumerate(names):
            edits += form_edits(sheet_of[name], grids[sheet_of[name]], _committee_fill(name, i))
        edits.append(_setting(grids["参数"], "发布单位", f"{unit}党委"))
        api.write_edits(town, town, edits)
        outcome = api.rate(town, user="测试")
        assert outcome.ok, outcome.problems
    out = tmp_path / "县汇总.xlsm"
    code, text = run(capsys, "collect", county, "-o", out)
    assert code == 0, text
    header, rows = rows_of(out)
    assert len(rows) == 36
    assert {r["上报单位"] for r in rows} == {"张纪镇党委", "李集镇党委", "王庄镇党委"}
    town_rows = {r["党组织名称"]: r for r in rows_of(county / "王庄镇党委.xlsm")[1]}
    for r in rows:
        if r["上报单位"] == "王庄镇党委":
            assert (r["综合得分"], r["星级"]) == (town_rows[r["党组织名称"]]["综合得分"], town_rows[r["党组织名称"]]["星级"])


def test_rerate_applies_the_collectors_scheme_and_quotas_across_all(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    kept = tmp_path / "kept.xlsm"
    assert run(capsys, "collect", inbox, "-o", kept)[0] == 0
    out = tmp_path / "rerated.xlsm"
    code, text = run(capsys, "collect", inbox, "-o", out, "--rerate")
    assert code == 0, text
    assert "统一重新定星" in text
    # the same rows rated by `starbook rate` on the kept roll-up give the same results
    shutil.copy(kept, tmp_path / "rated.xlsm")
    assert api.rate(tmp_path / "rated.xlsm", user="测试").ok
    expected = {r["党组织名称"]: r for r in rows_of(tmp_path / "rated.xlsm")[1]}
    got = rows_of(out)[1]
    for r in got:
        for title in ("综合得分", "等次", "星级", "调整说明", "上报单位", "来源文件"):
            assert r[title] == expected[r["党组织名称"]][title], (r["党组织名称"], title)
    decided = {r["党组织名称"]: r["星级"] for r in rows_of(kept)[1]}
    changed = [r["党组织名称"] for r in got if r["星级"] != decided[r["党组织名称"]]]
    assert changed, "the data should make the county-wide quota differ from the townships'"
    for name in changed:
        assert name in text
    log = openpyxl.load_workbook(out, data_only=True)["定星记录"]
    assert sum(1 for r in log.iter_rows(min_row=4, values_only=True) if r[0]) == 1


def test_reports_count_per_unit_list_per_approving_body_and_gather_rectification(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    out = tmp_path / "县汇总.xlsm"
    assert run(capsys, "collect", inbox, "-o", out)[0] == 0
    rows = rows_of(out)[1]
    wb = openpyxl.load_workbook(out, data_only=True)
    stats = [list(r) for r in wb["定星统计"].iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(stats) if r[0] == "各上报单位星级分布")
    header = stats[at + 1]
    per_unit = {r[0]: dict(zip(header, r)) for r in stats[at + 2: at + 6]}
    for unit in ("张纪镇党委", "李集镇党委", "王庄镇党委"):
        mine = [r for r in rows if r["上报单位"] == unit]
        assert per_unit[unit]["合计"] == len(mine)
        for star in ("五星级", "四星级", "三星级"):
            assert per_unit[unit][star] == sum(r["星级"] == star for r in mine)
    assert per_unit["合计"]["合计"] == 36
    fives = sum(r["星级"] == "五星级" for r in rows)
    share = per_unit["合计"]["五星级占比"]  # a percentage as printed, not 0.0833…
    assert share.endswith("%") and abs(Decimal(share[:-1]) - Decimal(fives * 100) / 36) < Decimal("0.005")
    overall = {r[0]: r[1] for r in stats[:at] if r[0] in ("五星级", "四星级", "合计") and isinstance(r[1], int)}
    assert overall["五星级"] == sum(r["星级"] == "五星级" for r in rows)
    # 审定名单: one list per approving body, every organization with a body once, signature lines
    lines = [list(r) for r in wb["审定名单"].iter_rows(values_only=True)]
    titles = [r[0] for r in lines if isinstance(r[0], str) and r[0].startswith("报")]
    bodies = {r["审定机关"] for r in rows if r["审定机关"]}
    assert len(titles) == len(bodies)
    listed = [r[2] for r in lines if isinstance(r[0], int)]
    assert sorted(listed) == sorted(r["党组织名称"] for r in rows if r["审定机关"])
    assert sum(r[0] == "审核人（签字）：" for r in lines) == len(bodies)
    # 整改名单: the townships' own lists, with their 上报单位
    rect = [list(r) for r in wb["整改名单"].iter_rows(values_only=True)]
    h = next(i for i, r in enumerate(rect) if "党组织名称" in r)
    got = sorted((r[rect[h].index("上报单位")], r[rect[h].index("党组织名称")]) for r in rect[h + 1:] if r[1])
    want = []
    for unit in ("张纪镇党委", "李集镇党委", "王庄镇党委"):
        ws = openpyxl.load_workbook(inbox / f"{unit}.xlsm", data_only=True)["整改名单"]
        rr = list(ws.iter_rows(values_only=True))
        hh = next(i for i, r in enumerate(rr) if "党组织名称" in r)
        want += [(unit, r[1]) for r in rr[hh + 1:] if r[1]]
    assert got == sorted(want) and want


# ---------------------------------------------------------------- the ribbon's 汇总下级


def test_ribbon_collect_gives_the_same_summary_as_the_command_line(clean_county, tmp_path, capsys):
    xw = pytest.importorskip("xlwings")
    from starbook import excel
    from test_excel_shell import apply_actions, payload

    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    blank = tmp_path / "blank.xlsm"
    api.new("分类定级", blank, orgs=0)
    by_cli, live = tmp_path / "cli.xlsm", tmp_path / "live.xlsm"
    shutil.copy(blank, by_cli)
    shutil.copy(blank, live)
    assert run(capsys, "collect", inbox, "-o", by_cli)[0] == 0
    sent = payload(live)
    for sheet in sent["sheets"]:
        sheet["charts"] = []  # the client tells the sheets' charts (none yet): the chart per 上报单位 is drawn
    book = xw.Book(json=sent)
    folder_hex = str(inbox).encode("utf-16-be").hex()  # as the VBA passes it
    result = excel.collect(book=book, folder_hex=folder_hex)
    assert result is not None and result.written
    actions = book.json()["actions"]
    funcs = [a["func"] for a in actions]
    assert "addSheet" in funcs  # 审定名单
    names = len(payload(live)["sheets"])
    kept = [a for a in actions if (a.get("sheet_position") or 0) < names]
    apply_actions(live, None, kept)
    assert read_grids(live)["汇总表"] == read_grids(by_cli)["汇总表"]
    assert read_grids(live)["定星统计"] == read_grids(by_cli)["定星统计"]
    # the chart per 上报单位 over the same cells as the file's (stacked columns, a series per star)
    from starbook.collect.chart import TITLE
    from starbook.grid import find_cell

    h, _ = find_cell(read_grids(by_cli)["定星统计"], "上报单位")
    chart = next(a for a in actions if a["func"] == "addChart")["args"]
    assert chart[:4] == [TITLE, "ColumnStacked", "定星统计", f"$A${h + 1}:$G${h + 4}"] and chart[9] == f"$A${h + 7}"  # as the file's anchor: under 合计, a row between
    assert f"定星统计!$A${h + 2}:$A${h + 4}" in _unit_chart(by_cli)[1]
    alert = next(a for a in actions if a["func"] == "alert")
    assert "汇总完成：3 个工作簿，汇总表共 36 个党组织" in alert["args"][0]


def test_a_local_veto_is_named_as_a_table_difference(example, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    book = inbox / "张纪镇党委.xlsm"
    shutil.copy(example, book)
    assert api.rate(book, user="测试").ok
    code, text = run(capsys, "collect", inbox, "-o", tmp_path / "county.xlsm", "--scheme", "分类定级")
    assert code == 1
    assert "“否决事项”表与汇总单位的不同：多出“未完成镇党委部署的重点任务”" in text


def test_libreoffice_opens_added_forms_and_sheets_with_working_formulas(blank_books, tmp_path, capsys):
    """Sheets added to the package (copied forms, 问题清单) are whole sheets to a real office suite."""
    import lo_uno
    from conftest import lo_required

    lo_required()
    names = branches(tmp_path / "mail", "周庄镇", blank_books["branch"], n=2)
    town = tmp_path / "周庄镇党委.xlsm"
    api.new("分类定级", town, orgs=1)
    fill_form(town, "量化评分表1", _branch_fill(names[0], 0, own=91))  # a conflict: 问题清单 is added
    code, text = run(capsys, "collect", tmp_path / "mail", "-o", town)
    assert code == 1 and "未覆盖" in text
    rows = lo_uno.recalculated_values(town, "量化评分表2")
    assert any(names[1] in [str(v) for v in r] for r in rows)
    # the copied preview formulas calculate: the branch's 自评 is weighted; the total waits for 党委评定
    weighted = next(r for r in rows if r and r[0] == "自评" and isinstance(r[1], (int, float)))
    assert isinstance(weighted[3], (int, float)) and weighted[3] == pytest.approx(weighted[1] * weighted[2])
    preview = next(r for r in rows if r and r[0] in ("综合得分", "综合得分（预览）"))
    assert preview[3] in (None, "")
    listing = lo_uno.recalculated_values(town, "问题清单")
    assert listing[0][:5] == ["文件", "工作表", "单元格", "问题", "改法"]
    assert any("未覆盖" in str(v) for r in listing[1:] for v in r)
    assert "StarbookRibbon" in lo_uno.vba_modules(town)


def test_progress_counts_every_file_and_the_same_path_twice_is_read_once(clean_county, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    seen = []
    result = api.collect([inbox, inbox / "张纪镇党委.xlsm"], tmp_path / "out.xlsm", progress=lambda done, total: seen.append((done, total)),
                         workers=2)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert len(result.books) == 3 and result.organizations == 36
    assert any("同一个文件被指定了两次" in f.message for f in result.findings)


def test_each_distinct_params_is_parsed_once_and_a_townships_own_issuer_shares_it(clean_county, monkeypatch):
    """Speed (issue 9, item 6): most books share their committee's 参数; only what the
    Scheme holds tells them apart, and cached problems never leak between callers."""
    from starbook.grid import CellError
    from starbook.sheets import params as P

    grids = [read_grids(p, lambda n: n == "参数")["参数"] for p in sorted(clean_county.glob("*.xlsm"))]
    assert grids[0] != grids[1]  # each township's 发布单位
    P._PARSED.clear()
    P._SAME_GRID.clear()
    calls = []
    real = P._parse_params
    monkeypatch.setattr(P, "_parse_params", lambda g: calls.append(1) or real(g))
    first, second = P.parse_params(grids[0]), P.parse_params(grids[1])
    assert len(calls) == 1 and first[0] is second[0] and first[0] is not None
    first[1].append("a caller's own problem")
    assert P.parse_params(grids[0])[1] == []
    broken = [list(line) for line in grids[0]]
    r, c = P.setting_cell(broken, "发布单位")
    broken[r][c] = CellError("#REF!")
    scheme, problems = P.parse_params(broken)
    assert len(calls) == 2 and [p.cell for p in problems] == [f"{chr(65 + c)}{r + 1}"]
    changed = [list(line) for line in grids[0]]
    r, c = P.setting_cell(changed, "五星级名额上限")
    changed[r][c] = 0.5
    assert P.parse_params(changed)[0].five_star_cap != first[0].five_star_cap and len(calls) == 3


def _charts(book: Path) -> dict[str, str]:
    with zipfile.ZipFile(book) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/charts/")}


def _unit_chart(book: Path) -> tuple[str, list[str]]:
    """The roll-up's chart per 上报单位 (exactly one), and the ranges it draws."""
    import re

    from starbook.collect.chart import TITLE

    ours = [x for x in _charts(book).values() if f"<a:t>{TITLE}</a:t>" in x]
    assert len(ours) == 1
    return ours[0], re.findall(r"<c:f>([^<]*)</c:f>", ours[0])


def test_the_rollup_charts_its_stars_per_unit_and_keeps_the_total_chart(clean_county, tmp_path, capsys):
    """Issue 9, item 5: the native chart of the star distribution per 上报单位, redrawn from
    the table's cells at each collect; the total's chart stays the template's, unpatched."""
    from starbook.grid import find_cell

    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    out = tmp_path / "县汇总.xlsm"
    assert run(capsys, "collect", inbox, "-o", out)[0] == 0
    charts = _charts(out)
    total = [x for x in charts.values() if "定星统计!$B$6:$B$11" in x]
    assert len(charts) == 2 and len(total) == 1 and "定星统计!$A$6:$A$11" in total[0]
    grid = read_grids(out)["定星统计"]
    h, c = find_cell(grid, "上报单位")
    stars = ["五星级", "四星级", "三星级", "二星级", "一星级", "无星"]
    assert (c, grid[h][1:7]) == (0, stars)
    units = [grid[h + 1 + i][0] for i in range(3)]
    assert sorted(units) == ["张纪镇党委", "李集镇党委", "王庄镇党委"] and grid[h + 4][0] == "合计"
    xml, ranges = _unit_chart(out)
    cols = "BCDEFG"
    assert ranges == [r for k in range(6) for r in (f"定星统计!${cols[k]}${h + 1}", f"定星统计!$A${h + 2}:$A${h + 4}",
                                                    f"定星统计!${cols[k]}${h + 2}:${cols[k]}${h + 4}")]
    assert '<c:grouping val="stacked"/>' in xml and all(f"<c:v>{u}</c:v>" in xml for u in units)

    township(inbox, "赵河镇党委", start=5)  # a fourth township reports: the chart grows with the table
    assert run(capsys, "collect", inbox, "-o", out)[0] == 0
    assert [x for x in _charts(out).values() if "定星统计!$B$6:$B$11" in x] == total
    _, ranges = _unit_chart(out)
    assert f"定星统计!$A${h + 2}:$A${h + 5}" in ranges and f"定星统计!$G${h + 2}:$G${h + 5}" in ranges
    with zipfile.ZipFile(out) as z:
        drawing = z.read("xl/drawings/drawing1.xml").decode("utf-8")
    assert drawing.count("<xdr:twoCellAnchor") == 2 and f"<xdr:row>{h + 7}</xdr:row>" in drawing  # under 合计 (0-based h + 5), a row between


def test_libreoffice_draws_the_chart_per_unit(clean_county, tmp_path, capsys):
    import subprocess

    from conftest import lo_required
    from starbook.collect.chart import COLORS, TITLE
    from starbook.pdf import export_pdf

    lo_required()
    out = tmp_path / "县汇总.xlsm"
    assert run(capsys, "collect", clean_county, "-o", out)[0] == 0
    pdf = tmp_path / "定星统计.pdf"
    export_pdf(out, pdf, ("定星统计",))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    drawn = text[text.index(TITLE):]  # below the table: only the chart's own text
    assert all(u in drawn for u in ("张纪镇党委", "李集镇党委", "王庄镇党委", "党组织个数", "三星级", "无星"))
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    ppm = next(tmp_path.glob("page*.ppm")).read_bytes()
    width, height = map(int, ppm.split(b"\n")[1].split())
    pixels = ppm[-width * height * 3:]
    gold = bytes.fromhex(COLORS["三星级"])
    near = sum(1 for i in range(0, len(pixels), 3) if all(abs(pixels[i + k] - gold[k]) < 40 for k in range(3)))
    assert near > 200  # the 三星级 series' bars are painted


def test_a_stats_sheet_without_a_drawing_gets_one_for_the_chart(tmp_path):
    """An older roll-up's 定星统计 may have no chart at all: the drawing, its relationship and
    the sheet's <drawing> are added, and the package still loads with its charts."""
    import io

    import xlsxwriter

    from starbook.collect.chart import TITLE, with_unit_chart
    from starbook.collect.reports import UnitTable

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("定星统计")
    ws.write_row(9, 0, ("上报单位", "五星级", "四星级"))
    ws.write_row(10, 0, ("甲镇党委", 1, 2))
    ws.set_header("&C页眉")
    wb.add_worksheet("汇总表")
    wb.close()
    book = tmp_path / "old.xlsx"
    book.write_bytes(with_unit_chart(buf.getvalue(), UnitTable(9, 0, ("五星级", "四星级"), (("甲镇党委", 1, 2, 3, None),))))
    with zipfile.ZipFile(book) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert sheet.index("</headerFooter>") < sheet.index("<drawing r:id=") < sheet.index("</worksheet>")
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode("utf-8")
        assert 'Target="../drawings/drawing1.xml"' in rels
        assert f"<a:t>{TITLE}</a:t>" in z.read("xl/charts/chart1.xml").decode("utf-8")
        assert "/xl/drawings/drawing1.xml" in z.read("[Content_Types].xml").decode("utf-8")
    ws = openpyxl.load_workbook(book)["定星统计"]
    assert len(ws._charts) == 1 and ws["A11"].value == "甲镇党委"


def _damage(book: Path, part: str) -> None:
    """Flip one byte inside a part's compressed data, as a bad mail transfer would."""
    data = bytearray(book.read_bytes())
    with zipfile.ZipFile(book) as z:
        info = z.getinfo(part)
    start = info.header_offset + 30 + len(info.filename.encode("utf-8")) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x55
    book.write_bytes(bytes(data))


def test_a_damaged_sheet_is_refused_and_a_damaged_macro_part_is_not_read(clean_county, tmp_path, capsys):
    """A collect only reads: a damaged worksheet leaves nothing trustworthy to collect, while
    damage in the VBA project (never run, never written back) does not touch the results."""
    from starbook.xlsx.parts import sheet_parts

    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    with zipfile.ZipFile(inbox / "张纪镇党委.xlsm") as z:
        summary = sheet_parts(z)["汇总表"]
    _damage(inbox / "张纪镇党委.xlsm", summary)
    _damage(inbox / "李集镇党委.xlsm", "xl/vbaProject.bin")
    out = tmp_path / "out.xlsm"
    code, text = run(capsys, "collect", inbox, "-o", out)
    assert code == 1 and "“张纪镇党委.xlsm”已损坏" in text, text
    assert "李集镇党委" not in text
    assert {r["上报单位"] for r in rows_of(out)[1]} == {"李集镇党委", "王庄镇党委"}


def test_county_two_levels_up_flags_every_anomaly_of_issue_9(blank_books, tmp_path, capsys):
    """Issue 9, item 7 in one run: branches → townships → county, with a star typed by hand,
    a form changed after 定星, a 50% 五星 cap, a branch that mailed two townships, and every
    kind of unusable file beside the townships' books."""
    from starbook.collect.township import form_inputs
    from starbook.fill import form_edits
    from starbook.presets import preset

    county = tmp_path / "县委组织部收件箱"
    county.mkdir()
    for unit in ("张纪镇", "李集镇", "王庄镇"):
        mail = tmp_path / unit / "支部来件"
        branches(mail, unit, blank_books["branch"])
        if unit == "李集镇":  # 张纪镇第3支部 mailed its workbook to 李集镇 as well
            shutil.copy(tmp_path / "张纪镇" / "支部来件" / "张纪镇第3支部.xlsm", mail)
        town = county / f"{unit}党委.xlsm"
        shutil.copy(blank_books["township"], town)
        code, text = run(capsys, "collect", mail, "-o", town)
        assert code == 0, text
        grids = read_grids(town)
        sheets = {form_inputs(s, g, preset("fenlei")).name: s for s, g in grids.items() if s.startswith("量化评分表")}
        edits = [e for i, (name, s) in enumerate(sorted(sheets.items())) for e in form_edits(s, grids[s], _committee_fill(name, i))]
        edits.append(_setting(grids["参数"], "发布单位", f"{unit}党委"))
        if unit == "张纪镇":
            edits.append(_setting(grids["参数"], "五星级名额上限", 0.5))
        api.write_edits(town, town, edits)
        assert api.rate(town, user="测试").ok
    assert len(rows_of(county / "李集镇党委.xlsm")[1]) == 13  # its twelve, and the one copied into a new form

    wang = county / "王庄镇党委.xlsm"
    star = next(r for r in rows_of(wang)[1] if r["党组织名称"] == "王庄镇第2支部")["星级"]
    forged = "五星级" if star != "五星级" else "三星级"
    edit(wang, lambda wb: setattr(cell_of(wb["汇总表"], "王庄镇第2支部", "星级"), "value", forged))
    li = county / "李集镇党委.xlsm"
    grids = read_grids(li)
    sheet = next(s for s, g in grids.items() if s.startswith("量化评分表") and form_inputs(s, g, preset("fenlei")).name == "李集镇第5支部")
    fill_form(li, sheet, _committee_fill("李集镇第5支部", 20))  # after 定星, never rated again

    (county / "损坏.xlsm").write_bytes(wang.read_bytes()[:5000])
    (county / "加密.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with zipfile.ZipFile(county / "述职报告.xlsx", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    township(county, "机关工委", n=3, scheme="黔南机关星级")
    township(county, "赵河镇党委", n=4)
    (county / "~$赵河镇党委.xlsm").write_bytes(b"owner")

    out = tmp_path / "县汇总.xlsm"
    code, text = run(capsys, "collect", county, "-o", out)
    assert code == 1, text
    expected = {
        "张纪镇党委.xlsm": ("参数", "“五星级名额上限”为 50%，与汇总单位的 20% 不同"),
        "王庄镇党委.xlsm": ("汇总表", f"“王庄镇第2支部”的星级为“{forged}”，按本工作簿的输入和参数重新计算应为“{star}”"),
        "李集镇党委.xlsm": ("量化评分表", "“李集镇第5支部”的评分表在最后一次定星之后被改动（党委评定得分汇总表为 97、评分表现为 94），星级结果已过期"),
        "损坏.xlsm": ("", "已损坏"),
        "加密.xlsx": ("", "设置了打开密码"),
        "述职报告.xlsx": ("", "不是 Excel 工作簿"),
        "机关工委.xlsm": ("参数", "方案为“黔南机关星级”"),
        "赵河镇党委.xlsm": ("", "仍在 Excel"),
    }
    listed = problems_of(out)
    for file, (sheet, words) in expected.items():
        assert any(p["文件"] == file and (p["工作表"] or "").startswith(sheet) and words in p["问题"] for p in listed), (file, listed)
        assert words in text
    assert any("党组织“张纪镇第3支部”同时出现在" in p["问题"] for p in listed)
    assert "“李集镇第5支部”的综合得分为" not in text  # one finding names the cause, not a result typed by hand
    rows = rows_of(out)[1]
    assert sorted({r["上报单位"] for r in rows}) == ["张纪镇党委", "李集镇党委", "王庄镇党委"] and len(rows) == 37
    assert {r["来源文件"] for r in rows} == {"张纪镇党委.xlsm", "李集镇党委.xlsm", "王庄镇党委.xlsm"}


def test_a_rollup_whose_drawing_part_is_gone_is_still_written_with_a_warning(clean_county, tmp_path, capsys):
    """Never a traceback: a 定星统计 whose drawing the package lacks keeps its table, the chart is named as not drawn."""
    import io

    out = tmp_path / "县汇总.xlsm"
    api.new("分类定级", out, orgs=0)
    buf = io.BytesIO()
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "xl/drawings/drawing1.xml":
                zout.writestr(info, zin.read(info))
    out.write_bytes(buf.getvalue())
    code, text = run(capsys, "collect", clean_county, "-o", out)
    assert code == 1 and "未画“各上报单位星级分布图”" in text, text
    grids = read_grids(out)  # (openpyxl itself refuses the package: its drawing is gone)
    assert grids["定星统计"][3][0] == "星级分布"
    assert sum(any(str(v).endswith("支部") for v in row) for row in grids["汇总表"]) == 36


def test_ribbon_collects_branches_into_the_same_forms_as_the_command_line(blank_books, tmp_path, capsys):
    """The township level through the live shell (xlwings' remote engine): the same form cells
    as `starbook collect`, the same conflict left alone and listed."""
    xw = pytest.importorskip("xlwings")
    from starbook import excel
    from test_excel_shell import apply_actions, payload

    names = branches(tmp_path / "mail", "张纪镇", blank_books["branch"], n=3)
    town = tmp_path / "town.xlsm"
    shutil.copy(blank_books["township"], town)
    fill_form(town, "量化评分表1", _branch_fill(names[1], 1, own=90))  # typed before: a conflict
    by_cli, live = tmp_path / "cli.xlsm", tmp_path / "live.xlsm"
    shutil.copy(town, by_cli)
    shutil.copy(town, live)
    assert run(capsys, "collect", tmp_path / "mail", "-o", by_cli)[0] == 1
    book = xw.Book(json=payload(live))
    result = excel.collect(book=book, folder_hex=str(tmp_path / "mail").encode("utf-16-be").hex())
    assert result is not None and result.written and result.forms == 3
    actions = book.json()["actions"]
    names_before = len(payload(live)["sheets"])
    apply_actions(live, None, [a for a in actions if (a.get("sheet_position") or 0) < names_before])
    cli, mine = read_grids(by_cli), read_grids(live)
    for sheet in ("量化评分表1", "量化评分表2", "量化评分表3", "量化评分表4"):
        assert mine[sheet] == cli[sheet], sheet
    assert any("未覆盖" in f.message for f in result.findings)


def test_the_rollups_total_keeps_the_templates_formats_like_a_rating(clean_county, tmp_path, capsys):
    """定星统计's total table is written in place, as 定星 writes it: shares stay percentages and
    the rows (six stars, 待定, 合计) stay where the total chart and the formats expect them."""
    out = tmp_path / "县汇总.xlsm"
    assert run(capsys, "collect", clean_county, "-o", out)[0] == 0
    rated = tmp_path / "镇.xlsm"
    shutil.copy(clean_county / "张纪镇党委.xlsm", rated)
    mine, theirs = (openpyxl.load_workbook(p)["定星统计"] for p in (out, rated))
    for r in range(4, 14):
        assert mine.cell(r, 1).value == theirs.cell(r, 1).value
        assert [mine.cell(r, c).number_format for c in (1, 2, 3)] == [theirs.cell(r, c).number_format for c in (1, 2, 3)], r
    assert "%" in mine["C7"].number_format and mine["A12"].value == "待定" and mine["B13"].value == 36


def test_the_problem_list_prints_on_a4_landscape_with_its_wrapped_rows_tall_enough(clean_county, tmp_path, capsys):
    """问题清单 is printed like the other sheets: A4 landscape, every column on the page's width, page
    numbers, and a long problem's row as tall as its wrapped lines (new and existing roll-ups)."""
    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    shutil.copy(next(inbox.glob("*.xlsm")), inbox / "again.xlsm")  # the same file twice: a finding
    for out in (tmp_path / "新建.xlsm", tmp_path / "已有.xlsm"):
        if out.name == "已有.xlsm":
            api.new("分类定级", out, orgs=0)
        assert run(capsys, "collect", inbox, "-o", out)[0] == 1
        wb = openpyxl.load_workbook(out)
        ws = wb["问题清单"]
        assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (9, "landscape")
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert "&P" in ws.oddFooter.center.text
        col = next(c.column for c in ws[1] if c.value == "问题")
        long = [r for r in range(2, ws.max_row + 1) if len(str(ws.cell(r, col).value or "")) > 30]  # > one line of CJK (width 60)
        assert long and all((ws.row_dimensions[r].height or 0) >= 30 for r in long)


def test_the_places_a_worker_sends_are_where_find_cell_finds_each_rule(tmp_path):
    """verify.param_places (one pass, the usual cell looked up as it is) names the same cells
    as find_cell on each label: labels padded with blanks or a colon, repeated, error values."""
    import random

    from starbook.collect.verify import _WANTED, param_places
    from starbook.grid import CellError, find_cell

    book = tmp_path / "b.xlsm"
    api.new("分类定级", book, orgs=0)
    params = read_grids(book)["参数"]
    rng = random.Random(9)
    labels = sorted(_WANTED)
    for _ in range(300):
        grid = [list(line) for line in params]
        for _ in range(rng.randint(0, 12)):
            r, c = rng.randrange(len(grid)), rng.randrange(len(grid[0]))
            grid[r][c] = rng.choice([f" {rng.choice(labels)}", f"{rng.choice(labels)}：", f"{rng.choice(labels)}:\t", rng.choice(labels),
                                     CellError("#REF!"), "", None, 3.0, f"x{rng.choice(labels)}"])
        want = {k: find_cell(grid, k) for k in labels if find_cell(grid, k) is not None}
        assert param_places(grid) == want


def test_a_params_grid_seen_before_is_found_by_its_exact_bytes_and_types_still_count(clean_county, monkeypatch):
    """The second cache level (the grid's pickle) answers only for the very same values
    of the very same types: a setting typed as 1, 1.0, True or an error value parses anew."""
    from starbook.grid import CellError
    from starbook.sheets import params as P

    grid = read_grids(sorted(clean_county.glob("*.xlsm"))[0], lambda n: n == "参数")["参数"]
    P._PARSED.clear()
    P._SAME_GRID.clear()
    calls = []
    real = P._parse_params
    monkeypatch.setattr(P, "_parse_params", lambda g: calls.append(1) or real(g))
    fresh = P.parse_params(grid)
    again = P.parse_params([list(line) for line in grid])  # equal values, other list objects
    assert len(calls) == 1 and again[0] is fresh[0] and again[1] == fresh[1]
    r, c = P.setting_cell(grid, "五星级名额上限")
    for value in (1, 1.0, True, "1", CellError("#REF!"), "#REF!"):
        changed = [list(line) for line in grid]
        changed[r][c] = value
        got = P.parse_params(changed)
        assert (got[0], [(p.cell, p.message) for p in got[1]]) == (lambda s: (s[0], [(p.cell, p.message) for p in s[1]]))(real(changed)), value


def test_an_error_value_or_a_date_in_a_branch_form_is_named_and_not_passed_on(blank_books, tmp_path, capsys):
    """A branch's 自评 cell holding #DIV/0! or a date (Excel's reading of "5-1") is no score: the
    township's form keeps that cell blank, and 问题清单 names the branch's cell; the other
    branches and the rest of that form are collected (this once crashed the new forms' writer)."""
    import datetime

    import openpyxl

    from starbook.fill import form_cells

    names = branches(tmp_path / "mail", "张纪镇", blank_books["branch"], n=2)
    bad = tmp_path / "mail" / f"{names[0]}.xlsm"
    places = form_cells(read_grids(bad)["量化评分表1"]).items["自评"]
    wb = openpyxl.load_workbook(bad, keep_vba=True)
    ws = wb["量化评分表1"]
    (r0, c0), (r1, c1) = places[0], places[1]
    ws.cell(r0 + 1, c0 + 1).value = datetime.datetime(2026, 5, 1)
    wb.save(bad)
    with zipfile.ZipFile(bad) as zf:  # and an error value as Excel saves one: t="e" with its literal
        from starbook.xlsx.parts import sheet_parts

        part = sheet_parts(zf)["量化评分表1"]
        xml = zf.read(part).decode("utf-8")
    import re

    ref = f"{chr(65 + c1)}{r1 + 1}"
    xml, n = re.subn(rf'<c r="{ref}"([^>]*?)(?: t="n")?>(?:<v>[^<]*</v>)?</c>|<c r="{ref}"([^>]*?)/>',
                     lambda m: f'<c r="{ref}"{m.group(1) or m.group(2) or ""} t="e"><v>#DIV/0!</v></c>', xml)
    assert n == 1
    from test_sheetpatch import _replace_part

    _replace_part(bad, part, xml.encode("utf-8"))
    town = tmp_path / "张纪镇党委.xlsm"  # its one form taken: both branches land on new copies of it
    api.new("分类定级", town, orgs=1)
    fill_form(town, "量化评分表1", _committee_fill("张纪镇机关支部", 0))
    code, text = run(capsys, "collect", tmp_path / "mail", "-o", town)
    assert code == 1, text
    assert f"【量化评分表1】{chr(65 + c0)}{r0 + 1}：“{names[0]}”的自评第 1 项得分是日期或时间「2026-05-01」，不是数字，未汇入" in text
    assert f"【量化评分表1】{ref}：“{names[0]}”的自评第 2 项得分是错误值 #DIV/0!，未汇入" in text
    from starbook.collect.township import form_inputs
    from starbook.presets import preset

    scheme = preset("fenlei")
    forms = {form_inputs(s, g, scheme).name: form_inputs(s, g, scheme) for s, g in read_grids(town).items() if s.startswith("量化评分表")}
    assert set(names) <= set(forms)
    got = forms[names[0]].values
    assert ("item", "自评", 0) not in got and ("item", "自评", 1) not in got and ("item", "自评", 2) in got


def test_a_date_in_a_townships_scores_is_named_by_cell_not_called_a_missing_header(clean_county, tmp_path, capsys):
    """A township's 汇总表 whose score Excel turned into a date cannot be checked: 问题清单 names the
    cell and what it holds, and the township is left out (it once read as 汇总表找不到表头)."""
    import datetime
    import warnings

    import openpyxl

    from starbook.grid import find_cell

    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    book = sorted(inbox.glob("*.xlsm"))[0]
    r, c = find_cell(read_grids(book)["汇总表"], "党委评定得分")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(book, keep_vba=True)
    wb["汇总表"].cell(r + 2, c + 1).value = datetime.datetime(2026, 5, 1)
    wb.save(book)
    code, text = run(capsys, "collect", inbox, "-o", tmp_path / "县汇总.xlsm")
    assert code == 1, text
    assert f"“{book.name}”【汇总表】{chr(65 + c)}{r + 2}：" in text and "党委评定得分是日期或时间「2026-05-01」，不是数字" in text
    assert f"“{book.name}”的汇总表有误（见上面各条），无法核对，未汇总" in text
    assert "找不到表头" not in text
    rows = read_grids(tmp_path / "县汇总.xlsm")["汇总表"]
    assert not any(book.stem in str(v) for line in rows for v in line)  # that township is not in the roll-up


def test_a_branch_form_whose_name_is_an_error_value_is_named_and_not_collected(blank_books, tmp_path, capsys):
    """No organization to match: the form is left out with its cell named, no form made for “#REF!”."""
    names = branches(tmp_path / "mail", "张纪镇", blank_books["branch"], n=2)
    bad = tmp_path / "mail" / f"{names[0]}.xlsm"
    from starbook.grid import find_cell
    from starbook.xlsx.parts import sheet_parts
    from test_sheetpatch import _replace_part

    r, c = find_cell(read_grids(bad)["量化评分表1"], "党组织名称", max_rows=12)
    ref = f"{chr(65 + c + 1)}{r + 1}"
    with zipfile.ZipFile(bad) as zf:
        part = sheet_parts(zf)["量化评分表1"]
        xml = zf.read(part).decode("utf-8")
    import re

    xml, n = re.subn(rf'<c r="{ref}"([^>]*?) t="inlineStr"><is><t>[^<]*</t></is></c>', rf'<c r="{ref}"\1 t="e"><v>#REF!</v></c>', xml)
    assert n == 1
    _replace_part(bad, part, xml.encode("utf-8"))
    town = tmp_path / "张纪镇党委.xlsm"
    shutil.copy(blank_books["township"], town)
    code, text = run(capsys, "collect", tmp_path / "mail", "-o", town)
    assert code == 1, text
    assert f"【量化评分表1】{ref}：支部评分表的党组织名称是错误值 #REF!，这张表未汇总" in text
    from starbook.collect.township import form_inputs
    from starbook.presets import preset

    scheme = preset("fenlei")
    named = [form_inputs(s, g, scheme).name for s, g in read_grids(town).items() if s.startswith("量化评分表")]
    assert names[1] in named and "#REF!" not in named and names[0] not in named


def test_results_typed_over_with_dates_and_times_are_collected_as_the_text_shown(clean_county, tmp_path, capsys):
    """A township's 综合得分 typed over with a date and its 星级 with a time (Excel's reading of
    "5-1" and "9:30"): the roll-up is written, these cells hold what the cadre saw, the lists
    order by the numbers they have, and 问题清单 names each result that does not follow."""
    import datetime
    import warnings

    import openpyxl

    from starbook.grid import find_cell

    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    book = sorted(inbox.glob("*.xlsm"))[0]
    grid = read_grids(book)["汇总表"]
    (rf, cf), (rs, cs) = find_cell(grid, "综合得分"), find_cell(grid, "星级")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(book, keep_vba=True)
    wb["汇总表"].cell(rf + 2, cf + 1).value = datetime.datetime(2026, 5, 1)
    wb["汇总表"].cell(rs + 3, cs + 1).value = datetime.time(9, 30)
    wb.save(book)
    out = tmp_path / "县汇总.xlsm"
    code, text = run(capsys, "collect", inbox, "-o", out)
    assert code == 1, text
    assert f"【汇总表】{chr(65 + cf)}{rf + 2}：" in text and f"【汇总表】{chr(65 + cs)}{rs + 3}：" in text
    grids = read_grids(out)
    values = {v for line in grids["汇总表"] for v in line}
    assert "2026-05-01" in values and "09:30:00" in values
    assert any("审定的" in str(v) for line in grids["审定名单"] for v in line)


def test_the_reporting_unit_is_the_file_name_when_the_issuer_is_an_error_value_or_a_date():
    import datetime

    from starbook.collect.classify import reporting_unit
    from starbook.grid import CellError

    def params(value):
        return [["设置项", "值"], ["发布单位", value]]

    assert reporting_unit(params("盖德乡党委"), Path("收件箱/盖德乡.xlsm")) == "盖德乡党委"
    for value in (CellError("#REF!"), datetime.datetime(2026, 5, 1), "", None):
        assert reporting_unit(params(value), Path("收件箱/盖德乡.xlsm")) == "盖德乡"


def test_a_townships_rectification_list_with_dates_is_gathered_as_the_text_shown(clean_county, tmp_path, capsys):
    """整改名单 rows typed over with dates (Excel's reading of "5-1") land in the roll-up's
    整改名单 as the text the cadre saw; they once stopped the roll-up from being written."""
    import datetime
    import warnings

    import openpyxl

    from starbook.grid import find_header

    inbox = tmp_path / "inbox"
    shutil.copytree(clean_county, inbox)
    book = sorted(inbox.glob("*.xlsm"))[0]
    grid = read_grids(book)["整改名单"]
    hr, cols = find_header(grid, "党组织名称", "列入原因")
    assert len(grid) > hr + 1 and grid[hr + 1][cols["党组织名称"]]  # the township has one to rectify
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(book, keep_vba=True)
    wb["整改名单"].cell(hr + 2, cols["列入原因"] + 1).value = datetime.datetime(2026, 5, 1)
    wb.save(book)
    out = tmp_path / "县汇总.xlsm"
    code, text = run(capsys, "collect", inbox, "-o", out)
    assert code in (0, 1), text
    rows = read_grids(out)["整改名单"]
    assert any("2026-05-01" in map(str, line) for line in rows)


def test_a_branch_forms_header_date_is_no_text_and_its_score_date_no_number(blank_books):
    import datetime

    from starbook.collect.township import form_inputs, slots
    from starbook.presets import preset

    scheme = preset("fenlei")
    grid = [list(line) for line in read_grids(blank_books["branch"])["量化评分表1"]]
    places = slots(grid, scheme)
    (rn, cn), (ri, ci) = places[("header", "党组织名称")], places[("item", "自评", 0)]
    grid[rn][cn] = datetime.datetime(2026, 5, 1)
    grid[ri][ci] = datetime.time(9, 30)
    form = form_inputs("量化评分表1", grid, scheme)
    assert form.name == ""  # no organization to match it to
    assert form.unusable[("header", "党组织名称")][1] == "是日期或时间「2026-05-01」，不是文字"
    assert form.unusable[("item", "自评", 0)][1] == "是日期或时间「09:30:00」，不是数字"
