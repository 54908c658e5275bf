"""Package surgery on a built .xlsm: the ribbon part and its relationship.

XlsxWriter cannot write a customUI part, so it is added here: the XML under
customUI/ and a relationship of the extensibility type in _rels/.rels.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CUSTOMUI_PART = "customUI/customUI.xml"
CUSTOMUI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _add_relationship(rels: bytes, rel_type: str, target: str) -> bytes:
    root = etree.fromstring(rels)
    for rel in root:
        if rel.get("Type") == rel_type:
            rel.set("Target", target)
            break
    else:
        ids = {rel.get("Id") for rel in root}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        etree.SubElement(root, f"{{{RELS_NS}}}Relationship", Id=f"rId{n}", Type=rel_type, Target=target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def add_custom_ui(data: bytes, customui: bytes) -> bytes:
    """The package with `customui` as its ribbon, written deterministically."""
    etree.fromstring(customui)  # refuse malformed XML before it reaches Excel
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "_rels/.rels":
                body = _add_relationship(body, CUSTOMUI_REL, CUSTOMUI_PART)
            dst.writestr(_entry(info.filename), body)
        if CUSTOMUI_PART not in src.namelist():
            dst.writestr(_entry(CUSTOMUI_PART), customui)
    return out.getvalue()


def custom_ui_of(path: Path) -> bytes | None:
    with zipfile.ZipFile(path) as zf:
        return zf.read(CUSTOMUI_PART) if CUSTOMUI_PART in zf.namelist() else None


def vba_project_of(path: Path) -> bytes | None:
    with zipfile.ZipFile(path) as zf:
        name = "xl/vbaProject.bin"
        return zf.read(name) if name in zf.namelist() else None


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info
