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
from collections.abc import Sequence
from xml.sax.saxutils import escape

from ..xlsx.parts import sheet_parts

WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _sheet_xml(header: Sequence[str], widths: Sequence[float]) -> bytes:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{escape(t)}</t></is></c>' for i, t in enumerate(header))
    ref = f"A1:{chr(64 + len(header))}1" if len(header) > 1 else "A1"
    row = f'<row r="1">{cells}</row>' if cells else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<dimension ref="{ref}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}'
            f'<sheetData>{row}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>').encode("utf-8")


def with_sheet(data: bytes, name: str, header: Sequence[str], widths: Sequence[float] = ()) -> bytes:
    """The package `data` with a sheet `name` appended after the others."""
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        if name in sheet_parts(zin):
            return data
        names = set(zin.namelist())
        n = 1
        while f"xl/worksheets/sheet{n}.xml" in names:
            n += 1
        part = f"xl/worksheets/sheet{n}.xml"
        book = zin.read("xl/workbook.xml").decode("utf-8")
        rels = zin.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        types = zin.read("[Content_Types].xml").decode("utf-8")
        ids = {int(m) for m in re.findall(r'Id="rId(\d+)"', rels)}
        rid = f"rId{max(ids, default=0) + 1}"
        sheet_ids = [int(m) for m in re.findall(r'<(?:\w+:)?sheet\b[^>]*\bsheetId="(\d+)"', book)]
        sheet_id = max(sheet_ids, default=0) + 1
        prefix = re.search(r"<(\w+:)?sheets\b", book).group(1) or ""
        book = re.sub(rf"</{prefix}sheets>", f'<{prefix}sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{sheet_id}" r:id="{rid}"/></{prefix}sheets>', book, count=1)
        rels = rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{WORKSHEET_TYPE}" Target="worksheets/sheet{n}.xml"/></Relationships>')
        types = types.replace("</Types>", f'<Override PartName="/{part}" ContentType="{WORKSHEET_CONTENT}"/></Types>')
        changed = {"xl/workbook.xml": book.encode("utf-8"), "xl/_rels/workbook.xml.rels": rels.encode("utf-8"),
                   "[Content_Types].xml": types.encode("utf-8")}
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zout:
            for info in zin.infolist():
                zout.writestr(info, changed.get(info.filename, zin.read(info.filename)), compress_type=info.compress_type)
            zout.writestr(zipfile.ZipInfo(part, date_time=zin.infolist()[0].date_time), _sheet_xml(header, widths), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
