"""A minimal MS-CFB (compound file, version 3) writer for vbaProject.bin.

Streams under 4096 bytes live in the mini stream, as the format requires; each
storage's children form a red-black tree ordered by (name length, upper-case
name), built balanced with its deepest level red.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
RED, BLACK = 0, 1


@dataclass
class _Node:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list["_Node"] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = END
    size: int = 0


def _key(node: _Node) -> tuple[int, str]:
    return len(node.name), node.name.upper()


def _tree(nodes: list[_Node], depth: int, deepest: int) -> int:
    """Balanced red-black tree of sorted siblings; returns the root's stream id."""
    if not nodes:
        return NOSTREAM
    mid = len(nodes) // 2
    root = nodes[mid]
    root.color = RED if depth == deepest and deepest > 0 else BLACK
    root.left = _tree(nodes[:mid], depth + 1, deepest)
    root.right = _tree(nodes[mid + 1 :], depth + 1, deepest)
    return root.sid


def _depth(n: int) -> int:
    d = 0
    while n > 1:
        n //= 2
        d += 1
    return d


def _perfect(n: int) -> bool:
    return (n + 1) & n == 0


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else END


def write_compound_file(tree: dict) -> bytes:
    """`tree` maps names to bytes (streams) or dicts (storages)."""

    def build(name: str, kind: int, content) -> _Node:
        node = _Node(name, kind)
        if isinstance(content, dict):
            node.children = [build(n, 1 if isinstance(c, dict) else 2, c) for n, c in content.items()]
        else:
            node.data = content
        return node

    root = build("Root Entry", 5, tree)
    order: list[_Node] = []

    def number(node: _Node) -> None:
        node.sid = len(order)
        order.append(node)
        for c in sorted(node.children, key=_key):
            number(c)

    number(root)
    for node in order:
        kids = sorted(node.children, key=_key)
        if kids:
            deepest = _depth(len(kids)) if not _perfect(len(kids)) else -1
            node.child = _tree(kids, 0, deepest)
        for k in kids:
            if len(k.name) > 31:
                raise ValueError(f"name too long for a compound file: {k.name}")

    # Mini stream: every stream below the cutoff, in 64-byte mini sectors.
    mini_fat: list[int] = []
    mini_data = bytearray()
    for node in order:
        if node.kind == 2 and len(node.data) < CUTOFF:
            node.size = len(node.data)
            if not node.data:
                node.start = END
                continue
            count = -(-len(node.data) // MINI)
            node.start = len(mini_fat)
            mini_fat += [0] * count
            _chain(mini_fat, node.start, count)
            mini_data += node.data + b"\0" * (count * MINI - len(node.data))

    big = [n for n in order if n.kind == 2 and len(n.data) >= CUTOFF]
    dir_sectors = -(-len(order) * 128 // SECTOR)
    minifat_sectors = -(-len(mini_fat) * 4 // SECTOR)
    ministream_sectors = -(-len(mini_data) // SECTOR)
    data_sectors = sum(-(-len(n.data) // SECTOR) for n in big)
    content = dir_sectors + minifat_sectors + ministream_sectors + data_sectors
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < content + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("compound file too large for this writer")
    total = fat_sectors + content
    fat = [FREE] * (fat_sectors * (SECTOR // 4))
    for i in range(fat_sectors):
        fat[i] = FATSECT
    at = fat_sectors
    dir_start = at
    _chain(fat, at, dir_sectors)
    at += dir_sectors
    minifat_start = at if minifat_sectors else END
    _chain(fat, at, minifat_sectors)
    at += minifat_sectors
    root.start = at if ministream_sectors else END
    root.size = len(mini_data)
    _chain(fat, at, ministream_sectors)
    at += ministream_sectors
    for n in big:
        count = -(-len(n.data) // SECTOR)
        n.start, n.size = at, len(n.data)
        _chain(fat, at, count)
        at += count
    assert at == total

    header = bytearray(SECTOR)
    struct.pack_into("<8s16sHHHHH6sIIIIIIIII", header, 0,
                     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x003E, 0x0003, 0xFFFE, 9, 6, b"\0" * 6,
                     0, fat_sectors, dir_start, 0, CUTOFF, minifat_start, minifat_sectors, END, 0)
    difat = [i for i in range(fat_sectors)] + [FREE] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)

    entries = bytearray()
    for node in order:
        name = node.name.encode("utf-16-le") + b"\0\0"
        entry = struct.pack("<64sHBBIII16sIQQIQ", name, len(name), node.kind, node.color, node.left, node.right,
                            node.child, b"\0" * 16, 0, 0, 0, node.start if node.kind != 1 else 0,
                            node.size if node.kind != 1 else 0)
        entries += entry
    unused = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0)
    while len(entries) < dir_sectors * SECTOR:
        entries += unused

    def pad(data: bytes, n: int) -> bytes:
        return data + b"\0" * (n * SECTOR - len(data))

    body = bytearray(header)
    body += struct.pack(f"<{len(fat)}I", *fat)
    body += entries
    body += pad(struct.pack(f"<{len(mini_fat)}I", *mini_fat) + struct.pack("<I", FREE) * 0, minifat_sectors) if minifat_sectors else b""
    if minifat_sectors:
        # unused mini FAT slots must read as free
        tail = minifat_sectors * SECTOR - len(mini_fat) * 4
        body[len(body) - tail :] = b"\xff" * tail
    body += pad(bytes(mini_data), ministream_sectors)
    for n in big:
        body += pad(n.data, -(-len(n.data) // SECTOR))
    return bytes(body)
