"""Sheets of a workbook as one PDF, through LibreOffice headless (soffice).

The workbook itself is never touched: a temporary copy has the wanted sheets moved
to the front, in the order asked, and every other sheet hidden (only
xl/workbook.xml changes; every other part is copied byte for byte), and soffice
converts that copy. A private profile lets it run beside an open LibreOffice, and a
timeout keeps a hung soffice from hanging the command.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .problems import BookError
from .xlsx.atomic import atomic_write
from .xlsx.zipwrite import Unsupported, write_package

WORKBOOK = "xl/workbook.xml"
TIMEOUT = 240
_SHEET = re.compile(r"<sheet\b[^>]*?/>")
_NAME = re.compile(r'\bname="([^"]*)"')
_LOCAL = re.compile(r'(<definedName\b[^>]*?\blocalSheetId=")(\d+)(")')


def soffice() -> str | None:
    """The LibreOffice program on PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _unescape(name: str) -> str:
    return name.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def only_sheets(workbook_xml: str, wanted: Sequence[str]) -> str:
    """workbook.xml with `wanted` first (in that order), shown, and every other sheet hidden.

    Sheet-scoped defined names (print titles) follow their sheet's new position.
    """
    tags = _SHEET.findall(workbook_xml)
    names = [_unescape(_NAME.search(t).group(1)) for t in tags]
    missing = [w for w in wanted if w not in names]
    if missing:
        raise ValueError(f"no sheet {missing}")
    order = [names.index(w) for w in wanted] + [i for i in range(len(tags)) if names[i] not in wanted]
    new_index = {old: new for new, old in enumerate(order)}

    def state(tag: str, visible: bool) -> str:
        tag = re.sub(r'\s+state="[^"]*"', "", tag)
        return tag if visible else tag.replace("<sheet ", '<sheet state="hidden" ', 1)

    block = "".join(state(tags[i], names[i] in wanted) for i in order)
    start = workbook_xml.index(tags[0])
    end = workbook_xml.index(tags[-1]) + len(tags[-1])
    xml = workbook_xml[:start] + block + workbook_xml[end:]
    xml = _LOCAL.sub(lambda m: f"{m.group(1)}{new_index[int(m.group(2))]}{m.group(3)}", xml)
    xml = re.sub(r'\s+(activeTab|firstSheet)="\d+"', "", xml)
    # LibreOffice prints a hidden sheet that has a print area (the 汇总表's leaves 数据来源 out): drop those.
    shown = len(wanted)
    xml = re.sub(r'<definedName name="_xlnm\.Print_Area" localSheetId="(\d+)"[^>]*>[^<]*</definedName>',
                 lambda m: m.group(0) if int(m.group(1)) < shown else "", xml)
    return xml


def export_pdf(book: Path, out: Path, sheets: Sequence[str], *, program: str | None = None, timeout: int = TIMEOUT) -> Path:
    """Write `sheets` of `book` to the PDF `out`; BookError when LibreOffice is missing or fails."""
    program = program or soffice()
    if program is None:
        raise BookError(
            "没有找到 LibreOffice（soffice），无法生成 PDF",
            "请安装 LibreOffice：Debian/Ubuntu 运行 sudo apt-get install libreoffice-calc；"
            "Windows 从 libreoffice.org 安装后把其 program 文件夹加入 PATH；也可以在 Excel 中打开工作簿，用“打印”另存为 PDF",
        )
    with tempfile.TemporaryDirectory(prefix="starbook-pdf-") as tmp:
        work = Path(tmp)
        copy = work / "公示.xlsm"
        with zipfile.ZipFile(book) as zf:
            xml = zf.read(WORKBOOK).decode("utf-8")
        try:
            with open(book, "rb") as src, open(copy, "wb") as dst:
                write_package(src, dst, {WORKBOOK: [only_sheets(xml, sheets).encode("utf-8")]}, set())
        except Unsupported as exc:
            raise BookError(f"无法复制“{book.name}”用于转换（{exc}）", "请在 Excel 中打开该文件另存一次后再试") from exc
        profile = (work / "profile").as_uri()
        command = [program, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nologo",
                   "--convert-to", "pdf:calc_pdf_Export", "--outdir", str(work), str(copy)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BookError(f"LibreOffice 在 {timeout} 秒内没有完成转换", "请关闭卡住的 LibreOffice 进程后重试") from exc
        except OSError as exc:
            raise BookError(f"无法运行 LibreOffice（{program}）：{exc}", "请检查 LibreOffice 是否安装完整（Debian：libreoffice-calc）") from exc
        made = work / "公示.pdf"
        if not made.exists():
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[-300:]
            raise BookError(f"LibreOffice 没有生成 PDF（{detail or '没有输出'}）", "请确认 LibreOffice 可以打开这个工作簿后重试")
        data = made.read_bytes()
    out = Path(out)
    try:
        atomic_write(out, lambda fh: fh.write(data))
    except PermissionError as exc:
        raise BookError(f"无法写入“{out.name}”：文件被占用或没有写权限", "请关闭正在查看这个 PDF 的程序后重试") from exc
    return out
