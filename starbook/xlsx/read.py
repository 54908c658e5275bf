"""Read a workbook on disk into plain grids, refusing foreign files in Chinese."""
from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import python_calamine

from ..grid import Grid
from ..problems import BookError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def check_package(path: Path) -> None:
    """Raise BookError unless `path` is an Excel 2007+ workbook we can open."""
    if not path.exists():
        raise BookError(f"找不到文件“{path}”", "请检查文件名和路径")
    if path.is_dir():
        raise BookError(f"“{path}”是文件夹，不是工作簿", "请指定一个 .xlsm 或 .xlsx 文件")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        raise BookError(
            f"“{path.name}”设置了打开密码，或是旧版 .xls 格式",
            "请在 Excel 中取消打开密码（文件→信息→保护工作簿→用密码进行加密，清空密码），或另存为 .xlsm 后再试",
        )
    if not head.startswith(ZIP_MAGIC):
        raise BookError(f"“{path.name}”不是 Excel 工作簿", "请使用 .xlsm 或 .xlsx 格式的星级评定工作簿")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            bad = _first_damaged(zf)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise BookError(f"“{path.name}”已损坏，无法打开", "请从原件或邮件附件重新保存一份再试") from exc
    if bad is not None:
        raise BookError(f"“{path.name}”已损坏（{bad} 校验失败）", "请从原件或邮件附件重新保存一份再试")
    if "xl/workbook.xml" not in names:
        raise BookError(f"“{path.name}”不是 Excel 工作簿（可能是 Word 或其他 Office 文件）", "请使用星级评定工作簿（.xlsm）")


def _first_damaged(zf: zipfile.ZipFile) -> str | None:
    """The first part whose checksum fails, worksheets aside.

    Worksheets are decompressed by the reader anyway, where damage shows as a
    read error, and writing results re-reads every part with its checksum; so
    only the other parts need checking here, which keeps a big 汇总表 from being
    decompressed twice.
    """
    for info in zf.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            continue
        try:
            with zf.open(info) as fh:
                while fh.read(1 << 20):
                    pass
        except (zipfile.BadZipFile, zlib.error, EOFError):
            return info.filename
    return None


def sheet_names(path: Path) -> list[str]:
    check_package(path)
    try:
        return list(python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for damaged parts
        raise BookError(f"“{path.name}”已损坏或格式不受支持", "请在 Excel 中打开后另存为 .xlsm 再试") from exc


def read_grids(path: Path, wanted: Callable[[str], bool] | None = None, *, merges: dict | None = None) -> dict[str, Grid]:
    """Every wanted sheet as rows of values; blank cells are ''.

    `merges`, when given, receives each wanted sheet's merged ranges as
    ((first row, first col), (last row, last col)), 0-based.
    """
    check_package(path)
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        out: dict[str, Grid] = {}
        for name in wb.sheet_names:
            if wanted is None or wanted(name):
                sheet = wb.get_sheet_by_name(name)
                out[name] = sheet.to_python(skip_empty_area=False)
                if merges is not None:
                    merges[name] = list(sheet.merged_cell_ranges or ())
        return out
    except Exception as exc:
        raise BookError(f"“{path.name}”已损坏或格式不受支持", "请在 Excel 中打开后另存为 .xlsm 再试") from exc
