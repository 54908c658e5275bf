"""新增评分表 with a 评分细则: the new form is a copy of a form of the new organization's 类别
(the 汇总表 row the cursor is on), run on xlwings' real remote engine."""
from __future__ import annotations

import pytest

from starbook import api
from starbook.cli import main
from starbook.fill import summary_rows
from starbook.xlsx.read import read_grids

xw = pytest.importorskip("xlwings")

from starbook import excel  # noqa: E402
from excel_client import excel_coerce  # noqa: E402
from test_excel_shell import payload  # noqa: E402
from test_items import seven  # noqa: E402,F401  (the fixture: a 7-类别 table)

ROWS = [{"党组织名称": "县财政局机关支部", "类别": "机关事业单位", "上年星级": "三星级"}, {"党组织名称": "前进村", "类别": "农村"}]


def _book(tmp_path, seven, capsys):
    book = api.new("分类定级", tmp_path / "镇.xlsm", orgs=0, items=api.load_items(seven)[0])
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], ROWS)])
    assert main(["forms", str(book)]) == 0, capsys.readouterr().err  # 量化评分表1 机关, 量化评分表2 农村 (the last)
    new = {"党组织名称": "镇卫生院支部", "类别": "机关事业单位", "上年星级": "二星级"}
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [*ROWS, new])])
    return book


def _press(book, *, sheet: int, cell: str):
    data = payload(book)
    data["book"]["active_sheet_index"], data["book"]["selection"] = sheet, cell
    live = xw.Book(json=data)
    return excel.add_form(book=live), live.json()["actions"]


def test_the_new_form_copies_a_form_of_the_cursor_rows_kind_and_takes_its_header(tmp_path, seven, capsys):
    book = _book(tmp_path, seven, capsys)
    names = [s["name"] for s in payload(book)["sheets"]]
    name, actions = _press(book, sheet=names.index("汇总表"), cell="B6")  # the third organization's row
    assert name == "量化评分表3"
    copy = next(a for a in actions if a["func"] == "copySheet")
    assert names[copy["sheet_position"]] == "量化评分表1"  # the 机关 form, not the last (village) one
    written = [excel_coerce(v) for a in actions if a["func"] == "setValues" for line in a["values"] for v in line]
    assert {"镇卫生院支部", "机关事业单位", "二星级"} <= set(written)


def test_without_a_row_under_the_cursor_it_asks_for_one(tmp_path, seven, capsys):
    book = _book(tmp_path, seven, capsys)
    names = [s["name"] for s in payload(book)["sheets"]]
    name, actions = _press(book, sheet=names.index("量化评分表2"), cell="A1")
    assert name is None and [a["func"] for a in actions] == ["alert"]
    assert "选中它所在的行" in actions[0]["args"][0]


def test_a_kind_no_form_was_built_for_is_refused_with_the_ways_to_get_one(tmp_path, seven, capsys):
    book = _book(tmp_path, seven, capsys)
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [*ROWS, {"党组织名称": "义工协会支部", "类别": "社会组织"}])])
    names = [s["name"] for s in payload(book)["sheets"]]
    name, actions = _press(book, sheet=names.index("汇总表"), cell="B6")
    assert name is None and [a["func"] for a in actions] == ["alert"]
    assert "类别“社会组织”" in actions[0]["args"][0] and "--kind 社会组织" in actions[0]["args"][0]


def test_an_organization_that_has_a_form_gets_no_second_one(tmp_path, seven, capsys):
    book = _book(tmp_path, seven, capsys)
    names = [s["name"] for s in payload(book)["sheets"]]
    name, actions = _press(book, sheet=names.index("汇总表"), cell="B4")  # 县财政局机关支部: 量化评分表1
    assert name is None and [a["func"] for a in actions] == ["alert"]
    assert "已经有评分表“量化评分表1”" in actions[0]["args"][0]
