"""The error-value scan's fast path (straight to the cells around each `t="e"` / `<f`)
finds exactly what the full scan of every cell finds.

Sheets are random worksheet XML as Excel, LibreOffice, openpyxl and XlsxWriter
write it: every cell kind (numbers, shared and inline strings, rich text, legacy
and newer error values, formulas with and without a result, shared and array
formulas), cells without r=, attributes in any order and on several lines, text
that looks like `t="e"`, conditional formats after the data.
"""
from __future__ import annotations

import random
import zipfile

import pytest

from starbook import api
from starbook.grid import ERROR_LITERALS
from starbook.xlsx import cellerrors
from starbook.xlsx.cellerrors import error_cells
from starbook.xlsx.parts import sheet_parts

ERRORS = sorted(ERROR_LITERALS)
PLAIN_TEXTS = ["x", "a t=&quot;e&quot; b", "&lt;f&gt;1&lt;/f&gt;&lt;v&gt;", "党支部", "c"]  # no raw t="e"
TEXTS = ["x", 't="e"', "a t=&quot;e&quot; b", "&lt;f&gt;1&lt;/f&gt;", "党支部", ' t="e" &lt;c r="A1"&gt;', "c"]


@pytest.fixture
def spy(monkeypatch):
    """Records what the fast path returned: None when it handed over to the full scan."""
    seen: list = []
    real = cellerrors._cells_at_hits

    def record(*args):
        out = real(*args)
        seen.append(out)
        return out

    monkeypatch.setattr(cellerrors, "_cells_at_hits", record)
    return seen


def _attrs(rng: random.Random, ref: str | None, kind: str | None, odd: bool = True) -> str:
    parts = [f'r="{ref}"'] if ref else []
    if kind:
        parts.append(f't="{kind}"')
    if rng.random() < 0.4:
        parts.append(f's="{rng.randint(0, 9)}"')
    if odd and rng.random() < 0.05:
        parts.append('xt="e"')  # an attribute that only ends like t="e"
    rng.shuffle(parts)
    sep = rng.choice([" ", " ", " ", "\n", "\t"])
    return ("<c" + sep + sep.join(parts)) if parts else "<c"


def _formula(rng: random.Random) -> str:
    return rng.choice([
        "<f>1+1</f>", "<f>1/0</f>", '<f t="shared" si="0"/>', '<f t="shared" ref="A1:A9" si="1">B1*2</f>',
        '<f t="array" ref="C1">SUM(A1:A3)</f>', "<f>'参数'!$B$22&amp;\"汇总表\"</f>", "<f/>",
    ])


def _cell(rng: random.Random, ref: str | None) -> str:
    kind = rng.choice(["blank", "number", "shared", "inline", "rich", "error", "formula", "formula", "bool"])
    if kind == "blank":
        return _attrs(rng, ref, None) + "/>"
    if kind == "number":
        return _attrs(rng, ref, rng.choice([None, "n"])) + f"><v>{rng.uniform(0, 100):.2f}</v></c>"
    if kind == "shared":
        return _attrs(rng, ref, "s") + f"><v>{rng.randint(0, 50)}</v></c>"
    if kind == "inline":
        return _attrs(rng, ref, "inlineStr") + f"><is><t>{rng.choice(TEXTS)}</t></is></c>"
    if kind == "rich":
        return _attrs(rng, ref, "inlineStr") + (
            '><is><r><rPr><charset val="134"/><color rgb="FFFF0000"/><rFont val="宋体"/></rPr>'
            f"<t>{rng.choice(TEXTS)}</t></r></is></c>")
    if kind == "bool":
        return _attrs(rng, ref, "b") + f"><v>{rng.randint(0, 1)}</v></c>"
    if kind == "error":
        value = rng.choice(ERRORS + ["", "#N/A"])
        body = rng.choice(["", _formula(rng)]) + rng.choice([f"<v>{value}</v>", "<v></v>", ""])
        return _attrs(rng, ref, "e") + (f">{body}</c>" if body else "/>")
    t = rng.choice([None, None, "str", "b", "e"])
    value = rng.choice(["", "<v>3</v>", "<v></v>", "<v>#DIV/0!</v>", "<v>文字</v>"])
    return _attrs(rng, ref, t) + f">{_formula(rng)}{value}</c>"


def _sheet(rng: random.Random) -> bytes:
    rows = []
    for r in range(1, rng.randint(1, 30)):
        if rng.random() < 0.1:
            rows.append(f'<row r="{r}"/>')
            continue
        cells = []
        for c in range(rng.randint(0, 8)):
            ref = f"{chr(65 + c)}{r}" if rng.random() < 0.9 else None
            cells.append(_cell(rng, ref))
        spans = f' spans="1:{len(cells)}"' if rng.random() < 0.5 else ""
        rows.append(f'<row r="{r}"{spans}>' + rng.choice(["", "\n"]).join(cells) + "</row>")
    tail = '<conditionalFormatting sqref="A1:A9"><cfRule type="expression" priority="1"><formula>$A1&lt;&gt;""</formula></cfRule></conditionalFormatting>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + ('<sheetPr t="e"><tabColor rgb="FFFF0000"/></sheetPr>' if rng.random() < 0.1 else "")  # a hit before any cell
        + '<dimension ref="A1:H30"/>'
        '<cols><col min="1" max="3" width="9" customWidth="1"/></cols><sheetData>'
        + "".join(rows) + "</sheetData>" + (tail if rng.random() < 0.5 else "") + "</worksheet>"
    ).encode("utf-8")


def test_fast_and_full_scans_agree(spy):
    rng = random.Random(2026)
    found = 0
    for _ in range(3000):
        xml = _sheet(rng)
        fast, full = error_cells(xml), error_cells(xml, fast=False)
        assert list(fast.items()) == list(full.items()), xml.decode()
        found += len(full)
    taken = [m for m in spy if m is not None]
    assert found > 1000  # error values and formulas without a result were there to find
    assert len(taken) > 0.99 * len(spy) > 2000  # and the fast path found them, not the full scan


def test_an_unclosed_cell_is_left_to_the_full_scan(spy):
    xml = b'<worksheet><sheetData><row r="1"><c r="A1"><c r="B1"><f>1</f></c><c r="C1" t="e"><v>#N/A</v></c></row></sheetData></worksheet>'
    assert error_cells(xml) == error_cells(xml, fast=False)
    assert spy == [None]


def test_the_summary_of_a_new_book_is_told_clean_by_counting(tmp_path, spy):
    """Its title is a formula with its value: counting finds nothing to visit."""
    book = tmp_path / "new.xlsm"
    api.new("分类定级", book, orgs=0)
    with zipfile.ZipFile(book) as zf:
        xml = zf.read(sheet_parts(zf)["汇总表"])
    assert b"<f>" in xml
    assert error_cells(xml) == error_cells(xml, fast=False) == {}
    assert spy == []  # the cells around each hit were not visited


def _valued_cell(rng: random.Random, ref: str | None) -> str:
    """A cell of a sheet saved by Excel after calculating: every formula has its value, no error value."""
    kind = rng.choice(["blank", "number", "inline", "formula", "formula"])
    if kind == "blank":
        return _attrs(rng, ref, None, odd=False) + "/>"
    if kind == "number":
        return _attrs(rng, ref, None, odd=False) + f"><v>{rng.randint(0, 100)}</v></c>"
    if kind == "inline":
        return _attrs(rng, ref, "inlineStr", odd=False) + f"><is><t>{rng.choice(PLAIN_TEXTS)}</t></is></c>"
    formula = rng.choice(["<f>1+1</f>", '<f t="shared" si="0"/>', '<f t="shared" ref="A1:A9" si="1">B1*2</f>', "<f/>"])
    return _attrs(rng, ref, rng.choice([None, "str"]), odd=False) + f">{formula}<v>{rng.randint(0, 9)}</v></c>"


# One thing a calculated sheet lacks: a formula without its value, an empty or spaced <v>, an error value.
DEFECTS = ['<c r="Z1"><f>1/0</f></c>', '<c r="Z1"><f>1</f><v/></c>', '<c r="Z1"><f>1</f> <v>2</v></c>',
           '<c r="Z1" t="e"><v>#REF!</v></c>', '<c r="Z1"><f>1</f><v xml:space="preserve"></v></c>', '<c r="Z1"><f t="shared" si="2"/></c>']


def test_counting_a_calculated_sheet_agrees_with_the_full_scan(monkeypatch):
    """The count that says a sheet holds nothing to find (every formula followed by its
    value, no t="e") is only trusted when the full scan finds nothing either."""
    told: list[bool] = []
    real = cellerrors._nothing_to_find
    monkeypatch.setattr(cellerrors, "_nothing_to_find", lambda *a: told.append(real(*a)) or told[-1])
    rng = random.Random(1201)
    defects = 0
    for _ in range(2000):
        rows = []
        for r in range(1, rng.randint(2, 20)):
            cells = [_valued_cell(rng, f"{chr(65 + c)}{r}" if rng.random() < 0.95 else None) for c in range(rng.randint(0, 6))]
            rows.append(f'<row r="{r}">' + "".join(cells) + "</row>")
        if rng.random() < 0.3:
            defects += 1
            rows.insert(rng.randrange(len(rows) + 1), f'<row r="99">{rng.choice(DEFECTS)}</row>')
        xml = ("<worksheet><sheetData>" + "".join(rows) + "</sheetData></worksheet>").encode("utf-8")
        fast, full = error_cells(xml), error_cells(xml, fast=False)
        assert list(fast.items()) == list(full.items()), xml.decode()
    assert told.count(True) > 1200 and told.count(False) >= defects > 400  # both answers were given, and held
