"""Trustworthy on real cadres' files (issue 7): forms corrected, renamed or removed after
a first rating, footers below the 汇总表, digests across shells, retyped output sheets,
what the console prints, and previews that follow 参数's rounding."""
from __future__ import annotations

from pathlib import Path

import openpyxl

from starbook.xlsx.read import read_grids
from test_bad_input import digest, run  # the CLI run and file digest the bad-input tests use


def edit(path: Path, change) -> None:
    """Make an input file the way a cadre would change it (openpyxl, macros kept)."""
    wb = openpyxl.load_workbook(path, keep_vba=True)
    change(wb)
    wb.save(path)


def right_of(ws, label: str):
    """The value cell right of a label (a form's header fields)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == label:
                return ws.cell(cell.row, cell.column + 1)
    raise KeyError(label)


def find(ws, value):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell
    raise KeyError(value)


def summary(path: Path) -> tuple[list[str], list[dict]]:
    """The 汇总表's header and its organization rows, as values."""
    ws = openpyxl.load_workbook(path, data_only=True)["汇总表"]
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if "党组织名称" in r)
    header = list(rows[h])
    return header, [dict(zip(header, r)) for r in rows[h + 1 :] if r[header.index("党组织名称")]]


def by_name(path: Path) -> dict[str, dict]:
    return {r["党组织名称"]: r for r in summary(path)[1]}


# ---------------------------------------------------------------- 1. provenance


def _sandang_book(tmp_path: Path) -> tuple[Path, str]:
    """Two 三档星级 forms (the preset whose document lists vetoes); 甲支部 marks the first veto."""
    from decimal import Decimal

    from starbook import api
    from starbook.fill import FormFill, form_edits, item_scores
    from starbook.presets import preset
    from starbook.xlsx.read import read_grids

    book = tmp_path / "sandang.xlsm"
    api.new("三档星级", book, orgs=2)
    scheme = preset("sandang")
    points = [it.points for d in scheme.dimensions for it in d.items]
    veto = scheme.vetoes[3].name
    grids = read_grids(book)
    edits = []
    for i, (name, hit) in enumerate((("甲支部", True), ("乙支部", False)), start=1):
        fill = FormFill(name, "农村", "四星级", items={"考核": item_scores(points, Decimal("97"))}, vetoes=(veto,) if hit else ())
        edits += form_edits(f"量化评分表{i}", grids[f"量化评分表{i}"], fill)
    api.write_edits(book, book, edits)
    return book, veto


def test_a_form_corrected_after_rating_wins_in_the_summary(capsys, tmp_path):
    book, veto = _sandang_book(tmp_path)
    assert run(capsys, "rate", book)[0] == 0
    first = by_name(book)["甲支部"]
    assert (first["否决事项"], first["上年星级"], first["星级"], first["数据来源"]) == (veto, "四星级", "四星级", "量化评分表1")

    def correct(wb):
        ws = wb["量化评分表1"]
        ws.cell(find(ws, veto).row, find(ws, "是否存在").column).value = "否"
        right_of(ws, "类别").value = "城市社区"
        right_of(ws, "上年星级").value = None

    edit(book, correct)
    code, out = run(capsys, "rate", book)
    assert code == 0, out
    row = by_name(book)["甲支部"]
    assert row["否决事项"] in (None, "")
    assert row["类别"] == "城市社区"
    assert row["上年星级"] in (None, "") and row["升降"] in (None, "")
    assert "否决" not in (row["调整说明"] or "")
    assert row["星级"] == "五星级"


def test_a_renamed_form_keeps_its_row(capsys, example):
    assert run(capsys, "rate", example)[0] == 0
    edit(example, lambda wb: setattr(right_of(wb["量化评分表2"], "党组织名称"), "value", "红旗村党总支"))
    code, out = run(capsys, "rate", example)
    assert code == 0, out
    header, rows = summary(example)
    names = [r["党组织名称"] for r in rows]
    assert len(rows) == 12 and "红旗村党支部" not in names
    assert names[1] == "红旗村党总支" and rows[1]["数据来源"] == "量化评分表2"
    assert "“红旗村党支部”改为“红旗村党总支”" in out
    assert "党组织：12 个" in out  # rated and counted in the quotas once, not as 13


def _source_letter(book) -> str:
    head = read_grids(book)["汇总表"][2]
    return chr(65 + head.index("数据来源"))


def test_a_deleted_form_leaves_no_ghost(capsys, example):
    assert run(capsys, "rate", example)[0] == 0
    edit(example, lambda wb: wb.remove(wb["量化评分表12"]))
    before = digest(example)
    code, out = run(capsys, "rate", example)
    assert code == 1
    src = _source_letter(example)  # 数据来源: found by its title (the last column in newer books)
    assert f"【汇总表】{src}15：第15行“南岭村党支部”的数据来源“量化评分表12”已不存在" in out
    assert "删除这一行，或清空该行的‘数据来源’后作为手填数据定星" in out
    assert digest(example) == before
    # the cadre keeps the row as typed data: it is rated from what it holds
    edit(example, lambda wb: setattr(wb["汇总表"][f"{src}15"], "value", None))
    code, out = run(capsys, "rate", example)
    assert code == 0, out
    assert by_name(example)["南岭村党支部"]["综合得分"] is not None


def test_a_cleared_form_leaves_no_ghost(capsys, example):
    assert run(capsys, "rate", example)[0] == 0

    def clear(wb):
        ws = wb["量化评分表3"]
        right_of(ws, "党组织名称").value = None
        top = find(ws, "党委评定").row
        for row in ws.iter_rows(min_row=top + 1, max_row=find(ws, "合计").row - 1, min_col=7, max_col=8):
            for cell in row:
                cell.value = None

    edit(example, clear)
    code, out = run(capsys, "rate", example)
    assert code == 1
    assert "“向阳社区党支部”的数据来源“量化评分表3”已清空" in out


# ---------------------------------------------------------------- 3. digests


def _log_row(path: Path) -> dict:
    ws = openpyxl.load_workbook(path, data_only=True)["定星记录"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    h = next(i for i, r in enumerate(rows) if r[0] == "定星时间")
    last = [r for r in rows[h + 1 :] if any(v is not None for v in r)][-1]
    return dict(zip(rows[h], last))


def _openpyxl_grid(path: Path, sheet: str) -> list[list]:
    """The same sheet as another reader hands it over: whole numbers come back as int."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]


def test_digests_are_recomputed_from_the_summary_alone(capsys, example):
    from starbook.digests import summary_digests
    from starbook.sheets.params import parse_params
    from starbook.xlsx.read import read_grids

    assert run(capsys, "rate", example)[0] == 0
    log = _log_row(example)
    assert len(log["输入摘要"]) == len(log["结果摘要"]) == 64
    scheme = parse_params(read_grids(example)["参数"])[0]
    assert summary_digests(read_grids(example)["汇总表"], scheme) == (log["输入摘要"], log["结果摘要"])
    assert summary_digests(_openpyxl_grid(example, "汇总表"), scheme) == (log["输入摘要"], log["结果摘要"])

    # a result typed over by hand: the inputs still match, the results do not
    def retype(wb):
        ws = wb["汇总表"]
        cell = find(ws, "东风村党支部")
        ws.cell(cell.row, find(ws, "星级").column).value = "一星级"

    edit(example, retype)
    inputs, results = summary_digests(read_grids(example)["汇总表"], scheme)
    assert inputs == log["输入摘要"] and results != log["结果摘要"]


def test_the_digests_do_not_depend_on_the_shell(example):
    """calamine hands over floats, xlwings floats, other readers ints or Decimals: one digest."""
    from decimal import Decimal

    from starbook.edits import CellBlock
    from starbook.ratebook import LOG_SHEET, rate_book
    from starbook.xlsx.read import read_grids

    grids = read_grids(example)

    def as_ints(v):
        return int(v) if isinstance(v, float) and v.is_integer() else v

    def as_decimals(v):
        return Decimal(repr(v)).quantize(Decimal("0.00")) if isinstance(v, float) and abs(v) < 1000 else v

    def digests(convert) -> list:
        shell = {name: [[convert(v) for v in row] for row in grid] for name, grid in grids.items()}
        outcome = rate_book(shell, user="x")
        assert outcome.ok, outcome.problems
        (log,) = [e for e in outcome.edits if isinstance(e, CellBlock) and e.sheet == LOG_SHEET]
        return [v for v in log.values[0] if isinstance(v, str) and len(v) == 64]

    assert digests(lambda v: v) == digests(as_ints) == digests(as_decimals)
    assert len(digests(lambda v: v)) == 2


# ---------------------------------------------------------------- 2. room below the 汇总表


def test_new_rows_never_overwrite_a_footer(capsys, example):
    def footer(wb):
        ws = wb["汇总表"]
        ws["A6"] = "填报人：张三        审核人：李四"
        ws.merge_cells("A6:H6")

    edit(example, footer)
    before = digest(example)
    code, out = run(capsys, "rate", example)
    assert code == 1
    assert "【汇总表】A6：汇总表第4行以下有内容（第6行），新增的11个党组织需要11个空行。请在第6行前插入10行后再定星" in out
    assert digest(example) == before


def test_an_empty_merged_cell_counts_as_content(capsys, example):
    edit(example, lambda wb: wb["汇总表"].merge_cells("B10:F11"))
    code, out = run(capsys, "rate", example)
    assert code == 1
    assert "（第10行），新增的11个党组织需要11个空行。请在第10行前插入6行后再定星" in out
    # with room enough below, the footer stays where it is
    def move(wb):
        ws = wb["汇总表"]
        ws.unmerge_cells("B10:F11")
        ws["A20"] = "填报人："
        ws.merge_cells("A20:H20")

    edit(example, move)
    code, out = run(capsys, "rate", example)
    assert code == 0, out
    ws = openpyxl.load_workbook(example)["汇总表"]
    assert ws["A20"].value == "填报人：" and "A20:H20" in {str(m) for m in ws.merged_cells.ranges}
    assert ws["B15"].value == "南岭村党支部"


# ---------------------------------------------------------------- 5. the console


def test_the_console_counts_what_it_lists(capsys, example):
    # 红旗村's ballot now misses the turnout: a remark, but its star (the one five-star place) stays
    edit(example, lambda wb: setattr(right_of(wb["量化评分表2"], "应参评人数"), "value", 200))
    code, out = run(capsys, "rate", example)
    assert code == 0, out
    assert "调整 5 个，另有说明 1 条：" in out
    listed = out.split("另有说明 1 条：")[1].split("目标")[0]
    assert sum(name in listed for name in ("东风村", "红旗村", "向阳社区", "新华村", "长青村", "石桥村")) == 6
    assert by_name(example)["红旗村党支部"]["星级"] == "五星级"


def test_a_tie_note_names_the_rivals_only(capsys, example):
    def same_as_hongqi(wb):
        src, dst = wb["量化评分表2"], wb["量化评分表3"]
        for row in range(8, 22):
            for col in (7, 8):
                dst.cell(row, col).value = src.cell(row, col).value
        for row in range(37, 43):
            dst.cell(row, 2).value = src.cell(row, 2).value

    edit(example, same_as_hongqi)
    assert run(capsys, "rate", example)[0] == 0
    rows = by_name(example)
    for me, rival in (("红旗村党支部", "向阳社区党支部"), ("向阳社区党支部", "红旗村党支部")):
        assert rows[me]["星级"] == "待定"
        note = rows[me]["调整说明"]
        assert note.startswith(f"与{rival}综合得分") and me not in note, note


def test_workbook_text_cannot_drive_the_terminal(capsys, example):
    from starbook import api
    from starbook.edits import CellBlock

    assert run(capsys, "rate", example)[0] == 0
    evil = "向阳\x1b[31m社区\u202e党支部\r\x07"
    api.write_edits(example, example, [CellBlock("量化评分表3", 3, 2, ((evil,),))])
    code, out = run(capsys, "rate", example)
    assert code == 0, out
    assert "向阳␛[31m社区\\u202e党支部␍␇" in out
    listed = out.split("调整 ")[1]
    assert "向阳␛[31m社区" in listed  # in the table of adjustments
    assert "改为“向阳␛[31m社区" in out  # in the 提示 about the renamed form
    for raw in ("\x1b", "\u202e", "\r", "\x07"):
        assert raw not in out


# ---------------------------------------------------------------- 4. retyped output sheets


def test_retyped_output_sheets_are_rebuilt_not_left_stale(capsys, example):
    def retype(wb):
        find(wb["整改名单"], "党组织名称").value = "党组织"
        find(wb["定星统计"], "星级分布").value = "星级情况"
        find(wb["定星记录"], "定星时间").value = "时间"
        find(wb["定星记录"], "结果摘要").value = None  # as in a log from an older version

    assert run(capsys, "rate", example)[0] == 0
    edit(example, retype)
    code, out = run(capsys, "rate", example)
    assert code == 0, out
    for sheet in ("整改名单", "定星统计", "定星记录"):
        assert f"【{sheet}】" in out and "表头" in out
    wb = openpyxl.load_workbook(example, data_only=True)
    rectify = [r for r in wb["整改名单"].iter_rows(values_only=True)]
    assert rectify[2][:2] == ("序号", "党组织名称") and "石桥村党支部" in {r[1] for r in rectify[3:]}
    stats = [r for r in wb["定星统计"].iter_rows(values_only=True)]
    assert stats[3][0] == "星级分布" and ("五星级", 1) == stats[5][:2]
    log = [r for r in wb["定星记录"].iter_rows(values_only=True) if any(v is not None for v in r)]
    assert log[1][0] == "时间" and log[2][0] is not None  # the first run's record is kept (row 2 is blank: guidance is a comment)
    assert log[-2][:2] == ("定星时间", "操作人") and log[-1][0] is not None
    assert log[-1][log[-2].index("结果摘要")] == _log_row(example)["结果摘要"]


def test_an_older_log_gets_the_new_digest_column(capsys, example):
    edit(example, lambda wb: setattr(find(wb["定星记录"], "结果摘要"), "value", None))
    assert run(capsys, "rate", example)[0] == 0
    header = [r for r in openpyxl.load_workbook(example)["定星记录"].iter_rows(values_only=True)][2]
    assert header[-1] == "结果摘要" and header.count("结果摘要") == 1


# ---------------------------------------------------------------- 6. previews follow 参数's rounding


def _numbers(rows) -> dict[tuple[int, int], float]:
    return {(r, c): float(v) for r, row in enumerate(rows) for c, v in enumerate(row)
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def test_form_previews_follow_the_decimals_and_rounding_in_params(example, tmp_path):
    import pytest

    import lo_uno
    from conftest import lo_required
    from starbook import api
    from starbook.xlsx.read import read_grids

    lo_required()
    for mode, subtotal in (("四舍五入", 13.3), ("四舍六入五成双", 13.2)):
        book = tmp_path / f"{mode}.xlsm"
        book.write_bytes(example.read_bytes())

        def settings(wb):
            right_of(wb["参数"], "小数位数").value = 1
            right_of(wb["参数"], "舍入方式").value = mode
            ws = wb["量化评分表1"]
            ws["G8"], ws["G9"] = 7.25, 6  # 党组织带头人 by 党委评定: 13.25, halfway at one decimal

        edit(book, settings)
        outcome = api.rate(book)
        assert outcome.ok, outcome.problems
        cached = read_grids(book)["量化评分表1"]
        final = {r.name: float(r.final) for r in outcome.rating.results}["东风村党支部"]
        preview = next(r for r in cached if r and r[0] in ("综合得分", "综合得分（预览）"))[3]
        assert preview == final == round(final, 1)
        top = next(i for i, r in enumerate(cached) if r and r[0] == "维度小计")
        assert cached[top + 1][0] == "党组织带头人" and cached[top + 1][6] == subtotal
        # LibreOffice, recalculating every formula, shows what the core wrote
        seen = _numbers(lo_uno.recalculated_values(book, "量化评分表1"))
        written = _numbers(cached)
        assert seen.keys() >= written.keys()
        for at, value in written.items():
            assert seen[at] == pytest.approx(value, abs=1e-9), (mode, at)


def test_a_copied_row_cannot_claim_a_form_twice(capsys, example):
    assert run(capsys, "rate", example)[0] == 0

    def copy_row(wb):
        ws = wb["汇总表"]
        for col in range(1, ws.max_column + 1):
            ws.cell(16, col).value = ws.cell(15, col).value
        ws.cell(16, 2).value = "南岭村党支部（副本）"

    edit(example, copy_row)
    code, out = run(capsys, "rate", example)
    assert code == 1
    assert f"【汇总表】{_source_letter(example)}16：第16行“南岭村党支部（副本）”的数据来源“量化评分表12”与第15行相同" in out


def test_the_ribbon_and_the_command_line_log_the_same_digests(example, tmp_path):
    """The live shell (xlwings' real remote engine) gets whole numbers as ints here, as a client may send them."""
    import pytest

    xw = pytest.importorskip("xlwings")
    from datetime import datetime

    import python_calamine

    from starbook import api, excel

    now = datetime(2026, 11, 22, 9, 30)
    by_cli = tmp_path / "cli.xlsm"
    assert api.rate(example, by_cli, now=now, user="zuzhi").ok
    wb = python_calamine.CalamineWorkbook.from_path(str(example))
    sheets = []
    for name in wb.sheet_names:
        values = wb.get_sheet_by_name(name).to_python(skip_empty_area=False) or [[""]]
        values = [[int(v) if isinstance(v, float) and v.is_integer() else v for v in row] for row in values]
        sheets.append({"name": name, "values": values, "pictures": [], "tables": []})
    book = xw.Book(json={"client": "Microsoft Office Scripts", "version": xw.__version__, "names": [], "sheets": sheets,
                         "book": {"name": example.name, "active_sheet_index": 0, "selection": "A1"}})
    assert excel.rate(book=book, now=now, user="zuzhi").ok
    texts = [v.removeprefix("'") for a in book.json()["actions"] if a["func"] == "setValues"
             for line in a["values"] for v in line if isinstance(v, str)]  # texts go with Excel's apostrophe
    written = [v for v in texts if len(v) == 64]
    log = _log_row(by_cli)
    assert written == [log["输入摘要"], log["结果摘要"]]
