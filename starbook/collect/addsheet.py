"""Add one plain sheet (a header row) to a workbook package: 问题清单 in a book that lacks it.

The byte patcher only rewrites existing sheets. This adds the new sheet's part
and the three entries that list sheets (the workbook, its relationships, the
content types), each edited as text so nothing else in them changes; every
other entry is copied with its content unchanged.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from functools import partial

from ..edits import Edit
from ..xlsx.cellxml import escape
from ..xlsx.parts import sheet_parts
from ..xlsx.sheetpatch import patch_sheet_xml
from ..xlsx.stencil import shape, stencil, values
from ..xlsx.zipwrite import Unsupported, deflate_level, write_package

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_TYPE = f"{REL}/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def sheet_xml(header: Sequence[str], widths: Sequence[float]) -> bytes:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{escape(t)}</t></is></c>' for i, t in enumerate(header))
    ref = f"A1:{chr(64 + len(header))}1" if len(header) > 1 else "A1"
    row = f'<row r="1">{cells}</row>' if cells else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<dimension ref="{ref}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}'
            f'<sheetData>{row}</sheetData>'
            # A4 landscape, all columns on the page's width, page numbers: it prints like the other sheets.
            '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            '<headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter></worksheet>').encode("utf-8")


def with_sheet(data: bytes, name: str, header: Sequence[str], widths: Sequence[float] = ()) -> bytes:
    """The package `data` with a sheet `name` (a header row) appended after the others."""
    return add_sheets(data, [(name, sheet_xml(header, widths))])


class CannotCopy(Exception):
    """The sheet refers to other parts (comments, drawings): a plain copy would break them."""


_NOTES_ONLY = {f"{REL}/comments", f"{REL}/vmlDrawing"}  # a sheet's cell comments and their drawing


def _links(zin: zipfile.ZipFile, part: str) -> set[str] | None:
    """The relationship types of sheet `part`, None when it has none."""
    folder, base = part.rsplit("/", 1)
    rels = f"{folder}/_rels/{base}.rels"
    if rels not in zin.namelist():
        return None
    return set(re.findall(r'Type="([^"]+)"', zin.read(rels).decode("utf-8")))


def copyable(data: bytes, source: str) -> bool:
    """Whether sheet `source` can be copied as bytes: it stands alone, or refers only to its cell
    comments (the guidance notes a form carries), which the copy leaves out."""
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        part = sheet_parts(zin).get(source)
        if part is None:
            return False
        links = _links(zin, part)
        return links is None or links <= _NOTES_ONLY


def with_copies(data: bytes, source: str, names: Sequence[str], clear: Sequence[Edit] = (), edits: Sequence[Edit] = (),
                mapper: Callable = map) -> bytes:
    """The package with sheets `names` appended, each a copy of sheet `source` (for 新增评分表).

    The copy drops the source's VBA code name (Excel gives each sheet its own) and
    its cell comments (guidance only; a copy cannot share the source's comment parts).
    `clear` (edits of `source`) empties the copy, then `edits` of each copy by name
    fill it: a thousand new forms are patched here, each once, in memory (by
    `mapper`, a process pool's map for many), and the package is written once.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        part = sheet_parts(zin)[source]
        links = _links(zin, part)
        if links is not None and not links <= _NOTES_ONLY:
            raise CannotCopy(source)
        xml = zin.read(part)
    xml = re.sub(rb'(<sheetPr\b[^>]*?)\s+codeName="[^"]*"', rb"\1", xml, count=1)
    xml = re.sub(rb'(<sheetView\b[^>]*?)\s+tabSelected="1"', rb"\1", xml, count=1)
    xml = re.sub(rb"<legacyDrawing\b[^>]*/>", b"", xml)
    if clear:
        xml = patch_sheet_xml(xml.decode("utf-8"), clear)[0].encode("utf-8")
    own: dict[str, list[Edit]] = {}
    for e in edits:
        own.setdefault(e.sheet, []).append(e)
    filled = [n for n in names if n in own]
    source_xml = xml.decode("utf-8")
    xmls, rest = stenciled(source_xml, {n: own[n] for n in filled})
    xmls.update(zip(rest, mapper(partial(patched, source_xml), [own[n] for n in rest])))
    return add_sheets(data, [(n, xmls.get(n, xml)) for n in names])


def stenciled(xml: str, edits: dict[str, Sequence[Edit]]) -> tuple[dict[str, bytes], list[str]]:
    """The copies whose edits share a shape with others, each rendered from one stencil
    (checked against the full patch of the first); and the names left to patch one by one."""
    groups: dict[tuple, list[str]] = {}
    rest = []
    for name, own in edits.items():
        key = shape(own)
        if key is None:
            rest.append(name)
        else:
            groups.setdefault(key, []).append(name)
    out: dict[str, bytes] = {}
    for names in groups.values():
        first = edits[names[0]]
        st = stencil(xml, first) if len(names) > 1 else None
        if st is None or not st.agrees(xml, first):
            rest += names
            continue
        out.update((n, st.render(values(edits[n])).encode("utf-8")) for n in names)
    return out, rest


def patched(xml: str, edits: Sequence[Edit]) -> bytes:
    """A sheet's XML with `edits` applied (a module function: a process pool can run it)."""
    return patch_sheet_xml(xml, edits)[0].encode("utf-8")


def add_sheets(data: bytes, sheets: Sequence[tuple[str, bytes]]) -> bytes:
    """The package `data` with each (name, worksheet XML) appended after the existing sheets."""
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        existing = sheet_parts(zin)
        sheets = [(n, x) for n, x in sheets if n not in existing]
        if not sheets:
            return data
        names = set(zin.namelist())
        book = zin.read("xl/workbook.xml").decode("utf-8")
        rels = zin.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        types = zin.read("[Content_Types].xml").decode("utf-8")
        rid = max((int(m) for m in re.findall(r'Id="rId(\d+)"', rels)), default=0)
        sheet_id = max((int(m) for m in re.findall(r'<(?:\w+:)?sheet\b[^>]*\bsheetId="(\d+)"', book)), default=0)
        prefix = re.search(r"<(\w+:)?sheets\b", book).group(1) or ""
        n = 1
        added_sheets, added_rels, added_types, parts = [], [], [], []
        for name, xml in sheets:
            while f"xl/worksheets/sheet{n}.xml" in names:
                n += 1
            part = f"xl/worksheets/sheet{n}.xml"
            names.add(part)
            rid += 1
            sheet_id += 1
            shown = escape(name).replace(chr(34), "&quot;")
            added_sheets.append(f'<{prefix}sheet name="{shown}" sheetId="{sheet_id}" r:id="rId{rid}"/>')
            added_rels.append(f'<Relationship Id="rId{rid}" Type="{WORKSHEET_TYPE}" Target="worksheets/sheet{n}.xml"/>')
            added_types.append(f'<Override PartName="/{part}" ContentType="{WORKSHEET_CONTENT}"/>')
            parts.append((part, xml))
        book = book.replace(f"</{prefix}sheets>", "".join(added_sheets) + f"</{prefix}sheets>", 1)
        rels = rels.replace("</Relationships>", "".join(added_rels) + "</Relationships>", 1)
        types = types.replace("</Types>", "".join(added_types) + "</Types>", 1)
        changed = {"xl/workbook.xml": book.encode("utf-8"), "xl/_rels/workbook.xml.rels": rels.encode("utf-8"),
                   "[Content_Types].xml": types.encode("utf-8"), **dict(parts)}
        return repack(zin, changed, data)


def repack(zin: zipfile.ZipFile, changed: dict[str, bytes], data: bytes | None = None) -> bytes:
    """The package with the `changed` parts' new content, and those it lacks appended in
    their order; every other entry copied with its content, name and order unchanged.

    Given the package's bytes `data`, entries are copied as they are compressed and the
    new parts deflated on two threads (zipwrite); else, or for a package zipwrite does
    not handle, zipfile rewrites every entry."""
    if data is not None:
        try:
            return _repack_raw(zin, changed, data)
        except Unsupported:
            pass
    out = io.BytesIO()
    stamp = zin.infolist()[0].date_time
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = changed.get(info.filename)
            zout.writestr(info, zin.read(info.filename) if data is None else data, compress_type=info.compress_type)
        old = set(zin.namelist())
        added = {part: xml for part, xml in changed.items() if part not in old}
        level = deflate_level(sum(map(len, added.values())))  # a thousand new forms deflate fast, as a big part does
        for part, xml in added.items():
            zout.writestr(zipfile.ZipInfo(part, date_time=stamp), xml, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
    return out.getvalue()


def _repack_raw(zin: zipfile.ZipFile, changed: dict[str, bytes], data: bytes) -> bytes:
    old = set(zin.namelist())
    y, mo, d, h, mi, sec = zin.infolist()[0].date_time
    stamp = (h << 11 | mi << 5 | sec // 2, (y - 1980) << 9 | mo << 5 | d)  # as zipfile dates what it writes
    out = io.BytesIO()
    write_package(io.BytesIO(data), out, {n: [x] for n, x in changed.items() if n in old}, set(),
                  added=[(n, x) for n, x in changed.items() if n not in old], stamp=stamp)
    return out.getvalue()
