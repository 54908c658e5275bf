"""Package surgery on a built .xlsm: the ribbon part and its relationship.

XlsxWriter cannot write a customUI part, so it is added here: the XML under
customUI/ and, in _rels/.rels, the extensibility relationship whose type goes
with the XML's namespace. The Open XML SDK reads the 2006 type as a
RibbonExtensibilityPart (2006/01 customUI) and the 2007 type as a
RibbonAndBackstageCustomizationsPart (2009/07 customUI, Office 2010 and later);
a part under the other type is rejected.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# customUI namespace -> (part, relationship type)
CUSTOMUI_KINDS = {
    "http://schemas.microsoft.com/office/2006/01/customui": (
        "customUI/customUI.xml", "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"),
    "http://schemas.microsoft.com/office/2009/07/customui": (
        "customUI/customUI14.xml", "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"),
}
CUSTOMUI_PART, CUSTOMUI_REL = CUSTOMUI_KINDS["http://schemas.microsoft.com/office/2006/01/customui"]
CUSTOMUI_RELS = {rel for _, rel in CUSTOMUI_KINDS.values()}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def custom_ui_kind(customui: bytes) -> tuple[str, str]:
    """(part name, relationship type) for a customUI document, from its namespace."""
    namespace = etree.QName(etree.fromstring(customui)).namespace
    if namespace not in CUSTOMUI_KINDS:
        raise ValueError(f"not a customUI document: namespace {namespace}")
    return CUSTOMUI_KINDS[namespace]


def _set_relationship(rels: bytes, rel_type: str, target: str) -> bytes:
    """One relationship of `rel_type` to `target`; a ribbon relationship of the other
    type to the same part (the old mismatched pair) is retyped, not duplicated."""
    root = etree.fromstring(rels)
    mine = [rel for rel in root if rel.get("Type") == rel_type
            or (rel.get("Type") in CUSTOMUI_RELS and (rel.get("Target") or "").lstrip("/") == target)]
    for extra in mine[1:]:
        root.remove(extra)
    if mine:
        mine[0].set("Type", rel_type)
        mine[0].set("Target", target)
    else:
        ids = {rel.get("Id") for rel in root}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        etree.SubElement(root, f"{{{RELS_NS}}}Relationship", Id=f"rId{n}", Type=rel_type, Target=target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def add_custom_ui(data: bytes, customui: bytes) -> bytes:
    """The package with `customui` as its ribbon, written deterministically.

    The part and the relationship type follow the namespace (CUSTOMUI_KINDS);
    malformed XML or another namespace is refused before it reaches Excel.
    """
    part, rel_type = custom_ui_kind(customui)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "_rels/.rels":
                body = _set_relationship(body, rel_type, part)
            elif info.filename == part:
                body = customui
            dst.writestr(_entry(info.filename), body)
        if part not in src.namelist():
            dst.writestr(_entry(part), customui)
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
