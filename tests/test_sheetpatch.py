"""Edge cases of the lossless sheet patcher (starbook.xlsx.sheetpatch)."""
from __future__ import annotations

import io
import os
import stat
import zipfile

import openpyxl
import pytest
import python_calamine
import xlsxwriter

from starbook.edits import CellBlock, ClearRows
from starbook.xlsx.sheetpatch import PatchError, patch_workbook


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "b.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write("A1", "head")
    ws.write_formula("B2", "=1+1", None, 2)
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=Data!$A$1:$A$3"})
    wb.add_chartsheet("Chart").set_chart(chart)
    wb.close()
    return path


def values(path, sheet="Data"):
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def test_text_is_escaped_and_reads_back_exactly(book, tmp_path):
    texts = ["<&>", "  padded  ", "a\x01b", "_x0041_ stays literal", "line1\nline2", "cr\rinside", "中文"]
    out = tmp_path / "o.xlsx"
    patch_workbook(book, out, [CellBlock("Data", 3, 1, [[t] for t in texts])])
    got = [row[0] for row in values(out)[2:]]
    assert got[:2] == ["<&>", "  padded  "]
    assert got[2] == "a\x01b" and got[3] == "_x0041_ stays literal"
    assert got[4] == "line1\nline2" and got[5] == "cr\rinside" and got[6] == "中文"
    ws = openpyxl.load_workbook(out)["Data"]
    assert [ws.cell(r, 1).value for r in range(3, 10)][5] == "cr\rinside"


def test_bad_edits_are_refused_and_write_nothing(book, tmp_path):
    out = tmp_path / "o.xlsx"
    for edits in (
        [CellBlock("Data", 0, 1, [[1]])],
        [CellBlock("Data", 1, 16384, [[1, 2]])],
        [CellBlock("Data", 1, 1, ["not rows"])],
        [("Data", 1, 1)],
        [CellBlock("Data", 1, 1, [[float("nan")]])],
        [CellBlock("Data", 1, 1, [[b"bytes"]])],
        [CellBlock("Chart", 1, 1, [[1]])],
        [CellBlock("Nowhere", 1, 1, [[1]])],
    ):
        with pytest.raises(PatchError):
            patch_workbook(book, out, edits)
        assert not out.exists()
    with pytest.raises(PatchError, match="chartsheet"):
        patch_workbook(book, out, [CellBlock("Chart", 1, 1, [[1]])])


def test_sheet_names_ignore_case_like_excel(book, tmp_path):
    out = tmp_path / "o.xlsx"
    patch_workbook(book, out, [CellBlock("DATA", 1, 1, [["X"]])])
    assert values(out)[0][0] == "X"


def test_in_place_write_keeps_the_file_permissions(book):
    os.chmod(book, 0o640)
    patch_workbook(book, book, [CellBlock("Data", 1, 1, [["X"]])])
    assert stat.S_IMODE(os.stat(book).st_mode) == 0o640
    assert values(book)[0][0] == "X"


def test_clear_then_rewrite_and_formula_replaced(book, tmp_path):
    out = tmp_path / "o.xlsx"
    patch_workbook(book, out, [ClearRows("Data", 2), CellBlock("Data", 2, 2, [[7]])])
    assert values(out)[:2] == [["head", ""], ["", 7.0]]
    with zipfile.ZipFile(out) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")


def test_bulk_and_general_paths_write_the_same_cells(tmp_path, monkeypatch):
    """Tall result columns take the column-wise/bulk path; it must agree with the general path."""
    from decimal import Decimal

    from starbook import api
    from starbook.fill import summary_rows
    from starbook.xlsx import sheetpatch
    from starbook.xlsx.read import read_grids

    book = tmp_path / "tall.xlsm"
    api.new("分类定级", book, orgs=0)
    grid = read_grids(book)["汇总表"]
    rows = [{"党组织名称": f"第{i}支部", "党委评定得分": Decimal(55 + i % 45), "党员群众测评得分": Decimal(60 + i % 40),
             "自评得分": Decimal(70 + i % 30), "上年星级": "三星级"} for i in range(300)]
    api.write_edits(book, book, [summary_rows(grid, rows)])
    results = {}
    for label, minimum in (("bulk", sheetpatch.BAND_MIN_ROWS), ("general", 10**9)):
        monkeypatch.setattr(sheetpatch, "BAND_MIN_ROWS", minimum)
        first, second = tmp_path / f"{label}1.xlsm", tmp_path / f"{label}2.xlsm"
        assert api.rate(book, first, user="x").ok
        assert api.rate(first, second, user="x").ok  # the second run rewrites existing result cells
        results[label] = (read_grids(first)["汇总表"], read_grids(second)["汇总表"])
    assert results["bulk"] == results["general"]
    assert results["bulk"][0] == results["bulk"][1]
