"""The 测评导入记录 sheet: one row per imported file and organization, so that an import
can be replaced instead of counted twice.

状态 is 有效 for the rows whose votes are on the forms now, 已替换 for rows a later
import replaced. The sheet is part of the workbook (the template builds it); the
file shell cannot add sheets, so a workbook without it imports without a record.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..edits import CellBlock, Edit
from ..grid import Grid, Value, as_number, cell_at, find_header, is_blank, text

SHEET = "测评导入记录"
FIXED = ("导入时间", "操作人", "文件", "格式", "SHA-256", "测评主体", "党组织名称")
VOTED = "实际参评人数"
STATE = "状态"
ACTIVE, REPLACED = "有效", "已替换"


def columns(options: tuple[str, ...]) -> tuple[str, ...]:
    return (*FIXED, *options, VOTED, STATE)


@dataclass
class RecordRow:
    row: int  # 0-based
    time: str
    file: str
    sha: str
    evaluator: str
    org: str
    counts: dict[str, int]
    voted: int
    active: bool


@dataclass
class Record:
    header_row: int
    cols: dict[str, int]
    rows: list[RecordRow] = field(default_factory=list)
    last_row: int = 0  # 0-based, the last row with anything in it

    def active(self, evaluator: str) -> list[RecordRow]:
        return [r for r in self.rows if r.active and r.evaluator == evaluator]


def _int(value: Value) -> int:
    d = as_number(value)
    return int(d) if d is not None else 0


def read_record(grid: Grid, options: tuple[str, ...]) -> Record | None:
    found = find_header(grid, FIXED[0], "SHA-256", max_rows=20)
    if found is None:
        return None
    hr, cols = found
    record = Record(hr, cols, last_row=hr)
    for r in range(hr + 1, len(grid)):
        if all(is_blank(v) for v in grid[r]):
            continue
        record.last_row = r

        def at(title: str) -> Value:
            return cell_at(grid, r, cols[title]) if title in cols else None

        record.rows.append(RecordRow(
            r, text(at("导入时间")), text(at("文件")), text(at("SHA-256")), text(at("测评主体")), text(at("党组织名称")),
            {o: _int(at(o)) for o in options}, _int(at(VOTED)), text(at(STATE)) == ACTIVE,
        ))
    return record


def record_edits(record: Record, retired: list[RecordRow], lines: list[dict[str, Value]]) -> list[Edit]:
    """Mark `retired` rows 已替换 and append `lines` ({column title: value}) below the last row."""
    edits: list[Edit] = []
    state = record.cols.get(STATE)
    if state is not None:
        edits += [CellBlock(SHEET, r.row + 1, state + 1, ((REPLACED,),)) for r in retired]
    if lines:
        placed = [c for t, c in record.cols.items() if any(t in line for line in lines)]
        left, right = min(placed), max(placed)
        by_col = {c: t for t, c in record.cols.items()}
        block = tuple(tuple(line.get(by_col.get(c, ""), None) for c in range(left, right + 1)) for line in lines)
        edits.append(CellBlock(SHEET, record.last_row + 2, left + 1, block))
    return edits
