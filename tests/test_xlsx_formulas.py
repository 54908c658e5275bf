"""The patcher on rows as other tools write them: attributes in any order, shared and
array formulas; each result is read back from a real package by openpyxl and calamine."""
from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from starbook.edits import Cached, CellBlock, ClearRows
from starbook.xlsx.sheetpatch import PatchError, patch_workbook
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


# -- array formulas: Excel cannot change part of an array ---------------------------------

ARRAY_ROWS = (
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="array" ref="B1:B2">A1:A2*2</f><v>2</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><v>4</v></c></row>'
)


def test_a_plain_value_inside_an_array_formula_is_refused(tmp_path):
    src = make_package(tmp_path / "ar.xlsx", [("S", sheet_xml(ARRAY_ROWS))])
    out = tmp_path / "x.xlsx"
    with pytest.raises(PatchError, match="B2 属于数组公式 B1:B2") as caught:
        patch_workbook(src, out, [CellBlock("S", 2, 2, [[9]])])
    assert caught.value.message.startswith("工作表“S”中，单元格 B2") and "Delete" in caught.value.fix
    with pytest.raises(PatchError, match="数组公式"):  # a Cached master keeps the array: B2 still belongs to it
        patch_workbook(src, out, [CellBlock("S", 1, 2, [[Cached(2)], [9]])])
    assert not out.exists()


def test_cached_values_keep_an_array_and_plain_values_over_all_of_it_dissolve_it(tmp_path):
    src = make_package(tmp_path / "ar.xlsx", [("S", sheet_xml(ARRAY_ROWS))])
    patch_workbook(src, tmp_path / "cached.xlsx", [CellBlock("S", 1, 2, [[Cached(4)], [Cached(8)]])])
    assert '<f t="array" ref="B1:B2">A1:A2*2</f><v>4</v>' in part(tmp_path / "cached.xlsx")
    patch_workbook(src, tmp_path / "gone.xlsx", [CellBlock("S", 1, 2, [["no"], ["array"]])])
    assert calamine_rows(tmp_path / "gone.xlsx") == [[1.0, "no"], [2.0, "array"]]
    assert "<f" not in part(tmp_path / "gone.xlsx")
    patch_workbook(src, tmp_path / "first.xlsx", [CellBlock("S", 1, 2, [[0]])])  # the array goes with its first cell
    assert "<f" not in part(tmp_path / "first.xlsx")


def test_a_patch_error_reaches_the_cadre_in_chinese(tmp_path):
    from starbook import api
    from starbook.problems import BookError

    src = make_package(tmp_path / "ar.xlsx", [("S", sheet_xml(ARRAY_ROWS))])
    with pytest.raises(BookError) as caught:
        api.write_edits(src, src, [CellBlock("S", 2, 2, [[9]])])
    text = str(caught.value)
    assert "工作表“S”中，单元格 B2 属于数组公式 B1:B2" in text and "请选中 B1:B2 这些单元格按 Delete 清除后再试" in text
    assert "技术信息：array formula" in text


# -- shared formulas (Excel's fill-down) -----------------------------------------------------

SHARED_ROWS = "".join(
    f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" s="1">'
    + ('<f t="shared" ref="B1:B4" si="0">A1*2</f>' if r == 1 else '<f t="shared" si="0"/>')
    + f"<v>{2 * r}</v></c></row>"
    for r in range(1, 5)
)


def formulas(path) -> list:
    """Column B as openpyxl reads it: it expands shared formulas from their master, so a
    follower left without a valid master would read wrong."""
    ws = openpyxl.load_workbook(path)["S"]
    return [ws.cell(r, 2).value for r in range(1, 5)]


@pytest.mark.parametrize(
    "edits, expected",
    [
        # the master overwritten: the next follower becomes the master, its text moved down
        ([CellBlock("S", 1, 2, [[5]])], [5, "=A2*2", "=A3*2", "=A4*2"]),
        ([CellBlock("S", 1, 2, [[5], [6]])], [5, 6, "=A3*2", "=A4*2"]),
        ([CellBlock("S", 1, 2, [[5], [Cached(99)]])], [5, "=A2*2", "=A3*2", "=A4*2"]),
        ([CellBlock("S", 1, 2, [[5], [6], [7], [8]])], [5, 6, 7, 8]),  # all of it: the formula goes
        ([CellBlock("S", 3, 2, [[7]])], ["=A1*2", "=A2*2", 7, "=A4*2"]),  # a follower: the master stays
        ([CellBlock("S", 1, 2, [[Cached(20)]])], ["=A1*2", "=A2*2", "=A3*2", "=A4*2"]),
        ([ClearRows("S", 1)], [None, None, None, None]),
    ],
)
def test_a_value_over_a_fill_down_formula_keeps_the_rest_of_it_valid(tmp_path, edits, expected):
    src = make_package(tmp_path / "sh.xlsx", [("S", sheet_xml(SHARED_ROWS, head='<dimension ref="A1:B4"/>'))])
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, edits)
    assert formulas(out) == expected
    got = [line[1] if len(line) > 1 else "" for line in calamine_rows(out)] if calamine_rows(out) else []
    for value, want in zip(got, expected):
        if not isinstance(want, str):  # calamine reads the cached values
            assert value == ("" if want is None else want)
    xml = part(out)
    if expected[:2] == [5, "=A2*2"]:
        assert '<c r="B2" s="1"><f t="shared" ref="B2:B4" si="0">A2*2</f><v>' in xml
        assert ("<v>99</v>" in xml) == any(isinstance(v, Cached) for e in edits for line in e.values for v in line)


def test_a_fill_down_formula_that_cannot_be_moved_is_refused_with_what_to_do(tmp_path):
    rows = (
        '<row r="2"><c r="C2"><f t="shared" ref="C2:C3" si="0">"unclosed</f><v>1</v></c></row>'
        '<row r="3"><c r="C3"><f t="shared" si="0"/><v>2</v></c></row>'
    )
    src = make_package(tmp_path / "sh.xlsx", [("汇总表", sheet_xml(rows))])
    with pytest.raises(PatchError) as caught:
        patch_workbook(src, tmp_path / "out.xlsx", [CellBlock("汇总表", 2, 3, [[1]])])
    assert caught.value.message == "工作表“汇总表”中，C2:C3 是向下填充的公式，starbook 不能只改写其中一部分"
    assert caught.value.fix == "请选中 C2:C3 这些单元格按 Delete 清除后再试"
    assert not (tmp_path / "out.xlsx").exists()


def test_a_moved_fill_down_formula_keeps_absolute_references_functions_and_texts(tmp_path):
    rows = (
        '<row r="2"><c r="A2"><v>1</v></c><c r="C2"><f t="shared" ref="C2:C3" si="4">IF(A2&gt;0,LOG10(A2)+$A$2+SUM(A:A),"A2&amp;")</f><v>1</v></c></row>'
        '<row r="3"><c r="A3"><v>3</v></c><c r="C3"><f t="shared" si="4"/><v>2</v></c></row>'
    )
    src = make_package(tmp_path / "sh.xlsx", [("S", sheet_xml(rows))])
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, [CellBlock("S", 2, 3, [["值"]])])
    assert '<f t="shared" ref="C3" si="4">IF(A3&gt;0,LOG10(A3)+$A$2+SUM(A:A),"A2&amp;")</f>' in part(out)
    assert openpyxl.load_workbook(out)["S"]["C3"].value == '=IF(A3>0,LOG10(A3)+$A$2+SUM(A:A),"A2&")'


# -- random edits against a plain model ---------------------------------------------------


def odd_sheet() -> tuple[str, dict, dict]:
    """Rows as several tools write them, and the model: values by (row, col), formulas by (row, col).

    Gaps, empty custom-height rows, spans hints, a row without r, cells without r or
    with r not first, inline strings, two fill-down (shared) formulas and an array formula.
    """
    from openpyxl.formula.translate import Translator

    from starbook.xlsx.sheetpatch import col_letters

    rows, grid, formulas = [], {}, {}
    shared = {4: (2, 12, "A{r}*2", 0), 6: (15, 25, "$A$1+A{r}", 1)}  # col → (first, last, text, si)
    for r in range(1, 31):
        if r % 7 == 0:
            continue
        if r % 11 == 0:
            rows.append(f'<row r="{r}" ht="18" customHeight="1"/>')
            continue
        cells = []
        for c in range(1, 9):
            if (r + c) % 5 == 0 and r != 13:  # row 13's cells have no r: they must follow each other
                continue
            ref = f"{col_letters(c)}{r}"
            at = "" if r == 13 else (f' r="{ref}"' if (r * c) % 4 else "")
            lead = f'<c{at} s="1"' if at or r == 13 else f'<c s="1" r="{ref}"'
            a = r * 10 + 1
            if c in shared and shared[c][0] <= r <= shared[c][1]:
                first, last, text, si = shared[c]
                master = min(x for x in range(first, last + 1) if x % 7 and x % 11 and (x + c) % 5)
                value = a * 2 if c == 4 else 11 + a
                if r == master:
                    f = f'<f t="shared" ref="{col_letters(c)}{first}:{col_letters(c)}{last}" si="{si}">{text.format(r=r)}</f>'
                else:
                    f = f'<f t="shared" si="{si}"/>'
                cells.append(f"{lead}>{f}<v>{value}</v></c>")
                grid[(r, c)] = float(value)
                formulas[(r, c)] = Translator("=" + text.format(r=master), origin=f"{col_letters(c)}{master}").translate_formula(ref)
            elif c == 8 and 3 <= r <= 5:
                f = '<f t="array" ref="H3:H5">A3:A5*3</f>' if r == 3 else ""
                cells.append(f"{lead}>{f}<v>{a * 3}</v></c>")
                grid[(r, c)] = float(a * 3)
                if r == 3:
                    formulas[(r, c)] = "=A3:A5*3"
            elif c % 2:
                cells.append(f"{lead}><v>{r * 10 + c}</v></c>")
                grid[(r, c)] = float(r * 10 + c)
            else:
                cells.append(f'{lead} t="inlineStr"><is><t>t{r}.{c}</t></is></c>')
                grid[(r, c)] = f"t{r}.{c}"
        head = "<row" if r == 16 else f'<row r="{r}"'
        spans = ' spans="1:8"' if r % 3 else ""
        rows.append(f'{head}{spans}>{"".join(cells)}</row>')
    return "".join(rows), grid, formulas


ARRAY = ((3, 8), (3, 5, 8, 8))  # master, (first row, last row, first col, last col)


def expected(grid: dict, formulas: dict, edits: list) -> tuple[dict, dict] | None:
    """The model: final values and surviving formulas, or None where the patcher must refuse."""
    writes: dict[tuple[int, int], object] = {}
    clear = None
    for e in edits:
        if isinstance(e, ClearRows):
            writes = {k: v for k, v in writes.items() if k[0] < e.row}
            clear = e.row if clear is None else min(clear, e.row)
            continue
        for i, line in enumerate(e.values):
            for j, v in enumerate(line):
                writes[(e.row + i, e.col + j)] = v

    def plain(cell) -> bool:
        return (clear is not None and cell[0] >= clear) or (cell in writes and not isinstance(writes[cell], Cached))

    master, (r1, r2, c1, c2) = ARRAY
    if not plain(master) and any(k != master and r1 <= k[0] <= r2 and c1 <= k[1] <= c2 and plain(k) for k in writes):
        return None
    values = {k: v for k, v in grid.items() if not plain(k)}
    kept = {k: f for k, f in formulas.items() if not plain(k)}
    for k, v in writes.items():
        if isinstance(v, Cached):
            if k in kept:
                values[k] = v.value
            continue
        values[k] = v
    norm = {k: (float(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else v) for k, v in values.items()}
    return {k: v for k, v in norm.items() if v not in ("", None)}, kept


@pytest.mark.parametrize("band_min_rows", [3, 10**9])  # tall blocks as bands, and the general path
def test_random_edits_match_a_model(tmp_path, monkeypatch, band_min_rows):
    import random
    import re

    from starbook.xlsx import bands, sheetpatch

    monkeypatch.setattr(bands, "BAND_MIN_ROWS", band_min_rows)
    rows, grid, formulas = odd_sheet()
    src = make_package(tmp_path / "m.xlsx", [("S", sheet_xml(rows, head='<dimension ref="A1:H30"/>'))])
    assert {(r + 1, c + 1): v for r, line in enumerate(calamine_rows(src)) for c, v in enumerate(line) if v != ""} == grid
    rng = random.Random(20261201)
    pool = ["x", "  y", "中文", 1, 2.5, Decimal("3.10"), True, None, "", Cached(7), Cached("c")]
    refused = 0
    for trial in range(60):
        edits = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.15:
                edits.append(ClearRows("S", rng.randint(1, 34)))
                continue
            top, left = rng.randint(1, 34), rng.randint(1, 10)
            if rng.random() < 0.2:  # near the array formula
                top, left = rng.randint(2, 6), rng.randint(6, 9)
            h, w = rng.randint(1, 14), rng.randint(1, 3)
            edits.append(CellBlock("S", top, left, [[rng.choice(pool) for _ in range(w)] for _ in range(h)]))
        out = tmp_path / f"m{trial}.xlsx"
        want = expected(grid, formulas, edits)
        if want is None:
            with pytest.raises(PatchError, match="数组公式"):
                patch_workbook(src, out, edits)
            assert not out.exists()
            refused += 1
            continue
        values, kept = want
        patch_workbook(src, out, edits)
        got = calamine_rows(out)
        seen = {(r + 1, c + 1): v for r, line in enumerate(got) for c, v in enumerate(line) if v not in ("", None)}
        assert seen == values, (trial, edits)
        ws = openpyxl.load_workbook(out)["S"]
        found = {}
        for line in ws.iter_rows():
            for cell in line:
                v = cell.value
                text = getattr(v, "text", v)
                if isinstance(text, str) and text.startswith("="):
                    found[(cell.row, cell.column)] = text
        assert found == kept, (trial, edits)  # fill-down formulas still read right from their (new) master
        xml = part(out)
        numbers = [int(x) for x in re.findall(r'<row r="(\d+)"', xml)]
        assert numbers == sorted(set(numbers)) and xml.count("<row") == len(numbers), trial
        for line in re.findall(r"<row\b.*?</row>", xml):
            cols = [sheetpatch.col_number(x) for x in re.findall(r'<c\b[^>]*?\sr="([A-Z]+)\d+"', line)]
            assert cols == sorted(set(cols)), (trial, line)
            assert len(cols) == line.count("<c") or line in rows, (trial, line)  # cells without r: untouched rows only
    assert 3 <= refused <= 40  # both outcomes were exercised
