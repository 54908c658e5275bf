"""Shared fixtures: real workbooks made by `starbook new`, filled like a cadre would."""
from __future__ import annotations

import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

# xlwings reads its licence when imported: the free non-commercial key enables the
# remote engine that runs the ribbon's code path here (tests only; see README).
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def lo_required() -> None:
    """Skip without LibreOffice on a developer machine; in CI its absence fails."""
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing in CI: scripts/test.sh should have installed it")
        pytest.skip("LibreOffice is not installed")


@pytest.fixture(scope="session")
def example_source() -> Path:
    """The bundled example workbook, rebuilt from scripts/make_example.py for the session."""
    return ROOT / "examples" / "zhangji-2026.xlsm"


@pytest.fixture
def example(tmp_path, example_source) -> Path:
    target = tmp_path / "example.xlsm"
    shutil.copyfile(example_source, target)
    return target


def D(x) -> Decimal:
    return Decimal(str(x))
