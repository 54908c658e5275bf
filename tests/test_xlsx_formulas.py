"""The patcher on rows as other tools write them: attributes in any order, shared and
array formulas; each result is read back from a real package by openpyxl and calamine."""
from __future__ import annotations

import openpyxl
import pytest

from starbook.edits import CellBlock
from starbook.xlsx.sheetpatch import patch_workbook
from xlsx_packages import calamine_rows, make_package, part, sheet_xml

ODD_ORDER = (
    '<row r="1"><c r="A1"><v>1</v></c><c s="1" r="B1" t="n"><v>2</v></c><c t="inlineStr" r="C1"><is><t>三</t></is></c></row>'
    '<row r="2"><c s="2" r="A2"><v>4</v></c><c r="B2"><v>5</v></c></row>'
)


@pytest.mark.parametrize(
    "edit, expected",
    [
        (CellBlock("S", 1, 4, [["新"]]), [[1.0, 2.0, "三", "新"], [4.0, 5.0, "", ""]]),  # right of them
        (CellBlock("S", 1, 2, [[9]]), [[1.0, 9.0, "三"], [4.0, 5.0, ""]]),  # over one
        (CellBlock("S", 2, 3, [["x"]]), [[1.0, 2.0, "三"], [4.0, 5.0, "x"]]),  # beside one
        (CellBlock("S", 2, 1, [[None]]), [[1.0, 2.0, "三"], ["", 5.0, ""]]),
    ],
)
def test_a_cell_whose_r_is_not_its_first_attribute_is_kept(tmp_path, edit, expected):
    src = make_package(tmp_path / "odd.xlsx", [("S", sheet_xml(ODD_ORDER))])
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, [edit])
    assert calamine_rows(out) == expected
    ws = openpyxl.load_workbook(out)["S"]
    assert [[c.value for c in row] for row in ws.iter_rows(max_row=2, max_col=len(expected[0]))] == [
        [v if v != "" else None for v in row] for row in expected
    ]
    xml = part(out)
    if edit.row == 1 and edit.col != 2:
        assert '<c s="1" r="B1" t="n"><v>2</v></c>' in xml  # an untouched cell keeps its exact text
    if edit.row == 2:
        assert '<c s="1" r="B1" t="n"><v>2</v></c><c t="inlineStr" r="C1">' in xml  # an untouched row too
    if edit.row == 2 and edit.col == 1:
        assert '<c r="A2" s="2"/>' in xml  # the written cell keeps its style
