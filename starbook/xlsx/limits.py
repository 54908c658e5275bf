"""How much a workbook may inflate to: decompression bombs are refused before anything is inflated.

The sizes come from the ZIP central directory, which is read without inflating
a byte. A 100,000-organization 汇总表 after 定星 is 74 MB of XML (the whole
package 78 MB; scripts/bench.py builds one), so the limits leave it more than
three times the room, while a 5 MB file that claims gigabytes is refused.

Declared sizes may lie. Every reader of the package stops at the declared size:
zipfile reads no further and then fails the part's CRC, calamine (Rust's zip)
reports a part larger than declared, and the package writer inflates in bounded
steps (zipwrite._verify). So a liar is reported as damaged, after inflating at
most what the limits allow.
"""
from __future__ import annotations

import zipfile
from ..problems import BookError
from .parts import sheet_parts

MAX_PART = 256 << 20  # bytes one part (a worksheet) may inflate to
MAX_TOTAL = 512 << 20  # bytes the whole package may inflate to


def check_sizes(zf: zipfile.ZipFile, filename: str) -> None:
    """Raise BookError when the declared uncompressed sizes pass the limits."""
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > MAX_PART:
            part = f"工作表“{_sheet_of(zf, info.filename)}”" if _sheet_of(zf, info.filename) else info.filename
            raise _too_big(filename, f"其中{part}解压后达 {_mib(info.file_size)}，超过单个部件 {_mib(MAX_PART)} 的上限")
    if total > MAX_TOTAL:
        raise _too_big(filename, f"解压后共 {_mib(total)}，超过 {_mib(MAX_TOTAL)} 的上限")


def _sheet_of(zf: zipfile.ZipFile, part: str) -> str | None:
    """The name a cadre sees for a worksheet part, when the (small) workbook part tells it."""
    try:
        if zf.getinfo("xl/workbook.xml").file_size > MAX_PART // 64:
            return None
        return next((name for name, p in sheet_parts(zf).items() if p == part), None)
    except Exception:  # naming the sheet is a courtesy: the refusal stands without it
        return None


def _too_big(filename: str, detail: str) -> BookError:
    return BookError(
        f"“{filename}”解压后过大，不像正常的星级评定工作簿（{detail}），可能已损坏或是恶意构造的文件，未做任何处理",
        "请从原件或邮件附件重新保存一份再试；若确是本单位的工作簿，请在 Excel 中删除多余的行列后另存再试",
    )


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB"
