"""The patcher's jobs one by one, as tables of input XML → expected XML (XlsxWriter's style of
unit test): cell XML, rows, bands, formulas, the calculation chain, sheet parts."""
from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from starbook.edits import Cached, CellBlock, ClearRows, FitRows, RowHeight
from starbook.xlsx.bands import Band, band_cells_plain, split_edits
from starbook.xlsx.calcchain import drop_calc_chain
from starbook.xlsx.cellxml import Writer, cell_xml, col_letters, col_number, column_styles, number_text, text_xml
from starbook.xlsx.errors import PatchError
from starbook.xlsx.formulas import formula_plan
from starbook.xlsx.parts import sheet_parts
from starbook.xlsx.rows import Target, cells_by_column, dimension, patch_row, written_row_head
from starbook.xlsx.sheetpatch import patch_sheet_xml
from xlsx_packages import MAIN, make_package, sheet_xml

# -- cellxml: one cell ------------------------------------------------------------------------


def test_column_letters_and_numbers():
    assert [col_letters(n) for n in (1, 26, 27, 52, 53, 702, 703, 16384)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]
    assert all(col_number(col_letters(n)) == n for n in range(1, 3000))


@pytest.mark.parametrize(
    "value, text",
    [(Decimal("90.00"), "90.00"), (Decimal("1E+2"), "100"), (Decimal("-0.125"), "-0.125"), (0.5, "0.5"),
     (1e-7, "0.0000001"), (1e20, "100000000000000000000"), (12, "12")],
)
def test_numbers_are_written_as_typed_without_exponents(value, text):
    assert number_text(value) == text


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("-inf")])
def test_numbers_excel_cannot_hold_are_refused_in_chinese(value):
    with pytest.raises(PatchError, match="不是有限数"):
        number_text(value)


@pytest.mark.parametrize(
    "value, xml",
    [
        ("中文", "<t>中文</t>"),
        ("<&>", "<t>&lt;&amp;&gt;</t>"),
        ("  padded ", '<t xml:space="preserve">  padded </t>'),
        ("two\nlines", '<t xml:space="preserve">two\nlines</t>'),
        ("cr\rinside", '<t xml:space="preserve">cr&#13;inside</t>'),
        ("a\x01b", "<t>a_x0001_b</t>"),
        ("_x0041_ literal", "<t>_x005F_x0041_ literal</t>"),
    ],
)
def test_text_is_escaped_for_xml_and_for_excel(value, xml):
    assert text_xml(value) == xml


@pytest.mark.parametrize(
    "style, value, existing, xml, replaced",
    [
        (None, 5, None, '<c r="B2"><v>5</v></c>', False),
        ("3", True, None, '<c r="B2" s="3" t="b"><v>1</v></c>', False),
        ("3", "文本", None, '<c r="B2" s="3" t="inlineStr"><is><t>文本</t></is></c>', False),
        ("3", None, '<c r="B2" s="3"><v>1</v></c>', '<c r="B2" s="3"/>', False),
        (None, 7, '<c r="B2"><f>A2*2</f><v>4</v></c>', '<c r="B2"><v>7</v></c>', True),
        (None, Cached(8), '<c r="B2"><f>A2*2</f><v>4</v></c>', '<c r="B2"><f>A2*2</f><v>8</v></c>', False),
        (None, Cached("x"), '<c r="B2"><f>A2</f><v>4</v></c>', '<c r="B2" t="str"><f>A2</f><v>x</v></c>', False),
        (None, Cached(None), '<c r="B2"><f>A2</f><v>4</v></c>', '<c r="B2"><f>A2</f></c>', False),
        (None, Cached(8), '<c r="B2"><v>4</v></c>', '<c r="B2"><v>4</v></c>', False),  # no formula: left alone
        (None, 9, '<c r="B2"><f t="shared" ref="B2:B5" si="0">A2</f><v>4</v></c>', '<c r="B2"><v>9</v></c>', True),
    ],
)
def test_cell_xml(style, value, existing, xml, replaced):
    assert cell_xml("B2", style, value, existing) == (xml, replaced)


@pytest.mark.parametrize(
    "head, styles",
    [
        ("<cols/>", {}),
        ('<cols><col min="2" max="3" width="9" style="4" customWidth="1"/><col min="5" max="5" width="9"/></cols>', {2: "4", 3: "4"}),
    ],
)
def test_new_cells_take_their_columns_style(head, styles):
    assert column_styles(head) == styles
    w = Writer(styles)
    style = ' s="4"' if styles else ""
    assert w.cell(3, 7, styles.get(3), Decimal("1.50"), None) == (f'<c r="C7"{style}><v>1.50</v></c>', False)


# -- rows: one row ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row_xml, cells, cleared, expected",
    [
        # a new row
        (None, {2: "x"}, False, '<row r="4"><c r="B4" t="inlineStr"><is><t>x</t></is></c></row>'),
        # cells left of the first one written keep their exact text; spans go (the new cells may contradict them)
        ('<row r="4" spans="1:2"><c r="A4"  s="1"><v>1</v></c><c r="B4"><v>2</v></c></row>', {2: 5, 3: 6},
         False, '<row r="4"><c r="A4"  s="1"><v>1</v></c><c r="B4"><v>5</v></c><c r="C4"><v>6</v></c></row>'),
        # a written cell keeps its style; a cell between written ones stays
        ('<row r="4"><c r="B4" s="2"><v>2</v></c><c r="C4"><v>3</v></c></row>', {2: None, 4: 1},
         False, '<row r="4"><c r="B4" s="2"/><c r="C4"><v>3</v></c><c r="D4"><v>1</v></c></row>'),
        # r not first, and cells without r
        ('<row r="4"><c s="1" r="B4"><v>2</v></c><c><v>3</v></c></row>', {4: 1},
         False, '<row r="4"><c s="1" r="B4"><v>2</v></c><c r="C4"><v>3</v></c><c r="D4"><v>1</v></c></row>'),
        # a self-closing row, a row style for new cells, a row without its number
        ('<row r="4" s="5" customFormat="1"/>', {1: 1}, False, '<row r="4" s="5" customFormat="1"><c r="A4" s="5"><v>1</v></c></row>'),
        ('<row><c r="A4"><v>1</v></c></row>', {2: 2}, False, '<row r="4"><c r="A4"><v>1</v></c><c r="B4"><v>2</v></c></row>'),
        # a cleared row loses its old cells
        ('<row r="4"><c r="A4"><v>1</v></c></row>', {2: 2}, True, '<row r="4"><c r="B4"><v>2</v></c></row>'),
    ],
)
def test_patch_row(row_xml, cells, cleared, expected):
    assert patch_row(4, row_xml, cells, Writer({}), cleared)[0] == expected


@pytest.mark.parametrize(
    "head, heights, fits, expected",
    [
        ('<row r="3" spans="1:9" ht="30" customHeight="1"', {}, False, '<row r="3" ht="30" customHeight="1"'),
        ('<row r="3" ht="30" customHeight="1"', {3: 45.0}, False, '<row r="3" ht="45" customHeight="1"'),
        ('<row r="3" ht="30" customHeight="1"', {}, True, '<row r="3"'),
        ("<row", {}, False, '<row r="3"'),
    ],
)
def test_written_row_heads(head, heights, fits, expected):
    w = Writer({})
    w.heights, w.fits = heights, (lambda row: fits)
    assert written_row_head(head, 3, w) == expected


def test_cells_by_column_keep_their_text_and_get_a_missing_r():
    assert cells_by_column('<c t="s" r="C2"><v>0</v></c><c><v>1</v></c><c r="F2"/>', 2) == {
        3: '<c t="s" r="C2"><v>0</v></c>', 4: '<c r="D2"><v>1</v></c>', 6: '<c r="F2"/>'}


@pytest.mark.parametrize(
    "head, edits, extents, expected",
    [
        ('<dimension ref="A1:C3"/>', [CellBlock("S", 5, 2, [[1]])], (), '<dimension ref="A1:C5"/>'),
        ('<dimension ref="A1"/>', [CellBlock("S", 1, 1, [[1]])], (), '<dimension ref="A1"/>'),
        ('<dimension ref="B2:C3"/>', [], [(1, 100, 1, 9)], '<dimension ref="A1:I100"/>'),
        ("<sheetViews/>", [CellBlock("S", 5, 2, [[1]])], (), "<sheetViews/>"),  # none: none added
    ],
)
def test_dimension_covers_what_was_written(head, edits, extents, expected):
    target = Target()
    for e in edits:
        target.apply(e)
    assert dimension(head, target, extents) == expected


def test_target_applies_edits_in_order():
    target = Target()
    for e in (CellBlock("S", 2, 1, [[1, 2], [3, 4]]), ClearRows("S", 3), CellBlock("S", 3, 2, [[5]]), RowHeight("S", 7, 30),
              FitRows("S", 2, 9)):
        target.apply(e)
    assert target.rows == {2: {1: 1, 2: 2}, 3: {2: 5}, 7: {}} and target.clear_from == 3
    assert target.heights == {7: 30} and target.fits(9) and not target.fits(10)


# -- bands: tall blocks -----------------------------------------------------------------------


def tall(row, col, height, width=1, value="v"):
    return CellBlock("S", row, col, [[value] * width for _ in range(height)])


@pytest.mark.parametrize(
    "edits, banded, rest",
    [
        ([tall(4, 1, 70), tall(4, 3, 70, 2)], {(4, 1), (4, 3), (4, 4)}, 0),  # same rows: one band, column by column
        ([tall(4, 1, 10)], set(), 1),  # short
        ([tall(4, 1, 70), ClearRows("S", 2)], set(), 2),  # a ClearRows after it would make order matter
        ([tall(4, 1, 70), tall(4, 1, 70)], {(4, 1)}, 1),  # the same column again: the later write wins from rest
        ([tall(4, 1, 70), tall(4, 2, 60)], {(4, 1)}, 1),  # over part of a band's rows
        ([tall(10, 2, 1), tall(4, 1, 70, 2)], set(), 2),  # over cells an earlier block wrote
        ([CellBlock("S", 4, 1, [["a"]] * 69 + [["a", "b"]])], set(), 1),  # ragged
    ],
)
def test_which_blocks_become_bands(edits, banded, rest):
    bands, others = split_edits(edits)
    assert {(b.first_row, c) for b in bands for c in b.values} == banded and len(others) == rest


def test_a_bands_rows_are_assembled_per_column():
    band = Band(4, {2: ["甲", None], 3: [Decimal("85.10"), Decimal("7")], 5: [1, True]})
    band.build(Writer({3: "9"}))
    assert band.encoded() == [
        '<c r="B4" t="inlineStr"><is><t>甲</t></is></c><c r="C4" s="9"><v>85.10</v></c><c r="E4"><v>1</v></c>'.encode(),
        '<c r="B5"/><c r="C5" s="9"><v>7</v></c><c r="E5" t="b"><v>1</v></c>'.encode(),
    ]


@pytest.mark.parametrize("seed", range(20))
def test_a_band_column_of_mixed_values_is_assembled_as_cell_by_cell(seed, monkeypatch):
    """The column-wise paths (text, numbers, text among numbers as a ledger's 序号) give the
    very bytes of the cell-by-cell path; a column of text, blanks and ints never takes it."""
    import random

    rng = random.Random(seed)
    pools = [["甲", "乙", "", None, " 序号 ", "a_x0041_b", "<&>"], [1, 2, 0, -3, 10**12], [True, False],
             [Decimal("85.10"), Decimal("7"), Decimal("1.0"), Decimal("1")], [2.5, 1e-7]]
    styles = {c: str(rng.randint(1, 5)) for c in range(1, 9) if rng.random() < 0.5}
    values = {}
    for c in range(1, rng.randint(2, 8)):
        pool = sum(rng.sample(pools, rng.randint(1, 3)), []) if c > 1 else pools[0] + pools[1]
        values[c] = [rng.choice(pool) for _ in range(rng.randint(1, 5))]
    n = min(map(len, values.values()))
    values = {c: v[:n] for c, v in values.items()}
    w = Writer(styles)
    expected = [
        "".join(w.new_cell(c, r, styles.get(c), values[c][i]) or w.cell(c, r, styles.get(c), values[c][i], None)[0] for c in sorted(values))
        for i, r in enumerate(range(3, 3 + n))
    ]
    calls = []
    real = Writer.new_cell
    monkeypatch.setattr(Writer, "new_cell", lambda self, col, *a: calls.append(col) or real(self, col, *a))
    band = Band(3, values)
    band.build(Writer(styles))
    assert band.encoded() == [e.encode() for e in expected]
    plain = {c for c, v in values.items() if set(map(type, v)) <= {str, type(None), int}}
    assert not plain & set(calls)


@pytest.mark.parametrize("seed", range(30))
def test_the_band_wide_cell_check_vouches_only_for_what_each_row_would_pass(seed):
    """band_cells_plain lets Band.cut skip its per-row cell check: on random rows (a second
    定星's band cells, now and then a cell of another style, column or kind, or out of order), each row's cut
    is the same with the skip as without, and a plain band is vouched for."""
    import random

    rng = random.Random(seed)
    styles = {c: str(rng.randint(1, 4)) for c in range(1, 13) if rng.random() < 0.6}
    w = Writer(styles)
    cols = sorted(rng.sample(range(3, 11), rng.randint(1, 5)))
    n = rng.randint(1, 70)
    band = Band(2, {c: ["v"] * n for c in cols})
    band.build(w)
    mode = rng.choice(["plain", "odd cells", "out of order"])
    odd = mode == "odd cells"  # cells of another style or column now and then
    inners = []
    for r in range(2, 2 + n):
        cells = []
        for c in range(1, 14):
            in_band = c in cols
            if not in_band and c >= cols[0] and not (odd and rng.random() < 0.05):
                continue  # right of or among the band: only its own cells, unless odd
            if not in_band and rng.random() < 0.5:
                continue
            style = styles.get(c)
            if odd and rng.random() < 0.05:
                style = rng.choice([None, "1", "7", "x"])
            s = f' s="{style}"' if style is not None else ""
            kind = rng.choice(["/>", "><v>1</v></c>", ' t="inlineStr"><is><t>x</t></is></c>', ' t="s"><v>0</v></c>'])
            if rng.random() < 0.02:
                kind = "><f>1+1</f><v>2</v></c>"
            cells.append(f'<c r="{col_letters(c)}{r}"{s}{kind}')
        if mode == "out of order" and rng.random() < 0.3:
            rng.shuffle(cells)  # a cell left of the band may follow the band's
        inners.append("".join(cells).encode())
    body = b"".join(b'<row r="%d">%s</row>' % (r, inner) for r, inner in zip(range(2, 2 + n), inners))
    vouched = band_cells_plain(body, band, w)
    if mode != "odd cells":
        assert vouched
    if vouched:
        assert [band.cut(inner, w, True) for inner in inners] == [band.cut(inner, w) for inner in inners]


# -- formulas: shared and array formulas under values -----------------------------------------

SHARED = (
    b'<row r="1"><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>2</v></c></row>'
    b'<row r="2"><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
    b'<row r="3"><c r="B3"><f t="shared" si="0"/><v>6</v></c></row>'
)


@pytest.mark.parametrize(
    "edits, rehomed",
    [
        ([CellBlock("S", 1, 2, [[0]])], {(2, 2): '<f t="shared" ref="B2:B3" si="0">A2*2</f>'}),
        ([CellBlock("S", 1, 2, [[0], [0]])], {(3, 2): '<f t="shared" ref="B3" si="0">A3*2</f>'}),
        ([CellBlock("S", 1, 2, [[0], [0], [0]])], {}),
        ([CellBlock("S", 2, 2, [[0]])], {}),
        ([CellBlock("S", 1, 2, [[Cached(1)]])], {}),
        ([ClearRows("S", 1)], {}),
    ],
)
def test_a_shared_formulas_new_master(edits, rehomed):
    target = Target()
    for e in edits:
        target.apply(e)
    formula_plan(SHARED, target, [])
    assert {(r, c): v.formula for r, cells in target.rows.items() for c, v in cells.items() if hasattr(v, "formula")} == rehomed


@pytest.mark.parametrize(
    "edits, refused",
    [
        ([CellBlock("S", 2, 2, [[0]])], True),
        ([CellBlock("S", 1, 2, [[Cached(1)], [0]])], True),
        ([CellBlock("S", 1, 2, [[0], [0]])], False),  # the array goes with its first cell
        ([CellBlock("S", 2, 2, [[Cached(1)]])], False),
        ([CellBlock("S", 2, 3, [[0]])], False),  # beside it
    ],
)
def test_a_value_inside_an_array_formula(edits, refused):
    body = (b'<row r="1"><c r="B1"><f t="array" ref="B1:B2">A1:A2</f><v>1</v></c></row>'
            b'<row r="2"><c r="B2"><v>2</v></c></row>')
    target = Target()
    for e in edits:
        target.apply(e)
    if refused:
        with pytest.raises(PatchError, match="B2 属于数组公式 B1:B2"):
            formula_plan(body, target, [])
    else:
        formula_plan(body, target, [])


def test_a_sheet_patched_end_to_end_as_xml():
    xml = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', head='<dimension ref="A1"/>').decode()
    out, replaced = patch_sheet_xml(xml, [CellBlock("S", 2, 2, [["x"]])])
    assert replaced == 0 and out == xml.replace('ref="A1"', 'ref="A1:B2"').replace(
        "</row></sheetData>", '</row><row r="2"><c r="B2" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')


# -- calcchain and parts ------------------------------------------------------------------------


def test_the_calc_chain_goes_with_its_relationship_and_content_type():
    rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
            b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
    types = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             b'<Override PartName="/xl/calcChain.xml" ContentType="x"/><Override PartName="/xl/styles.xml" ContentType="y"/></Types>')
    files = {"xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types}
    names = ["xl/workbook.xml", "xl/calcChain.xml"]
    drop_calc_chain(files, names)
    assert names == ["xl/workbook.xml"]
    assert b"calcChain" not in files["xl/_rels/workbook.xml.rels"] and b'Id="rId2"' in files["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in files["[Content_Types].xml"] and b"/xl/styles.xml" in files["[Content_Types].xml"]


def test_sheet_parts_by_the_names_a_cadre_sees(tmp_path):
    path = make_package(tmp_path / "p.xlsx", [("汇总表", sheet_xml("")), ("参数", sheet_xml(""))])
    with zipfile.ZipFile(path) as zf:
        assert sheet_parts(zf) == {"汇总表": "xl/worksheets/sheet1.xml", "参数": "xl/worksheets/sheet2.xml"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", f'<document xmlns="{MAIN}"/>')
    with zipfile.ZipFile(buf) as zf, pytest.raises(PatchError, match="不是完整的 Excel 工作簿"):
        sheet_parts(zf)


def test_sheet_parts_kept_by_the_exact_bytes_answer_each_package_as_its_own_parse(tmp_path, monkeypatch):
    """The answer kept for one package's workbook part and relationships is given again only for
    the very same bytes: a renamed sheet is parsed anew, and a caller's changes do not stick."""
    from starbook.xlsx import parts

    parses = []
    real = parts._parse
    monkeypatch.setattr(parts, "_parse", lambda *a: parses.append(1) or real(*a))
    parts._SEEN.clear()
    one = make_package(tmp_path / "one.xlsx", [("汇总表", sheet_xml("")), ("参数", sheet_xml(""))])
    same = make_package(tmp_path / "same.xlsx", [("汇总表", sheet_xml("<row/>")), ("参数", sheet_xml(""))])
    renamed = make_package(tmp_path / "renamed.xlsx", [("汇总表 ", sheet_xml("")), ("参数", sheet_xml(""))])
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(same) as b, zipfile.ZipFile(renamed) as c:
        first = sheet_parts(a)
        first["汇总表"] = "changed by a caller"
        assert sheet_parts(b) == {"汇总表": "xl/worksheets/sheet1.xml", "参数": "xl/worksheets/sheet2.xml"} and len(parses) == 1
        assert sheet_parts(c) == {"汇总表 ": "xl/worksheets/sheet1.xml", "参数": "xl/worksheets/sheet2.xml"} and len(parses) == 2


def test_rate_inflates_and_scans_the_summary_once(example, monkeypatch):
    """api.rate's error scan hands the 汇总表's XML to the writer's head start: the part is
    inflated once (calamine's own read aside) and cut into rows once, off the main thread."""
    from starbook import api
    from starbook.xlsx import sheetpatch

    with zipfile.ZipFile(example) as zf:
        part = sheet_parts(zf)["汇总表"]
        xml = zf.read(part)
    reads, scans = [], []
    real_read, real_scan = zipfile.ZipFile.read, sheetpatch.scan_sheet

    def read(self, name, pwd=None):
        reads.append(name if isinstance(name, str) else name.filename)
        return real_read(self, name, pwd)

    def scan(data, crc=None):
        scans.append(data == xml)
        return real_scan(data, crc)

    monkeypatch.setattr(zipfile.ZipFile, "read", read)
    monkeypatch.setattr(sheetpatch, "scan_sheet", scan)
    outcome = api.rate(example, example.with_name("rated.xlsm"))
    assert outcome.ok
    assert reads.count(part) == 1
    assert scans.count(True) == 1


def test_new_rows_of_a_band_go_as_its_bytes_among_existing_and_other_rows(monkeypatch):
    """A 公示 or ledger written afresh: the band's rows that do not exist yet are its encoded
    cells in a new <row>, without the per-row detour through text (Band.cell_text); rows that
    exist, or get other cells too, still go the general way."""
    texts = []
    real = Band.cell_text
    monkeypatch.setattr(Band, "cell_text", lambda self, i: texts.append(i) or real(self, i))
    rows = '<row r="2"><c r="A2" t="inlineStr"><is><t>标题</t></is></c></row><row r="70" spans="1:2"><c r="A70"><v>1</v></c></row>'
    lines = [(f"第{i}行", i) for i in range(100)]
    edits = [ClearRows("S", 200), CellBlock("S", 3, 1, lines), CellBlock("S", 5, 3, [["另"]])]
    xml, _ = patch_sheet_xml(sheet_xml(rows).decode(), edits)
    band = Band(3, {1: [a for a, _ in lines], 2: [b for _, b in lines]})
    band.build(Writer({}))
    cells = [e.decode() for e in band.encoded()]
    assert f'<row r="3">{cells[0]}</row><row r="4">{cells[1]}</row><row r="5">{cells[2]}<c r="C5" t="inlineStr"><is><t>另</t></is></c></row>' in xml
    assert f'<row r="102">{cells[99]}</row></sheetData>' in xml
    assert xml.count("<row") == 101
    assert texts == []  # rows 5 and 70 go cell by cell (patch_row), the others as bytes


def test_texts_escaped_in_one_batch_are_as_escaped_one_by_one(monkeypatch):
    """texts_xml (a band's distinct texts at once) equals text_xml of each text; a batch with a text
    that needs more than escaping (an underscore escape, a control character, CR, the separator) goes one by one."""
    import random

    from starbook.xlsx import cellxml
    from starbook.xlsx.cellxml import texts_xml

    calls = []
    real = cellxml.text_xml
    monkeypatch.setattr(cellxml, "text_xml", lambda v: calls.append(v) or real(v))
    rng = random.Random(7)
    alphabet = ["党", "支", "部", "a", " ", "\u3000", "\n", "&", "<", ">", '"', "'", "、", "。"]
    rare = ["_", "_x0041_", "\r", "\x01", "\ufffe", "\ue000"]
    batched = 0
    for _ in range(3000):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(0, 6))]
        if texts and rng.random() < 0.2:
            texts[rng.randrange(len(texts))] += rng.choice(rare)
        calls.clear()
        assert texts_xml(texts) == [real(t) for t in texts], texts
        if texts and not any(r in t for t in texts for r in rare):
            assert not calls
            batched += 1
    assert batched > 1000


def test_a_band_of_new_rows_alone_goes_in_one_piece(monkeypatch):
    """A ledger or 公示 written below the template's rows: no row of the band exists or has cells of
    its own, so its rows are joined at once (one call for the band's cells, not one per row)."""
    calls = []
    real = Band.encoded
    monkeypatch.setattr(Band, "encoded", lambda self: calls.append(1) or real(self))
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>'
    lines = [("党组织名称", f"支部{i}", i, None) for i in range(80)]
    xml, _ = patch_sheet_xml(sheet_xml(rows).decode(), [CellBlock("S", 4, 1, lines), CellBlock("S", 2, 2, [["说明"]])])
    band = Band(4, {c + 1: [line[c] for line in lines] for c in range(4)})
    band.build(Writer({}))
    expected = "".join(f'<row r="{4 + i}">{cells.decode()}</row>' for i, cells in enumerate(real(band)))
    assert xml.endswith(expected + "</sheetData></worksheet>")
    assert '<row r="2"><c r="B2" t="inlineStr"><is><t>说明</t></is></c></row>' in xml
    assert len(calls) == 1


def test_a_new_height_on_a_plain_row_head_is_as_the_regex_path_gives(monkeypatch):
    """written_row_head skips taking away ht/customHeight where the head has none (a note's row at a
    first 定星); on random heads it gives what always running the substitution gave."""
    import random
    import re

    from starbook.xlsx import rows as R

    real_sub = re.sub

    def reference(head, rnum, w):
        if 'r="' not in head:
            head = head.replace("<row", f'<row r="{rnum}"', 1)
        if "spans=" in head:
            head = real_sub(r'\s+spans="[^"]*"', "", head)
        height = w.heights.get(rnum)
        if height is not None:
            head = real_sub(r'\s+(ht|customHeight)="[^"]*"', "", head) + f' ht="{height:g}" customHeight="1"'
        elif "customHeight" in head and w.fits(rnum):
            head = real_sub(r'\s+(ht|customHeight)="[^"]*"', "", head)
        return head

    subs = []
    monkeypatch.setattr(R.re, "sub", lambda *a, **k: subs.append(a[0]) or real_sub(*a, **k))
    rng = random.Random(1)
    attrs = ['r="5"', 'spans="1:3"', 'ht="30"', 'customHeight="1"', 'customHeight="0"', 's="2"', 'customFormat="1"',
             'xht="3"', 'dyDescent="0.25"', 'thickBot="1"']
    plain = 0
    for _ in range(5000):
        head = "<row" + "".join(rng.choice([" ", "  ", "\n"]) + a for a in rng.sample(attrs, rng.randint(0, 5)))
        w = Writer({})
        w.heights = {5: rng.choice([15.0, 30.0, 22.5])} if rng.random() < 0.7 else {}
        w.fits = (lambda r: True) if rng.random() < 0.5 else (lambda r: False)
        subs.clear()
        assert written_row_head(head, 5, w) == reference(head, 5, w), head
        if w.heights and "ht" not in head.replace("thickBot", "") and "spans" not in head:
            assert not subs
            plain += 1
    assert plain > 300
