"""Build examples/zhangji-2026.xlsm: one township, twelve branches, 分类定级.

The data are chosen so that every mechanism shows: five branches are graded 好,
so only floor(20% × 5) = 1 may be 五星级 ("对评定为'好'等次的基层党组织，从中
确定出五星级党组织，比例不超过20%"); 红旗村 and 向阳社区 tie on 94.70 for it and
the tie is broken by 党委评定得分; 东风村 scores highest but the township has
added a veto of its own in 参数 (the document lists none) and marked it in the
汇总表, so it stays 四星级 and takes no five-star place; nobody scores below 60,
so the 5% floor turns the lowest branch into 较差; 石桥村's ballot misses the 30%
turnout.

Run from the repository root:  python scripts/make_example.py
"""
from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starbook import api  # noqa: E402
from starbook.edits import CellBlock  # noqa: E402
from starbook.fill import FormFill, form_edits, item_scores, summary_rows  # noqa: E402
from starbook.grid import find_header  # noqa: E402
from starbook.presets import preset  # noqa: E402
from starbook.scheme import join_vetoes  # noqa: E402
from starbook.sheets import params as P  # noqa: E402
from starbook.xlsx.read import read_grids  # noqa: E402

OUT = ROOT / "examples" / "zhangji-2026.xlsm"

# The township's own veto (本镇党委自定), added to 参数 as a committee would: 分类定级's
# document lists none, so the preset ships none.
LOCAL_VETO = ("未完成镇党委部署的重点任务", "四星级")

# name, 类别, 党委评定, 自评, (应参评, 实际参评, 好, 较好, 一般, 较差), 上年星级, 否决事项
BRANCHES = [
    ("东风村党支部", "农村", "97", "98", (60, 40, 36, 4, 0, 0), "四星级", (LOCAL_VETO[0],)),
    ("红旗村党支部", "农村", "95", "96", (50, 30, 25, 5, 0, 0), "四星级", ()),
    ("向阳社区党支部", "城市社区", "94", "96", (40, 24, 21, 3, 0, 0), "三星级", ()),
    ("新华村党支部", "农村", "91", "93", (45, 30, 22, 6, 2, 0), "四星级", ()),
    ("长青村党支部", "农村", "92", "94", (50, 25, 20, 5, 0, 0), "三星级", ()),
    ("镇机关党支部", "机关事业单位", "86", "92", (18, 18, 12, 5, 1, 0), "三星级", ()),
    ("光明村党支部", "农村", "82", "88", (60, 20, 10, 6, 3, 1), "二星级", ()),
    ("幸福村党支部", "农村", "78", "85", (55, 20, 8, 7, 4, 1), "二星级", ()),
    ("和平村党支部", "农村", "74", "82", (40, 15, 5, 5, 4, 1), "一星级", ()),
    ("宏达公司党支部", "非公企业", "70", "80", (16, 16, 4, 6, 5, 1), None, ()),
    ("石桥村党支部", "农村", "66", "78", (50, 12, 2, 4, 4, 2), "一星级", ()),
    ("南岭村党支部", "农村", "80", "85", (45, 20, 9, 8, 3, 0), "二星级", ()),
]


def fills() -> list[FormFill]:
    scheme = preset("fenlei")
    points = [it.points for d in scheme.dimensions for it in d.items]
    out = []
    for name, kind, committee, own, ballot, last, vetoes in BRANCHES:
        roll, voted, good, fair, so_so, poor = ballot
        out.append(
            FormFill(
                name=name,
                category=kind,
                last_star=last,
                items={"党委评定": item_scores(points, Decimal(committee)), "自评": item_scores(points, Decimal(own))},
                votes={"党员群众测评": {"应参评人数": roll, "实际参评人数": voted, "好": good, "较好": fair, "一般": so_so, "较差": poor}},
            )
        )
    return out


def build(out: Path = OUT) -> Path:
    api.new("分类定级", out, orgs=len(BRANCHES), year=2026, overwrite=True)
    grids = read_grids(out)
    header_row, cols = find_header(grids[P.SHEET], *P.T_VETOES[1])
    edits = [CellBlock(P.SHEET, header_row + 2, cols[P.T_VETOES[1][0]] + 1, (LOCAL_VETO,))]
    # a veto the forms do not list is marked in the 汇总表 row
    marked = [{"党组织名称": name, "否决事项": join_vetoes(vetoes)} for name, *_, vetoes in BRANCHES if vetoes]
    edits.append(summary_rows(grids["汇总表"], marked))
    for i, fill in enumerate(fills(), start=1):
        sheet = f"量化评分表{i}"
        edits += form_edits(sheet, grids[sheet], fill)
    api.write_edits(out, out, edits)
    return out


if __name__ == "__main__":
    print(build())
