"""Write cell values into an .xlsx/.xlsm by patching only the worksheet XML that changes.

Every other ZIP entry is copied unchanged (same name, order, bytes and
compression method): the VBA project, the ribbon part and its relationship in
_rels/.rels, styles, charts, images and defined names survive as they were. In a
patched sheet, only the rows written to and the <dimension> change; validations,
conditional formats, merges and page setup stay byte-identical.

The sheet XML is never parsed into a tree: rows are found with a scanner and only
the rows that receive values are split into cells, so a 100,000-row sheet costs
time and memory in proportion to its text.

The work is split by job: cellxml (one cell's XML and values), rows (a row's
cells, heights, the dimension), bands (tall blocks column by column, the bulk
path), formulas (shared and array formulas under values), calcchain, parts
(sheet name → part) and zipwrite (the package). This module scans a sheet and
runs the patch.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import BinaryIO, Union

from ..edits import CellBlock, ClearRows, FitRows, RowHeight
from .atomic import atomic_write
from .bands import Band, bulk_rows, split_edits
from .calcchain import drop_calc_chain
from .cellxml import Writer, col_letters, col_number, column_styles
from .errors import SAVE_AGAIN, PatchError
from .formulas import formula_plan
from .limits import check_sizes
from .parts import sheet_parts
from .rows import Target, dimension, patch_row, row_number, split_tail, written_row_head
from .zipwrite import SPLIT_AT, Unsupported, deflate, deflate_level, write_package, write_streamed

__all__ = ["PatchError", "SheetScan", "col_letters", "col_number", "patch_sheet_xml", "patch_workbook", "scan_sheet",
           "scan_sheet_part", "sheet_parts"]

_ROW = re.compile(r"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
_SELF_CLOSING_ROW = re.compile(rb"<row\b[^>]*/>")


@dataclass
class SheetScan:
    """A worksheet's XML cut into head, rows and tail: the part of patching that needs no edits.

    Made ahead of time (scan_sheet_part), it can run in a thread while the
    reader parses the same sheet, which releases the GIL.
    """

    crc: int | None  # of the part it was read from, to know it is still the same
    head: str
    body: bytes
    tail: str
    chunks: list[bytes] | None  # rows split at </row>, or None when the body does not suit the bulk path
    nums: list[int]
    every_cell_has_ref: bool


def scan_sheet(data: bytes, crc: int | None = None) -> SheetScan:
    if b"<worksheet" not in data[:2000]:
        if b"<chartsheet" in data[:2000]:
            raise PatchError("这是一张图表工作表，没有可写入的单元格", "请勿把星级评定用的工作表改成图表工作表", "chartsheet")
        raise PatchError("工作表的文件格式不常见，starbook 不能安全改写", SAVE_AGAIN, "the worksheet XML uses a namespace prefix")
    start = data.find(b"<sheetData")
    if start < 0:
        raise PatchError("工作表内容不完整（缺少单元格数据）", SAVE_AGAIN, "no <sheetData>")
    open_end = data.index(b">", start)
    if data[open_end - 1 : open_end] == b"/":
        head, body, tail = data[:start].decode("utf-8"), b"", data[open_end + 1 :].decode("utf-8")
    else:
        close = data.index(b"</sheetData>", open_end)
        head, body, tail = data[:start].decode("utf-8"), data[open_end + 1 : close], data[close + len(b"</sheetData>") :].decode("utf-8")
    chunks: list[bytes] | None = None
    nums: list[int] = []
    if not _SELF_CLOSING_ROW.search(body):
        chunks = body.split(b"</row>")
        nums = list(map(int, _ROW_NUMBER.findall(body)))
        if chunks[-1].strip() or len(chunks) - 1 != len(nums) or body.count(b"<row") != len(nums):
            chunks = None
        elif any(a >= b for a, b in zip(nums, nums[1:])):
            chunks = None
    every_cell_has_ref = body.count(b"<c") == body.count(b'<c r="')
    return SheetScan(crc, head, body, tail, chunks, nums, every_cell_has_ref)


def scan_sheet_part(path: Path | BinaryIO, sheet: str) -> SheetScan | None:
    """scan_sheet for a sheet of a workbook on disk or in memory (the bytes api read once);
    None when there is no such sheet."""
    with zipfile.ZipFile(path) as zf:
        check_sizes(zf, Path(path).name if isinstance(path, (str, Path)) else "工作簿")
        parts = sheet_parts(zf)
        part = parts.get(sheet) or {n.casefold(): p for n, p in parts.items()}.get(sheet.casefold())
        if part is None:
            return None
        return scan_sheet(zf.read(part), zf.getinfo(part).CRC)


def _patch_sheet_pieces(data: bytes | SheetScan, edits) -> tuple[list[bytes], int]:
    """The patched sheet (UTF-8) as a list of pieces, so a big sheet is never joined in memory."""
    scan = data if isinstance(data, SheetScan) else scan_sheet(data)
    bands, rest = split_edits(edits)
    target = Target()
    for e in rest:
        target.apply(e)
    head, raw_body, tail = scan.head, scan.body, scan.tail
    formula_plan(raw_body, target, bands)
    writer = Writer(column_styles(head))
    writer.heights = target.heights
    writer.fits = target.fits
    in_band: dict[int, tuple[Band, int]] = {}
    for band in bands:
        band.build(writer)
        in_band.update(zip(range(band.first_row, band.first_row + band.size), zip(repeat(band), range(band.size))))
    clear_from = target.clear_from
    pending = sorted(set(target.rows) | set(in_band))
    out: list[str | bytes] = []
    replaced = 0

    def emit(rnum: int, row_xml: str | None, cleared: bool) -> int:
        hit = in_band.get(rnum)
        if hit is not None and rnum not in target.rows:
            band, i = hit
            if row_xml is None:
                put(f'<row r="{rnum}">{band.cell_text(i)}</row>')
                return 0
            head_end = row_xml.index(">")
            self_closing = row_xml[head_end - 1] == "/"
            row_head = row_xml[: head_end - 1] if self_closing else row_xml[:head_end]
            if 'customFormat="1"' not in row_head:
                inner = "" if self_closing or cleared else row_xml[head_end + 1 : -len("</row>")]
                if not inner or (inner.count("<c") == inner.count('<c r="') and split_tail(inner, band.first_col, writer) == len(inner)):
                    put(f"{written_row_head(row_head, rnum, writer)}>{inner}{band.cell_text(i)}</row>")
                    return 0
        cells = hit[0].at(hit[1]) if hit is not None else {}
        cells.update(target.rows.get(rnum, {}))
        text, n = patch_row(rnum, row_xml, cells, writer, cleared)
        put(text)
        return n

    def put(text: str) -> None:
        out.append(text.encode("utf-8") if in_bytes else text)

    in_bytes = True
    bulk = bulk_rows(scan, bands, in_band, target, pending, writer, emit, out)
    if bulk is not None:
        extents = [(b.first_row, b.first_row + b.size - 1, min(b.values), max(b.values)) for b in bands]
        return [f"{dimension(head, target, extents)}<sheetData>".encode("utf-8"), *out, f"</sheetData>{tail}".encode("utf-8")], bulk
    in_bytes = False

    body = raw_body.decode("utf-8")
    k = 0
    previous = 0
    rows_of = target.rows

    alone = {id(b) for b in bands if not any(b.first_row <= r < b.first_row + b.size for r in rows_of)}

    def new_rows(before: int) -> None:
        """The pending rows before `before` that do not exist yet; a band's own rows (a 公示 or
        ledger written afresh) go as its UTF-8, exactly as emit would put them: a whole band
        at once when none of its rows exists or has cells of its own."""
        nonlocal k
        while k < len(pending) and pending[k] < before:
            rnum = pending[k]
            hit = in_band.get(rnum)
            if hit is not None and hit[1] == 0 and rnum + hit[0].size <= before and id(hit[0]) in alone:
                band = hit[0]
                out.extend(map(b"".join, zip(repeat(b'<row r="'), band.numbers, repeat(b'">'), band.encoded(), repeat(b"</row>"))))
                k += band.size
                continue
            if hit is not None and rnum not in rows_of:
                out.append(b'<row r="%d">%s</row>' % (rnum, hit[0].encoded()[hit[1]]))
            else:
                emit(rnum, None, False)
            k += 1

    for m in _ROW.finditer(body):
        row_xml = m.group()
        rnum = row_number(row_xml[: row_xml.index(">")], previous)
        previous = rnum
        new_rows(rnum)
        cleared = clear_from is not None and rnum >= clear_from
        if cleared:
            replaced += row_xml.count("<f")
        if k < len(pending) and pending[k] == rnum:
            replaced += emit(rnum, row_xml, cleared)
            k += 1
        elif not cleared:
            out.append(row_xml if 'r="' in row_xml[: row_xml.index(">")] else row_xml.replace("<row", f'<row r="{rnum}"', 1))
    new_rows(1 << 31)
    extents = [(b.first_row, b.first_row + b.size - 1, min(b.values), max(b.values)) for b in bands]
    head = dimension(head, target, extents)
    return [p if type(p) is bytes else p.encode("utf-8") for p in (f"{head}<sheetData>", *out, f"</sheetData>{tail}")], replaced


def patch_sheet_xml(xml: str, edits: Sequence[Union[CellBlock, ClearRows, RowHeight]]) -> tuple[str, int]:
    """The sheet XML with the edits applied, and how many formulas became values."""
    pieces, replaced = _patch_sheet_pieces(xml.encode("utf-8"), edits)
    return b"".join(pieces).decode("utf-8"), replaced


def patch_workbook(
    src,
    dst,
    edits: Sequence[Union[CellBlock, ClearRows, RowHeight, FitRows]],
    scans: dict[str, SheetScan] | None = None,
    *,
    before_replace: Callable[[], None] | None = None,
    verified: bool = False,
) -> None:
    """Apply `edits` to `src` and write the result atomically to `dst` (may equal src).

    `scans` may hold sheets already scanned (by sheet name); one whose part has
    changed since is scanned again. `before_replace` runs once the new file is
    complete, right before it replaces `dst` (atomic_write). verified=True: `src`
    is a package this process has just written from parts it checked, so the parts
    copied as they are are not inflated again to check them.
    """
    src, dst = Path(src), Path(dst)
    with zipfile.ZipFile(src) as zin, ThreadPoolExecutor(1) as pool:
        check_sizes(zin, src.name)
        parts = sheet_parts(zin)
        folded = {name.casefold(): part for name, part in parts.items()}  # Excel's names ignore case
        by_sheet: dict[str, list] = {}
        for e in edits:
            if not isinstance(e, (CellBlock, ClearRows, RowHeight, FitRows)):
                raise PatchError("要写入的内容有误", SAVE_AGAIN, f"not an edit: {e!r}")
            part = parts.get(e.sheet) or folded.get(e.sheet.casefold())
            if part is None:
                raise PatchError(f"找不到工作表“{e.sheet}”", "请不要删除或重命名星级评定用的工作表；可从模板中复制回来")
            by_sheet.setdefault(part, []).append(e)
        infos = zin.infolist()
        names = [i.filename for i in infos]
        patched: dict[str, bytes] = {}
        sheets: dict[str, list[bytes]] = {}
        replaced = 0
        ready = {}
        for name, scan in (scans or {}).items():
            part = parts.get(name) or folded.get(name.casefold())
            if scan is not None and part is not None and scan.crc == zin.getinfo(part).CRC:
                ready[part] = scan
        deflated: dict[str, Future] = {}
        for part, sheet_edits in by_sheet.items():
            try:
                sheets[part], n = _patch_sheet_pieces(ready.pop(part, None) or zin.read(part), sheet_edits)
            except PatchError as exc:
                exc.message = f"工作表“{sheet_edits[0].sheet}”中，{exc.message}"
                raise
            replaced += n
            size = sum(map(len, sheets[part]))
            if size > SPLIT_AT:  # a big sheet is deflated (zlib frees the GIL) while the next ones are patched
                deflated[part] = pool.submit(deflate, sheets[part], deflate_level(size))
        if replaced:
            for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                patched[name] = zin.read(name)
            drop_calc_chain(patched, names)

        def write(fh) -> None:
            new_parts = {**sheets, **{name: [data] for name, data in patched.items()}}
            dropped = {i.filename for i in infos} - set(names)
            try:
                with open(src, "rb") as raw:
                    write_package(raw, fh, new_parts, dropped, deflated, verify=not verified)
                return
            except Unsupported:  # ZIP64, encrypted or odd packages: zipfile copies them part by part
                fh.seek(0)
                fh.truncate()
            with zipfile.ZipFile(fh, "w") as zout:
                for info in infos:
                    if info.filename not in names:
                        continue
                    if info.filename in sheets:
                        write_streamed(zout, info, sheets.pop(info.filename))
                        continue
                    data = patched.get(info.filename)
                    if data is None:
                        data = zin.read(info.filename)
                    level = deflate_level(len(data))
                    zout.writestr(info, data, compress_type=info.compress_type, compresslevel=level)

        atomic_write(dst, write, before_replace=before_replace)
