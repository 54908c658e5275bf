"""The sheets a rating writes afresh are patched in a forked child (starbook/xlsx/overlap.py):
the package is byte for byte what the sequential path (Windows: no fork) writes, and a failing
child leaves its sheets to the parent."""
from __future__ import annotations

import os
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter

from starbook import api
from starbook.edits import CellBlock
from starbook.xlsx.sheetpatch import PatchError, patch_workbook, scan_sheet_part

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "zhangji-2026.xlsm"
NOW = datetime(2026, 12, 1, 9, 30)


def counted_forks(monkeypatch, child=None) -> list[int]:
    """os.fork, counted in the parent; `child` runs first thing in a forked child."""
    real, forks = os.fork, []

    def fork() -> int:
        pid = real()
        if pid == 0 and child is not None:
            child()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return forks


def rated(tmp_path: Path, name: str) -> bytes:
    out = tmp_path / name
    outcome = api.rate(EXAMPLE, out, now=NOW, user="测试")
    assert outcome.ok
    return out.read_bytes()


def changed_parts(before: Path, after: bytes, tmp_path: Path) -> set[str]:
    (tmp_path / "after.xlsm").write_bytes(after)
    with zipfile.ZipFile(before) as a, zipfile.ZipFile(tmp_path / "after.xlsm") as b:
        return {n for n in a.namelist() if a.read(n) != b.read(n)}


def test_rate_patches_the_fresh_sheets_in_a_child_with_the_bytes_of_the_sequential_path(tmp_path, monkeypatch):
    forks = counted_forks(monkeypatch)
    forked = rated(tmp_path, "forked.xlsm")
    assert len(forks) == 1  # the child did run
    monkeypatch.delattr(os, "fork")  # as on Windows
    sequential = rated(tmp_path, "sequential.xlsm")
    assert len(forks) == 1
    assert forked == sequential
    assert len(changed_parts(EXAMPLE, forked, tmp_path)) >= 3  # the 汇总表 and sheets the child wrote


def test_a_child_that_dies_leaves_its_sheets_to_the_parent(tmp_path, monkeypatch):
    forks = counted_forks(monkeypatch, child=lambda: os._exit(3))
    died = rated(tmp_path, "died.xlsm")
    assert len(forks) == 1
    monkeypatch.delattr(os, "fork")
    assert died == rated(tmp_path, "sequential.xlsm")


def test_an_error_in_a_sheet_of_the_child_is_raised_as_without_it(tmp_path, monkeypatch):
    book = tmp_path / "b.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    wb.add_worksheet("Data").write("A1", "head")
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=Data!$A$1:$A$3"})
    wb.add_chartsheet("Chart").set_chart(chart)
    wb.close()
    forks = counted_forks(monkeypatch)
    edits = [CellBlock("Data", 2, 1, [["x"]]), CellBlock("Chart", 1, 1, [[1]])]
    out = tmp_path / "o.xlsx"
    with pytest.raises(PatchError, match="工作表“Chart”中，这是一张图表工作表"):
        patch_workbook(book, out, edits, {"Data": scan_sheet_part(book, "Data")})
    assert len(forks) == 1 and not out.exists()


def test_an_error_in_the_parent_s_sheet_ends_the_child(tmp_path, monkeypatch):
    book = tmp_path / "b.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    wb.add_worksheet("Data").write("A1", "head")
    wb.add_worksheet("Fresh").write("A1", "head")
    wb.close()
    forks = counted_forks(monkeypatch)
    many = [[f"第{i}行"] for i in range(20000)]  # more than a pipe holds: the child waits to send them
    edits = [CellBlock("Data", 1, 16384, [[1, 2]]), CellBlock("Fresh", 2, 1, many)]
    with pytest.raises(PatchError):
        patch_workbook(book, tmp_path / "o.xlsx", edits, {"Data": scan_sheet_part(book, "Data")})
    assert len(forks) == 1
    with pytest.raises(ChildProcessError):  # reaped already, not left waiting on its pipe
        os.waitpid(forks[0], os.WNOHANG)
