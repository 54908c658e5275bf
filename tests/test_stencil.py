"""A stencil (the sheet patched once with markers) renders every copy exactly as the
full patch of that copy does: random sheets (numbers, shared and inline strings,
formulas with shared masters and followers, styled blanks, rows out of reach),
random blocks of edits, random plain values (blanks, "", text that needs escaping,
floats, Decimals, booleans, the markers' own characters)."""
from __future__ import annotations

import random
from decimal import Decimal

from starbook.edits import CellBlock, RowHeight
from starbook.xlsx.sheetpatch import patch_sheet_xml
from starbook.xlsx.stencil import shape, stencil, values

TEXTS = ["党支部", "a_x0041_b", " lead", "line\nbreak", "<&>", "\ue100 7\ue101", "tab\there", "x\x01y", "五星级"]


def _cell(rng: random.Random, ref: str) -> str:
    style = f' s="{rng.randint(1, 9)}"' if rng.random() < 0.5 else ""
    kind = rng.choice(["blank", "number", "shared", "inline", "formula"])
    if kind == "blank":
        return f'<c r="{ref}"{style}/>'
    if kind == "number":
        return f'<c r="{ref}"{style}><v>{rng.randint(0, 99)}</v></c>'
    if kind == "shared":
        return f'<c r="{ref}"{style} t="s"><v>{rng.randint(0, 5)}</v></c>'
    if kind == "inline":
        return f'<c r="{ref}"{style} t="inlineStr"><is><t>{rng.choice(["x", "党委", "y"])}</t></is></c>'
    return f'<c r="{ref}"{style}><f>SUM(A1:A3)</f><v>6</v></c>'


def _sheet(rng: random.Random) -> str:
    """Column E holds a formula filled down (a shared master and its followers)."""
    rows = []
    master = rng.randint(1, 5)
    last = rng.randint(master, 15)
    for r in range(1, rng.randint(2, 16)):
        if rng.random() < 0.2 and not master <= r <= last:
            continue
        cells = []
        for c in range(8):
            ref = f"{chr(65 + c)}{r}"
            if c == 4 and r == master:
                cells.append(f'<c r="{ref}"><f t="shared" ref="E{master}:E{last}" si="0">A{r}*2</f><v>2</v></c>')
            elif c == 4 and master < r <= last:
                cells.append(f'<c r="{ref}"><f t="shared" si="0"/><v>4</v></c>')
            elif rng.random() < 0.6:
                cells.append(_cell(rng, ref))
        cells = "".join(cells)
        rows.append(f'<row r="{r}">{cells}</row>' if cells else f'<row r="{r}"/>')
    cols = '<cols><col min="2" max="3" width="9" style="4" customWidth="1"/></cols>' if rng.random() < 0.5 else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="A1:H15"/>{cols}<sheetData>' + "".join(rows) + "</sheetData></worksheet>")


def _value(rng: random.Random):
    return rng.choice([None, "", rng.choice(TEXTS), rng.randint(-5, 100), rng.uniform(0, 100), Decimal(rng.randint(0, 1000)) / 10,
                       True, False, 1e20, Decimal("85.50")])


def _shape(rng: random.Random) -> list[tuple[int, int, int, int]]:
    return [(rng.randint(1, 20), rng.randint(1, 10), rng.randint(1, 3), rng.randint(1, 3)) for _ in range(rng.randint(1, 6))]


def _edits(rng: random.Random, blocks) -> list[CellBlock]:
    return [CellBlock("表", r, c, tuple(tuple(_value(rng) for _ in range(w)) for _ in range(h))) for r, c, h, w in blocks]


def test_every_copy_rendered_from_a_stencil_equals_its_full_patch():
    rng = random.Random(1201)
    made = copies = 0
    for _ in range(400):
        xml = _sheet(rng)
        blocks = _shape(rng)
        first = _edits(rng, blocks)
        st = stencil(xml, first)
        if st is None:
            continue
        made += 1
        for _ in range(8):
            edits = _edits(rng, blocks)
            assert shape(edits) == shape(first)
            assert st.render(values(edits)) == patch_sheet_xml(xml, edits)[0], (xml, edits)
            copies += 1
    assert made > 350 and copies > 2800  # the stencil was made for nearly every sheet and checked on many copies


def test_only_blocks_of_plain_values_have_a_shape():
    assert shape([CellBlock("表", 1, 1, ((1, "a"), (None, Decimal(2))))]) == ((1, 1, (2, 2)),)
    assert shape([RowHeight("表", 2, 30.0)]) is None
    assert shape([CellBlock("表", 1, 1, ((object(),),))]) is None


def test_a_sheet_holding_the_markers_own_characters_gets_no_stencil():
    xml = '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\ue100</t></is></c></row></sheetData></worksheet>'
    assert stencil(xml, [CellBlock("表", 2, 2, ((1,),))]) is None
