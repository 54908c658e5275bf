"""An export file's bytes as rows of cell values: CSV (UTF-8 or GBK) or a workbook."""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePath

from ..grid import Value
from ..problems import BookError

CSV_SUFFIXES = (".csv", ".txt")


@dataclass(frozen=True)
class Export:
    """One file given to the import, as read from disk."""

    name: str  # the file name shown in messages
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Table:
    """One sheet of an export (a CSV has one)."""

    where: str  # 文件名, or 文件名（工作表） for a workbook
    rows: list[list[Value]]


def read_tables(export: Export) -> list[Table]:
    """Every sheet of the export; a BookError for a file that cannot be read at all."""
    if PurePath(export.name).suffix.lower() in CSV_SUFFIXES:
        return [Table(export.name, _csv_rows(export))]
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(export.data))
        sheets = [(name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False)) for name in wb.sheet_names]
    except Exception as exc:  # calamine has its own error types
        raise BookError(
            f"无法读取测评文件“{export.name}”：不是 Excel 或 CSV 文件，或已损坏",
            "请从问卷星/腾讯问卷重新下载 .xlsx 或 .csv，或把计票表另存为 .xlsx 后再试",
        ) from exc
    many = len(sheets) > 1
    return [Table(f"{export.name}（{name}）" if many else export.name, [list(r) for r in rows]) for name, rows in sheets]


def _csv_rows(export: Export) -> list[list[Value]]:
    """腾讯问卷 writes UTF-8 with a BOM, 问卷星 GBK: UTF-8 is tried first (GBK bytes rarely decode as UTF-8)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = export.data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BookError(f"测评文件“{export.name}”的编码无法识别", "请用 Excel 打开后另存为 .xlsx 再导入")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
