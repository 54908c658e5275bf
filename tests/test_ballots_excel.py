"""The 导入测评票 button's code path on xlwings' real remote engine gives the CLI's cells."""
from __future__ import annotations

import shutil
from datetime import datetime

import pytest

xw = pytest.importorskip("xlwings")

from starbook import api, excel  # noqa: E402
from starbook.xlsx.read import read_grids  # noqa: E402
from test_ballots import BALLOTS, book, counts_on_forms, expected, tally_xlsx, wjx_number_csv, wjx_text_xlsx  # noqa: E402,F401
from test_excel_shell import apply_actions, payload  # noqa: E402

NOW = datetime(2026, 11, 22, 9, 30, 0)
USER = "zuzhi"
COMPARED = ("量化评分表1", "量化评分表2", "量化评分表3", "测评导入记录")


def live_import(path, exports, **kwargs):
    book_ = xw.Book(json=payload(path))
    outcome = excel.import_ballots(book=book_, paths=exports, now=NOW, user=USER, **kwargs)
    actions = book_.json()["actions"]
    others = apply_actions(path, None, actions) if outcome is not None and outcome.ok else [a["func"] for a in actions]
    return outcome, others, actions


def test_the_button_writes_what_the_command_line_writes(book, tmp_path):
    online = wjx_text_xlsx(tmp_path / "问卷星.xlsx", BALLOTS[:10])
    paper = tally_xlsx(tmp_path / "计票表.xlsx", expected(BALLOTS[10:]))
    live = tmp_path / "live.xlsm"
    shutil.copyfile(book, live)
    assert api.ballots(book, [online], now=NOW, user=USER).ok
    assert api.ballots(book, [paper], add=True, now=NOW, user=USER).ok
    outcome, others, actions = live_import(live, [online])
    assert outcome.ok and "alert" in others
    outcome, others, actions = live_import(live, [paper], add=True)
    assert outcome.ok
    alert = next(a for a in actions if a["func"] == "alert")
    assert "已导入测评票（党员群众测评，与已有票数相加）" in alert["args"][0] and "东风村党支部：好16" in alert["args"][0]
    cli, ribbon = read_grids(book), read_grids(live)
    for sheet in COMPARED:
        assert ribbon[sheet] == cli[sheet], sheet
    assert counts_on_forms(live) == expected()


def test_the_button_lists_problems_and_writes_no_count(book, tmp_path):
    export = wjx_number_csv(tmp_path / "问卷星.csv")
    text = export.read_text(encoding="gbk").replace(",3,", ",7,", 1)
    export.write_text(text, encoding="gbk")
    outcome, others, actions = live_import(book, [export])
    assert not outcome.ok
    writes = [a for a in actions if a["func"] == "setValues"]
    assert {a["sheet_position"] for a in writes} == {len(payload(book)["sheets"])}  # only the new 问题清单
    assert "addSheet" in others
    assert "一列的答案「7」不是测评选项" in writes[0]["values"][1][3]


def test_an_unreadable_export_is_a_chinese_message(book, tmp_path):
    junk = tmp_path / "坏.xlsx"
    junk.write_bytes(b"junk")
    outcome, others, actions = live_import(book, [junk])
    assert outcome is None
    alert = actions[-1]
    assert alert["func"] == "alert" and "无法导入测评票：无法读取测评文件“坏.xlsx”" in alert["args"][0]


def test_the_button_asks_add_or_replace_only_after_an_earlier_import(book, tmp_path):
    export = wjx_text_xlsx(tmp_path / "问卷星.xlsx")
    _, _, actions = live_import(book, [export])
    assert not any(a["func"] == "alert" and a["args"][2] == "yes_no_cancel" for a in actions)
    _, _, actions = live_import(book, [export])
    question = next(a for a in actions if a["func"] == "alert" and a["args"][2] == "yes_no_cancel")
    assert "是：与已有票数相加" in question["args"][0]
    assert counts_on_forms(book) == expected()  # no answer (remote engine): replaced, the same file counted once


def test_with_two_votes_the_button_asks_whose_ballots_they_are(tmp_path):
    from test_ballots import plain_xlsx
    from starbook.fill import FormFill, form_edits

    path = tmp_path / "五级五评.xlsm"
    api.new("五级五评", path, orgs=3)
    grids = read_grids(path)
    api.write_edits(path, path, [e for i, org in enumerate(("东风村党支部", "红旗村党支部", "向阳社区党支部"), start=1)
                                 for e in form_edits(f"量化评分表{i}", grids[f"量化评分表{i}"], FormFill(name=org))])
    export = plain_xlsx(tmp_path / "登记表.xlsx")
    outcome, _, actions = live_import(path, [export])
    assert outcome is None  # no answer to the question: nothing imported
    question = next(a for a in actions if a["func"] == "alert" and a["args"][2] == "yes_no_cancel")
    assert "这些测评票是“党员评”的吗" in question["args"][0]
    outcome, _, _ = live_import(path, [export], evaluator="群众评")
    assert outcome.ok and outcome.evaluator == "群众评"
    grid = read_grids(path)["量化评分表1"]
    from starbook.fill import form_cells

    cells = form_cells(grid).votes
    assert grid[cells["群众评"]["好"][0]][cells["群众评"]["好"][1]] == expected()["东风村党支部"]["好"]
    assert grid[cells["党员评"]["好"][0]][cells["党员评"]["好"][1]] == ""
