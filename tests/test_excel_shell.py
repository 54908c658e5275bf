"""The ribbon's code path, run on xlwings' real remote engine (the JSON the VBA/Office.js clients send).

The payload is built from a real workbook file; the actions xlwings returns are
applied to a copy of that file, each text parsed as Excel parses what it is given
(tests/excel_client.py); the result must equal what `starbook rate` writes.
"""
from __future__ import annotations

import shutil
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

xw = pytest.importorskip("xlwings")

from starbook import api, excel  # noqa: E402
from starbook.fill import summary_rows  # noqa: E402
from starbook.edits import Cached, CellBlock  # noqa: E402
from starbook.xlsx.read import read_grids  # noqa: E402

from excel_client import Model, client_value, excel_coerce  # noqa: E402

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


def _storable(value):
    """A cell value the file patcher can write; a value Excel made of a text stays visibly wrong."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else f"<{type(value).__name__} {value}>"


def apply_actions(path: Path, book, actions: list[dict]) -> list[str]:
    """Apply the cell actions to the file as the client and Excel would; return the other actions' names."""
    names = [s["name"] for s in payload(path)["sheets"]]
    edits, others = [], []
    for a in actions:
        if a["func"] == "setValues":
            edits.append(CellBlock(names[a["sheet_position"]], a["start_row"] + 1, a["start_column"] + 1,
                                   tuple(tuple(_storable(client_value(v)) for v in line) for line in a["values"])))
        elif a["func"] == "rangeClearContents":
            edits.append(CellBlock(names[a["sheet_position"]], a["start_row"] + 1, a["start_column"] + 1,
                                   ((None,) * a["column_count"],) * a["row_count"]))
        else:
            others.append(a["func"])
    for edit in edits:  # one at a time, in order, as the client applies them
        api.write_edits(path, path, [edit])
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
    assert read_grids(live)["定星统计"] == read_grids(by_cli)["定星统计"]
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
    listing = [[excel_coerce(v) for v in line] for line in writes[-1]["values"]]
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
    assert cleared and all(all(excel_coerce(v) in (None, "否") for line in a["values"] for v in line) for a in cleared)


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


TRICKY = ["001", "15%", "=1+1", "2026-11-22 09:30", "TRUE", "1e5", "(12)", "1/2", "'引号", "12:30"]


def test_the_emulated_excel_parses_texts_as_excel_does():
    from excel_client import Formula

    parsed = {v: excel_coerce(v) for v in TRICKY}
    assert parsed == {"001": 1.0, "15%": 0.15, "=1+1": Formula("=1+1"), "2026-11-22 09:30": datetime(2026, 11, 22, 9, 30),
                      "TRUE": True, "1e5": 100000.0, "(12)": -12.0, "1/2": datetime(2026, 1, 2), "'引号": "引号",
                      "12:30": time(12, 30)}
    assert all(excel_coerce(v, "@") == v and excel_coerce("'" + v) == v for v in TRICKY)


def typed_book(path: Path, names: list[str], numbered=lambda i: False) -> Path:
    """A 分类定级 book whose 汇总表 is typed directly: `names`, 序号 only where `numbered(i)`."""
    api.new("分类定级", path, orgs=0)
    grid = read_grids(path)["汇总表"]
    rows = [{"序号": i + 1 if numbered(i) else None, "党组织名称": name, "党委评定得分": Decimal(60 + i % 40),
             "党员群众测评得分": Decimal(70 + i % 30), "自评得分": Decimal(80 + i % 20), "上年星级": "三星级"}
            for i, name in enumerate(names)]
    api.write_edits(path, path, [summary_rows(grid, rows)])
    return path


def test_every_text_arrives_as_the_same_text(tmp_path):
    path = typed_book(tmp_path / "tricky.xlsm", TRICKY)
    book = xw.Book(json=payload(path))
    outcome = excel.rate(book=book, now=NOW, user="001")
    assert outcome.ok
    model = Model(payload(path))
    model.apply(book.json()["actions"])
    texts = 0
    for e in outcome.edits:
        if isinstance(e, CellBlock) and not any(isinstance(v, Cached) for line in e.values for v in line):
            for i, line in enumerate(e.values):
                for j, v in enumerate(line):
                    if isinstance(v, str) and v:
                        assert model.sheet(e.sheet).get((e.row + i, e.col + j)) == v, (e.sheet, e.row + i, e.col + j)
                        texts += 1
    names = {model.sheet("汇总表")[(r, 2)] for r in range(4, 4 + len(TRICKY))}
    assert names == set(TRICKY) and texts > 3 * len(TRICKY)  # names, stars, notes, the 定星记录 time and user…


def test_tricky_names_rate_the_same_in_excel_and_on_the_command_line(tmp_path):
    path = typed_book(tmp_path / "tricky.xlsm", TRICKY)
    by_cli = tmp_path / "cli.xlsm"
    assert api.rate(path, by_cli, now=NOW, user=USER).ok
    outcome, actions = live_rate(path)
    assert outcome.ok
    apply_actions(path, None, actions)
    for sheet in ("汇总表", "定星记录", "整改名单", "定星统计"):
        assert read_grids(path)[sheet] == read_grids(by_cli)[sheet], sheet


def refuse_writes(monkeypatch, refused):
    """Excel refusing a range write (protected sheet, a cell in edit mode): the engine raises,
    nothing of that write is applied. `refused(sheet name, number of earlier attempts)` decides;
    returns the sheets written."""
    from xlwings.pro import _xlremote

    setter = _xlremote.Range.raw_value.fset
    done, tried = [], []

    def guarded(self, value):
        tried.append(self.sheet.name)
        if refused(self.sheet.name, len(tried) - 1):
            raise RuntimeError("(-2147352567, 'Exception occurred.', 'Unable to set the Value property')")
        done.append(self.sheet.name)
        setter(self, value)

    monkeypatch.setattr(_xlremote.Range, "raw_value", _xlremote.Range.raw_value.setter(guarded))
    return done


def test_a_refused_write_is_undone_and_the_message_says_so(example, monkeypatch):
    before = payload(example)
    done = refuse_writes(monkeypatch, lambda sheet, n: sheet == "定星记录")
    book = xw.Book(json=before)
    assert excel.rate(book=book, now=NOW, user=USER) is None
    actions = book.json()["actions"]
    assert {"汇总表", "整改名单", "定星统计"} <= set(done)  # these were written before 定星记录 refused
    model = Model(before)
    model.apply(actions)
    assert model.cells == Model(before).cells  # every written cell holds again what it held
    alert = [a for a in actions if a["func"] == "alert"]
    assert len(alert) == 1 and "“定星记录”" in alert[0]["args"][0] and "工作簿未改动" in alert[0]["args"][0]
    assert alert[0]["args"][3] == "critical"


def test_a_write_that_cannot_be_undone_is_not_called_untouched(example, monkeypatch):
    refuse_writes(monkeypatch, lambda sheet, n: n >= 3)  # also the writes that would undo the first three
    book = xw.Book(json=payload(example))
    assert excel.rate(book=book, now=NOW, user=USER) is None
    alert = next(a for a in book.json()["actions"] if a["func"] == "alert")["args"][0]
    assert "未改动" not in alert and "已部分改动" in alert and "不保存" in alert


def test_number_of_writes_does_not_grow_with_the_gaps_in_the_numbering(tmp_path):
    counts = {}
    for n in (30, 3000):
        path = typed_book(tmp_path / f"{n}.xlsm", [f"第{i}支部" for i in range(n)], numbered=lambda i: i % 2 == 0)
        by_cli = tmp_path / f"{n}-cli.xlsm"
        assert api.rate(path, by_cli, now=NOW, user=USER).ok
        outcome, actions = live_rate(path)
        assert outcome.ok
        counts[n] = len(actions)
        apply_actions(path, None, actions)
        assert read_grids(path)["汇总表"] == read_grids(by_cli)["汇总表"]
    assert counts[3000] == counts[30] and counts[3000] < 40


def test_a_failure_to_reach_the_book_still_speaks_chinese(monkeypatch, tmp_path):
    import tempfile

    def caller():
        raise RuntimeError("Could not activate Python COM server")

    shown = []
    monkeypatch.setattr(xw.Book, "caller", staticmethod(caller))
    monkeypatch.setattr(excel, "_message_box", shown.append, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for entry in (excel.rate, excel.check, excel.add_form, excel.show_help):
        assert entry() is None
    assert len(shown) == 4 and all("starbook 内部错误，工作簿未改动" in text for text in shown)
    assert "Could not activate Python COM server" in (tmp_path / "starbook-error.log").read_text(encoding="utf-8")


def test_a_new_form_that_cannot_be_cleared_is_taken_away_again(example, monkeypatch):
    refuse_writes(monkeypatch, lambda sheet, n: sheet == "量化评分表13" and n == 2)  # the third blank write
    book = xw.Book(json=payload(example))
    assert excel.add_form(book=book) is None
    funcs = [a["func"] for a in book.json()["actions"]]
    assert funcs[:2] == ["copySheet", "setSheetName"] and funcs[-2:] == ["sheetDelete", "alert"]
    assert funcs.count("setValues") == 4  # the two blank writes that went through, and their undo
    alert = book.json()["actions"][-1]["args"][0]
    assert "“量化评分表13”" in alert and "工作簿未改动" in alert


def test_problems_are_shown_even_when_the_problem_sheet_cannot_be_written(example, monkeypatch):
    api.write_edits(example, example, [CellBlock("量化评分表3", 8, 7, ((9,),))])
    before = payload(example)
    refuse_writes(monkeypatch, lambda sheet, n: sheet == "问题清单")
    book = xw.Book(json=before)
    outcome = excel.rate(book=book, now=NOW, user=USER)
    assert outcome is not None and not outcome.ok
    actions = book.json()["actions"]
    assert [a["func"] for a in actions][-2:] == ["sheetDelete", "alert"]  # the new 问题清单 is taken away again
    alert = actions[-1]["args"][0]
    assert "未写入任何结果" in alert and "【量化评分表3】G8" in alert and "未能写入“问题清单”工作表" in alert
