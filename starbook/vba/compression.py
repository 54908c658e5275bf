"""MS-OVBA 2.4.1 compression: the LZ77 variant VBA stores source and `dir` in.

A container is a signature byte and one chunk per 4096 bytes of data. A chunk's
tokens must fit in 4096 bytes (its size field holds at most 4098 with the
header); when they do not, the chunk is stored raw, and a raw chunk always holds
exactly 4096 bytes, so a short last chunk is padded with zeros (2.4.1.3.7,
2.4.1.3.10): decompressing it gives the data followed by that padding.
"""
from __future__ import annotations

CHUNK = 4096
COMPRESSED, SIGNATURE = 0x8000, 0x3000  # CompressedChunkFlag, CompressedChunkSignature 0b011


def _bit_count(position: int) -> int:
    """Bits of a copy token's offset at `position` bytes into the chunk (2.4.1.3.19.1)."""
    bits = 4
    while (1 << bits) < position:
        bits += 1
    return bits


def _compress_chunk(data: bytes) -> bytes | None:
    """Token sequences of one chunk (2.4.1.3.8), or None when they exceed 4096 bytes."""
    out = bytearray()
    pos = 0
    index: dict[bytes, list[int]] = {}
    while pos < len(data):
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= len(data):
                break
            bits = _bit_count(pos)
            max_len = (0xFFFF >> bits) + 3
            best_len = best_off = 0
            key = data[pos : pos + 3]
            if len(key) == 3:
                for start in reversed(index.get(key, ())):
                    offset = pos - start
                    if offset > (1 << bits):
                        break
                    length = 3
                    limit = min(max_len, len(data) - pos)
                    while length < limit and data[start + length] == data[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, offset
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                step = best_len
            else:
                out.append(data[pos])
                step = 1
            for p in range(pos, pos + step):
                index.setdefault(data[p : p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
        if len(out) > CHUNK:
            return None
    return bytes(out)


def compress(data: bytes) -> bytes:
    """A CompressedContainer: signature byte, then one chunk per 4096 bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        raw = data[start : start + CHUNK]
        packed = _compress_chunk(raw)
        if packed is None:  # a raw chunk (2.4.1.3.10): 4096 bytes, a short last chunk padded
            out += (SIGNATURE | (CHUNK + 2 - 3)).to_bytes(2, "little") + raw.ljust(CHUNK, b"\0")
        else:  # CompressedChunkSize is the chunk's size with its header, minus 3
            out += (COMPRESSED | SIGNATURE | (len(packed) + 2 - 3)).to_bytes(2, "little") + packed
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """Inverse of compress, raw chunks included with their padding (2.4.1.3.1)."""
    if not data or data[0] != 1:
        raise ValueError("not a compressed container")
    out = bytearray()
    pos = 1
    while pos < len(data):
        header = int.from_bytes(data[pos : pos + 2], "little")
        size = (header & 0x0FFF) + 3
        end = pos + size
        pos += 2
        start = len(out)
        if not header & COMPRESSED:
            out += data[pos : pos + CHUNK]
            pos += CHUNK
            continue
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if flags & (1 << bit):
                    token = int.from_bytes(data[pos : pos + 2], "little")
                    pos += 2
                    bits = _bit_count(len(out) - start)
                    length = (token & (0xFFFF >> bits)) + 3
                    offset = (token >> (16 - bits)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(data[pos])
                    pos += 1
    return bytes(out)
