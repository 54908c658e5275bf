"""The ribbon's code path, run on xlwings' real remote engine (the JSON the VBA/Office.js clients send).

The payload is built from a real workbook file; the actions xlwings returns are
applied to a copy of that file; the result must equal what `starbook rate` writes.
"""
from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

xw = pytest.importorskip("xlwings")

from starbook import api, excel  # noqa: E402
from starbook.fill import summary_rows  # noqa: E402
from starbook.edits import CellBlock  # noqa: E402
from starbook.xlsx.read import read_grids  # noqa: E402

NOW = datetime(2026, 11, 22, 9, 30, 0)
USER = "zuzhi"


def payload(path: Path) -> dict:
    """What a client sends: every sheet's values from A1, blanks as ''."""
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in wb.sheet_names:
        values = wb.get_sheet_by_name(name).to_python(skip_empty_area=False) or [[""]]
        sheets.append({"name": name, "values": values, "pictures": [], "tables": []})
    return {
        "client": "Microsoft Office Scripts",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }


def apply_actions(path: Path, book, actions: list[dict]) -> list[str]:
    """Apply setValues to the file as the client would; return the other actions' names."""
    names = [s["name"] for s in payload(path)["sheets"]]
    edits, others = [], []
    for a in actions:
        if a["func"] == "setValues":
            edits.append(CellBlock(names[a["sheet_position"]], a["start_row"] + 1, a["start_column"] + 1,
                                   tuple(tuple(None if v == "" else v for v in line) for line in a["values"])))
        else:
            others.append(a["func"])
    api.write_edits(path, path, edits)
    return others


def live_rate(path: Path):
    book = xw.Book(json=payload(path))
    outcome = excel.rate(book=book, now=NOW, user=USER)
    return outcome, book.json()["actions"]


def test_ribbon_rate_equals_the_command_line(example, tmp_path):
    by_cli = tmp_path / "cli.xlsm"
    assert api.rate(example, by_cli, now=NOW, user=USER).ok
    live = tmp_path / "live.xlsm"
    shutil.copyfile(example, live)
    outcome, actions = live_rate(live)
    assert outcome.ok
    others = apply_actions(live, None, actions)
    assert "alert" in others  # the summary message box
    assert read_grids(live)["汇总表"] == read_grids(by_cli)["汇总表"]
    assert read_grids(live)["定星记录"] == read_grids(by_cli)["定星记录"]
    assert read_grids(live)["整改名单"] == read_grids(by_cli)["整改名单"]
    alert = next(a for a in actions if a["func"] == "alert")
    assert "定星完成：12 个党组织" in alert["args"][0] and alert["args"][1] == "星级评定"


def test_bad_input_shows_problems_and_writes_no_result(example, tmp_path):
    api.write_edits(example, example, [CellBlock("量化评分表3", 8, 7, ((9,),))])
    outcome, actions = live_rate(example)
    assert not outcome.ok
    funcs = [a["func"] for a in actions]
    assert "addSheet" in funcs  # the 问题清单 sheet
    writes = [a for a in actions if a["func"] == "setValues"]
    assert {a["sheet_position"] for a in writes} == {len(payload(example)["sheets"])}  # only the new 问题清单
    listing = writes[0]["values"]
    assert listing[0][:5] == ["序号", "工作表", "单元格", "问题", "改法"]
    assert listing[1][1:3] == ["量化评分表3", "G8"] and "超出范围 0～8" in listing[1][3]
    alert = next(a for a in actions if a["func"] == "alert")
    assert "未写入任何结果" in alert["args"][0] and alert["args"][3] == "critical"


def test_number_of_actions_does_not_grow_with_the_organizations(tmp_path):
    counts = {}
    for n in (30, 3000):
        book_path = tmp_path / f"{n}.xlsm"
        api.new("分类定级", book_path, orgs=0)
        grid = read_grids(book_path)["汇总表"]
        rows = [{"党组织名称": f"第{i}支部", "党委评定得分": Decimal(60 + i % 40), "党员群众测评得分": Decimal(70 + i % 30),
                 "自评得分": Decimal(80 + i % 20), "上年星级": "三星级"} for i in range(n)]
        api.write_edits(book_path, book_path, [summary_rows(grid, rows)])
        outcome, actions = live_rate(book_path)
        assert outcome.ok
        counts[n] = len(actions)
    assert counts[3000] == counts[30] and counts[3000] < 40


def test_add_form_copies_the_last_form_and_clears_its_inputs(example):
    book = xw.Book(json=payload(example))
    name = excel.add_form(book=book)
    assert name == "量化评分表13"
    actions = book.json()["actions"]
    funcs = [a["func"] for a in actions]
    assert funcs[:2] == ["copySheet", "setSheetName"] and actions[1]["args"] == [name]
    assert actions[0]["args"][:2] == ["After", 12]  # after the last form, 量化评分表12
    cleared = [a for a in actions if a["func"] == "setValues"]
    assert cleared and all(all(v in ("", None, "否") for line in a["values"] for v in line) for a in cleared)


def test_help_and_unexpected_errors_speak_chinese(tmp_path):
    book = xw.Book(json=payload(api.template_path()))
    excel.show_help(book=book)
    assert "使用步骤" in book.json()["actions"][-1]["args"][0]
    broken = payload(api.template_path())
    broken["sheets"] = [s for s in broken["sheets"] if s["name"] != "参数"]
    book = xw.Book(json=broken)
    excel.rate(book=book)
    alert = book.json()["actions"][-1]
    assert alert["func"] == "alert" and "工作簿中没有“参数”工作表" in alert["args"][0]
