"""starbook.xlsx.patch on real files: what changes, what must not, and what readers see.

Workbooks are built here with XlsxWriter (a chart, an image, validations,
conditional formats, defined names, frozen panes, merged cells, formulas with
cached values, protection, column styles), given a VBA project and a ribbon
part, then patched. Small hand-written packages cover what Excel never writes
but other tools do (prefixed namespaces, rows and cells without r, sheets in
odd places). Results are read back with openpyxl, python-calamine and
LibreOffice.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import stat
import struct
import subprocess
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter

from starbook.xlsx.cells import col_letters, col_number, parse_ref, range_ref
from starbook.xlsx.patch import Block, Cached, ClearBelow, PatchError, patch_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
UI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
SUMMARY = "xl/worksheets/sheet1.xml"  # 汇总表 in the rich book

# Values that are easy to get wrong somewhere between Python, XML and a reader.
TRICKY = [
    "第一党支部",
    "  前导空格",
    "尾随空格  ",
    "A&B <c> \"d\" 'e'",
    "两行\n文字",
    Decimal("90.00"),
    Decimal("0.1"),
    Decimal("-12345678.125"),
    1234567,
    0.5,
    1e-7,
    True,
    False,
]


# --------------------------------------------------------------------------
# Building test workbooks
# --------------------------------------------------------------------------


def tiny_png() -> bytes:
    """A 2x2 red PNG, made here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def vba_bin(tmp_path_factory) -> Path:
    xlwings = pytest.importorskip("xlwings")
    source = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    if not source.exists():
        pytest.skip("xlwings' quickstart_standalone.xlsm is not installed")
    target = tmp_path_factory.mktemp("vba") / "vbaProject.bin"
    with zipfile.ZipFile(source) as zf:
        target.write_bytes(zf.read("xl/vbaProject.bin"))
    return target


CUSTOM_UI = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<customUI xmlns="{UI_NS}"><ribbon><tabs><tab id="starbook" label="星级评定">
<group id="g" label="评定"><button id="rate" label="定星" onAction="Rate" size="large"/></group>
</tab></tabs></ribbon></customUI>""".encode()


def add_ribbon(path: Path) -> None:
    """Put a customUI part and its relationship into _rels/.rels (as the template has)."""
    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    rel = f'<Relationship Id="rIdUI" Type="{UI_REL}" Target="customUI/customUI.xml"/>'.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            if info.filename == "_rels/.rels":
                data = data.replace(b"</Relationships>", rel + b"</Relationships>")
            zf.writestr(info, data)
        zf.writestr("customUI/customUI.xml", CUSTOM_UI)


def build_rich(path: Path, vba: Path) -> Path:
    """A workbook with everything a patch must leave alone."""
    wb = xlsxwriter.Workbook(str(path))
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7"})
    score = wb.add_format({"num_format": "0.00", "bg_color": "#FFF2CC"})
    grade = wb.add_format({"align": "center", "font_color": "#1F4E78"})
    good = wb.add_format({"bg_color": "#C6EFCE"})
    row_fmt = wb.add_format({"italic": True})

    ws = wb.add_worksheet("汇总表")
    ws.set_column("A:A", 18)
    ws.set_column("C:C", 12, score)  # new cells in C take this style
    ws.set_column("D:D", 8, grade)
    ws.freeze_panes(1, 1)
    ws.write_row(0, 0, ["支部", "类别", "得分", "等次", "星级"], head)
    for i in range(20):
        r = i + 1
        ws.write_string(r, 0, f"第{r}支部")
        ws.write_string(r, 1, "农村")
        ws.write_number(r, 2, 70 + i, score)
        ws.write_string(r, 3, "好", grade)
        ws.write_formula(r, 4, f'=IF(C{r + 1}>=90,"五星","四星")', None, "四星")
    ws.set_row(5, 30)  # row 6 is tall
    ws.set_row(40, None, row_fmt)  # row 41: formatted, empty
    ws.merge_range("G1:H1", "合并单元格", head)
    ws.data_validation("D2:D200", {"validate": "list", "source": ["好", "较好", "一般", "差"]})
    ws.conditional_format("C2:C200", {"type": "cell", "criteria": ">=", "value": 90, "format": good})
    ws.write_comment("A1", "批注")

    params = wb.add_worksheet("参数")
    params.protect("", {"select_locked_cells": True})
    params.write("A1", "参数")
    params.write_formula("A2", "=SUM(汇总表!C2:C21)", None, 1590)
    params.insert_image("C3", "tiny.png", {"image_data": io.BytesIO(tiny_png())})
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "得分", "categories": "=汇总表!$A$2:$A$21", "values": "=汇总表!$C$2:$C$21"})
    params.insert_chart("E2", chart)

    data = wb.add_worksheet("Data")
    data.write_row(0, 0, ["x", "y"])

    wb.define_name("得分区", "=汇总表!$C$2:$C$200")
    wb.define_name("汇总表!本表", "=汇总表!$A$1")
    wb.set_properties({"title": "星级评定", "author": "starbook tests"})
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(str(vba))
    wb.close()
    add_ribbon(path)
    return path


@pytest.fixture(scope="module")
def rich_source(tmp_path_factory, vba_bin) -> Path:
    return build_rich(tmp_path_factory.mktemp("rich") / "rich.xlsm", vba_bin)


@pytest.fixture
def rich(tmp_path, rich_source) -> Path:
    target = tmp_path / "book.xlsm"
    shutil.copyfile(rich_source, target)
    return target


STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.000"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>""".encode()


def sheet_xml(rows: str, head: str = "", tail: str = "", prefix: str = "") -> bytes:
    """A worksheet; `rows` is the inside of sheetData (None for <sheetData/>)."""
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    data = f"<{p}sheetData/>" if rows is None else f"<{p}sheetData>{rows}</{p}sheetData>"
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{p}worksheet {ns} xmlns:r="{REL}">{head}{data}{tail}</{p}worksheet>'
    ).encode()


def make_package(path: Path, sheets, extra=(), calc_chain: bytes | None = None, compression=zipfile.ZIP_DEFLATED) -> Path:
    """A minimal workbook: sheets is [(name, part, xml)], in tab order."""
    types = [
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
        '<Default Extension="xml" ContentType="application/xml"/>',
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>',
    ]
    rels = [f'<Relationship Id="rIdS" Type="{REL}/styles" Target="styles.xml"/>']
    book = []
    for n, (name, part, _xml) in enumerate(sheets, start=1):
        types.append(
            f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        target = part[3:] if part.startswith("xl/") else "/" + part
        rels.append(f'<Relationship Id="rIdW{n}" Type="{REL}/worksheet" Target="{target}"/>')
        book.append(f'<sheet name="{name}" sheetId="{n + 6}" r:id="rIdW{n}"/>')
    if calc_chain is not None:
        types.append(
            '<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/>'
        )
        rels.append(f'<Relationship Id="rIdC" Type="{REL}/calcChain" Target="calcChain.xml"/>')
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr("[Content_Types].xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{"".join(types)}</Types>')
        zf.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{"".join(book)}</sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>')
        zf.writestr("xl/styles.xml", STYLES)
        for _name, part, xml in sheets:
            zf.writestr(part, xml)
        if calc_chain is not None:
            zf.writestr("xl/calcChain.xml", calc_chain)
        for name, data in extra:
            zf.writestr(name, data)
    return path


# --------------------------------------------------------------------------
# Reading results
# --------------------------------------------------------------------------


def entries(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return [(info, zf.read(info)) for info in zf.infolist()]


def raw_data(path: Path) -> dict[str, bytes]:
    """Each entry's compressed bytes, as stored."""
    out = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            fh.seek(info.header_offset)
            header = fh.read(30)
            n, m = struct.unpack("<HH", header[26:30])
            fh.seek(info.header_offset + 30 + n + m)
            out[info.filename] = fh.read(info.compress_size)
    return out


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def split_sheet(xml: bytes) -> tuple[bytes, bytes, bytes]:
    """(head without the dimension tag, sheetData, tail)."""
    start = xml.index(b"<sheetData")
    end = xml.index(b"</sheetData>") + len(b"</sheetData>") if b"</sheetData>" in xml else xml.index(b">", start) + 1
    head = xml[:start]
    d0 = head.find(b"<dimension")
    if d0 >= 0:
        head = head[:d0] + head[head.index(b">", d0) + 1 :]
    return head, xml[start:end], xml[end:]


def dimension(xml: bytes) -> str:
    start = xml.index(b'<dimension ref="') + len(b'<dimension ref="')
    return xml[start : xml.index(b'"', start)].decode()


def calamine_rows(path: Path, sheet: str) -> list[list]:
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def lo_required() -> None:
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing in CI")
        pytest.skip("LibreOffice is not installed")


def libreoffice_csv(path: Path, workdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet as LibreOffice reads it (raw values, not as displayed)."""
    lo_required()
    out_dir = workdir / "lo-out"
    out_dir.mkdir(exist_ok=True)
    profile = (workdir / "lo-profile").as_uri()
    # 44=",", 34='"', 76=UTF-8, ..., token 9 false: values not as shown, token 12 -1: every sheet
    flt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile}", "--convert-to", flt, "--outdir", str(out_dir), str(path)],
        check=True, capture_output=True, timeout=180,
    )
    sheets = {}
    for f in out_dir.glob(f"{path.stem}-*.csv"):
        with open(f, newline="", encoding="utf-8") as fh:
            sheets[f.stem[len(path.stem) + 1 :]] = list(csv.reader(fh))
    assert sheets, "LibreOffice wrote nothing"
    return sheets


def same_value(expected, got, reader: str) -> bool:
    if isinstance(expected, bool):
        if reader == "lo":
            return got == ("TRUE" if expected else "FALSE")
        return got is expected
    if isinstance(expected, (int, float, Decimal)):
        try:
            return float(got) == float(expected)
        except (TypeError, ValueError):
            return False
    if expected is None:
        return got in (None, "")
    if reader == "lo":
        return got == expected.replace("\r\n", "\n")
    return got == expected


# --------------------------------------------------------------------------
# A1 helpers
# --------------------------------------------------------------------------


def test_cells_helpers():
    assert [col_letters(n) for n in (1, 26, 27, 52, 53, 702, 703, 16384)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]
    for n in range(1, 2000):
        assert col_number(col_letters(n)) == n
    assert parse_ref("$C$12") == (12, 3)
    assert range_ref(1, 1, 1, 1) == "A1" and range_ref(2, 3, 10, 28) == "C2:AB10"
    with pytest.raises(ValueError):
        col_number("XFE")
    with pytest.raises(ValueError):
        parse_ref("A0")


# --------------------------------------------------------------------------
# Losslessness
# --------------------------------------------------------------------------


def test_untouched_parts_are_identical(rich, tmp_path):
    out = tmp_path / "out.xlsm"
    patch_workbook(rich, out, [Block("汇总表", 2, 3, [[95, "五星"], [Decimal("88.50"), "四星"]])])
    before, after = entries(rich), entries(out)
    assert [i.filename for i, _ in before] == [i.filename for i, _ in after]
    raw_before, raw_after = raw_data(rich), raw_data(out)
    for (bi, bdata), (ai, adata) in zip(before, after):
        assert ai.compress_type == bi.compress_type, bi.filename
        assert (ai.date_time, ai.external_attr) == (bi.date_time, bi.external_attr)
        if bi.filename == SUMMARY:
            assert adata != bdata
            continue
        assert adata == bdata, f"{bi.filename} changed"
        assert raw_after[bi.filename] == raw_before[bi.filename], f"{bi.filename} was recompressed"
    names = [i.filename for i, _ in after]
    for must in ("xl/vbaProject.bin", "customUI/customUI.xml", "xl/charts/chart1.xml", "xl/media/image1.png", "xl/drawings/drawing1.xml", "xl/comments1.xml"):
        assert must in names
    assert UI_REL.encode() in part(out, "_rels/.rels")


def test_patched_sheet_changes_only_inside_sheet_data(rich, tmp_path):
    out = tmp_path / "out.xlsm"
    patch_workbook(rich, out, [Block("汇总表", 3, 1, [["新支部", "城市社区", 91, "较好", Cached("五星")]]), Block("汇总表", 60, 2, [["远处"]])])
    old, new = part(rich, SUMMARY), part(out, SUMMARY)
    oh, od, ot = split_sheet(old)
    nh, nd, nt = split_sheet(new)
    assert nh == oh and nt == ot
    for marker in (b"<sheetViews>", b"<pane ", b"<cols>", b"<mergeCell ", b"<dataValidation ", b"<conditionalFormatting", b"<legacyDrawing"):
        assert marker in nh + nt
    assert dimension(old) == "A1:H41"
    assert dimension(new) == "A1:H60"
    # Rows that were not written keep their exact bytes.
    for r in (1, 2, 4, 6, 21, 41):
        start = od.index(b'<row r="%d"' % r)
        row = od[start : od.index(b"</row>", start) + 6] if b"/>" != od[od.index(b">", start) - 1 : od.index(b">", start) + 1] else od[start : od.index(b">", start) + 1]
        assert row in nd, r


def test_no_edits_copies_every_entry(rich, tmp_path):
    out = tmp_path / "same.xlsm"
    patch_workbook(rich, out, [])
    assert [(i.filename, d) for i, d in entries(out)] == [(i.filename, d) for i, d in entries(rich)]
    assert raw_data(out) == raw_data(rich)
    assert out.read_bytes() == rich.read_bytes()  # even the ZIP structure comes out the same


def test_a_workbook_written_by_another_tool(tmp_path):
    """xlwings' quickstart: shared strings, <sheetData />, an Excel-style package."""
    xlwings = pytest.importorskip("xlwings")
    src = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    if not src.exists():
        pytest.skip("xlwings' quickstart_standalone.xlsm is not installed")
    same = tmp_path / "same.xlsm"
    patch_workbook(src, same, [])
    assert same.read_bytes() == src.read_bytes()
    out = tmp_path / "quick.xlsm"
    patch_workbook(src, out, [Block("Sheet1", 2, 2, [["星级", Decimal("4.50")], [None, True]])])
    before, after = raw_data(src), raw_data(out)
    assert [n for n in before if before[n] != after[n]] == ["xl/worksheets/sheet1.xml"]
    xml = part(out, "xl/worksheets/sheet1.xml")
    assert b'<dimension ref="B2:C3" />' in xml and b"<sheetData><row r=\"2\">" in xml
    assert calamine_rows(out, "Sheet1") == [["", "", ""], ["", "星级", 4.5], ["", "", True]]


def test_src_is_never_modified(rich, tmp_path):
    before = rich.read_bytes()
    mtime = rich.stat().st_mtime_ns
    patch_workbook(rich, tmp_path / "copy.xlsm", [ClearBelow("汇总表", 2)])
    assert rich.read_bytes() == before and rich.stat().st_mtime_ns == mtime


# --------------------------------------------------------------------------
# Values, as three readers see them
# --------------------------------------------------------------------------


def test_values_read_back_by_openpyxl_calamine_and_libreoffice(rich, tmp_path):
    out = tmp_path / "values.xlsm"
    existing = [[v] for v in TRICKY]  # column A, rows 2.. (cells exist for rows 2..14)
    fresh = [[v] for v in TRICKY]  # column J: no cells there yet
    patch_workbook(rich, out, [Block("汇总表", 2, 1, existing), Block("汇总表", 2, 10, fresh), Block("Data", 3, 1, [TRICKY])])

    wb = openpyxl.load_workbook(out, data_only=True)
    cal = python_calamine.CalamineWorkbook.from_path(str(out))
    lo = libreoffice_csv(out, tmp_path)
    summary = cal.get_sheet_by_name("汇总表").to_python(skip_empty_area=False)
    data = cal.get_sheet_by_name("Data").to_python(skip_empty_area=False)
    for i, expected in enumerate(TRICKY):
        r = i + 2
        for col in (1, 10):
            got = wb["汇总表"].cell(r, col).value
            assert same_value(expected, got, "openpyxl"), (r, col, expected, got)
            got = summary[r - 1][col - 1]
            assert same_value(expected, got, "calamine"), (r, col, expected, got)
            got = lo["汇总表"][r - 1][col - 1]
            assert same_value(expected, got, "lo"), (r, col, expected, got)
        assert same_value(expected, wb["Data"].cell(3, i + 1).value, "openpyxl")
        assert same_value(expected, data[2][i], "calamine")
        assert same_value(expected, lo["Data"][2][i], "lo")
    # The other cells of those rows are still there.
    assert summary[1][1] == "农村" and lo["汇总表"][1][1] == "农村"


def test_number_text_is_plain_decimal(tmp_path):
    src = make_package(tmp_path / "n.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(None))])
    values = [Decimal("90.00"), Decimal("0.1"), Decimal("1E+3"), Decimal("-0.000001"), 1e-7, 1.5e20, 0.1, 10**20, -3, 2.5]
    patch_workbook(src, src, [Block("S", 1, 1, [values])])
    xml = part(src, "xl/worksheets/sheet1.xml").decode()
    texts = [xml.split(f'r="{col_letters(i + 1)}1"><v>')[1].split("<")[0] for i in range(len(values))]
    assert texts == ["90.00", "0.1", "1000", "-0.000001", "0.0000001", "150000000000000000000", "0.1", "100000000000000000000", "-3", "2.5"]
    assert "E" not in "".join(texts) and "e" not in "".join(texts)
    row = calamine_rows(src, "S")[0]
    assert row == [float(v) for v in values]


class Float(float):
    def __repr__(self):  # as numpy's float64 does
        return f"Float({float(self)!r})"


def test_number_subclasses(tmp_path):
    src = make_package(tmp_path / "n.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(None))])
    patch_workbook(src, src, [Block("S", 1, 1, [[Float(2.5), Float(1e-9)]])])
    assert b"<v>2.5</v>" in part(src, "xl/worksheets/sheet1.xml") and b"<v>0.000000001</v>" in part(src, "xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"), object(), b"bytes", Cached(Cached(1))])
def test_values_excel_cannot_hold_are_refused(tmp_path, bad):
    src = make_package(tmp_path / "b.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(None))])
    before = src.read_bytes()
    with pytest.raises(PatchError, match="cell B2"):
        patch_workbook(src, src, [Block("S", 2, 2, [[bad]])])
    assert src.read_bytes() == before


def test_text_escaping_and_illegal_characters(tmp_path):
    src = make_package(tmp_path / "t.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(None))])
    values = ["a\x01b", "响铃\x07", "literal _x0041_ stays", "cr\r\nlf", "tab\there", " ", "", "<&>"]
    patch_workbook(src, src, [Block("S", 1, 1, [[v] for v in values])])
    xml = part(src, "xl/worksheets/sheet1.xml")
    assert b"a_x0001_b" in xml and b"_x005F_x0041_" in xml and b"&#13;" in xml and b"&lt;&amp;&gt;" in xml
    assert b'<t xml:space="preserve"> </t>' in xml
    # Excel, calamine and LibreOffice decode _xHHHH_; openpyxl leaves it in inline strings.
    got = [row[0] for row in calamine_rows(src, "S")]
    assert got == values
    lo = libreoffice_csv(src, tmp_path)["S"]
    assert [row[0] if row else "" for row in lo] == [v.replace("\r\n", "\n") for v in values]


# --------------------------------------------------------------------------
# Styles, rows, dimension
# --------------------------------------------------------------------------


def cell_xml(xml: bytes, ref: str) -> bytes:
    start = xml.index(f'<c r="{ref}"'.encode())
    end = xml.index(b">", start)
    if xml[end - 1 : end] == b"/":
        return xml[start : end + 1]
    return xml[start : xml.index(b"</c>", start) + 4]


def style_of(xml: bytes, ref: str) -> str | None:
    tag = cell_xml(xml, ref)
    tag = tag[: tag.index(b">")]
    if b' s="' not in tag:
        return None
    return tag.split(b' s="')[1].split(b'"')[0].decode()


def test_styles_of_written_cells(rich, tmp_path):
    old = part(rich, SUMMARY)
    out = tmp_path / "s.xlsm"
    patch_workbook(rich, out, [
        Block("汇总表", 2, 3, [[99]]),  # existing C2 keeps its own style
        Block("汇总表", 30, 3, [[60, "差", None]]),  # new C30 and D30 take the column styles; E30 has none
        Block("汇总表", 41, 2, [["斜体行"]]),  # row 41 is formatted: B41 takes the row style
        Block("汇总表", 41, 3, [[1]]),  # ...but a column style wins
        Block("汇总表", 3, 4, [[None]]),  # None keeps only the style
    ])
    new = part(out, SUMMARY)
    assert style_of(new, "C2") == style_of(old, "C2")
    col_c = old.split(b'<col min="3" max="3"')[1].split(b'style="')[1].split(b'"')[0].decode()
    col_d = old.split(b'<col min="4" max="4"')[1].split(b'style="')[1].split(b'"')[0].decode()
    assert style_of(new, "C30") == col_c and style_of(new, "D30") == col_d
    assert cell_xml(new, "E30") == b'<c r="E30"/>'  # no column style: an empty, unstyled cell
    row41 = old.split(b'<row r="41"')[1].split(b">")[0]
    assert b'customFormat="1"' in row41
    row_style = row41.split(b' s="')[1].split(b'"')[0].decode()
    assert style_of(new, "B41") == row_style and style_of(new, "C41") == col_c
    assert cell_xml(new, "D3") == f'<c r="D3" s="{style_of(old, "D3")}"/>'.encode()
    wb = openpyxl.load_workbook(out)
    assert wb["汇总表"]["C30"].number_format == "0.00" and wb["汇总表"]["C30"].fill.fgColor.rgb.endswith("FFF2CC")
    assert wb["汇总表"]["D3"].value is None and wb["汇总表"]["D3"].alignment.horizontal == "center"


def test_rows_are_created_in_order_and_keep_attributes(rich, tmp_path):
    out = tmp_path / "r.xlsm"
    patch_workbook(rich, out, [Block("汇总表", 50, 1, [["z"]]), Block("汇总表", 25, 1, [["m"]]), Block("汇总表", 6, 2, [["高行"]])])
    xml = part(out, SUMMARY)
    numbers = [int(x.split(b'"')[0]) for x in xml.split(b'<row r="')[1:]]
    assert numbers == sorted(numbers) and {6, 25, 41, 50} <= set(numbers)
    row6 = xml.split(b'<row r="6"')[1].split(b">")[0]
    assert b'ht="30"' in row6 and b'customHeight="1"' in row6
    assert dimension(xml) == "A1:H50"
    rows = calamine_rows(out, "汇总表")
    assert rows[24][0] == "m" and rows[49][0] == "z" and rows[5][1] == "高行" and rows[5][0] == "第5支部"


def test_clear_below_then_rewrite(rich, tmp_path):
    out = tmp_path / "c.xlsm"
    new_rows = [[f"新{i}", "机关", 90 + i] for i in range(1, 8)]  # rows 2..8
    patch_workbook(rich, out, [ClearBelow("汇总表", 2), Block("汇总表", 2, 1, new_rows)])
    xml = part(out, SUMMARY)
    _, data, _ = split_sheet(xml)
    assert b'<row r="9"' not in data and b'<row r="41"' not in data and b'r="E2"' not in data
    assert b'ht="30"' in data.split(b'<row r="6"')[1].split(b">")[0]  # a rewritten row keeps its height
    assert dimension(xml) == "A1:H8"
    rows = calamine_rows(out, "汇总表")
    assert len(rows) == 8
    assert rows[0][0] == "支部" and rows[1][:3] == ["新1", "机关", 91.0] and rows[7][:3] == ["新7", "机关", 97.0]
    assert all(v in ("", None) for v in rows[3][3:])
    # Untouched parts of the sheet (validation, formats) are still there.
    assert split_sheet(xml)[2] == split_sheet(part(rich, SUMMARY))[2]


def test_edits_apply_in_order(rich, tmp_path):
    out = tmp_path / "o.xlsm"
    patch_workbook(rich, out, [
        Block("汇总表", 2, 1, [["a"], ["b"], ["c"]]),
        ClearBelow("汇总表", 3),
        Block("汇总表", 4, 1, [["d"]]),
        Block("汇总表", 2, 1, [["e", "f"]]),
        Block("汇总表", 2, 2, [["g"]]),
    ])
    rows = calamine_rows(out, "汇总表")
    assert rows[1][:2] == ["e", "g"] and rows[3][0] == "d" and len(rows) == 4
    assert all(v in ("", None) for v in rows[2])


def test_unknown_sheet_and_bad_edits(rich, tmp_path):
    with pytest.raises(PatchError, match="no sheet named '不存在'"):
        patch_workbook(rich, tmp_path / "x.xlsm", [Block("不存在", 1, 1, [[1]])])
    with pytest.raises(PatchError):
        patch_workbook(rich, tmp_path / "x.xlsm", [Block("汇总表", 0, 1, [[1]])])
    with pytest.raises(PatchError):
        patch_workbook(rich, tmp_path / "x.xlsm", [Block("汇总表", 1, 16384, [[1, 2]])])
    with pytest.raises(PatchError):
        patch_workbook(rich, tmp_path / "x.xlsm", [Block("汇总表", 1, 1, ["not rows"])])
    with pytest.raises(PatchError):
        patch_workbook(rich, tmp_path / "x.xlsm", [("汇总表", 1, 1)])
    assert not (tmp_path / "x.xlsm").exists()
    # Excel's sheet names are case-insensitive.
    patch_workbook(rich, tmp_path / "y.xlsm", [Block("DATA", 1, 1, [["X"]])])
    assert calamine_rows(tmp_path / "y.xlsm", "Data")[0][0] == "X"


# --------------------------------------------------------------------------
# Formulas
# --------------------------------------------------------------------------


def test_cached_keeps_the_formula(rich, tmp_path):
    out = tmp_path / "f.xlsm"
    patch_workbook(rich, out, [Block("汇总表", 2, 3, [[95, "较好", Cached("五星")]]), Block("汇总表", 3, 5, [[Cached(None)]]), Block("参数", 2, 1, [[Cached(Decimal("1615.00"))]])])
    xml = part(out, SUMMARY)
    e2 = cell_xml(xml, "E2")
    assert e2.startswith(b'<c r="E2" t="str">') and e2.endswith("<v>五星</v></c>".encode())
    assert '<f>IF(C2&gt;=90,"五星","四星")</f>'.encode() in e2
    assert cell_xml(xml, "E3") == '<c r="E3"><f>IF(C3&gt;=90,"五星","四星")</f></c>'.encode()
    formulas = openpyxl.load_workbook(out)
    assert formulas["汇总表"]["E2"].value == '=IF(C2>=90,"五星","四星")'
    assert formulas["参数"]["A2"].value == "=SUM(汇总表!C2:C21)"
    cached = openpyxl.load_workbook(out, data_only=True)
    assert cached["汇总表"]["E2"].value == "五星" and cached["参数"]["A2"].value == 1615
    assert calamine_rows(out, "汇总表")[1][4] == "五星"


def test_value_replaces_formula(rich, tmp_path):
    out = tmp_path / "v.xlsm"
    patch_workbook(rich, out, [Block("汇总表", 2, 5, [["手填"]]), Block("汇总表", 3, 5, [[None]])])
    xml = part(out, SUMMARY)
    assert cell_xml(xml, "E2") == '<c r="E2" t="inlineStr"><is><t>手填</t></is></c>'.encode()
    assert cell_xml(xml, "E3") == b'<c r="E3"/>'
    wb = openpyxl.load_workbook(out)
    assert wb["汇总表"]["E2"].value == "手填" and wb["汇总表"]["E3"].value is None
    assert wb["汇总表"]["E4"].value.startswith("=IF(")


SHARED_ROWS = (
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>2</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
    '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>6</v></c></row>'
)


def test_shared_formula_master(tmp_path):
    src = make_package(tmp_path / "sh.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(SHARED_ROWS, head='<dimension ref="A1:B3"/>'))])
    before = src.read_bytes()
    with pytest.raises(PatchError, match="B1 holds the formula that other cells share"):
        patch_workbook(src, src, [Block("S", 1, 2, [[5]])])
    assert src.read_bytes() == before
    # Writing the master and every cell that shares it is fine, as is a cached value.
    patch_workbook(src, tmp_path / "all.xlsx", [Block("S", 1, 2, [[5], [6], [7]])])
    assert [r[1] for r in calamine_rows(tmp_path / "all.xlsx", "S")] == [5.0, 6.0, 7.0]
    patch_workbook(src, tmp_path / "cached.xlsx", [Block("S", 1, 2, [[Cached(20)]]), Block("S", 2, 2, [[7]])])
    xml = part(tmp_path / "cached.xlsx", "xl/worksheets/sheet1.xml")
    assert b'<f t="shared" ref="B1:B3" si="0">A1*2</f><v>20</v>' in xml and b'<c r="B3"><f t="shared" si="0"/><v>6</v></c>' in xml
    patch_workbook(src, tmp_path / "cleared.xlsx", [ClearBelow("S", 1)])
    assert calamine_rows(tmp_path / "cleared.xlsx", "S") in ([], [[]])


ARRAY_ROWS = (
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="array" ref="B1:B2">A1:A2*2</f><v>2</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><v>4</v></c></row>'
)


def test_array_formula_range(tmp_path):
    src = make_package(tmp_path / "ar.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(ARRAY_ROWS))])
    with pytest.raises(PatchError, match="B2 belongs to the array formula in B1"):
        patch_workbook(src, tmp_path / "x.xlsx", [Block("S", 2, 2, [[9]])])
    with pytest.raises(PatchError, match="array formula"):
        patch_workbook(src, tmp_path / "x.xlsx", [Block("S", 1, 2, [[Cached(2)], [9]])])
    assert not (tmp_path / "x.xlsx").exists()
    patch_workbook(src, tmp_path / "cached.xlsx", [Block("S", 1, 2, [[Cached(4)], [Cached(8)]])])
    assert b'<f t="array" ref="B1:B2">A1:A2*2</f><v>4</v>' in part(tmp_path / "cached.xlsx", "xl/worksheets/sheet1.xml")
    patch_workbook(src, tmp_path / "gone.xlsx", [Block("S", 1, 2, [["no"], ["array"]])])
    assert calamine_rows(tmp_path / "gone.xlsx", "S") == [[1.0, "no"], [2.0, "array"]]
    patch_workbook(src, tmp_path / "first.xlsx", [Block("S", 1, 2, [[0]])])


CHAIN = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="{MAIN}"><c r="B1" i="7"/><c r="B2"/><c r="B3"/><c r="A1" i="8" l="1"/></calcChain>'.encode()
PLAIN_FORMULAS = (
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f>A2*2</f><v>4</v></c></row>'
    '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f>A3*2</f><v>6</v></c></row>'
)


def chain_book(tmp_path) -> Path:
    other = sheet_xml('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>')
    return make_package(
        tmp_path / "chain.xlsx",
        [("One", "xl/worksheets/sheet1.xml", sheet_xml(PLAIN_FORMULAS)), ("Two", "xl/worksheets/sheet2.xml", other)],
        calc_chain=CHAIN,
    )


def test_calc_chain_loses_replaced_formulas(tmp_path):
    src = chain_book(tmp_path)
    out = tmp_path / "one.xlsx"
    patch_workbook(src, out, [Block("One", 1, 2, [["value"]])])
    chain = part(out, "xl/calcChain.xml")
    assert b'r="B1"' not in chain
    assert b'<c i="7" r="B2"/><c r="B3"/><c r="A1" i="8" l="1"/>' in chain  # B2 now says its sheet
    # Cached values keep formulas, so they keep their entries.
    patch_workbook(src, out, [Block("One", 1, 2, [[Cached(3)], [Cached(5)]])])
    assert part(out, "xl/calcChain.xml") == CHAIN
    # ClearBelow removes formulas too.
    patch_workbook(src, out, [ClearBelow("One", 2)])
    assert b'<c r="B1" i="7"/><c r="A1" i="8" l="1"/>' in part(out, "xl/calcChain.xml")


def test_calc_chain_removed_when_empty(tmp_path):
    src = chain_book(tmp_path)
    out = tmp_path / "none.xlsx"
    patch_workbook(src, out, [ClearBelow("One", 1), Block("Two", 1, 1, [[2]])])
    names = [i.filename for i, _ in entries(out)]
    assert "xl/calcChain.xml" not in names
    assert b"calcChain" not in part(out, "xl/_rels/workbook.xml.rels")
    assert b"calcChain" not in part(out, "[Content_Types].xml")
    assert b"styles.xml" in part(out, "xl/_rels/workbook.xml.rels")  # the other relationships stay
    assert part(out, "[Content_Types].xml").count(b"<Override") == part(src, "[Content_Types].xml").count(b"<Override") - 1
    assert calamine_rows(out, "Two") == [[2.0]]
    openpyxl.load_workbook(out)


# --------------------------------------------------------------------------
# Atomic writes and bad input
# --------------------------------------------------------------------------


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    "edits",
    [
        [Block("不存在", 1, 1, [[1]])],
        [Block("汇总表", 2, 1, [["ok"]]), Block("汇总表", 3, 1, [[object()]])],
        [Block("汇总表", 2, 1, [[float("nan")]])],
    ],
)
def test_in_place_failure_leaves_the_file_alone(rich, edits):
    os.chmod(rich, 0o640)
    before, files = rich.read_bytes(), listing(rich.parent)
    with pytest.raises(PatchError):
        patch_workbook(rich, rich, edits)
    assert rich.read_bytes() == before
    assert listing(rich.parent) == files


def test_in_place_success_keeps_permissions(rich):
    os.chmod(rich, 0o640)
    files = listing(rich.parent)
    patch_workbook(rich, rich, [Block("汇总表", 2, 1, [["原地"]])])
    assert calamine_rows(rich, "汇总表")[1][0] == "原地"
    assert stat.S_IMODE(rich.stat().st_mode) == 0o640
    assert listing(rich.parent) == files


def test_damaged_entry_found_while_writing(rich, tmp_path):
    """A bad checksum in a part we copy is noticed after the temp file exists: it must go."""
    damaged = tmp_path / "damaged.xlsm"
    data = bytearray(rich.read_bytes())
    with zipfile.ZipFile(rich) as zf:
        info = zf.getinfo("docProps/app.xml")
    n, m = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    data[info.header_offset + 30 + n + m + 5] ^= 0xFF
    damaged.write_bytes(bytes(data))
    dst = tmp_path / "out" / "result.xlsm"
    dst.parent.mkdir()
    dst.write_bytes(b"old contents")
    with pytest.raises(zipfile.BadZipFile):
        patch_workbook(damaged, dst, [Block("汇总表", 2, 1, [["x"]])])
    assert dst.read_bytes() == b"old contents"
    assert listing(dst.parent) == ["result.xlsm"]


def test_not_a_workbook(tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("这不是工作簿", encoding="utf-8")
    ole = tmp_path / "encrypted.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    other_zip = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    for bad in (text, ole):
        with pytest.raises(zipfile.BadZipFile):
            patch_workbook(bad, tmp_path / "out.xlsx", [ClearBelow("S", 1)])
    with pytest.raises(PatchError, match="not an Excel workbook"):
        patch_workbook(other_zip, tmp_path / "out.xlsx", [ClearBelow("S", 1)])
    with pytest.raises(FileNotFoundError):
        patch_workbook(tmp_path / "missing.xlsx", tmp_path / "out.xlsx", [])
    assert not (tmp_path / "out.xlsx").exists()
    assert listing(tmp_path) == ["doc.xlsx", "encrypted.xlsx", "notes.xlsx"]


def test_truncated_workbook(rich, tmp_path):
    cut = tmp_path / "cut.xlsm"
    cut.write_bytes(rich.read_bytes()[:-200])
    with pytest.raises(zipfile.BadZipFile):
        patch_workbook(cut, tmp_path / "out.xlsm", [Block("汇总表", 1, 1, [[1]])])
    assert not (tmp_path / "out.xlsm").exists()


def test_chart_sheet_is_refused(tmp_path):
    src = make_package(tmp_path / "c.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(None))])
    with zipfile.ZipFile(src) as zf:
        items = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = f'<chartsheet xmlns="{MAIN}"><drawing r:id="x" xmlns:r="{REL}"/></chartsheet>'.encode()
            zf.writestr(info, data)
    with pytest.raises(PatchError, match="chartsheet"):
        patch_workbook(src, tmp_path / "o.xlsx", [Block("S", 1, 1, [[1]])])


# --------------------------------------------------------------------------
# What Excel never writes but other tools do
# --------------------------------------------------------------------------


def test_prefixed_namespace(tmp_path):
    rows = '<x:row r="1"><x:c r="A1" s="1"><x:v>1</x:v></x:c></x:row><x:row r="3"><x:c r="B3" t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c></x:row>'
    xml = sheet_xml(rows, head='<x:dimension ref="A1:B3"/>', tail='<x:pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>', prefix="x")
    src = make_package(tmp_path / "p.xlsx", [("S", "xl/worksheets/sheet1.xml", xml)])
    patch_workbook(src, src, [Block("S", 1, 1, [[2, "新"]]), Block("S", 2, 1, [["中间"]]), Block("S", 5, 3, [[True]])])
    new = part(src, "xl/worksheets/sheet1.xml")
    assert b"<x:c r=\"B1\" t=\"inlineStr\"><x:is><x:t>\xe6\x96\xb0</x:t></x:is></x:c>" in new
    assert b'<x:row r="2">' in new and b"<x:v>1</x:v>" in new.split(b'r="C5"')[1]
    assert b'<x:dimension ref="A1:C5"/>' in new
    rows = calamine_rows(src, "S")
    assert rows[0][:2] == [2.0, "新"] and rows[1][0] == "中间" and rows[2][1] == "b" and rows[4][2] is True
    assert openpyxl.load_workbook(src)["S"]["A1"].number_format == "0.00"


def test_rows_and_cells_without_r(tmp_path):
    rows = (
        "<row><c><v>1</v></c><c><v>2</v></c></row>"  # row 1: A1, B1
        '<row spans="1:3"><c s="1"><v>3</v></c><c r="C2"><v>4</v></c><c><v>5</v></c></row>'  # row 2: A2, C2, D2
        "<row><c><v>6</v></c></row>"  # row 3
    )
    src = make_package(tmp_path / "r.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(rows))])
    before = calamine_rows(src, "S")
    assert before == [[1.0, 2.0, "", ""], [3.0, "", 4.0, 5.0], [6.0, "", "", ""]]
    patch_workbook(src, src, [Block("S", 2, 2, [["b2", "c2"]]), Block("S", 1, 3, [["new"]])])
    xml = part(src, "xl/worksheets/sheet1.xml")
    assert b'<c r="A2" s="1"><v>3</v></c>' in xml  # the untouched cells got their references
    assert b"spans" not in xml
    assert calamine_rows(src, "S") == [[1.0, 2.0, "new", ""], [3.0, "b2", "c2", 5.0], [6.0, "", "", ""]]


def test_self_closing_sheet_data_and_rows(tmp_path):
    src = make_package(tmp_path / "e.xlsx", [("Empty", "xl/worksheets/sheet1.xml", sheet_xml(None, head='<dimension ref="A1"/>'))])
    patch_workbook(src, src, [Block("Empty", 2, 2, [["x"]])])
    xml = part(src, "xl/worksheets/sheet1.xml")
    assert b'<sheetData><row r="2"><c r="B2" t="inlineStr"><is><t>x</t></is></c></row></sheetData>' in xml
    assert dimension(xml) == "B2"

    rows = '<row r="2" ht="20" customHeight="1"/><row r="5" s="2" customFormat="1"/><row r="7"><c r="A7"><v>7</v></c></row>'
    src = make_package(tmp_path / "s.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(rows, head='<dimension ref="A7"/>'))])
    patch_workbook(src, src, [Block("S", 2, 1, [["two"]]), Block("S", 5, 3, [[0.25]]), Block("S", 5, 1, [[None]])])
    xml = part(src, "xl/worksheets/sheet1.xml")
    assert b'<row r="2" ht="20" customHeight="1"><c r="A2" t="inlineStr">' in xml
    assert b'<row r="5" s="2" customFormat="1"><c r="A5" s="2"/><c r="C5" s="2"><v>0.25</v></c></row>' in xml
    assert dimension(xml) == "A2:C7"


def test_sheet_in_an_odd_place(tmp_path):
    sheets = [
        ("第二", "xl/data/tables/B.xml", sheet_xml('<row r="1"><c r="A1"><v>2</v></c></row>')),
        ("第一", "sheets/one.xml", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')),
    ]
    src = make_package(tmp_path / "odd.xlsx", sheets)
    out = tmp_path / "odd2.xlsx"
    patch_workbook(src, out, [Block("第一", 1, 2, [["一"]]), Block("第二", 1, 2, [["二"]])])
    assert b"\xe4\xb8\x80" in part(out, "sheets/one.xml") and b"\xe4\xba\x8c" in part(out, "xl/data/tables/B.xml")
    assert calamine_rows(out, "第一") == [[1.0, "一"]] and calamine_rows(out, "第二") == [[2.0, "二"]]


def test_stored_entries_stay_stored(tmp_path):
    src = make_package(tmp_path / "st.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml(None))], compression=zipfile.ZIP_STORED)
    out = tmp_path / "st2.xlsx"
    patch_workbook(src, out, [Block("S", 1, 1, [["x"]])])
    assert {i.compress_type for i, _ in entries(out)} == {zipfile.ZIP_STORED}
    assert calamine_rows(out, "S") == [["x"]]


# --------------------------------------------------------------------------
# A big sheet: the fast path and its fall-backs
# --------------------------------------------------------------------------


def big_sheet(n_rows: int, n_cols: int = 12) -> bytes:
    """Excel-like XML; a few rows are odd on purpose."""
    out = []
    for r in range(1, n_rows + 1):
        cells = []
        for c in range(1, n_cols + 1):
            ref = f"{col_letters(c)}{r}"
            if r == 100 and c == 4:
                continue  # a missing cell
            if r == 200 and c == 5:
                cells.append(f'<c r="{ref}"><f>A{r}+1</f><v>{r + 1}</v></c>')  # a formula
            elif r == 300 and c == 4:
                cells.append(f'<c r="{ref}" t="n" s="2"><v>{r}</v></c>')  # style after type
            elif c % 3 == 0:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>文本{r}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}" s="1"><v>{r * c}</v></c>')
        out.append(f'<row r="{r}" spans="1:{n_cols}">{"".join(cells)}</row>')
    return sheet_xml("".join(out), head=f'<dimension ref="A1:{col_letters(n_cols)}{n_rows}"/>')


def test_big_sheet(tmp_path):
    n = 6000
    src = make_package(tmp_path / "big.xlsx", [("Big", "xl/worksheets/sheet1.xml", big_sheet(n))])
    assert len(part(src, "xl/worksheets/sheet1.xml")) > (1 << 20)  # compressed while it is patched
    values = [[Decimal(r) / 4, f"名{r}", r % 2 == 0, None] for r in range(1, n + 1)]
    values[499][1] = Cached("cached")  # Cached on a cell without formula: a plain value
    edits = [Block("Big", 1, 3, values), Block("Big", 10, 11, [[1]] * 20)]
    out = tmp_path / "big2.xlsx"
    patch_workbook(src, out, edits)

    expected = calamine_rows(src, "Big")
    for r, line in enumerate(values):
        for j, v in enumerate(line):
            expected[r][2 + j] = "" if v is None else (v.value if isinstance(v, Cached) else (float(v) if isinstance(v, Decimal) else v))
    for r in range(9, 29):
        expected[r][10] = 1.0
    got = calamine_rows(out, "Big")
    assert got == expected
    xml = part(out, "xl/worksheets/sheet1.xml")
    assert cell_xml(xml, "D100") == '<c r="D100" t="inlineStr"><is><t>名100</t></is></c>'.encode()  # created, in order
    assert b'<c r="C100"><v>25</v></c><c r="D100"' in xml
    assert cell_xml(xml, "E200") == b'<c r="E200" t="b"><v>1</v></c>'  # the formula is gone
    assert cell_xml(xml, "D300") == b'<c r="D300" s="2" t="inlineStr"><is><t>\xe5\x90\x8d300</t></is></c>'
    assert cell_xml(xml, "I7") == '<c r="I7" t="inlineStr"><is><t>文本7</t></is></c>'.encode()  # untouched
    assert cell_xml(xml, "F8") == b'<c r="F8"/>'  # None: the cell stays, empty, with its style (none)
    assert dimension(xml) == "A1:L6000"
    # A row that took the general path drops spans; rows on the fast path keep the same cells, so spans stay.
    assert b'<row r="100">' in xml and b'<row r="101" spans="1:12">' in xml


def test_random_edits_match_a_model(tmp_path):
    """Random Blocks and ClearBelows on a sheet with gaps, empty rows and odd cells, against a plain model."""
    import random

    rng = random.Random(20240601)
    rows = []
    grid: dict[tuple[int, int], object] = {}
    for r in range(1, 40):
        if r % 7 == 0:
            continue  # a gap
        if r % 11 == 0:
            rows.append(f'<row r="{r}" ht="18" customHeight="1"/>')
            continue
        cells = []
        for c in range(1, 9):
            if (r + c) % 5 == 0:
                continue
            ref = f"{col_letters(c)}{r}"
            if c % 2:
                cells.append(f'<c r="{ref}" s="1"><v>{r * 10 + c}</v></c>')
                grid[(r, c)] = float(r * 10 + c)
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>t{r}.{c}</t></is></c>')
                grid[(r, c)] = f"t{r}.{c}"
        rows.append(f'<row r="{r}" spans="1:8">{"".join(cells)}</row>')
    src = make_package(tmp_path / "m.xlsx", [("S", "xl/worksheets/sheet1.xml", sheet_xml("".join(rows), head='<dimension ref="A1:H39"/>'))])
    pool = ["x", "  y", "中文", 1, 2.5, Decimal("3.10"), True, None, Cached(7)]
    for trial in range(25):
        model = dict(grid)
        edits = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.25:
                cut = rng.randint(1, 45)
                edits.append(ClearBelow("S", cut))
                model = {k: v for k, v in model.items() if k[0] < cut}
                continue
            top, left = rng.randint(1, 45), rng.randint(1, 10)
            h, w = rng.randint(1, 12), rng.randint(1, 5)
            block = [[rng.choice(pool) for _ in range(w)] for _ in range(h)]
            edits.append(Block("S", top, left, block))
            for i, line in enumerate(block):
                for j, v in enumerate(line):
                    v = v.value if isinstance(v, Cached) else v
                    model[(top + i, left + j)] = None if v is None else (float(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else v)
        out = tmp_path / f"m{trial}.xlsx"
        patch_workbook(src, out, edits)
        got = calamine_rows(out, "S")
        seen = {(r + 1, c + 1): v for r, line in enumerate(got) for c, v in enumerate(line) if v not in ("", None)}
        assert seen == {k: v for k, v in model.items() if v not in ("", None)}, (trial, edits)
        xml = part(out, "xl/worksheets/sheet1.xml").decode()
        numbers = [int(x.split('"')[0]) for x in xml.split('<row r="')[1:]]
        assert numbers == sorted(set(numbers)), trial
        for line in xml.split("<row ")[1:]:
            cols = [col_number("".join(ch for ch in ref if ch.isalpha())) for ref in (x.split('"')[0] for x in line.split('<c r="')[1:])]
            assert cols == sorted(set(cols)), (trial, line)
