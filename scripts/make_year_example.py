"""Build examples/year-2026/: the inputs of the README's worked example of a whole year.

One township (张纪镇, 12 organizations, 分类定级) goes through the year:

- 张纪镇2026.xlsm: the committee's book as it stands once the year's scoring is in:
  made by `starbook new --orgs 0`, the 12 organizations typed into the 汇总表 (名称, 类别,
  上年星级), their forms made by `starbook forms`, then what the committee typed into the
  forms: 党委评定, each branch's 应参评人数 (the roll of the 问卷星 ballot), and the 自评 of
  the nine branches that handed in paper forms.
- 支部来件/: the workbooks three branches sent back, each the book `starbook distribute`
  gave it with its 自评 and 申报星级 filled in.
- 问卷星-党员群众测评.csv: the online ballot for all 12, as 问卷星's “按选项文本下载” .csv
  (GBK), one row per voter who answered the question of their own organization.

The scores are those of examples/zhangji-2026.xlsm (scripts/make_example.py) without its
local veto. Cells are typed with starbook.fill, by the titles the parsers read, as a
cadre's Excel would. tests/test_year.py builds the same year from these functions.

Run from the repository root:  python scripts/make_year_example.py
"""
from __future__ import annotations

import csv
import shutil
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_example import BRANCHES  # noqa: E402
from starbook import api  # noqa: E402
from starbook.edits import CellBlock, Edit  # noqa: E402
from starbook.fill import FormFill, form_edits, item_scores, summary_rows  # noqa: E402
from starbook.presets import preset  # noqa: E402
from starbook.roster import members  # noqa: E402
from starbook.sheets import params as P  # noqa: E402
from starbook.xlsx.read import read_grids  # noqa: E402

OUT = ROOT / "examples" / "year-2026"
BOOK = "张纪镇2026.xlsm"
RETURNS = "支部来件"
EXPORT = "问卷星-党员群众测评.csv"
ISSUER = "中共张纪镇委员会"
# The branches that send their own workbook back, and the star each declares with its 自评.
RETURNED = {"东风村党支部": "五星级", "向阳社区党支部": "五星级", "石桥村党支部": "二星级"}
OPTIONS = ("好", "较好", "一般", "较差")

BY_NAME = {b[0]: b for b in BRANCHES}


def _points() -> list[Decimal]:
    return [it.points for d in preset("fenlei").dimensions for it in d.items]


def roster_edits(path: Path) -> list[Edit]:
    """The 12 organizations typed into a new book's 汇总表 (名称, 类别, 上年星级), and the 发布单位 in 参数."""
    grids = read_grids(path)
    rows = [{"党组织名称": name, "类别": kind, "上年星级": last or ""} for name, kind, _, _, _, last, _ in BRANCHES]
    at = P.setting_cell(grids[P.SHEET], "发布单位")
    return [summary_rows(grids["汇总表"], rows), CellBlock(P.SHEET, at[0] + 1, at[1] + 1, ((ISSUER,),))]


def township(out: Path) -> Path:
    """`starbook new --orgs 0`, the 12 organizations typed into its 汇总表, `starbook forms`."""
    api.new("分类定级", out, orgs=0, year=2026)
    api.write_edits(out, out, roster_edits(out))
    written, problems = api.forms(out)
    assert written == out and not [p for p in problems if p.severity == "错误"], problems
    return out


def _forms_by_name(path: Path) -> tuple[dict, dict[str, str]]:
    grids = read_grids(path)
    return grids, {m.name: m.form for m in members(grids) if m.form}


def committee_edits(path: Path, *, own_scores_of=()) -> list[Edit]:
    """What the committee types into its forms: 党委评定 and 应参评人数 for every organization,
    and the 自评 of the branches in `own_scores_of` (their paper forms)."""
    grids, forms = _forms_by_name(path)
    edits: list[Edit] = []
    for name, (_, _, committee, own, ballot, _, _) in BY_NAME.items():
        items = {"党委评定": item_scores(_points(), Decimal(committee))}
        if name in own_scores_of:
            items["自评"] = item_scores(_points(), Decimal(own))
        fill = FormFill(name, items=items, votes={"党员群众测评": {"应参评人数": ballot[0]}})
        edits += form_edits(forms[name], grids[forms[name]], fill)
    return edits


def branch_edits(path: Path, name: str, declared: str) -> list[Edit]:
    """What a branch types into the workbook it was given: its 自评 and 申报星级."""
    grids, forms = _forms_by_name(path)
    own = BY_NAME[name][3]
    return form_edits(forms[name], grids[forms[name]], FormFill(name, items={"自评": item_scores(_points(), Decimal(own))}, declared=declared))


def wjx_export(path: Path) -> Path:
    """问卷星 “按选项文本下载” .csv (GBK): each voter answers the question of their own organization."""
    names = [b[0] for b in BRANCHES]
    header = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"] + [f"{i + 1}、对{n}的评价" for i, n in enumerate(names)]
    rows = []
    for k, name in enumerate(names):
        _, voted, *counts = BY_NAME[name][4]
        assert sum(counts) == voted
        for option, n in zip(OPTIONS, counts):
            for _ in range(n):
                answers = ["(跳过)"] * len(names)
                answers[k] = option
                rows.append(answers)
    with path.open("w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for n, answers in enumerate(rows, start=1):
            meta = [n, f"2026/11/{10 + n % 10} {8 + n % 9}:{n % 60:02d}:00", f"{30 + n % 90}秒", "手机提交", "直接访问", f"36.1.{n // 250}.{n % 250}(河北-张家口)"]
            w.writerow(meta + answers)
    return path


def build(out: Path = OUT) -> Path:
    if out.exists():
        shutil.rmtree(out)
    (out / RETURNS).mkdir(parents=True)
    book = township(out / BOOK)
    with tempfile.TemporaryDirectory() as tmp:
        written, problems = api.distribute(book, Path(tmp) / "分发")
        assert len(written) == len(BRANCHES) and not problems, problems
        for name, declared in RETURNED.items():
            path = Path(tmp) / "分发" / f"{name}.xlsm"
            api.write_edits(path, out / RETURNS / path.name, branch_edits(path, name, declared))
    paper = [name for name in BY_NAME if name not in RETURNED]
    api.write_edits(book, book, committee_edits(book, own_scores_of=paper))
    wjx_export(out / EXPORT)
    return out


if __name__ == "__main__":
    print(build())
