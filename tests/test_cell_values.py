"""Cell values that are no number or no value at all: dates, NaN/Infinity texts,
Excel error values and formulas saved without a result. Each is a problem naming
its cell, in both shells (the file reader and xlwings' real remote engine), never
a crash and never a blank.
"""
from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

xw = pytest.importorskip("xlwings")

from starbook import api, excel  # noqa: E402
from starbook.edits import CellBlock  # noqa: E402
from starbook.fill import FormFill, form_cells, form_edits, summary_rows  # noqa: E402
from starbook.grid import CellError, cell_name  # noqa: E402
from starbook.xlsx.read import read_grids  # noqa: E402
from starbook.xlsx.sheetpatch import sheet_parts  # noqa: E402

from test_bad_input import assert_rejected, cell_of, set_cells  # noqa: E402

ERRORS = ("#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA")


def a1(row: int, col: int) -> str:
    """1-based (row, col) → "B7"."""
    return cell_name(row - 1, col - 1)


def put_xml(path: Path, sheet: str, ref: str, inner: str) -> None:
    """Replace cell `ref` of `sheet` by raw XML (keeping its style), as Excel or another program saved it."""
    with zipfile.ZipFile(path) as zf:
        part = sheet_parts(zf)[sheet]
        items = [(info, zf.read(info)) for info in zf.infolist()]
    out = path.with_suffix(".tmp")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == part:
                xml = data.decode("utf-8")
                cell = re.compile(rf'<c r="{ref}"(?P<attrs>[^>]*?)(?:/>|>.*?</c>)', re.S)
                m = cell.search(xml)
                assert m is not None, ref
                style = re.search(r'\bs="\d+"', m.group("attrs"))
                xml = xml[: m.start()] + inner.format(ref=ref, s=f" {style.group(0)}" if style else "") + xml[m.end():]
                data = xml.encode("utf-8")
            zf.writestr(info, data)
    out.replace(path)


def api_block(sheet: str, row: int, col: int, value) -> CellBlock:
    return CellBlock(sheet, row, col, ((value,),))


def put_error(path: Path, sheet: str, ref: str, error: str) -> None:
    put_xml(path, sheet, ref, f'<c r="{{ref}}"{{s}} t="e"><f>1/0</f><v>{error}</v></c>')


def put_uncalculated(path: Path, sheet: str, ref: str) -> None:
    put_xml(path, sheet, ref, '<c r="{ref}"{s}><f>1/0</f></c>')


def live_check(path: Path):
    """校验 on xlwings' remote engine, given the values a client sends: error cells as their text."""
    sheets = []
    for name, grid in read_grids(path).items():
        values = [[str(v) if isinstance(v, CellError) else ("" if v is None else v) for v in line] for line in grid] or [[""]]
        sheets.append({"name": name, "values": values, "pictures": [], "tables": []})
    book = xw.Book(json={
        "client": "Microsoft Office Scripts", "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"}, "names": [], "sheets": sheets,
    })
    return excel.check(book=book)


def both_shells(capsys, path: Path, *needles: str) -> None:
    """The file shell rejects with these words; the live shell lists exactly the same problems."""
    assert_rejected(capsys, path, *needles)
    file_problems = api.check(path).problems
    live = live_check(path)
    assert live is not None and live.problems == file_problems


# ---------------------------------------------------------------- 参数 numbers


@pytest.mark.parametrize("label, col_offset, what", [
    ("全员参评人数线", 0, "全员参评人数线"),
    ("党委评定", 2, "“党委评定”的平局比较顺序"),  # 平局比较顺序, two columns right of 权重
    ("好", 0, "等次“好”的最低分"),  # the first 好 is the 等次 table
])
def test_a_date_in_a_param_number_is_a_problem(capsys, example, label, col_offset, what):
    import openpyxl

    row, col = cell_of(example, "参数", label)
    wb = openpyxl.load_workbook(example, keep_vba=True)
    wb["参数"].cell(row, col + col_offset).value = datetime(2026, 1, 2)
    wb.save(example)
    assert_rejected(capsys, example, f"【参数】{a1(row, col + col_offset)}：{what}是日期或时间「2026-01-02」，不是数字")


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "inf", "-inf", "sNaN", "1e999999"])
@pytest.mark.parametrize("label, what", [("好", "等次“好”的最低分"), ("全员参评人数线", "全员参评人数线"), ("较差", "每票分值")])
def test_nan_and_infinity_texts_in_param_numbers(capsys, example, typed, label, what):
    row, col = cell_of(example, "参数", label)
    if label == "较差":  # the 较差 of the 测评计分 table
        grid = read_grids(example)["参数"]
        head = next(r for r, line in enumerate(grid) if line and line[0] == "测评选项")
        row = next(r for r in range(head, len(grid)) if grid[r][0] == "较差") + 1
    set_cells(example, api_block("参数", row, col, typed))
    assert_rejected(capsys, example, f"【参数】{a1(row, col)}：{what}「{typed}」不是数字")


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "-inf"])
def test_nan_in_a_param_percent(capsys, example, typed):
    row, col = cell_of(example, "参数", "五星级名额上限")
    set_cells(example, api_block("参数", row, col, typed))
    assert_rejected(capsys, example, f"【参数】{a1(row, col)}：五星级名额上限「{typed}」不是百分比")


def test_nan_text_in_a_form_score_is_not_called_numeric_text(capsys, example):
    set_cells(example, api_block("量化评分表2", 10, 7, "NaN"))
    out = assert_rejected(capsys, example, "【量化评分表2】G10：党委评定得分「NaN」是文本，不是数字")
    assert "文本格式的数字" not in out


# ---------------------------------------------------------------- error values and formulas without a result


@pytest.mark.parametrize("error", ERRORS)
def test_an_error_value_in_params_is_not_blank(capsys, example, error):
    """A broken 五星级名额上限 used to read as blank, i.e. 不限."""
    row, col = cell_of(example, "参数", "五星级名额上限")
    put_error(example, "参数", a1(row, col), error)
    both_shells(capsys, example, f"【参数】{a1(row, col)}：“五星级名额上限”一行的这一格是错误值 {error}")


def test_a_formula_without_a_result_in_params(capsys, example):
    row, col = cell_of(example, "参数", "五星级名额上限")
    put_uncalculated(example, "参数", a1(row, col))
    assert_rejected(capsys, example, f"【参数】{a1(row, col)}：“五星级名额上限”一行的这一格是公式，但文件中没有它的计算结果", "按 F9 重新计算")


def test_the_weights_total_row_may_lack_its_result(capsys, example):
    """The 合计 under the weights is for the eye only; a file saved without results still rates."""
    row, col = cell_of(example, "参数", "合计")
    put_uncalculated(example, "参数", a1(row, col))
    assert api.check(example).ok


@pytest.mark.parametrize("error", ["#DIV/0!", "#SPILL!", "#N/A"])
def test_an_error_value_in_a_form_score(capsys, example, error):
    put_error(example, "量化评分表3", "G12", error)
    both_shells(capsys, example, f"【量化评分表3】G12：党委评定得分是错误值 {error}")


def test_a_formula_without_a_result_in_a_form_score(capsys, example):
    put_uncalculated(example, "量化评分表3", "G12")
    assert_rejected(capsys, example, "【量化评分表3】G12：党委评定得分是公式，但文件中没有它的计算结果")


@pytest.mark.parametrize("error", ["#REF!", "#CALC!"])
def test_an_error_value_in_a_form_veto_cell(capsys, tmp_path, error):
    book = tmp_path / "sandang.xlsm"  # 三档星级 is the preset whose document lists vetoes
    api.new("三档星级", book, orgs=1)
    api.write_edits(book, book, form_edits("量化评分表1", read_grids(book)["量化评分表1"], FormFill("一支部")))
    cells = form_cells(read_grids(book)["量化评分表1"])
    veto = next(iter(cells.vetoes))
    r, c = cells.vetoes[veto]
    put_error(book, "量化评分表1", cell_name(r, c), error)
    both_shells(capsys, book, f"【量化评分表1】{cell_name(r, c)}：否决事项“{veto}”的“是否存在”是错误值 {error}")


@pytest.fixture
def typed(tmp_path) -> Path:
    """A 分类定级 book whose 汇总表 is typed in directly (no forms)."""
    book = tmp_path / "typed.xlsm"
    api.new("分类定级", book, orgs=0)
    grid = read_grids(book)["汇总表"]
    rows = [{"党组织名称": n, "党委评定得分": 90, "党员群众测评得分": 90, "自评得分": 90, "否决事项": "无"} for n in ("一村", "二村")]
    set_cells(book, summary_rows(grid, rows))
    return book


@pytest.mark.parametrize("error", ["#DIV/0!", "#GETTING_DATA"])
def test_an_error_value_in_a_summary_score(capsys, typed, error):
    put_error(typed, "汇总表", "E5", error)
    both_shells(capsys, typed, f"【汇总表】E5：二村的党员群众测评得分是错误值 {error}")


def test_a_formula_without_a_result_in_a_summary_score(capsys, typed):
    put_uncalculated(typed, "汇总表", "E5")
    assert_rejected(capsys, typed, "【汇总表】E5：二村的党员群众测评得分是公式，但文件中没有它的计算结果")


def test_an_error_value_in_a_summary_veto_cell(capsys, typed):
    grid = read_grids(typed)["汇总表"]
    col = grid[2].index("否决事项")
    put_error(typed, "汇总表", cell_name(3, col), "#N/A")
    both_shells(capsys, typed, f"【汇总表】{cell_name(3, col)}：一村的否决事项是错误值 #N/A")
