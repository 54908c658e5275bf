"""Edge cases of the lossless sheet patcher (starbook.xlsx.sheetpatch)."""
from __future__ import annotations

import io
import os
import stat
import zipfile
from datetime import datetime

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
    with pytest.raises(PatchError, match="图表工作表"):
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


@pytest.mark.parametrize("saved_by_excel", [False, True])
def test_bulk_and_general_paths_write_the_same_cells(tmp_path, monkeypatch, saved_by_excel):
    """Tall result columns take the column-wise/bulk path; it must agree with the general path,
    on rows as starbook writes them and on rows with Excel's spans hints."""
    from decimal import Decimal

    from starbook import api
    from starbook.fill import summary_rows
    from starbook.xlsx import bands
    from starbook.xlsx.read import read_grids

    book = tmp_path / "tall.xlsm"
    api.new("分类定级", book, orgs=0)
    grid = read_grids(book)["汇总表"]
    rows = [{"党组织名称": f"第{i}支部", "党委评定得分": Decimal(55 + i % 45), "党员群众测评得分": Decimal(60 + i % 40),
             "自评得分": Decimal(70 + i % 30), "上年星级": "三星级"} for i in range(300)]
    api.write_edits(book, book, [summary_rows(grid, rows)])
    if saved_by_excel:
        import re

        from starbook.xlsx.sheetpatch import sheet_parts

        with zipfile.ZipFile(book) as zf:
            part = sheet_parts(zf)["汇总表"]
            xml = zf.read(part).decode()
        xml, n = re.subn(r'<row r="(\d+)">', r'<row r="\1" spans="1:7">', xml)
        assert n >= 300
        _replace_part(book, part, xml.encode())
    results, parts = {}, {}
    now = datetime(2026, 11, 22, 9, 0)
    for label, minimum in (("bulk", 2), ("general", 10**9)):  # 2: even the short 整改名单 block is banded
        monkeypatch.setattr(bands, "BAND_MIN_ROWS", minimum)
        first, second = tmp_path / f"{label}1.xlsm", tmp_path / f"{label}2.xlsm"
        assert api.rate(book, first, user="x", now=now).ok
        assert api.rate(first, second, user="x", now=now).ok  # the second run rewrites existing result cells
        grids = read_grids(first), read_grids(second)
        results[label] = [(g["汇总表"], g["整改名单"]) for g in grids]
        with zipfile.ZipFile(second) as zf:
            parts[label] = {n: zf.read(n) for n in zf.namelist()}
    assert results["bulk"] == results["general"]
    assert results["bulk"][0] == results["bulk"][1]
    assert len(results["bulk"][0][1]) > 3  # the rectification list really was written
    # Part by part, the two paths write the same package.
    assert parts["bulk"].keys() == parts["general"].keys()
    for name in parts["bulk"]:
        assert parts["bulk"][name] == parts["general"][name], name


def test_second_rating_keeps_a_cadres_formatting_and_replaces_a_typed_formula(tmp_path):
    """Result cells that only hold values in the column's style are rewritten in bulk;
    a cell the cadre formatted keeps its style, and a formula typed into a result column
    becomes the official value."""
    import re
    from decimal import Decimal

    from starbook import api
    from starbook.fill import summary_rows
    from starbook.grid import column_letter, find_header
    from starbook.xlsx.read import read_grids
    from starbook.xlsx.sheetpatch import sheet_parts

    book = tmp_path / "tall.xlsm"
    api.new("分类定级", book, orgs=0)
    grid = read_grids(book)["汇总表"]
    rows = [{"党组织名称": f"第{i}支部", "党委评定得分": Decimal(55 + i % 45), "党员群众测评得分": Decimal(60 + i % 40),
             "自评得分": Decimal(70 + i % 30)} for i in range(200)]
    api.write_edits(book, book, [summary_rows(grid, rows)])
    assert api.rate(book, user="x").ok
    with zipfile.ZipFile(book) as zf:
        part = sheet_parts(zf)["汇总表"]
        xml = zf.read(part).decode()
    header_row, cols = find_header(read_grids(book)["汇总表"], "星级", "综合得分")
    letter, final_letter = column_letter(cols["星级"]), column_letter(cols["综合得分"])
    first = header_row + 2  # the first organization's row, 1-based
    cell = re.search(rf'<c r="{letter}{first + 5}" s="(\d+)"', xml)
    assert cell and cell.group(1) != "0", "the rated sheet holds a styled 星级 cell"
    formatted = xml.replace(cell.group(), f'<c r="{letter}{first + 5}" s="0"', 1)
    final_cell = re.search(rf'<c r="{final_letter}{first + 9}"[^>]*>.*?</c>', xml).group()
    typed = formatted.replace(final_cell, final_cell.split(">")[0] + "><f>1+1</f><v>2</v></c>", 1)
    _replace_part(book, part, typed.encode())
    assert api.rate(book, user="x").ok
    with zipfile.ZipFile(book) as zf:
        after = zf.read(part).decode()
    assert re.search(rf'<c r="{letter}{first + 5}" s="0"', after)  # the cadre's style survives
    assert re.search(rf'<c r="{letter}{first + 6}" s="{cell.group(1)}"', after)  # its neighbours keep the column's
    assert "<f>1+1</f>" not in after
    rated = read_grids(book)["汇总表"]
    assert rated[first + 8][cols["综合得分"]] == float(final_cell.split("<v>")[1].split("<")[0])  # the score, not 2
    assert [rated[first - 1 + k][cols["序号"]] for k in range(200)] == list(range(1, 201))  # blank 序号 numbered


def _replace_part(path, name, data):
    """Swap one ZIP entry, keeping the others (stands in for a cadre's edit in Excel)."""
    src = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, data if info.filename == name else zin.read(info.filename))


@pytest.mark.parametrize("band_min_rows", [2, 10**9])  # bulk path, general path
@pytest.mark.parametrize("below", [0, 3])
def test_a_fill_down_formula_in_a_result_column_gives_way_to_the_official_values(example, tmp_path, monkeypatch, below, band_min_rows):
    """A cadre filled a formula down 综合得分 (Excel saves it as a shared formula): 定星 writes the
    official scores as values. Followers below the organizations keep a valid formula,
    re-homed to the first of them, as openpyxl (which expands shared formulas) reads back."""
    import re

    from starbook import api
    from starbook.grid import column_letter, find_header
    from starbook.xlsx.read import read_grids
    from starbook.xlsx import bands
    from starbook.xlsx.sheetpatch import sheet_parts

    monkeypatch.setattr(bands, "BAND_MIN_ROWS", band_min_rows)
    now = datetime(2026, 11, 22, 9, 0)
    official = tmp_path / "official.xlsm"
    assert api.rate(example, official, now=now, user="x").ok
    header_row, cols = find_header(read_grids(official)["汇总表"], "综合得分", "党委评定得分", "自评得分")
    final, first_in, last_in = (column_letter(cols[t]) for t in ("综合得分", "党委评定得分", "自评得分"))
    first = header_row + 2
    last = first + sum(1 for line in read_grids(official)["汇总表"][first - 1 :] if line[cols["综合得分"]] != "") - 1
    with zipfile.ZipFile(official) as zf:
        part = sheet_parts(zf)["汇总表"]
        xml = zf.read(part).decode()
    end = last + below
    for r in range(first, last + 1):
        f = (f'<f t="shared" ref="{final}{first}:{final}{end}" si="0">IFERROR(ROUND(AVERAGE({first_in}{r}:{last_in}{r}),2),ROW({first_in}{r}))</f>'
             if r == first else '<f t="shared" si="0"/>')
        xml, n = re.subn(rf'<c r="{final}{r}"( s="\d+")?><v>([^<]*)</v></c>', rf'<c r="{final}{r}"\1>{f}<v>1</v></c>', xml)
        assert n == 1
    extra = "".join(f'<row r="{r}"><c r="{final}{r}"><f t="shared" si="0"/><v>0</v></c></row>' for r in range(last + 1, end + 1))
    xml = xml.replace("</sheetData>", extra + "</sheetData>")
    book = tmp_path / "filled.xlsm"
    book.write_bytes(official.read_bytes())
    _replace_part(book, part, xml.encode())
    assert openpyxl.load_workbook(book)["汇总表"][f"{final}{first + 1}"].value.startswith("=IFERROR(ROUND(")  # a real fill-down

    out, again = tmp_path / "rated.xlsm", tmp_path / "again.xlsm"
    assert api.rate(book, out, now=now, user="x").ok
    assert api.rate(official, again, now=now, user="x").ok  # the same second rating, without the formula
    assert read_grids(out)["汇总表"][: last] == read_grids(official)["汇总表"][: last]  # the official values
    ws = openpyxl.load_workbook(out, keep_vba=True)["汇总表"]
    expected = read_grids(official)["汇总表"]
    for r in range(first, last + 1):
        assert ws[f"{final}{r}"].value == expected[r - 1][cols["综合得分"]]
    assert [ws[f"{final}{r}"].value for r in range(last + 1, end + 1)] == [
        f"=IFERROR(ROUND(AVERAGE({first_in}{r}:{last_in}{r}),2),ROW({first_in}{r}))" for r in range(last + 1, end + 1)
    ]
    with zipfile.ZipFile(out) as zf, zipfile.ZipFile(again) as zo:
        assert zf.testzip() is None and zf.namelist() == zo.namelist()
        rated = zf.read(part).decode()
        for name in zf.namelist():  # the package is otherwise the officially rated one
            if name != part:
                assert zf.read(name) == zo.read(name), name
        assert rated == zo.read(part).decode() if not below else True
    assert ('<f t="shared"' in rated) == bool(below)
    if below:
        assert f'<f t="shared" ref="{final}{last + 1}:{final}{end}" si="0">IFERROR(ROUND(AVERAGE({first_in}{last + 1}:{last_in}{last + 1}),2),ROW({first_in}{last + 1}))</f>' in rated
        if band_min_rows == 2:  # LibreOffice reads the re-homed formula too: each row below computes its own row number
            import lo_uno
            from conftest import lo_required

            lo_required()
            lo = lo_uno.recalculated_values(out, "汇总表")
            assert [lo[r - 1][cols["综合得分"]] for r in range(last + 1, end + 1)] == [float(r) for r in range(last + 1, end + 1)]
            assert [lo[r - 1][cols["综合得分"]] for r in range(first, last + 1)] == [
                expected[r - 1][cols["综合得分"]] for r in range(first, last + 1)]


def test_a_scan_of_another_version_of_the_sheet_is_not_used(book, tmp_path):
    """The writer's head start is checked against the part it patches (by its CRC)."""
    from starbook.xlsx.sheetpatch import scan_sheet_part

    other = tmp_path / "other.xlsx"
    patch_workbook(book, other, [CellBlock("Data", 5, 1, [["elsewhere"]])])
    stale = scan_sheet_part(other, "Data")
    fresh = scan_sheet_part(book, "Data")
    assert stale is not None and fresh is not None and stale.crc != fresh.crc
    out = tmp_path / "out.xlsx"
    patch_workbook(book, out, [CellBlock("Data", 2, 2, [[7]])], scans={"Data": stale})
    grid = values(out)
    assert grid[1][1] == 7.0 and all("elsewhere" not in row for row in grid)


@pytest.mark.parametrize("band_min_rows", [2, 10**9])  # bulk path, general path
def test_a_row_made_tall_for_a_long_note_shrinks_when_the_note_goes(tmp_path, monkeypatch, band_min_rows):
    import re
    from decimal import Decimal

    from starbook import api
    from starbook.fill import summary_rows
    from starbook.grid import find_header
    from starbook.xlsx import bands, sheetpatch
    from starbook.xlsx.read import read_grids

    monkeypatch.setattr(bands, "BAND_MIN_ROWS", band_min_rows)
    book = tmp_path / "tall.xlsm"
    api.new("分类定级", book, orgs=0)
    grid = read_grids(book)["汇总表"]

    def scores(value):
        return [{"党组织名称": f"第{i}支部", "党委评定得分": Decimal(value), "党员群众测评得分": Decimal(value),
                 "自评得分": Decimal(value) - i % 7} for i in range(100)]

    def tall_rows():
        with zipfile.ZipFile(book) as zf:
            xml = zf.read(sheetpatch.sheet_parts(zf)["汇总表"]).decode()
        rows = {int(m.group(1)) for m in re.finditer(r'<row r="(\d+)"[^>]*customHeight="1"', xml)}
        return {r for r in rows if r > header_row + 1}  # organizations' rows: the title and header keep theirs

    header_row, _ = find_header(grid, "党组织名称")
    api.write_edits(book, book, [summary_rows(grid, scores(97))])  # all 五星级 at first: the cap writes long notes
    assert api.rate(book, user="x").ok
    tall = tall_rows()
    assert len(tall) > 50
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], scores(80))])  # no cap, short notes at most
    assert api.rate(book, user="x").ok
    notes = {r + 1 for r, line in enumerate(read_grids(book)["汇总表"]) if r > header_row and any(isinstance(v, str) and len(v) > 22 for v in line)}
    assert tall_rows() <= notes  # only rows that still hold a long note stay tall
    assert len(tall_rows()) < len(tall) / 5


def test_before_replace_runs_once_the_new_file_is_complete(book, tmp_path):
    out = tmp_path / "o.xlsx"
    seen = []

    def check() -> None:
        assert not out.exists()  # not replaced yet
        (temp,) = [p for p in tmp_path.iterdir() if p.name.startswith(".starbook-")]
        with zipfile.ZipFile(temp) as zf:  # the finished package, waiting for the rename
            seen.append(zf.testzip())

    patch_workbook(book, out, [CellBlock("Data", 1, 1, [["X"]])], before_replace=check)
    assert seen == [None] and values(out)[0][0] == "X"


def test_a_band_column_of_mixed_values_is_written_cell_for_cell_as_the_general_writer_does():
    """The keyed path (one body per distinct value, for numbers read back as floats among
    text) gives each row exactly the cell the per-cell writer gives: 85.10 stays 85.10,
    -0.0 stays -0.0, 1 is not 1.0 nor True, text is escaped."""
    import random
    from decimal import Decimal

    from starbook.xlsx.bands import Band
    from starbook.xlsx.cellxml import Writer

    rng = random.Random(7)
    pool = [None, "", "党支部", "a_x0041_b", " lead", "<&>", "line\nbreak", 0, 1, -3, 1.0, 0.0, -0.0, 85.5, 1e20, 1e-7, 2.675,
            Decimal("85.10"), Decimal("85.1"), Decimal("0"), True, False, "1"]
    for _ in range(200):
        rows = rng.randint(1, 40)
        styles = {2: "7"} if rng.random() < 0.5 else {}
        # half the columns without the values equal to others yet written apart (85.10 and 85.1, -0.0 and 0.0)
        choices = pool if rng.random() < 0.5 else [v for v in pool if not isinstance(v, Decimal) and not (isinstance(v, float) and v == 0)]
        values = {c: [rng.choice(choices) for _ in range(rows)] for c in rng.sample(range(1, 6), rng.randint(1, 3))}
        band = Band(rng.randint(2, 50), values)
        w = Writer(styles)
        band.build(w)
        for i in range(rows):
            r = band.first_row + i
            want = "".join((w.new_cell(c, r, styles.get(c), v[i]) or w.cell(c, r, styles.get(c), v[i], None)[0]) for c, v in sorted(values.items()))
            assert band.cell_text(i) == want
