"""Star thresholds in 参数 that leave scores without any star are a 参数 problem, not a silent 无星."""
from __future__ import annotations

from pathlib import Path

import pytest

from starbook import api
from starbook.edits import CellBlock
from starbook.grid import cell_name
from starbook.presets import ORDER
from starbook.xlsx.read import read_grids

from test_bad_input import assert_rejected, set_cells


def star_row(path: Path, star: str) -> int:
    """0-based row of `star` in the 参数 star table (星级, 最低分, 对应等次)."""
    grid = read_grids(path)["参数"]
    head = next(r for r, line in enumerate(grid) if list(line[:3]) == ["星级", "最低分", "对应等次"])
    return next(r for r in range(head + 1, len(grid)) if grid[r][0] == star)


def grade_row(path: Path, grade: str) -> int:
    grid = read_grids(path)["参数"]
    head = next(r for r, line in enumerate(grid) if list(line[:2]) == ["等次", "最低分"])
    return next(r for r in range(head + 1, len(grid)) if grid[r][0] == grade)


def test_a_five_star_line_above_the_top_grade(capsys, example):
    """分类定级: 好 starts at 90, only 五星级 is tied to 好; at 95, 90–94.99 好 would get no star."""
    r = star_row(example, "五星级")
    set_cells(example, CellBlock("参数", r + 1, 2, ((95,),)))
    assert_rejected(
        capsys, example,
        f"【参数】{cell_name(r, 1)}：等次“好”从 90 分起（{cell_name(grade_row(example, '好'), 1)}），"
        "但对应“好”的最低一档星级五星级从 95 分起：90～95 分（不含 95）的“好”得不到任何星级",
        "请把五星级的最低分改为 90",
    )


@pytest.mark.parametrize("preset", ["sandang", "qiannan"])
def test_scores_below_the_lowest_star_line(capsys, tmp_path, preset):
    """Without grades, the 无星 row at 0 is what gives low scores their (non-)star; raised, it leaves a gap."""
    book = tmp_path / f"{preset}.xlsm"
    api.new(preset, book, orgs=1)
    r = star_row(book, "无星")
    set_cells(book, CellBlock("参数", r + 1, 2, ((10,),)))
    assert_rejected(capsys, book, f"【参数】{cell_name(r, 1)}：星级表的最低一档无星从 10 分起：0～10 分（不含 10）的得分得不到任何星级")


def test_a_grade_band_whose_stars_start_too_high(capsys, example):
    """分类定级: 一般 (60–79.99) has 二星级 ≥70 and 一星级 ≥0; 一星级 at 65 leaves 60–64.99 一般 without a star."""
    r = star_row(example, "一星级")
    set_cells(example, CellBlock("参数", r + 1, 2, ((65,),)))
    assert_rejected(capsys, example, f"【参数】{cell_name(r, 1)}：等次“一般”从 60 分起", "60～65 分（不含 65）的“一般”得不到任何星级")


@pytest.mark.parametrize("preset", ORDER)
def test_every_preset_covers_every_score(tmp_path, preset):
    book = tmp_path / f"{preset}.xlsm"
    api.new(preset, book, orgs=0)
    assert not [p for p in api.check(book).problems if p.sheet == "参数"]
