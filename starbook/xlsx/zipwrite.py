"""Rewrite a ZIP package: untouched entries byte for byte, new parts deflated on two cores.

Copying an entry's local header and compressed data verbatim is both the most
faithful way to keep a part (its bytes do not even pass through a compressor)
and the cheapest. A big rewritten part (a 100,000-row 汇总表) is deflated in two
halves at once: the first half ends with a sync flush, so the halves concatenate
into one valid deflate stream.

Only plain packages are handled here (no ZIP64, no encryption, one disk), which
is what Excel, WPS and LibreOffice write for workbooks; anything else raises
Unsupported before a byte is written, and the caller uses zipfile instead.
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

LOCAL = struct.Struct("<4s5H3L2H")
CENTRAL = struct.Struct("<4s4B4H3L5H2L")
END = struct.Struct("<4s4H2LH")
LOCAL_SIG, CENTRAL_SIG, END_SIG, DESCRIPTOR_SIG = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x07\x08"
UTF8_FLAG, DESCRIPTOR_FLAG, ENCRYPTED_FLAG = 0x800, 0x08, 0x01
SPLIT_AT = 4 << 20  # parts bigger than this are deflated in two halves
BATCH = 4 << 20  # bytes handed to the compressor at a time (it releases the GIL)
VERIFY_STEP = 4 << 20  # bytes inflated at a time when checking a copied part


class Unsupported(Exception):
    pass


@dataclass
class Entry:
    """One central directory record of the source, kept as raw bytes."""

    name: str
    raw: bytes  # the whole central record: fixed part, name, extra, comment
    flags: int
    method: int
    time: int
    date: int
    crc: int
    compressed: int
    size: int
    offset: int
    name_bytes: bytes
    comment: bytes
    create_version: int
    create_system: int
    internal: int
    external: int


def read_directory(fh: BinaryIO) -> tuple[list[Entry], bytes]:
    """The source's entries in directory order, and its archive comment."""
    fh.seek(0, 2)
    length = fh.tell()
    tail_size = min(length, END.size + 0xFFFF)
    fh.seek(length - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(END_SIG)
    if at < 0 or len(tail) - at < END.size:
        raise Unsupported("no end of central directory")
    _, disk, cd_disk, on_disk, count, cd_size, cd_offset, comment_len = END.unpack_from(tail, at)
    if disk or cd_disk or on_disk != count or count == 0xFFFF or cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        raise Unsupported("multi-disk or ZIP64 archive")
    if length - tail_size + at != cd_offset + cd_size:
        raise Unsupported("data before the archive or a ZIP64 locator")
    comment = tail[at + END.size : at + END.size + comment_len]
    fh.seek(cd_offset)
    directory = fh.read(cd_size)
    entries, pos = [], 0
    for _ in range(count):
        fields = CENTRAL.unpack_from(directory, pos)
        (sig, create_version, create_system, _, _, flags, method, time, date, crc, compressed, size,
         name_len, extra_len, comment_len, _, internal, external, offset) = fields
        if sig != CENTRAL_SIG:
            raise Unsupported("damaged central directory")
        if flags & ENCRYPTED_FLAG or 0xFFFFFFFF in (compressed, size, offset):
            raise Unsupported("encrypted or ZIP64 entry")
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Unsupported(f"compression method {method}")
        end = pos + CENTRAL.size + name_len + extra_len + comment_len
        name_bytes = directory[pos + CENTRAL.size : pos + CENTRAL.size + name_len]
        name = name_bytes.decode("utf-8" if flags & UTF8_FLAG else "cp437")
        entries.append(
            Entry(name, directory[pos:end], flags, method, time, date, crc, compressed, size, offset, name_bytes,
                  directory[end - comment_len : end], create_version, create_system, internal, external)
        )
        pos = end
    return entries, comment


def deflate(pieces: Sequence[bytes], level: int) -> tuple[list[bytes], int, int]:
    """Raw deflate of the concatenated pieces: (compressed chunks, CRC-32, size)."""
    batches = _batches(pieces)
    size = sum(map(len, batches))
    if size <= SPLIT_AT or len(batches) < 2:
        halves = [batches]
    else:
        half, seen = 0, 0
        while seen < size // 2:
            seen += len(batches[half])
            half += 1
        halves = [batches[:half], batches[half:]]

    def run(part: list[bytes], last: bool) -> list[bytes]:
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        out = [c.compress(b) for b in part]
        out.append(c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH))
        return out

    if len(halves) == 1:
        chunks = run(halves[0], True)
    else:
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(run, halves[1], True)
            chunks = run(halves[0], False) + second.result()
    crc = 0
    for b in batches:
        crc = zlib.crc32(b, crc)
    return chunks, crc, size


def _batches(pieces: Sequence[bytes]) -> list[bytes]:
    """The pieces joined into buffers of about BATCH bytes (slices by count: no loop per piece)."""
    total = sum(map(len, pieces))
    if not pieces:
        return []
    per = max(1, BATCH * len(pieces) // max(total, 1))
    return [b"".join(pieces[k : k + per]) for k in range(0, len(pieces), per)]


def deflate_level(size: int) -> int:
    """Fast deflate for big parts (a 100,000-row sheet), the usual level for the rest."""
    return 1 if size > 1 << 20 else 6


def write_package(
    src: BinaryIO, out: BinaryIO, parts: dict[str, Sequence[bytes]], drop: set[str], deflated: dict[str, Future] | None = None,
    *, added: Sequence[tuple[str, bytes]] = (), stamp: tuple[int, int] = (0, 0x21), verify: bool = True,
) -> None:
    """Copy `src` to `out`, with `parts` (name → pieces of the new content) rewritten and `drop` left out.

    `deflated` may hold parts whose deflate (of the same pieces) was started ahead, on another thread.
    `added` parts (name, content) follow the copied ones, dated `stamp` (DOS time, date), deflated
    on two threads (zlib frees the GIL): a thousand new forms. verify=False copies the entries of a
    package this process has just written itself without inflating them again to check them.
    """
    entries, comment = read_directory(src)
    sizes = {name: sum(map(len, pieces)) for name, pieces in parts.items()}
    if sum(e.compressed for e in entries) + sum(sizes.values()) + sum(len(d) for _, d in added) > 0x7FFFFFFF:
        raise Unsupported("too big for a plain ZIP")
    if len(entries) + len(added) >= 0xFFFF:
        raise Unsupported("too many entries for a plain ZIP")
    if {name for name, _ in added} & ({e.name for e in entries} - drop):
        raise Unsupported("an added part is already in the package")
    level = deflate_level(sum(len(d) for _, d in added))
    pool = ThreadPoolExecutor(2) if len(added) > 1 else None
    squeezed = (pool.map if pool is not None else map)(lambda part: deflate([part[1]], level), added)
    try:
        _write_entries(src, out, entries, comment, parts, sizes, drop, deflated or {}, added, squeezed, stamp, verify)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _write_entries(src, out, entries, comment, parts, sizes, drop, deflated, added, squeezed, stamp, verify) -> None:
    directory = []
    position = 0
    for e in entries:
        if e.name in drop:
            continue
        offset = position
        if e.name in parts:
            pieces = parts[e.name]
            ahead = deflated.get(e.name)
            squeezed_part = ahead.result() if ahead is not None else deflate(pieces, deflate_level(sizes[e.name]))
            written, record = _deflated_entry(out, e.name_bytes, e.flags & UTF8_FLAG, (e.time, e.date), squeezed_part, offset,
                                              (e.create_version, e.create_system, e.internal, e.external), e.comment)
            position += written
            directory.append(record)
        else:
            position += _copy_entry(src, out, e, verify)
            directory.append(e.raw[:42] + struct.pack("<L", offset) + e.raw[46:])
    for (name, _), squeezed_part in zip(added, squeezed):
        written, record = _deflated_entry(out, name.encode("utf-8"), 0 if name.isascii() else UTF8_FLAG, stamp, squeezed_part, position,
                                          (20, 3, 0, 0o600 << 16))  # made on Unix, read-write, as zipfile writes one
        position += written
        directory.append(record)
    cd_offset = position
    for record in directory:
        out.write(record)
    cd_size = sum(map(len, directory))
    out.write(END.pack(END_SIG, 0, 0, len(directory), len(directory), cd_size, cd_offset, len(comment)) + comment)


def _deflated_entry(out: BinaryIO, name: bytes, flags: int, stamp: tuple[int, int], squeezed: tuple[list[bytes], int, int],
                    offset: int, made: tuple[int, int, int, int], comment: bytes = b"") -> tuple[int, bytes]:
    """Write one deflated entry (local header and data); (bytes written, its central directory record).
    `squeezed` is deflate()'s (chunks, CRC-32, size); `made` the creator's version and system and the
    internal and external attributes the central record keeps."""
    chunks, crc, size = squeezed
    time, date = stamp
    compressed = sum(map(len, chunks))
    head = LOCAL.pack(LOCAL_SIG, 20, flags, zlib.DEFLATED, time, date, crc, compressed, size, len(name), 0)
    out.write(head + name)
    for chunk in chunks:
        out.write(chunk)
    version, system, internal, external = made
    record = CENTRAL.pack(CENTRAL_SIG, version, system, 20, 0, flags, zlib.DEFLATED, time, date, crc, compressed, size,
                          len(name), 0, len(comment), 0, internal, external, offset)
    return len(head) + len(name) + compressed, record + name + comment


def _copy_entry(src: BinaryIO, out: BinaryIO, e: Entry, verify: bool = True) -> int:
    """Copy an entry's local header, data and data descriptor verbatim; the number of bytes copied.

    The data is inflated on the way and checked against its CRC-32, as zipfile
    would check it, so a damaged part is reported rather than passed on.
    """
    src.seek(e.offset)
    head = src.read(LOCAL.size)
    if len(head) < LOCAL.size or head[:4] != LOCAL_SIG:
        raise Unsupported(f"damaged local header of {e.name}")
    name_len, extra_len = struct.unpack_from("<2H", head, 26)
    start = LOCAL.size + name_len + extra_len
    length = start + e.compressed
    if e.flags & DESCRIPTOR_FLAG:
        src.seek(e.offset + length)
        length += 16 if src.read(4) == DESCRIPTOR_SIG else 12
    src.seek(e.offset)
    entry = src.read(length)
    if len(entry) < length:
        raise Unsupported(f"{e.name} is cut short")
    if verify:
        _verify(e, entry[start : start + e.compressed])
    out.write(entry)
    return length


def _verify(e: Entry, data: bytes) -> None:
    """Inflate in bounded steps and check size and CRC-32: a part that inflates past its
    declared size is damaged (or a bomb), and is stopped there, not inflated to the end."""
    if e.method != zlib.DEFLATED:
        if len(data) != e.size or zlib.crc32(data) != e.crc:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {e.name!r}")
        return
    d = zlib.decompressobj(-15)
    crc, size = 0, 0
    try:
        while True:
            out = d.decompress(data, VERIFY_STEP)
            crc, size = zlib.crc32(out, crc), size + len(out)
            if size > e.size:
                raise zipfile.BadZipFile(f"{e.name} inflates past its declared size of {e.size} bytes")
            data = d.unconsumed_tail
            if not data and (d.eof or not out):
                break
    except zlib.error as exc:
        raise zipfile.BadZipFile(f"{e.name}: {exc}") from exc
    if not d.eof or size != e.size or crc != e.crc:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {e.name!r}")


STREAM_BATCH = 8000


def write_streamed(zout: zipfile.ZipFile, info: zipfile.ZipInfo, pieces: list[bytes]) -> None:
    """Write a patched sheet in batches of rows: no joined copy of a big sheet in memory."""
    entry = zipfile.ZipInfo(info.filename, info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    entry.create_system = info.create_system
    level = deflate_level(sum(map(len, pieces)))
    if hasattr(entry, "compress_level"):  # Python 3.13+
        entry.compress_level = level
    else:
        entry._compresslevel = level
    with zout.open(entry, "w") as out:
        for start in range(0, len(pieces), STREAM_BATCH):
            out.write(b"".join(pieces[start : start + STREAM_BATCH]))
