"""MS-OVBA 2.4.1 compression against the spec's worked examples and adversarial data.

Every container is also decoded by oletools' decompress_stream, an independent
implementation that checks the chunk headers (a raw chunk must be 4098 bytes).
"""
from __future__ import annotations

import random

import pytest
from oletools.olevba import decompress_stream

from starbook.vba.compression import CHUNK, compress, decompress

# MS-OVBA 3.2.1 "No Compression Example", 3.2.2 "Normal Compression Example",
# 3.2.3 "Maximum Compression Example": (decompressed, compressed container).
NO_COMPRESSION = (
    b"abcdefghijklmnopqrstuv.",
    bytes.fromhex("01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E"),
)
NORMAL = (
    b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
    bytes.fromhex(
        "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 6D 6E 6F 70"
        " 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C"
    ),
)
MAXIMUM = (b"a" * 73, bytes.fromhex("01 03 B0 02 61 45 00"))


def chunks(container: bytes) -> list[tuple[bool, int]]:
    """(compressed?, size with header) of each chunk, checking the header's signature."""
    assert container[0] == 1
    out, pos = [], 1
    while pos < len(container):
        header = int.from_bytes(container[pos : pos + 2], "little")
        assert header >> 12 & 0b111 == 0b011, f"bad chunk signature at {pos}"
        size = (header & 0x0FFF) + 3
        flagged = bool(header & 0x8000)
        assert 3 <= size <= CHUNK + 2
        assert flagged or size == CHUNK + 2, "a raw chunk holds exactly 4096 bytes"
        out.append((flagged, size))
        pos += size
    assert pos == len(container), "the last chunk's size must end the container"
    return out


def tokens(container: bytes) -> list[tuple[str, int]]:
    """The token kinds of a one-chunk container: ("literal", byte) or ("copy", length)."""
    out, pos, produced = [], 3, 0
    while pos < len(container):
        flags = container[pos]
        pos += 1
        for bit in range(8):
            if pos >= len(container):
                break
            if flags >> bit & 1:
                token = int.from_bytes(container[pos : pos + 2], "little")
                bits = max(4, (produced - 1).bit_length())
                length = (token & (0xFFFF >> bits)) + 3
                out.append(("copy", length))
                produced, pos = produced + length, pos + 2
            else:
                out.append(("literal", container[pos]))
                produced, pos = produced + 1, pos + 1
    return out


def expanded(data: bytes, container: bytes) -> bytes:
    """What a decoder returns: the data, padded to 4096 bytes when its last chunk is raw."""
    last_raw = bool(data) and not chunks(container)[-1][0]
    return data + bytes(-len(data) % CHUNK) if last_raw else data


def assert_round_trip(data: bytes) -> bytes:
    container = compress(data)
    chunks(container)
    want = expanded(data, container)
    assert decompress(container) == want
    assert bytes(decompress_stream(bytearray(container))) == want
    return container


@pytest.mark.parametrize("example", [NO_COMPRESSION, MAXIMUM], ids=["3.2.1", "3.2.3"])
def test_the_spec_examples_compress_to_the_exact_bytes(example):
    data, container = example
    assert compress(data) == container
    assert decompress(container) == data
    assert bytes(decompress_stream(bytearray(container))) == data


def test_the_normal_compression_example_has_the_specs_tokens():
    """3.2.2 decodes exactly; our tokens are the example's, though where several earlier runs
    match equally long, the pseudocode's nearest match (2.4.1.3.19.4) may differ in offset
    from the one the example's bytes point at."""
    data, container = NORMAL
    assert decompress(container) == data
    assert bytes(decompress_stream(bytearray(container))) == data
    ours = compress(data)
    assert len(ours) == len(container)
    assert tokens(ours) == tokens(container)
    assert decompress(ours) == data


BOUNDARY_LENGTHS = [0, 1, 2, 3, 4, 4094, 4095, 4096, 4097, 4098, 8190, 8191, 8192, 8193, 12287, 12288, 12289]


@pytest.mark.parametrize("length", BOUNDARY_LENGTHS)
def test_random_bytes_of_every_length_around_chunk_boundaries(length):
    data = random.Random(length).randbytes(length)
    container = assert_round_trip(data)
    assert len(chunks(container)) == -(-length // CHUNK)
    if length % CHUNK > 3700 or (length and length % CHUNK == 0):
        assert not chunks(container)[-1][0], "random data does not compress: the last chunk is raw"


def no_repeats(length: int) -> bytes:
    """Bytes in which no 3 consecutive bytes occur twice, so nothing can be copied."""
    data = b"".join(bytes([i, j]) for i in range(256) for j in range(256))
    return data[:length]


@pytest.mark.parametrize("length", [3639, 3640, 3641, 3642, 4000, 4095])
def test_an_incompressible_last_chunk_is_stored_raw_and_padded(length):
    """Literals cost 9 bytes per 8: up to 3640 bytes fit in 4096 bytes of tokens, 3641 do not."""
    data = no_repeats(length)
    container = assert_round_trip(data)
    fits = length + -(-length // 8) <= CHUNK
    assert chunks(container) == ([(True, length + -(-length // 8) + 2)] if fits else [(False, CHUNK + 2)])
    if not fits:
        assert container[3:] == data + bytes(CHUNK - length)


def test_an_incompressible_last_chunk_after_compressible_ones():
    data = (b"Attribute VB_Name = \"x\"\r\n" * 400)[: 2 * CHUNK] + no_repeats(3900)
    container = assert_round_trip(data)
    layout = chunks(container)
    assert all(flagged for flagged, _ in layout[:-1]) and layout[-1] == (False, CHUNK + 2)


def test_an_incompressible_full_chunk_in_the_middle_needs_no_padding():
    data = b"a" * CHUNK + no_repeats(CHUNK) + b"z" * 50
    container = assert_round_trip(data)
    assert [flagged for flagged, _ in chunks(container)] == [True, False, True]
    assert decompress(container) == data


@pytest.mark.parametrize("length", [3, 4095, 4096, 4097, 65536])
@pytest.mark.parametrize("unit", [b"\0", b"ab", b"abc", b"Public Sub x()\r\n"])
def test_highly_repetitive_data(unit, length):
    data = (unit * length)[:length]
    container = assert_round_trip(data)
    assert all(flagged for flagged, _ in chunks(container))
    if length >= CHUNK:
        assert len(container) < length // 20


def test_every_short_length_round_trips():
    rng = random.Random(7)
    for length in range(0, 300):
        assert_round_trip(rng.randbytes(length))
        assert_round_trip(bytes(rng.choice(b"ab ") for _ in range(length)))
