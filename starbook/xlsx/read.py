"""Read a workbook on disk into plain grids, refusing foreign files in Chinese."""
from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import python_calamine

from ..grid import Grid
from ..problems import BookError
from .cellerrors import error_cells, needs_patch, overlay, readable_copy
from .sheetpatch import sheet_parts
from .limits import check_sizes

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def check_exists(path: Path) -> None:
    """Raise BookError unless `path` names a file (not a folder)."""
    if not path.exists():
        raise BookError(f"找不到文件“{path}”", "请检查文件名和路径")
    if path.is_dir():
        raise BookError(f"“{path}”是文件夹，不是工作簿", "请指定一个 .xlsm 或 .xlsx 文件")


def read_package(path: Path, *, every_part: bool = True) -> bytes:
    """The file's bytes, read once and checked like check_package.

    A caller that fingerprints these bytes and parses them (read_grids(data=…))
    knows exactly which content it rated, whatever happens to the file meanwhile.
    """
    data, zf = open_package(path, every_part=every_part)
    zf.close()
    return data


def open_package(path: Path, *, every_part: bool = True) -> tuple[bytes, zipfile.ZipFile]:
    """read_package's bytes and the checked package opened on them: read_grids(zf=…)
    scans it without reading the ZIP directory again (a collect reads a thousand files)."""
    check_exists(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BookError(f"无法读取“{path.name}”：文件被占用或没有读取权限", "请关闭占用它的程序或检查文件权限后重试") from exc
    return data, _checked(path, data, every_part)


def check_package(path: Path, data: bytes | None = None, *, every_part: bool = True) -> None:
    """Raise BookError unless `path` (or its bytes `data`) is an Excel 2007+ workbook we can open.

    every_part=False skips the checksums of the parts the reader does not parse
    (VBA, comments, drawings): for a file only read, never written back (collect),
    whose parsed parts the reader checks itself.
    """
    if data is None:
        check_exists(path)
    _checked(path, data, every_part).close()


def _checked(path: Path, data: bytes | None, every_part: bool) -> zipfile.ZipFile:
    """check_package's checks; the package left open for the caller."""
    if data is None:
        with path.open("rb") as fh:
            head = fh.read(8)
    else:
        head = data[:8]
    if head.startswith(OLE_MAGIC):
        raise BookError(
            f"“{path.name}”设置了打开密码，或是旧版 .xls 格式",
            "请在 Excel 中取消打开密码（文件→信息→保护工作簿→用密码进行加密，清空密码），或另存为 .xlsm 后再试",
        )
    if not head.startswith(ZIP_MAGIC):
        raise BookError(f"“{path.name}”不是 Excel 工作簿", "请使用 .xlsm 或 .xlsx 格式的星级评定工作簿")
    corrupt = BookError(f"“{path.name}”已损坏，无法打开", "请从原件或邮件附件重新保存一份再试")
    try:
        zf = zipfile.ZipFile(path if data is None else io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise corrupt from exc
    try:
        check_sizes(zf, path.name)  # before a byte is inflated, here or by calamine
        bad = _first_damaged(zf) if every_part else None
        if bad is not None:
            raise BookError(f"“{path.name}”已损坏（{bad} 校验失败）", "请从原件或邮件附件重新保存一份再试")
        if "xl/workbook.xml" not in zf.NameToInfo:
            raise BookError(f"“{path.name}”不是 Excel 工作簿（可能是 Word 或其他 Office 文件）", "请使用星级评定工作簿（.xlsm）")
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        zf.close()
        raise corrupt from exc
    except BaseException:
        zf.close()
        raise
    return zf


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


def read_grids(
    path: Path,
    wanted: Callable[[str], bool] | None = None,
    *,
    data: bytes | None = None,
    merges: dict | None = None,
    each_part: Callable[[str, bytes, int], None] | None = None,
    threaded: bool = True,
    zf: zipfile.ZipFile | None = None,
) -> dict[str, Grid]:
    """Every wanted sheet as rows of values; blank cells are '', error cells CellError.

    `data`, when given, are the bytes of `path` already read by read_package:
    they are parsed instead of the file, which may have changed since.
    `merges`, when given, receives each wanted sheet's merged ranges as
    ((first row, first col), (last row, last col)), 0-based.
    calamine reads error values and formulas without a result as ''; a second
    thread finds them in the sheets' XML meanwhile (starbook/xlsx/cellerrors.py).
    `each_part(sheet, xml, crc)`, when given, also runs in that thread on each wanted
    sheet's XML, so a caller that needs a sheet's bytes (the writer's head start)
    does not inflate them a second time.
    threaded=False finds them first, in this thread: for a process pool whose
    workers already keep every core busy (collect), where a thread only costs.
    `zf`, with `data`: the package open_package opened on those bytes, scanned as it is.
    """
    if data is None:
        check_package(path)

    def source():
        return str(path) if data is None else io.BytesIO(data)

    def open_book(src):
        if isinstance(src, str):
            return python_calamine.CalamineWorkbook.from_path(src)
        return python_calamine.CalamineWorkbook.from_filelike(src)

    try:
        with ThreadPoolExecutor(1) if threaded else _InThisThread() as pool:
            scan = pool.submit(_error_scan, source() if zf is None else zf, wanted, each_part)
            try:
                out = _calamine_grids(open_book(source()), wanted, merges)
            except python_calamine.CalamineError as exc:
                if "error value" not in str(exc):
                    raise
                with zipfile.ZipFile(source()) as zf:  # a newer error value (#SPILL! …) that calamine refuses
                    parts = {part for part, refused in scan.result()[1].items() if refused}
                    out = _calamine_grids(python_calamine.CalamineWorkbook.from_filelike(readable_copy(zf, parts)), wanted, merges)
            errors = scan.result()[0]
        return {name: overlay(grid, errors.get(name, {})) for name, grid in out.items()}
    except BookError:
        raise
    except Exception as exc:
        raise BookError(f"“{path.name}”已损坏或格式不受支持", "请在 Excel 中打开后另存为 .xlsm 再试") from exc


class _InThisThread:
    """ThreadPoolExecutor's submit and context, run at once in the calling thread."""

    def __enter__(self) -> "_InThisThread":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args) -> Future:
        done: Future = Future()
        done.set_result(fn(*args))
        return done


def _calamine_grids(wb, wanted: Callable[[str], bool] | None, merges: dict | None = None) -> dict[str, list]:
    out: dict[str, list] = {}
    for name in wb.sheet_names:
        if wanted is None or wanted(name):
            sheet = wb.get_sheet_by_name(name)
            out[name] = sheet.to_python(skip_empty_area=False)
            if merges is not None:
                merges[name] = list(sheet.merged_cell_ranges or ())
    return out


def _error_scan(path, wanted: Callable[[str], bool] | None, each_part=None) -> tuple[dict[str, dict], dict[str, bool]]:
    """Error cells per wanted sheet, and per sheet part whether calamine would refuse it."""
    if isinstance(path, zipfile.ZipFile):
        return _scan_parts(path, wanted, each_part)
    with zipfile.ZipFile(path) as zf:
        return _scan_parts(zf, wanted, each_part)


def _scan_parts(zf: zipfile.ZipFile, wanted: Callable[[str], bool] | None, each_part=None) -> tuple[dict[str, dict], dict[str, bool]]:
    errors: dict[str, dict] = {}
    refused: dict[str, bool] = {}
    for name, part in sheet_parts(zf).items():
        if wanted is not None and not wanted(name):
            continue
        xml = zf.read(part)
        errors[name] = error_cells(xml)
        refused[part] = needs_patch(xml)
        if each_part is not None:
            each_part(name, xml, zf.getinfo(part).CRC)
    return errors, refused
