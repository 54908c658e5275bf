"""Decompression bombs: a small workbook whose sheet inflates to gigabytes is refused
before anything is inflated, and a part that inflates past its declared size is
stopped there and reported as damaged.

The bombs are real ZIP packages made from a `starbook new` workbook: the 汇总表's
part is replaced by gigabytes of XML deflated from one repeated, fully flushed
segment, so building one costs a few megabytes and no inflated copy.
"""
from __future__ import annotations

import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from starbook import api
from starbook.cli import main
from starbook.edits import CellBlock
from starbook.problems import BookError
from starbook.xlsx import limits
from starbook.xlsx.read import check_package, read_grids
from starbook.xlsx.sheetpatch import patch_workbook, scan_sheet_part, sheet_parts

MIB = 1 << 20


def _gf2_times(mat: list[int], vec: int) -> int:
    out, i = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib's crc32_combine: the CRC-32 of A+B from those of A and B and the length of B."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def deflated_repeat(head: bytes, filler: bytes, times: int, tail: bytes) -> tuple[list[bytes], int, int]:
    """(compressed chunks, CRC-32, size) of head + filler * times + tail.

    After a full flush the compressor starts afresh, so each filler segment
    deflates to the same bytes: the stream is the segment repeated.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    segment = c.compress(filler) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(filler) + c.flush(zlib.Z_FULL_FLUSH) == segment
    last = c.compress(tail) + c.flush(zlib.Z_FINISH)
    crc, length = 0, 0
    block_crc, block_len = zlib.crc32(filler), len(filler)
    n = times
    while n:  # the filler's CRC by doubling
        if n & 1:
            crc, length = crc32_combine(crc, block_crc, block_len) if length else block_crc, length + block_len
        block_crc, block_len = crc32_combine(block_crc, block_crc, block_len), block_len * 2
        n >>= 1
    crc = crc32_combine(zlib.crc32(head), crc, length)
    crc = crc32_combine(crc, zlib.crc32(tail), len(tail))
    return [first, *[segment] * times, last], crc, len(head) + length + len(tail)


LOCAL = struct.Struct("<4s5H3L2H")
CENTRAL = struct.Struct("<4s4B4H3L5H2L")
END = struct.Struct("<4s4H2LH")


def write_zip(path: Path, entries: list[tuple[str, int, list[bytes], int]]) -> None:
    """A plain ZIP of deflated entries (name, CRC-32, compressed chunks, declared size)."""
    directory = []
    with path.open("wb") as out:
        for name, crc, chunks, size in entries:
            raw, compressed, offset = name.encode(), sum(map(len, chunks)), out.tell()
            out.write(LOCAL.pack(b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, compressed, size, len(raw), 0) + raw)
            for chunk in chunks:
                out.write(chunk)
            directory.append(CENTRAL.pack(b"PK\x01\x02", 20, 0, 20, 0, 0, 8, 0, 0x21, crc, compressed, size, len(raw), 0, 0, 0, 0, 0, offset) + raw)
        start = out.tell()
        out.write(b"".join(directory))
        out.write(END.pack(b"PK\x05\x06", 0, 0, len(directory), len(directory), out.tell() - start, start, 0))


def bomb(tmp_path: Path, sheet: str, inflated_mib: int, *, lie: bool = False) -> Path:
    """A `starbook new` workbook whose `sheet` holds one cell of `inflated_mib` MiB of zeros.

    With `lie`, the central directory declares the part's honest-looking 4 KB instead.
    """
    source = tmp_path / "new.xlsm"
    api.new("分类定级", source, orgs=1)
    entries = []
    with zipfile.ZipFile(source) as zf:
        part = sheet_parts(zf)[sheet]
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename == part:
                head = data[: data.index(b"<sheetData")] + b'<sheetData><row r="1"><c r="A1"><v>'
                chunks, crc, size = deflated_repeat(head, b"0" * MIB, inflated_mib, b"</v></c></row></sheetData></worksheet>")
                entries.append((info.filename, crc, chunks, 4096 if lie else size))
            else:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                entries.append((info.filename, zlib.crc32(data), [c.compress(data) + c.flush()], len(data)))
    path = tmp_path / ("liar.xlsm" if lie else "bomb.xlsm")
    write_zip(path, entries)
    return path


@pytest.fixture(scope="module")
def gigabytes(tmp_path_factory) -> Path:
    """3 GiB of 汇总表 in a file of about 3 MB."""
    path = bomb(tmp_path_factory.mktemp("bomb"), "汇总表", 3 * 1024)
    assert path.stat().st_size < 8 * MIB
    with zipfile.ZipFile(path) as zf:
        assert sum(i.file_size for i in zf.infolist()) > 3 << 30
    return path


def test_the_crafted_bomb_is_a_real_zip_that_inflates_to_what_it_declares(tmp_path):
    small = bomb(tmp_path, "汇总表", 3)  # the same construction, small enough to inflate here
    with zipfile.ZipFile(small) as zf:
        assert zf.testzip() is None
        part = sheet_parts(zf)["汇总表"]
        assert zf.read(part).count(b"0" * MIB) == 3


def test_limits_leave_room_for_a_100000_organization_book():
    # scripts/bench.py's 100,000-organization book after 定星: 汇总表 part 74 MB, package 78 MB.
    assert limits.MAX_PART >= 3 * 74_000_000 and limits.MAX_TOTAL >= 6 * 78_000_000


def test_the_reader_refuses_a_bomb_before_inflating_it(gigabytes):
    tracemalloc.start()
    try:
        for call in (check_package, read_grids, api.check):
            with pytest.raises(BookError, match="解压后过大") as caught:
                call(gigabytes)
            assert "工作表“汇总表”" in caught.value.message
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * MIB


def test_the_writer_refuses_a_bomb_before_inflating_it(gigabytes, tmp_path):
    before = gigabytes.read_bytes()
    out = tmp_path / "out.xlsm"
    tracemalloc.start()
    try:
        with pytest.raises(BookError, match="解压后过大"):
            scan_sheet_part(gigabytes, "汇总表")
        with pytest.raises(BookError, match="解压后过大"):
            patch_workbook(gigabytes, out, [CellBlock("汇总表", 3, 1, [["x"]])])
        with pytest.raises(BookError, match="解压后过大"):
            api.write_edits(gigabytes, gigabytes, [CellBlock("汇总表", 3, 1, [["x"]])])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * MIB
    assert not out.exists() and gigabytes.read_bytes() == before


@pytest.mark.parametrize("command", ["rate", "check"])
def test_the_command_line_exits_2_with_a_chinese_message(gigabytes, capsys, command):
    before = gigabytes.read_bytes()
    assert main([command, str(gigabytes)]) == 2
    err = capsys.readouterr().err
    assert "解压后过大" in err and "请从原件" in err and "Traceback" not in err
    assert gigabytes.read_bytes() == before


def test_a_part_inflating_past_its_declared_size_is_stopped_and_reported_as_damaged(tmp_path):
    """The 参数 part claims 4 KB and holds 1 GiB: copying it while writing the 汇总表
    inflates no more than a step past the claim, then calls the file damaged."""
    liar = bomb(tmp_path, "参数", 1024, lie=True)
    before = liar.read_bytes()
    tracemalloc.start()
    try:
        with pytest.raises(BookError, match="已损坏"):
            api.write_edits(liar, liar, [CellBlock("汇总表", 3, 1, [["x"]])])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * MIB
    assert liar.read_bytes() == before
    with pytest.raises(BookError):  # the reader (calamine) stops at the declared size too
        read_grids(liar)
