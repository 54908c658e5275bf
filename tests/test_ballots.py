"""导入测评票 (`starbook ballots`): real export files of every format into a real workbook."""
from __future__ import annotations

import csv
import hashlib
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from starbook import api
from starbook.cli import main
from starbook.edits import CellBlock
from starbook.fill import FormFill, form_cells, form_edits, item_scores
from starbook.grid import find_header
from starbook.presets import preset
from starbook.rules.scoring import vote_score
from starbook.sheets import params as P
from starbook.xlsx.read import read_grids

ORGS = ("东风村党支部", "红旗村党支部", "向阳社区党支部")
OPTIONS = ("好", "较好", "一般", "较差")
ROLL = (40, 30, 25)
# 24 ballots: each a row of answers (index into OPTIONS; None: the question was skipped)
BALLOTS = [
    (0, 0, 1), (0, 1, 1), (0, 0, 2), (1, 0, 0), (0, 2, 1), (0, 0, 3), (1, 1, 1), (0, 0, None),
    (2, 0, 1), (0, 3, 0), (0, 0, 1), (3, 1, 2), (0, None, 0), (1, 0, 1), (0, 0, 0), (0, 1, 2),
    (0, 0, 1), (2, 2, 2), (0, 0, 0), (1, 0, 1), (0, 1, 0), (0, 0, 3), (None, 0, 1), (0, 0, 0),
]


def expected(ballots=BALLOTS) -> dict[str, dict[str, int]]:
    out = {}
    for i, org in enumerate(ORGS):
        answers = Counter(OPTIONS[b[i]] for b in ballots if b[i] is not None)
        out[org] = {**{o: answers.get(o, 0) for o in OPTIONS}, "实际参评人数": sum(answers.values())}
    return out


@pytest.fixture
def book(tmp_path) -> Path:
    """`starbook new --scheme 分类定级 --orgs 3` with the three names, scores and rolls filled in."""
    path = tmp_path / "镇.xlsm"
    assert main(["new", "--scheme", "分类定级", "--orgs", "3", "-o", str(path)]) == 0
    points = [it.points for d in preset("fenlei").dimensions for it in d.items]
    grids = read_grids(path)
    edits = []
    for i, (org, roll) in enumerate(zip(ORGS, ROLL), start=1):
        fill = FormFill(name=org, category="农村", items={"党委评定": item_scores(points, Decimal(90 - i)), "自评": item_scores(points, Decimal(95 - i))},
                        votes={"党员群众测评": {"应参评人数": roll}})
        edits += form_edits(f"量化评分表{i}", grids[f"量化评分表{i}"], fill)
    api.write_edits(path, path, edits)
    return path


def counts_on_forms(path: Path) -> dict[str, dict[str, int]]:
    grids = read_grids(path)
    out = {}
    for i, org in enumerate(ORGS, start=1):
        grid = grids[f"量化评分表{i}"]
        cells = form_cells(grid).votes["党员群众测评"]
        out[org] = {label: (None if grid[r][c] == "" else int(grid[r][c])) for label, (r, c) in cells.items() if label != "应参评人数"}
    return out


# ---------------------------------------------------------------- export files, as the services write them

WJX_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]


def wjx_header() -> list[str]:
    return WJX_META + [f"{i + 1}、对{org}的评价" for i, org in enumerate(ORGS)]


def wjx_meta(n: int) -> list:
    return [n, f"2026/11/{10 + n % 10} 9:{n:02d}:00", f"{30 + n}秒", "手机提交", "直接访问", f"36.1.2.{n}(贵州-黔南)"]


def wjx_text_xlsx(path: Path, ballots=BALLOTS) -> Path:
    """问卷星 “按选项文本下载” .xlsx."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(wjx_header())
    for n, b in enumerate(ballots, start=1):
        ws.append(wjx_meta(n) + [OPTIONS[a] if a is not None else "(跳过)" for a in b])
    wb.save(path)
    return path


def wjx_number_csv(path: Path, ballots=BALLOTS) -> Path:
    """问卷星 “按选项序号下载” .csv, GBK-encoded."""
    with path.open("w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(wjx_header())
        for n, b in enumerate(ballots, start=1):
            w.writerow(wjx_meta(n) + [a + 1 if a is not None else -3 for a in b])
    return path


def tencent_csv(path: Path, ballots=BALLOTS) -> Path:
    """腾讯问卷 CSV (UTF-8 with BOM): a matrix question repeated over its columns, organizations below, answers “A.好”."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "开始答题时间", "结束答题时间", "答题时长", *["1.请对以下党组织作出评价（矩阵单选题）"] * 3])
        w.writerow(["", "", "", "", *ORGS])
        for n, b in enumerate(ballots, start=1):
            w.writerow([n, "2026-11-12 09:00:00", "2026-11-12 09:01:10", "70秒",
                        *(f"{'ABCD'[a]}.{OPTIONS[a]}" if a is not None else "" for a in b)])
    return path


def plain_xlsx(path: Path, ballots=BALLOTS, tickets=None) -> Path:
    """A ballot-by-ballot table typed by hand: one column per organization."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["党员群众测评票登记表"])
    ws.append((["票号"] if tickets else []) + list(ORGS))
    for n, b in enumerate(ballots):
        ws.append(([tickets[n]] if tickets else []) + [OPTIONS[a] if a is not None else None for a in b])
    wb.save(path)
    return path


def tally_xlsx(path: Path, counts: dict[str, dict[str, int]]) -> Path:
    """A paper count: one row per organization."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["党组织名称", *OPTIONS, "实际参评人数"])
    for org, c in counts.items():
        ws.append([org, *(c[o] for o in OPTIONS), c["实际参评人数"]])
    ws.append(["合计", *(sum(c[o] for c in counts.values()) for o in OPTIONS), None])
    wb.save(path)
    return path


MAKERS = {
    "问卷星文本xlsx": lambda d: wjx_text_xlsx(d / "问卷星-按文本.xlsx"),
    "问卷星序号csv": lambda d: wjx_number_csv(d / "问卷星-按序号.csv"),
    "腾讯问卷csv": lambda d: tencent_csv(d / "腾讯问卷.csv"),
    "逐票登记表": lambda d: plain_xlsx(d / "登记表.xlsx"),
    "计票表": lambda d: tally_xlsx(d / "计票表.xlsx", expected()),
}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_every_format_gives_the_same_counts(book, tmp_path, kind, capsys):
    export = MAKERS[kind](tmp_path)
    assert main(["ballots", str(book), str(export)]) == 0, capsys.readouterr().err
    assert counts_on_forms(book) == expected()
