"""The package writer: untouched entries byte for byte, big parts deflated in two halves."""
from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from datetime import datetime

import pytest

from starbook import api
from starbook.edits import CellBlock
from starbook.xlsx import zipwrite
from starbook.xlsx.read import read_grids
from starbook.xlsx.sheetpatch import patch_workbook


def raw_entries(data: bytes) -> dict[str, bytes]:
    """Each entry's local header, name, extra and compressed data, as stored."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            name_len, extra_len = struct.unpack_from("<2H", data, info.header_offset + 26)
            end = info.header_offset + 30 + name_len + extra_len + info.compress_size
            out[info.filename] = data[info.header_offset : end]
    return out


def test_rating_copies_every_untouched_entry_byte_for_byte(example, tmp_path):
    out = tmp_path / "rated.xlsm"
    assert api.rate(example, out, now=datetime(2026, 11, 22, 9), user="x").ok
    before, after = example.read_bytes(), out.read_bytes()
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        names_after = zf.namelist()
    with zipfile.ZipFile(example) as zf:
        assert names_after == zf.namelist()  # same entries, same order
    raw_before, raw_after = raw_entries(before), raw_entries(after)
    rewritten = {name for name in raw_before if raw_before[name] != raw_after[name]}
    assert rewritten and all(name.startswith("xl/worksheets/sheet") for name in rewritten)
    for kept in ("xl/vbaProject.bin", "customUI/customUI.xml", "_rels/.rels", "xl/styles.xml"):
        assert kept in raw_before and kept not in rewritten


def test_a_big_part_deflated_in_two_halves_inflates_to_the_same_bytes(monkeypatch):
    monkeypatch.setattr(zipwrite, "SPLIT_AT", 1 << 16)
    monkeypatch.setattr(zipwrite, "BATCH", 1 << 14)
    rng = random.Random(3)
    pieces = [f'<row r="{i}"><c r="A{i}"><v>{rng.random()}</v></c></row>'.encode() for i in range(20000)]
    chunks, crc, size = zipwrite.deflate(pieces, 1)
    data = b"".join(pieces)
    assert size == len(data) and crc == zlib.crc32(data)
    assert zlib.decompress(b"".join(chunks), -15) == data


def test_entries_with_data_descriptors_are_copied_and_the_result_reads_back(tmp_path):
    class Unseekable(io.RawIOBase):  # makes zipfile write data descriptors
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += b
            return len(b)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", "alpha" * 100)
        zf.writestr("b.txt", "beta" * 100)
    src = bytes(sink.buf)
    with zipfile.ZipFile(io.BytesIO(src)) as zf:
        assert all(i.flag_bits & 0x08 for i in zf.infolist())
    out = io.BytesIO()
    zipwrite.write_package(io.BytesIO(src), out, {"b.txt": [b"new ", b"content"]}, set())
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        assert zf.testzip() is None
        assert zf.read("a.txt") == b"alpha" * 100 and zf.read("b.txt") == b"new content"
    assert raw_entries(out.getvalue())["a.txt"] == raw_entries(src)["a.txt"]


def test_a_package_the_writer_does_not_handle_goes_through_zipfile(tmp_path):
    """Bytes before the archive (a self-extractor stub) are beyond the plain writer: zipfile takes over."""
    import xlsxwriter

    plain = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(str(plain))
    wb.add_worksheet("Data").write("A1", "head")
    wb.close()
    odd = tmp_path / "odd.xlsx"
    odd.write_bytes(b"STUB" * 16 + plain.read_bytes())
    with pytest.raises(zipwrite.Unsupported):
        with odd.open("rb") as fh:
            zipwrite.read_directory(fh)
    out = tmp_path / "out.xlsx"
    patch_workbook(odd, out, [CellBlock("Data", 2, 1, [["value"]])])
    assert read_grids(out)["Data"][:2] == [["head"], ["value"]]


def test_added_parts_follow_the_copied_entries_and_read_back(example):
    """Parts a collect adds (a thousand new forms) are appended after the copied entries,
    deflated on two threads, dated as given; zipfile reads every entry back with its CRC."""
    src = example.read_bytes()
    rng = random.Random(3)
    added = [(f"xl/worksheets/new{i}.xml", bytes(rng.randrange(60, 90) for _ in range(rng.randrange(0, 5000)))) for i in range(40)]
    out = io.BytesIO()
    zipwrite.write_package(io.BytesIO(src), out, {}, set(), added=added, stamp=(6 << 11 | 30 << 5, (2026 - 1980) << 9 | 12 << 5 | 1))
    with zipfile.ZipFile(out) as zf, zipfile.ZipFile(example) as before:
        assert zf.testzip() is None
        assert zf.namelist() == before.namelist() + [name for name, _ in added]
        assert all(zf.read(name) == data for name, data in added)
        assert zf.getinfo(added[0][0]).date_time == (2026, 12, 1, 6, 30, 0)
    assert {n: e for n, e in raw_entries(out.getvalue()).items() if not n.startswith("xl/worksheets/new")} == raw_entries(src)


def test_a_part_added_under_a_name_the_package_has_is_refused(example):
    with pytest.raises(zipwrite.Unsupported):
        zipwrite.write_package(io.BytesIO(example.read_bytes()), io.BytesIO(), {}, set(), added=[("xl/workbook.xml", b"<x/>")])


def test_without_verify_a_damaged_entry_is_copied_as_it_is_and_with_it_refused(tmp_path):
    """verify=False is for a package this process has just written: it copies without inflating."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>" * 50)
        zf.writestr("xl/workbook.xml", b"<workbook/>" * 50)
    data = bytearray(buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/workbook.xml")
        at = info.header_offset + 30 + len(info.filename) + 2
    data[at] ^= 0xFF  # one byte of its compressed data
    with pytest.raises((zipfile.BadZipFile, zlib.error)):
        zipwrite.write_package(io.BytesIO(bytes(data)), io.BytesIO(), {}, set())
    out = io.BytesIO()
    zipwrite.write_package(io.BytesIO(bytes(data)), out, {}, set(), verify=False)
    assert raw_entries(out.getvalue())["xl/workbook.xml"] == raw_entries(bytes(data))["xl/workbook.xml"]
