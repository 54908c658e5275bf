"""The year around the rating, on real files: the township of the example (12 branches)
hands its forms down (`distribute`, the 分发评分表 button) and starts next year
(`new --from`, the 新年度 button)."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from make_example import BRANCHES, fills
from starbook import api
from starbook.cli import main
from starbook.cycle import branch_file_names, open_ledger_items, safe_file_name
from starbook.edits import CellBlock
from starbook.fill import FormFill, form_edits
from starbook.grid import find_header, text
from starbook.roster import book_year, members
from starbook.sheets import params as P
from starbook.sheets.forms import form_sheets
from starbook.sheets.ledger import find_blocks
from starbook.xlsx.read import read_grids

NAMES = [b[0] for b in BRANCHES]
LAST_STARS = {b[0]: b[5] for b in BRANCHES}


@pytest.fixture
def rated(example, tmp_path) -> Path:
    out = tmp_path / "张集镇2026.xlsm"
    assert api.rate(example, out).ok
    return out


@pytest.fixture
def handed_down(rated, tmp_path) -> Path:
    folder = tmp_path / "分发"
    written, problems = api.distribute(rated, folder)
    assert not problems and len(written) == 12
    return folder


def _stars(path: Path) -> dict[str, str]:
    grid = read_grids(path)["汇总表"]
    hr, cols = find_header(grid, "党组织名称", "星级")
    return {text(r[cols["党组织名称"]]): text(r[cols["星级"]]) for r in grid[hr + 1:] if text(r[cols["党组织名称"]])}


def _setting(grid, key: str):
    hr, cols = find_header(grid, P.KEY, P.VALUE)
    return next(r[cols[P.VALUE]] for r in grid[hr + 1:] if text(r[cols[P.KEY]]) == key)


def test_distribute_writes_one_workbook_per_organization_named_after_it(handed_down):
    files = sorted(p.name for p in handed_down.iterdir())
    assert files == sorted(f"{n}.xlsm" for n in NAMES)
    for name in NAMES:
        path = handed_down / f"{name}.xlsm"
        grids = read_grids(path)  # calamine
        [form] = form_sheets(list(grids))
        [member] = members(grids)
        kind = next(b[1] for b in BRANCHES if b[0] == name)
        assert (member.name, member.category, member.last_star) == (name, kind, LAST_STARS[name])
        assert book_year(grids) == 2026
        assert _setting(grids[P.SHEET], "工作簿类型") == "支部填报"
        wb = openpyxl.load_workbook(path, keep_vba=True)  # opens in a second reader too
        params = wb[P.SHEET]
        assert params.protection.sheet and not params.protection.password
        assert "支部填报" in params["A2"].value and "请勿修改" in params["A2"].value
        locked = [c for row in params.iter_rows() for c in row if c.value is not None and not c.protection.locked]
        assert not locked, "a protected 参数 must not leave input cells open"


def test_committee_book_is_marked_as_the_committee_s(rated):
    assert _setting(read_grids(api.template_path())[P.SHEET], "工作簿类型") == "党委汇总"


def _fill(path: Path, name: str) -> None:
    """What the branch types into its form: its scores and its own ballot."""
    grids = read_grids(path)
    [sheet] = form_sheets(list(grids))
    fill = next(f for f in fills() if f.name == name)
    api.write_edits(path, path, form_edits(sheet, grids[sheet], fill))


def test_filled_branch_workbooks_pass_check(handed_down, capsys):
    for name in ("东风村党支部", "向阳社区党支部", "石桥村党支部"):
        path = handed_down / f"{name}.xlsm"
        assert not api.check(path).ok  # handed down blank
        _fill(path, name)
        outcome = api.check(path)
        assert outcome.ok and outcome.names == [name]
        assert main(["check", str(path)]) == 0


def test_branch_rating_previews_its_own_star_without_quotas_and_says_so(rated, handed_down, capsys):
    committee = _stars(rated)
    assert committee["向阳社区党支部"] == "四星级"  # the 20% five-star cap took its place
    assert committee["石桥村党支部"] == "无星"  # the 5% floor made it 较差
    for name, alone in (("向阳社区党支部", "五星级"), ("石桥村党支部", "一星级")):
        path = handed_down / f"{name}.xlsm"
        _fill(path, name)
        capsys.readouterr()
        assert main(["rate", str(path)]) == 0
        said = capsys.readouterr()
        assert "支部填报" in said.err and "不执行五星级名额和末位等次比例" in said.err
        assert _stars(path) == {name: alone}
        grid = read_grids(path)["汇总表"]
        hr, cols = find_header(grid, "党组织名称", "调整说明")
        assert text(grid[hr + 1][cols["调整说明"]]).startswith("预览")


def test_distribute_creates_the_named_folder_only_and_refuses_to_overwrite(rated, tmp_path, capsys):
    assert main(["distribute", str(rated), "-o", str(tmp_path / "无此目录" / "分发")]) == 2
    assert "不存在" in capsys.readouterr().err and not (tmp_path / "无此目录").exists()
    folder = tmp_path / "分发"
    assert main(["distribute", str(rated), "-o", str(folder)]) == 0
    before = (folder / "东风村党支部.xlsm").read_bytes()
    (folder / "东风村党支部.xlsm").write_bytes(b"filled by the branch")
    capsys.readouterr()
    assert main(["distribute", str(rated), "-o", str(folder)]) == 2
    assert "已有同名文件" in capsys.readouterr().err
    assert (folder / "东风村党支部.xlsm").read_bytes() == b"filled by the branch"
    assert main(["distribute", str(rated), "-o", str(folder), "--force"]) == 0
    assert (folder / "东风村党支部.xlsm").read_bytes() == before


def test_a_branch_workbook_is_not_distributed_again(handed_down, tmp_path, capsys):
    assert main(["distribute", str(handed_down / "东风村党支部.xlsm"), "-o", str(tmp_path / "again")]) == 1
    assert "支部填报工作簿，不能再分发" in capsys.readouterr().err


def test_file_names_drop_what_windows_forbids_and_keep_chinese():
    assert safe_file_name('东风村/第一:党支部*?"<>|', "x") == "东风村第一党支部"
    assert safe_file_name("CON", "x") == "_CON"
    assert safe_file_name(" ..", "党组织3") == "党组织3"
    assert branch_file_names(["甲/村", "甲村", "乙村."]) == ["甲村.xlsm", "甲村（2）.xlsm", "乙村.xlsm"]


def test_ribbon_distribute_writes_what_the_command_line_writes(rated, tmp_path):
    xw = pytest.importorskip("xlwings")
    from starbook import excel
    from test_excel_shell import payload

    by_cli, _ = api.distribute(rated, tmp_path / "cli")
    book = xw.Book(json=payload(rated))
    live = excel.distribute(book=book, folder=tmp_path / "live")
    assert sorted(p.name for p in live) == sorted(p.name for p in by_cli)
    for path in by_cli:
        assert read_grids(tmp_path / "live" / path.name) == read_grids(path)


# ---------------------------------------------------------------- next year


def test_next_year_starts_from_last_year_s_stars(rated, tmp_path, capsys):
    out = tmp_path / "张集镇2027.xlsm"
    assert main(["new", "--from", str(rated), "-o", str(out)]) == 0
    last, new = read_grids(rated), read_grids(out)
    stars = _stars(rated)
    people = members(new)
    assert [m.name for m in people] == NAMES
    assert {m.name: m.last_star for m in people} == stars
    assert all(m.form for m in people) and len(form_sheets(list(new))) == 12
    assert {m.name: m.category for m in people} == {m.name: m.category for m in members(last)}
    assert book_year(new) == book_year(last) + 1 == 2027
    assert P.parse_params(new[P.SHEET])[0] == P.parse_params(last[P.SHEET])[0]
    assert _setting(new[P.SHEET], "工作簿类型") == "党委汇总"


def test_next_year_needs_a_rated_workbook(example, tmp_path, capsys):
    out = tmp_path / "2027.xlsm"
    assert main(["new", "--from", str(example), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "还没有定星" in err and "starbook rate" in err
    assert not out.exists()


def test_next_year_leaves_a_pending_star_blank_with_a_note(rated, tmp_path, capsys):
    from starbook.edits import CellBlock

    grid = read_grids(rated)["汇总表"]
    hr, cols = find_header(grid, "党组织名称", "星级")
    api.write_edits(rated, rated, [CellBlock("汇总表", hr + 2, cols["星级"] + 1, (("待定",),))])
    out = tmp_path / "2027.xlsm"
    assert main(["new", "--from", str(rated), "-o", str(out)]) == 0
    assert "东风村党支部上一年度的星级为“待定”" in capsys.readouterr().err
    assert members(read_grids(out))[0].last_star is None


def test_next_year_carries_over_the_open_rectification_items(rated, tmp_path):
    last = tmp_path / "ledger.xlsm"
    wb = openpyxl.load_workbook(rated, keep_vba=True)  # a test input only: the 整改台账 as a cadre keeps it
    del wb["整改台账"]  # kept before as a flat table (定星 keeps one block per organization)
    ws = wb.create_sheet("整改台账")
    ws.append(["后进党组织整改台账"])
    ws.append([])
    ws.append(["序号", "党组织名称", "存在主要问题", "整改措施", "完成时限", "责任人", "整改情况", "销号"])
    ws.append([1, "石桥村党支部", "测评参与率低", "重新组织测评", "2027-03-31", "王书记", "进行中", None])
    ws.append([2, "石桥村党支部", "阵地建设滞后", "改造活动室", "2027-06-30", "李委员", "已完成", "已销号"])
    ws.append([3, "和平村党支部", "制度落实不到位", "建立台账", "2027-05-31", "张书记", None, None])
    wb.save(last)
    out = tmp_path / "2027.xlsm"
    path, notes = api.new_from(last, out)
    assert path == out and any("未销号的 2 条" in p.message for p in notes)
    grid = read_grids(out, lambda n: n == "整改台账")["整改台账"]
    blocks = find_blocks(grid)  # one block per organization, as 定星 keeps the ledger
    assert list(blocks) == ["石桥村党支部", "和平村党支部"]
    carried = {}
    for name, r in blocks.items():
        cols = {text(v): c for c, v in enumerate(grid[r + 2]) if text(v)}
        carried[name] = [[text(line[cols[t]]) for t in ("存在主要问题", "责任人", "销号")] for line in grid[r + 3:r + 4]]
    assert carried == {"石桥村党支部": [["测评参与率低", "王书记", ""]], "和平村党支部": [["制度落实不到位", "张书记", ""]]}

    # the next year after that reads the ledger as 定星 keeps it, blocks and all
    again = open_ledger_items(read_grids(out))
    assert [(i["党组织名称"], i["存在主要问题"]) for i in again] == [("石桥村党支部", "测评参与率低"), ("和平村党支部", "制度落实不到位")]


def test_ribbon_new_year_writes_what_the_command_line_writes(rated, tmp_path):
    xw = pytest.importorskip("xlwings")
    from starbook import excel
    from test_excel_shell import payload

    by_cli, _ = api.new_from(rated, tmp_path / "cli.xlsm")
    live = excel.new_year(book=xw.Book(json=payload(rated)), out=tmp_path / "live.xlsm")
    assert live == tmp_path / "live.xlsm"
    assert read_grids(live) == read_grids(by_cli)


def test_organizations_typed_in_the_summary_get_forms_with_the_scheme_s_items(tmp_path):
    from starbook.fill import summary_rows
    from starbook.presets import preset
    from starbook.roster import form_dimensions

    book = api.new("分类定级", tmp_path / "乡.xlsm", orgs=0, year=2026)
    rows = [{"党组织名称": "甲村党支部", "类别": "农村", "上年星级": "三星级"}, {"党组织名称": "乙社区党支部", "类别": "城市社区"}]
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], rows)])
    written, problems = api.distribute(book, tmp_path / "out")
    assert [p.name for p in written] == ["甲村党支部.xlsm", "乙社区党支部.xlsm"] and not problems
    grids = read_grids(written[1])
    [m] = members(grids)
    assert (m.name, m.category, m.last_star) == ("乙社区党支部", "城市社区", None)
    items = [(i.content, i.points) for d in form_dimensions(grids[m.form]) for i in d.items]
    assert items == [(i.content, i.points) for d in preset("fenlei").dimensions for i in d.items]


def test_a_branch_form_lists_the_items_of_its_own_form_in_the_committee_s_book(rated, tmp_path):
    from starbook.edits import CellBlock
    from starbook.roster import form_dimensions

    sheet = "量化评分表3"  # 向阳社区党支部's form, its first item reworded by the committee
    hr, cols = find_header(read_grids(rated)[sheet], "维度", "评分内容", "分值")
    api.write_edits(rated, rated, [CellBlock(sheet, hr + 2, cols["评分内容"] + 1, (("社区网格党建全覆盖",),))])
    api.distribute(rated, tmp_path / "out")
    own = read_grids(tmp_path / "out" / "向阳社区党支部.xlsm")
    other = read_grids(tmp_path / "out" / "东风村党支部.xlsm")
    assert form_dimensions(own["量化评分表1"])[0].items[0].content == "社区网格党建全覆盖"
    assert form_dimensions(other["量化评分表1"])[0].items[0].content != "社区网格党建全覆盖"
    assert form_dimensions(own["量化评分表1"])[1:] == form_dimensions(other["量化评分表1"])[1:]


def test_force_refuses_before_writing_anything_when_one_file_cannot_be_replaced(rated, tmp_path, capsys):
    folder = tmp_path / "分发"
    assert main(["distribute", str(rated), "-o", str(folder)]) == 0
    (folder / "东风村党支部.xlsm").write_bytes(b"filled by the branch")
    (folder / "南岭村党支部.xlsm").chmod(0o444)
    capsys.readouterr()
    assert main(["distribute", str(rated), "-o", str(folder), "--force"]) == 2
    assert "只读" in capsys.readouterr().err
    assert (folder / "东风村党支部.xlsm").read_bytes() == b"filled by the branch"


def test_ribbon_buttons_on_an_unsaved_book_ask_to_save_it_first(rated, tmp_path, monkeypatch):
    xw = pytest.importorskip("xlwings")
    from starbook import excel
    from test_excel_shell import payload

    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    for press in (excel.distribute, excel.new_year):
        book = xw.Book(json=payload(rated))
        assert press(book=book) is None
        alert = book.json()["actions"][-1]
        assert alert["func"] == "alert" and "请先把工作簿保存" in alert["args"][0]
    assert sorted(tmp_path.iterdir()) == before


# ---------------------------------------------------------------- what a branch fills


def _own_parts(path: Path, name: str, *, ballot: bool) -> None:
    """What a branch types into its own book: 自评, 申报星级, and its ballot only where it ran it."""
    grids = read_grids(path)
    [sheet] = form_sheets(list(grids))
    full = next(f for f in fills() if f.name == name)
    own = FormFill(name, items={"自评": full.items["自评"]}, votes=full.votes if ballot else {}, declared="五星级")
    api.write_edits(path, path, form_edits(sheet, grids[sheet], own))


def _row(path: Path) -> dict[str, object]:
    grid = read_grids(path)["汇总表"]
    hr, cols = find_header(grid, "党组织名称", "星级")
    return {t: grid[hr + 1][c] for t, c in cols.items()}


def test_a_branch_filling_only_its_own_parts_passes_check_and_previews_what_it_can(handed_down, capsys):
    ran, did_not = handed_down / "东风村党支部.xlsm", handed_down / "红旗村党支部.xlsm"
    _own_parts(ran, "东风村党支部", ballot=True)
    _own_parts(did_not, "红旗村党支部", ballot=False)
    for path in (ran, did_not):
        outcome = api.check(path)
        assert outcome.ok, [str(p) for p in outcome.problems]
        waiting = [p for p in outcome.problems if "“党委评定”未填写" in p.message]
        assert len(waiting) == 1 and waiting[0].severity == "提示" and waiting[0].cell == "G7"  # the 党委评定 column's title
        capsys.readouterr()
        assert main(["check", str(path)]) == 0
    assert any("“党员群众测评”未填写" in p.message for p in api.check(did_not).problems)
    assert not any("“党员群众测评”未填写" in p.message for p in api.check(ran).problems)

    assert main(["rate", str(ran)]) == 0 and main(["rate", str(did_not)]) == 0
    row = _row(ran)  # 自评 98, 测评 (36×100 + 4×60)/40 = 96, no committee score yet
    assert (row["自评得分"], row["党员群众测评得分"], row["党委评定得分"]) == (98, 96, "")
    assert (row["综合得分"], row["等次"], row["星级"], row["申报星级"]) == ("", "", "", "五星级")
    assert row["调整说明"] == "预览：党委评定尚未填写，综合得分、等次和星级待党委汇总后确定"
    row = _row(did_not)
    assert (row["自评得分"], row["党员群众测评得分"], row["综合得分"]) == (96, "", "")
    assert row["调整说明"].startswith("预览：党委评定、党员群众测评尚未填写")
    assert "五星级" not in [text(r[1]) for r in read_grids(ran)["整改名单"][3:]]


def test_a_committee_part_half_filled_in_a_branch_book_is_still_an_error(handed_down):
    from starbook.fill import form_cells

    path = handed_down / "东风村党支部.xlsm"
    _own_parts(path, "东风村党支部", ballot=True)
    grids = read_grids(path)
    r, c = form_cells(grids["量化评分表1"]).items["党委评定"][0]
    api.write_edits(path, path, [CellBlock("量化评分表1", r + 1, c + 1, ((7,),))])
    outcome = api.check(path)
    assert not outcome.ok
    assert [p.message for p in outcome.problems if p.severity == "错误"][0] == "党委评定得分未填写"


def test_the_committee_s_book_requires_every_part(handed_down, tmp_path):
    path = handed_down / "东风村党支部.xlsm"
    _own_parts(path, "东风村党支部", ballot=True)
    grid = read_grids(path)[P.SHEET]
    at = P.setting_cell(grid, "工作簿类型")
    committee = tmp_path / "党委.xlsm"
    api.write_edits(path, committee, [CellBlock(P.SHEET, at[0] + 1, at[1] + 1, (("党委汇总",),))])
    outcome = api.check(committee)
    errors = [p for p in outcome.problems if p.severity == "错误"]
    assert not outcome.ok and len(errors) == 14 and all(p.message == "党委评定得分未填写" for p in errors)


@pytest.mark.parametrize("preset_id, due", [
    ("fenlei", {"自评"}), ("qiannan", {"自评"}), ("wujiwuping", {"党支部自评"}),
    ("fuwuxing", {"支部自评"}), ("sandang", set()), ("wuxing", set()),
])
def test_each_scheme_s_params_say_which_parts_a_branch_fills(tmp_path, preset_id, due):
    """A 支部填报 book with only the branch's parts (参数 填写方) passes 校验; as 党委汇总 it does not."""
    from starbook.presets import preset

    scheme = preset(preset_id)
    assert {e.name for e in scheme.evaluators if e.filled_by == "支部"} == due
    assert all(e.filled_by in ("支部", "党委", "支部或党委") for e in scheme.evaluators)
    book = api.new(preset_id, tmp_path / "b.xlsm", orgs=1, year=2026)
    grids = read_grids(book)
    assert [e.filled_by for e in P.parse_params(grids[P.SHEET])[0].evaluators] == [e.filled_by for e in scheme.evaluators]
    points = [it.points for d in scheme.dimensions for it in d.items] or [100]
    form = FormFill("甲支部", items={e: points for e in due}, declared="四星级")
    at = P.setting_cell(grids[P.SHEET], "工作簿类型")
    edits = form_edits("量化评分表1", grids["量化评分表1"], form)
    api.write_edits(book, book, [*edits, CellBlock(P.SHEET, at[0] + 1, at[1] + 1, (("支部填报",),))])
    outcome = api.check(book)
    assert outcome.ok, [str(p) for p in outcome.problems]
    assert {p.message.split("”")[0][1:] for p in outcome.problems if "未填写：本工作簿是支部填报工作簿" in p.message} == {
        e.name for e in scheme.evaluators} - due
    api.write_edits(book, book, [CellBlock(P.SHEET, at[0] + 1, at[1] + 1, (("党委汇总",),))])
    assert not api.check(book).ok


def _typed_over(book: Path, out: Path, cells: dict[tuple[str, int, int], object]) -> Path:
    """The book with values typed into cells (1-based rows and columns) as Excel stores them."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(book, keep_vba=True)
    for (sheet, r, c), value in cells.items():
        wb[sheet].cell(r, c).value = value
    wb.save(out)
    return out


def test_a_name_or_star_that_excel_turned_into_a_date_stops_distribute_and_next_year_with_its_cell(rated, tmp_path, capsys):
    """“5-1” typed as a 党组织名称 is a date to Excel: distribute would make “2026-05-01.xlsm”, next year
    an organization of that name. Both refuse, naming the cell; a row without a name is no organization."""
    import datetime

    from starbook.grid import CellError, find_cell

    grid = read_grids(rated)["汇总表"]
    (rn, cn), (rl, cl) = find_cell(grid, "党组织名称"), find_cell(grid, "上年星级")
    form = read_grids(rated)["量化评分表3"]
    rf, cf = find_cell(form, "党组织名称", max_rows=12)
    bad = _typed_over(rated, tmp_path / "bad.xlsm", {("汇总表", rn + 2, cn + 1): datetime.datetime(2026, 5, 1),
                                                    ("量化评分表3", rf + 1, cf + 2): datetime.time(9, 30),
                                                    ("汇总表", len(grid) + 3, cl + 1): datetime.date(2026, 1, 2)})  # a stray cell, no name
    written, problems = api.distribute(bad, tmp_path / "分发")
    assert written == [] and not (tmp_path / "分发").exists()
    said = {(p.sheet, p.cell, p.message) for p in problems}
    assert ("汇总表", f"{chr(65 + cn)}{rn + 2}", "党组织名称是日期或时间「2026-05-01」，不是文字") in said
    assert ("量化评分表3", f"{chr(66 + cf)}{rf + 1}", "党组织名称是日期或时间「09:30:00」，不是文字") in said
    assert len(said) == 2
    out, problems = api.new_from(bad, tmp_path / "2027.xlsm")
    assert out is None and not (tmp_path / "2027.xlsm").exists() and len(problems) == 2
    # and check names the 汇总表's cell the same way
    code = main(["check", str(bad)])
    said_out = capsys.readouterr()
    text_out = said_out.out + said_out.err
    assert code == 1 and f"【汇总表】{chr(65 + cn)}{rn + 2}：党组织名称是日期或时间「2026-05-01」，不是文字" in text_out
    assert CellError("#REF!").describe() == "是错误值 #REF!"  # the same sentence an error value there gets


def test_a_forms_name_or_last_star_that_excel_turned_into_a_time_is_an_error_not_a_new_name(rated, tmp_path):
    """A form's 党组织名称 typed as "9:30" would rename the organization to “09:30:00”: reported instead."""
    import datetime

    from starbook.grid import find_cell

    form = read_grids(rated)["量化评分表3"]
    (rn, cn), (rl, cl) = find_cell(form, "党组织名称", max_rows=12), find_cell(form, "上年星级", max_rows=12)
    bad = _typed_over(rated, tmp_path / "bad.xlsm", {("量化评分表3", rn + 1, cn + 2): datetime.time(9, 30),
                                                    ("量化评分表3", rl + 1, cl + 2): datetime.date(2026, 5, 1)})
    outcome = api.check(bad)
    said = {(p.sheet, p.cell, p.message) for p in outcome.problems if p.severity == "错误"}
    assert said == {("量化评分表3", f"{chr(66 + cn)}{rn + 1}", "党组织名称是日期或时间「09:30:00」，不是文字"),
                    ("量化评分表3", f"{chr(66 + cl)}{rl + 1}", "上年星级是日期或时间「2026-05-01」，不是文字")}
