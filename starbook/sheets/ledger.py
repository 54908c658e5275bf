"""The 整改台账: one block per organization to rectify, kept across ratings.

Seed 004 asks for each 后进 organization a ledger of "存在主要问题、整改措施、完成时限、
责任人员", closed item by item ("挂牌销号"). The cadres type into the blocks, so 定星
never clears this sheet: it appends a block for an organization newly on the 整改名单,
refreshes the few result cells of each block (类别, 等次/星级, 列入原因, 名单状态) and
marks a block whose organization left the list instead of deleting it.

A block is found by its first cell, 党组织名称 in column A with the name on its right;
everything else in it is the cadres'.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..edits import CellBlock, Edit
from ..grid import Grid, Value, cell_at, is_blank, text
from ..problems import WARNING, Problem

SHEET = "整改台账"
L_NAME, L_KIND, L_RESULT, L_REASON, L_STATUS = "党组织名称", "类别", "等次/星级", "列入原因", "名单状态"
COLUMNS = ("序号", "存在主要问题", "整改措施", "完成时限", "责任人", "整改情况", "销号")
ON_LIST, OFF_LIST = "在整改名单", "已不在整改名单"
BLANK_LINES = 3  # numbered lines a new block starts with; cadres insert more rows as they need
FIRST_BLOCK_ROW = 3  # 0-based: below the title, the issuer line and a blank row
BLOCK_ROWS = 3 + BLANK_LINES  # head, reason, header, lines


@dataclass(frozen=True)
class Entry:
    """An organization on this rating's 整改名单."""

    name: str
    category: str
    result: str  # "等次 / 星级"
    reason: str


def block_rows(entry: Entry, status: str = ON_LIST) -> tuple[tuple[Value, ...], ...]:
    """The cells of a new block (7 columns), as the builder and 定星 write it."""
    return (
        (L_NAME, entry.name, L_KIND, entry.category, L_RESULT, entry.result, ""),
        (L_REASON, entry.reason, "", "", L_STATUS, status, ""),
        COLUMNS,
        *((n + 1, "", "", "", "", "", "") for n in range(BLANK_LINES)),
    )


def find_blocks(grid: Grid) -> dict[str, int]:
    """Each organization's block (0-based row of its 党组织名称 line); the first one wins."""
    blocks: dict[str, int] = {}
    for r, line in enumerate(grid):
        if line and text(line[0]) == L_NAME and not is_blank(cell_at(grid, r, 1)):
            blocks.setdefault(text(cell_at(grid, r, 1)), r)
    return blocks


def ledger_edits(grids, entries: Sequence[Entry], results: dict[str, str]) -> tuple[list[Edit], list[Problem]]:
    """Edits that bring the 整改台账 up to this rating without touching what cadres typed.

    `results` gives every rated organization's "等次 / 星级", so a block whose
    organization left the list still shows its latest result.
    """
    if SHEET not in grids:
        if not entries:
            return [], []
        return [], [Problem(SHEET, "", f"工作簿中没有“{SHEET}”表，{len(entries)}个整改党组织的台账没有生成",
                            f"请用 starbook new 生成新工作簿，把本工作簿的数据复制过去；或从模板复制“{SHEET}”表", WARNING)]
    grid = grids[SHEET]
    blocks = find_blocks(grid)
    edits: list[Edit] = []

    def put(row: int, col: int, value: Value) -> None:
        if cell_at(grid, row, col) != value:
            edits.append(CellBlock(SHEET, row + 1, col + 1, ((value,),)))

    listed = {e.name for e in entries}
    for e in entries:
        r = blocks.get(e.name)
        if r is None:
            continue
        put(r, 3, e.category)
        put(r, 5, e.result)
        put(r + 1, 1, e.reason)
        put(r + 1, 5, ON_LIST)
    for name, r in blocks.items():
        if name in listed:
            continue
        if name in results:
            put(r, 5, results[name])
        put(r + 1, 5, OFF_LIST)
    last = max((r for r, line in enumerate(grid) if any(not is_blank(v) for v in line)), default=-1)
    fresh: list[tuple[Value, ...]] = []
    for e in entries:
        if e.name not in blocks:
            fresh += [*block_rows(e), ("",) * len(COLUMNS)]
    if fresh:  # one block of cells however many organizations: one action in live Excel
        edits.append(CellBlock(SHEET, max(last + 2, FIRST_BLOCK_ROW) + 1, 1, tuple(fresh[:-1])))
    return edits, []


# 全县重点整顿的后进党组织调查摸底表 (seed 001, 附件3). The seed names the annex without its
# columns; these follow what the same notice asks to survey ("重点调查党组织设置是否合理、
# 领导班子是否健全、组织制度是否完善、经费场所保障是否落实、作用发挥是否充分").
SURVEY_SHEET = "后进党组织调查摸底表"
SURVEY_TITLE = "全县重点整顿的后进党组织调查摸底表"
SURVEY_COLUMNS = ("序号", "党组织名称", "类别", "党员人数", "党组织书记", "组织设置是否合理", "领导班子是否健全",
                  "组织制度是否完善", "经费场所保障是否落实", "作用发挥是否充分", "后进主要表现", "整顿措施", "包联领导")
