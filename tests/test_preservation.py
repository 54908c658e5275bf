"""Nothing lost: rating keeps every package part it did not mean to change, byte for byte."""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from starbook import api
from starbook.build.package import CUSTOMUI_PART, CUSTOMUI_REL, add_custom_ui
from starbook.build.workbook import BookSpec, build_workbook
from starbook.fill import FormFill, form_edits, item_scores
from starbook.presets import preset, preset_title
from starbook.xlsx.read import read_grids

ROOT = Path(__file__).resolve().parent.parent
RATED_SHEETS = ("汇总表", "整改名单", "整改台账", "定星统计", "定星记录", "公示")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"  # one red pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def excel_made_vba() -> bytes:
    """A vbaProject.bin that Excel itself wrote (xlwings' standalone quickstart)."""
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm") as zf:
        return zf.read("xl/vbaProject.bin")


def decorate(wb) -> None:
    """What a county might add: a chart sheet over the statistics and a logo on the 汇总表."""
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "星级分布", "categories": "='定星统计'!$A$6:$A$11", "values": "='定星统计'!$B$6:$B$11"})
    sheet = wb.add_chartsheet("星级图")
    sheet.set_chart(chart)
    wb.get_worksheet_by_name("汇总表").insert_image("Q1", "logo.png", {"image_data": io.BytesIO(tiny_png())})
    wb.define_name("评定年度", "=2026")
    wb.get_worksheet_by_name("定星记录").protect()


@pytest.fixture
def book(tmp_path) -> Path:
    scheme = preset("fenlei")
    buf = io.BytesIO()
    build_workbook(buf, BookSpec(scheme, preset_title("fenlei"), forms=3, vba=excel_made_vba(), extra=decorate))
    customui = (ROOT / "templates" / "src" / "customUI.xml").read_bytes()
    path = tmp_path / "book.xlsm"
    path.write_bytes(add_custom_ui(buf.getvalue(), customui))
    grids = read_grids(path)
    points = [it.points for d in scheme.dimensions for it in d.items]
    edits = []
    for i, (name, total) in enumerate((("一村", 95), ("二村", 85), ("三村", 70)), start=1):
        fill = FormFill(name, items={"党委评定": item_scores(points, total), "自评": item_scores(points, total)},
                        votes={"党员群众测评": {"应参评人数": 30, "实际参评人数": 30, "好": 20, "较好": 10, "一般": 0, "较差": 0}})
        edits += form_edits(f"量化评分表{i}", grids[f"量化评分表{i}"], fill)
    api.write_edits(path, path, edits)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def sheet_part_names(path: Path) -> dict[str, str]:
    from starbook.xlsx.sheetpatch import sheet_parts

    with zipfile.ZipFile(path) as zf:
        return sheet_parts(zf)


def outside_sheet_data(xml: bytes) -> bytes:
    xml = re.sub(rb"<sheetData>.*</sheetData>|<sheetData/>", b"<sheetData/>", xml, flags=re.S)
    return re.sub(rb"<dimension [^>]*/>", b"<dimension/>", xml)


def test_rating_changes_only_the_cells_it_writes(book, tmp_path):
    before = parts(book)
    out = tmp_path / "rated.xlsm"
    outcome = api.rate(book, out)
    assert outcome.ok, [str(p) for p in outcome.problems]
    after = parts(out)
    assert list(after) == list(before)  # same parts, same order, none added or dropped

    names = sheet_part_names(book)
    rewritten = {names[s] for s in RATED_SHEETS}
    forms = {names[s] for s in names if s.startswith("量化评分表")}
    for name, data in before.items():
        if name in rewritten:
            assert outside_sheet_data(after[name]) == outside_sheet_data(data), name
            assert after[name] != data, f"{name} should hold the results"
        elif name in forms:
            # only the cached values of the preview formulas are refreshed
            assert outside_sheet_data(after[name]) == outside_sheet_data(data), name
            assert re.findall(rb"<f>.*?</f>", after[name]) == re.findall(rb"<f>.*?</f>", data), name
        else:
            assert after[name] == data, f"{name} changed"

    # In the forms, every cell that is not a formula keeps its value.
    import openpyxl

    wb = openpyxl.load_workbook(book)
    old_grids, new_grids = read_grids(book), read_grids(out)
    for sheet in (s for s in names if s.startswith("量化评分表")):
        formulas = {(c.row - 1, c.column - 1) for row in wb[sheet].iter_rows() for c in row if c.data_type == "f"}
        assert formulas
        for r, line in enumerate(old_grids[sheet]):
            for c, value in enumerate(line):
                if (r, c) not in formulas:
                    assert new_grids[sheet][r][c] == value, (sheet, r, c)

    # The parts a plain openpyxl round trip would lose are all there.
    assert CUSTOMUI_PART in after and CUSTOMUI_REL.encode() in after["_rels/.rels"]
    assert "xl/vbaProject.bin" in after
    assert any(n.startswith("xl/charts/chart") for n in after)
    assert any(n.startswith("xl/media/image") for n in after)
    assert b"<drawing " in after[names["汇总表"]]
    summary = after[names["汇总表"]]
    for piece in (b"<dataValidations", b"<conditionalFormatting", b"<pageSetup", b"<mergeCells"):
        assert piece in summary
    assert b"<sheetProtection" in after[names["定星记录"]]
    assert "评定年度".encode() in after["xl/workbook.xml"]


def test_in_place_rating_keeps_the_input_intact_on_failure(book):
    original = book.read_bytes()
    from starbook.edits import CellBlock
    from starbook.problems import BookError

    with pytest.raises(BookError):
        api.write_edits(book, book, [CellBlock("汇总表", 4, 1, (("x",),)), CellBlock("不存在的表", 1, 1, (("y",),))])
    assert book.read_bytes() == original
    assert not [p for p in book.parent.iterdir() if p.name.startswith(".starbook-")]


def test_rate_in_place_is_atomic_and_repeatable(book):
    assert api.rate(book).ok
    first = read_grids(book)["汇总表"]
    assert api.rate(book).ok
    assert read_grids(book)["汇总表"] == first
    assert not [p for p in book.parent.iterdir() if p.name.startswith(".starbook-")]


def with_calc_chain(path: Path, sheet_part: str, cell: str) -> None:
    """Give the package a calcChain.xml, as Excel writes one, listing a formula cell."""
    files = parts(path)
    files["xl/calcChain.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="{cell}" i="1"/></calcChain>'
    ).encode()
    files["xl/_rels/workbook.xml.rels"] = files["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>',
    )
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)


def test_a_formula_replaced_by_a_value_drops_the_stale_calc_chain(tmp_path):
    book = tmp_path / "typed.xlsm"
    api.new("分类定级", book, orgs=0)
    from starbook.fill import summary_rows

    grid = read_grids(book)["汇总表"]
    api.write_edits(book, book, [summary_rows(grid, [{"党组织名称": "一村", "党委评定得分": 90, "党员群众测评得分": 90, "自评得分": 90}])])
    part = sheet_part_names(book)["汇总表"]
    files = parts(book)
    # a cadre typed a formula into the 综合得分 output cell (column I of row 4, after the typed cells)
    xml = re.sub(rb'(<row r="4"[^>]*>)(.*?)(</row>)', lambda m: m.group(1) + re.sub(rb'<c r="I4".*?(?:/>|</c>)', b"", m.group(2)) + b'<c r="I4"><f>1+1</f><v>2</v></c>' + m.group(3), files[part], flags=re.S)
    files[part] = xml
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    with_calc_chain(book, part, "I4")
    assert api.rate(book).ok
    after = parts(book)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in after["[Content_Types].xml"]
    assert b"<f>1+1</f>" not in after[part]
    import openpyxl

    assert openpyxl.load_workbook(book, data_only=True)["汇总表"]["I4"].value == 90
