"""Small hand-written workbook packages for the patcher's tests: rows and cells exactly as
written here (odd attribute orders, shared and array formulas), readable by Excel's readers."""
from __future__ import annotations

import zipfile
from pathlib import Path

import python_calamine

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>""".encode()


def sheet_xml(rows: str, head: str = "", tail: str = "") -> bytes:
    """A worksheet whose sheetData holds `rows` as written."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">{head}<sheetData>{rows}</sheetData>{tail}</worksheet>'
    ).encode()


def make_package(path: Path, sheets: list[tuple[str, bytes]], calc_chain: bytes | None = None) -> Path:
    """A minimal workbook: sheets is [(name, worksheet xml)], parts xl/worksheets/sheetN.xml in tab order."""
    types = [
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
        '<Default Extension="xml" ContentType="application/xml"/>',
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>',
    ]
    rels = [f'<Relationship Id="rIdS" Type="{REL}/styles" Target="styles.xml"/>']
    book = []
    for n, (name, _xml) in enumerate(sheets, start=1):
        types.append(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        rels.append(f'<Relationship Id="rIdW{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>')
        book.append(f'<sheet name="{name}" sheetId="{n}" r:id="rIdW{n}"/>')
    if calc_chain is not None:
        types.append('<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/>')
        rels.append(f'<Relationship Id="rIdC" Type="{REL}/calcChain" Target="calcChain.xml"/>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{"".join(types)}</Types>')
        zf.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{"".join(book)}</sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>')
        zf.writestr("xl/styles.xml", STYLES)
        for n, (_name, xml) in enumerate(sheets, start=1):
            zf.writestr(f"xl/worksheets/sheet{n}.xml", xml)
        if calc_chain is not None:
            zf.writestr("xl/calcChain.xml", calc_chain)
    return path


def part(path: Path, name: str = "xl/worksheets/sheet1.xml") -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name).decode("utf-8")


def calamine_rows(path: Path, sheet: str = "S") -> list[list]:
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
