"""The 汇总表 parser's column-wise fast path never skips a check of its general loop.

Grids are the real 汇总表 of `starbook new` with random rows below its header:
valid scores, out-of-range, text, numeric text, blanks, dates, booleans, error
values, duplicates. Both paths must give the same problems and the same rows.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from starbook import api
from starbook.grid import UNCALCULATED, CellError
from starbook.sheets.params import parse_params
from starbook.sheets.summary import parse_summary
from starbook.xlsx.read import read_grids

from test_bad_input import assert_rejected, set_cells  # noqa: E402
from starbook.fill import summary_rows

NAMES = ["一村", "二村", "三村", "四村", "五村", "六村", "七村", "八村"]


@pytest.fixture(scope="module", params=["fenlei", "wuxing", "sandang"])
def book(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("paths") / f"{request.param}.xlsm"
    api.new(request.param, path, orgs=0)
    grids = read_grids(path)
    scheme, problems = parse_params(grids["参数"])
    assert scheme is not None, problems
    header = next(line for line in grids["汇总表"] if "党组织名称" in line)
    return scheme, [list(header)]


def _bad(rng: random.Random):
    return rng.choice([
        105, -3, 100.001, "八十", "90", " 85.5 ", "", None, "   ", datetime(2026, 1, 2), date(2026, 1, 2), True, False,
        CellError("#DIV/0!"), CellError("#N/A"), "#N/A", UNCALCULATED, float("nan"), "NaN", "Infinity", 1e300,
    ])


def _score(rng: random.Random, top: int = 100):
    return rng.choice([rng.randint(0, top), round(rng.uniform(0, top), rng.choice([0, 1, 2, 3])), Decimal(rng.randint(0, top))])


def _grid(rng: random.Random, scheme, header: list) -> list[list]:
    titles = [str(t) if t is not None else "" for t in header]
    veto_names = [v.name for v in scheme.vetoes] + [v.code for v in scheme.vetoes if v.code]
    tops = {f"{d.name}得分": int(d.points) for d in scheme.dimensions}
    clean = rng.random() < 0.5  # half the grids are clean but for a few cells: the fast path's case
    rows = []
    for i in range(rng.randint(0, len(NAMES))):
        line = []
        for t in titles:
            if t == "党组织名称":
                v = NAMES[i] if clean else rng.choice(NAMES + ["", None, CellError("#REF!"), 7, date(2026, 5, 1)])
            elif t == "序号":
                v = rng.choice([i + 1, None, "", CellError("#VALUE!")])
            elif t == "类别":
                v = rng.choice(["农村", "", None] + ([] if clean else [CellError("#NAME?"), 3, datetime(2026, 1, 2)]))
            elif t == "上年星级":
                v = rng.choice(["三星级", "", None] + ([] if clean else ["四颗星", CellError("#REF!"), 4, time(9, 30)]))
            elif t == "否决事项":
                v = "" if clean or not veto_names else rng.choice(
                    ["", None, rng.choice(veto_names), "；".join(rng.sample(veto_names, min(2, len(veto_names)))), "不存在的事项", "无", CellError("#N/A")]
                )
            elif t.endswith("得分") and t not in ("综合得分",):
                v = _score(rng, tops.get(t, 100)) if clean or rng.random() < 0.7 else _bad(rng)
            else:
                v = rng.choice(["", None, "x"]) if not clean else ""
            line.append(v)
        rows.append(line)
    if clean and rows and rng.random() < 0.6:  # one perturbed cell
        r, c = rng.randrange(len(rows)), rng.randrange(len(titles))
        rows[r][c] = _bad(rng)
    if rng.random() < 0.3 and rows:  # ragged rows, as a hand-made grid may have
        rows[rng.randrange(len(rows))] = rows[0][: rng.randint(1, len(titles))]
    return rows


def test_fast_and_general_paths_agree(book):
    scheme, header = book
    rng = random.Random(2026)
    taken = 0
    for _ in range(1500):
        grid = header + _grid(rng, scheme, header[0])
        forms = set(rng.sample(NAMES, rng.randint(0, 2)))
        fast, fast_problems = parse_summary(grid, scheme, form_names=forms)
        slow, slow_problems = parse_summary(grid, scheme, form_names=forms, fast=False)
        assert fast_problems == slow_problems, grid
        assert (fast is None) == (slow is None)
        if fast is not None:
            taken += fast.plain is not None
            assert slow.plain is None
            assert (fast.header_row, fast.columns, fast.last_row, fast.width) == (slow.header_row, slow.columns, slow.last_row, slow.width)
            assert fast.rows == slow.rows, grid
    assert taken > 100  # the fast path was exercised, not just the general loop


@pytest.mark.parametrize("score, shown", [(105, "105"), (-3, "-3")])
def test_out_of_range_score_in_the_summary_is_reported(capsys, tmp_path, score, shown):
    book = tmp_path / "typed.xlsm"
    api.new("分类定级", book, orgs=0)
    grid = read_grids(book)["汇总表"]
    rows = [{"党组织名称": "一村", "党委评定得分": score, "党员群众测评得分": 90, "自评得分": 90},
            {"党组织名称": "二村", "党委评定得分": 80, "党员群众测评得分": 90, "自评得分": 90}]
    set_cells(book, summary_rows(grid, rows))
    assert_rejected(capsys, book, f"【汇总表】D4：一村的党委评定得分 {shown} 超出范围 0～100", "请改为 0 到 100 之间的分数")
