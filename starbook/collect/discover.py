"""Which files a collect reads: files and folders, recursively, workbooks only.

Office owner files (``~$name``, ``.~lock.name#``) are never read; the workbook
one locks is still being edited in Excel, so it is skipped with that reason.
The same file given twice (by two paths, or the same bytes under two names) is
read once and reported.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .findings import WARNING, Finding

SUFFIXES = (".xlsm", ".xlsx")


@dataclass
class Found:
    files: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _is_owner(path: Path) -> bool:
    return path.name.startswith("~$") or (path.name.startswith(".~lock.") and path.name.endswith("#"))


def _locked_name(owner: Path) -> str:
    """The workbook name an owner file stands for (Excel may drop its first one or two characters)."""
    if owner.name.startswith("~$"):
        return owner.name[2:]
    return owner.name[len(".~lock."):-1]


def _locks(owner: Path, book: Path) -> bool:
    locked = _locked_name(owner)
    return book.parent == owner.parent and (book.name == locked or (book.name.endswith(locked) and len(book.name) - len(locked) <= 2))


def _walk(path: Path) -> Iterable[Path]:
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for name in sorted(names):
            yield Path(root) / name


def discover(inputs: Iterable[Path], *, exclude: Path | None = None) -> Found:
    """The workbooks to read, in a stable order, and what was skipped and why."""
    out = Found()
    candidates: list[Path] = []
    owners: list[Path] = []
    for given in map(Path, inputs):
        if not given.exists():
            out.findings.append(Finding(given.name or str(given), "", "", f"找不到“{given}”", "请检查文件名和路径"))
            continue
        for path in (_walk(given) if given.is_dir() else [given]):
            if _is_owner(path):
                owners.append(path)
            elif path.suffix.lower() in SUFFIXES or not given.is_dir():
                candidates.append(path)
    skip = os.path.realpath(exclude) if exclude is not None else None
    seen: dict[str, Path] = {}
    for path in candidates:
        real = os.path.realpath(path)
        if real == skip:
            continue
        if real in seen:
            out.findings.append(Finding(path.name, "", "", f"同一个文件被指定了两次（{seen[real]} 与 {path}）", "只汇总一次；无需处理", WARNING))
            continue
        seen[real] = path
        lockers = [o for o in owners if _locks(o, path)]
        if lockers:
            out.findings.append(Finding(path.name, "", "", f"文件仍在 Excel 或 WPS 中打开（旁边有锁定文件“{lockers[0].name}”），内容可能未保存，未汇总",
                                        "请在 Excel 中保存并关闭该工作簿（若已关闭，删除该锁定文件），再重新汇总"))
            continue
        out.files.append(path)
    return out
