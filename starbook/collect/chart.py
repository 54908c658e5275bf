"""The roll-up's native chart of the star distribution per 上报单位, on 定星统计.

The total's chart is the template's own part (定星 never patches it): a collect
writes the total into the six star rows it points at, as 定星 does. The table
per 上报单位 below the targets moves and grows with the units collected, so its
chart (stacked columns, one series per star) is written anew at each collect:
one chart part of 定星统计's drawing, known by its title, replaced whole with
its anchor under the table; a workbook without it gets it (and a drawing when
the sheet has none). Every other part is copied with its content unchanged.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile

from ..ratebook import STATS_SHEET
from ..xlsx.cellxml import escape
from ..xlsx.parts import sheet_parts
from .addsheet import repack
from .reports import UnitTable

TITLE = "各上报单位星级分布图"
COLORS = {"五星级": "C00000", "四星级": "ED7D31", "三星级": "FFC000", "二星级": "5B9BD5", "一星级": "70AD47", "无星": "A5A5A5", "待定": "D9D9D9"}
HEIGHT_ROWS = 20  # the chart's rows under the table (default 15 pt rows: about 400 px)

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CHART_TYPE, DRAWING_TYPE = f"{REL}/chart", f"{REL}/drawing"
CHART_CONTENT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
DRAWING_CONTENT = "application/vnd.openxmlformats-officedocument.drawing+xml"
_DRAWING_ROOT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
                 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"></xdr:wsDr>')
_RELS_ROOT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
# Worksheet children that follow <drawing> (ECMA-376 order): a new <drawing> goes before the first present.
_AFTER_DRAWING = ("<legacyDrawing ", "<legacyDrawing>", "<legacyDrawingHF", "<drawingHF", "<picture", "<oleObjects",
                  "<controls", "<webPublishItems", "<tableParts", "<extLst", "</worksheet>")


def chart_xml(table: UnitTable) -> bytes:
    """The chart part: a stacked column per 上报单位, a series per star, from the table's cells
    (with caches of the values written now, so a viewer that draws from the cache agrees)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(STATS_SHEET)
    h, c = table.header_row, table.col
    ws.write_row(h, c, ("上报单位", *table.stars))
    for i, row in enumerate(table.rows, 1):
        ws.write_row(h + i, c, row[: 1 + len(table.stars)])
    first, last = h + 1, h + len(table.rows)
    chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    for k, star in enumerate(table.stars, 1):
        chart.add_series({"name": [STATS_SHEET, h, c + k], "categories": [STATS_SHEET, first, c, last, c],
                          "values": [STATS_SHEET, first, c + k, last, c + k],
                          "fill": {"color": f"#{COLORS.get(star, '7F7F7F')}"}, "gap": 60})
    chart.set_title({"name": TITLE, "name_font": {"name": "黑体", "size": 12, "bold": False}})
    chart.set_legend({"position": "bottom", "font": {"name": "宋体", "size": 9}})
    chart.set_x_axis({"num_font": {"name": "宋体", "size": 9, "rotation": -45 if len(table.rows) > 8 else 0}})
    chart.set_y_axis({"name": "党组织个数", "name_font": {"name": "宋体", "size": 9, "bold": False}, "num_font": {"size": 9},
                      "min": 0, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    ws.insert_chart(last + 2, c, chart)
    wb.close()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return z.read("xl/charts/chart1.xml")


def anchor_xml(table: UnitTable, rid: str, shape_id: int) -> str:
    """Under the table's 合计 row with a blank row between, as wide as the table, HEIGHT_ROWS tall; moves and sizes with its cells."""
    top = table.header_row + len(table.rows) + 3  # the header, the rows, 合计, one blank row
    left, right = table.col, table.col + len(table.stars) + 3
    return (f"<xdr:twoCellAnchor><xdr:from><xdr:col>{left}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{top}</xdr:row>"
            f"<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>{right}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{top + HEIGHT_ROWS}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:graphicFrame macro=\"\">"
            f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{shape_id}" name="{escape(TITLE)}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
            '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:r="{REL}" r:id="{rid}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>")


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return f"{folder}/_rels/{base}.rels"


def _targets(rels: str, kind: str, folder: str) -> dict[str, str]:
    """{rId: part} of the relationships of type `kind`, targets resolved from `folder`."""
    out = {}
    for m in re.finditer(r"<Relationship\b[^>]*/>", rels):
        tag = m.group()
        if f'Type="{kind}"' not in tag:
            continue
        rid = re.search(r'\bId="([^"]+)"', tag).group(1)
        target = re.search(r'\bTarget="([^"]+)"', tag).group(1)
        out[rid] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
    return out


_RID = re.compile(r'Id="rId(\d+)"')


def _next_id(rels: str) -> str:
    return f"rId{max((int(n) for n in _RID.findall(rels)), default=0) + 1}"


def _free(names: set[str], pattern: str) -> str:
    n = 1
    while pattern.format(n) in names:
        n += 1
    return pattern.format(n)


def _relationship(rels: str, rid: str, kind: str, target: str) -> str:
    return rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/></Relationships>', 1)


def _override(types: str, part: str, content: str) -> str:
    return types.replace("</Types>", f'<Override PartName="/{part}" ContentType="{content}"/></Types>', 1)


def with_unit_chart(data: bytes, table: UnitTable) -> bytes:
    """The package with 定星统计's chart per 上报单位 drawn from `table` (replaced, or added)."""
    xml = chart_xml(table)
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        names = set(zin.namelist())
        sheet = sheet_parts(zin).get(STATS_SHEET)
        if sheet is None:
            return data
        read = lambda part: zin.read(part).decode("utf-8")  # noqa: E731
        changed: dict[str, bytes] = {}
        sheet_rels = _rels_name(sheet)
        srels = read(sheet_rels) if sheet_rels in names else _RELS_ROOT
        drawings = _targets(srels, DRAWING_TYPE, posixpath.dirname(sheet))
        types = read("[Content_Types].xml")
        if drawings:
            drawing = next(iter(drawings.values()))
            dxml = read(drawing)
        else:  # a sheet without a drawing gets one, referred to from the sheet
            drawing = _free(names, "xl/drawings/drawing{}.xml")
            names.add(drawing)
            dxml = _DRAWING_ROOT
            rid = _next_id(srels)
            changed[sheet_rels] = _relationship(srels, rid, DRAWING_TYPE, posixpath.relpath(drawing, posixpath.dirname(sheet))).encode("utf-8")
            sxml = read(sheet)
            if 'xmlns:r="' not in sxml[: sxml.index(">", sxml.index("<worksheet"))]:
                sxml = sxml.replace("<worksheet ", f'<worksheet xmlns:r="{REL}" ', 1)
            at = min(i for i in (sxml.find(t) for t in _AFTER_DRAWING) if i >= 0)
            changed[sheet] = (sxml[:at] + f'<drawing r:id="{rid}"/>' + sxml[at:]).encode("utf-8")
            types = _override(types, drawing, DRAWING_CONTENT)
        drawing_rels = _rels_name(drawing)
        drels = read(drawing_rels) if drawing_rels in names else _RELS_ROOT
        ours = None
        for rid, part in _targets(drels, CHART_TYPE, posixpath.dirname(drawing)).items():
            if part in names and f"<a:t>{TITLE}</a:t>".encode("utf-8") in zin.read(part):
                ours = rid, part
        if ours is None:
            rid, part = _next_id(drels), _free(names, "xl/charts/chart{}.xml")
            changed[drawing_rels] = _relationship(drels, rid, CHART_TYPE, posixpath.relpath(part, posixpath.dirname(drawing))).encode("utf-8")
            types = _override(types, part, CHART_CONTENT)
        else:
            rid, part = ours
            dxml = re.sub(r"<xdr:twoCellAnchor\b(?:(?!</xdr:twoCellAnchor>).)*?r:id=\"" + re.escape(rid) + r"\".*?</xdr:twoCellAnchor>", "",
                          dxml, count=1, flags=re.S)
        shape = max((int(n) for n in re.findall(r'<xdr:cNvPr id="(\d+)"', dxml)), default=1) + 1
        dxml = dxml.replace("</xdr:wsDr>", anchor_xml(table, rid, shape) + "</xdr:wsDr>", 1)
        changed[drawing] = dxml.encode("utf-8")
        changed[part] = xml
        if types != read("[Content_Types].xml"):
            changed["[Content_Types].xml"] = types.encode("utf-8")
        return repack(zin, changed)
