"""Where a workbook's sheets live in its package."""
from __future__ import annotations

import os
import zipfile
from xml.etree import ElementTree

from .errors import SAVE_AGAIN, PatchError

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


_SEEN: dict[tuple[bytes, bytes], dict[str, str]] = {}  # the last few packages' answers, by the two parts' exact bytes


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name as the user sees it → its part name in the package.

    Packages made from one template share both parts byte for byte (a collect reads a
    thousand such books): the answer is kept by those bytes, not parsed again.
    """
    try:
        key = (zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError as exc:
        raise PatchError("文件不是完整的 Excel 工作簿（缺少工作簿目录）", SAVE_AGAIN, "xl/workbook.xml or its relationships are missing") from exc
    found = _SEEN.get(key)
    if found is None:
        found = _parse(*key)
        if len(key[0]) + len(key[1]) < 1 << 20:  # the usual few kilobytes; an odd giant is not kept
            if len(_SEEN) >= 16:
                _SEEN.clear()
            _SEEN[key] = found
    return dict(found)


def _parse(workbook: bytes, relationships: bytes) -> dict[str, str]:
    book = ElementTree.fromstring(workbook)
    rels = ElementTree.fromstring(relationships)
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{NS_PKG_REL}}}Relationship")}
    out = {}
    for sheet in book.iter(f"{{{NS_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{NS_REL}}}id"))
        if target is None:
            continue
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[sheet.get("name")] = os.path.normpath(part).replace(os.sep, "/")
    return out
