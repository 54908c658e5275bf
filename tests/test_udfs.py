"""Each worksheet function against the core function the command line uses."""
from __future__ import annotations

from decimal import Decimal as D

from starbook.presets import preset
from starbook.rules.rating import OrgInput, rate_organizations
from starbook.rules.scoring import vote_score
from udfs import starbook_udfs as U

FENLEI = preset("fenlei")


def test_udfs_carry_the_common_prefix_and_document_an_example_formula():
    # Registration itself (xlwings.udfs) needs pywin32 and runs only on Windows.
    names = [n for n in dir(U) if n.startswith("SB_")]
    assert names == ["SB_FINAL", "SB_GRADE", "SB_QUOTASTARS", "SB_STAR", "SB_SUBTOTAL", "SB_VOTESCORE"]
    for n in names:
        assert f"={n}(" in getattr(U, n).__doc__, n


def test_subtotal_is_capped_and_rounded():
    assert U.SB_SUBTOTAL([8, 9], 15) == 15.0
    assert U.SB_SUBTOTAL([7.5, 6.25, None], 15) == 13.75
    assert U.SB_SUBTOTAL([9, 1], 8).startswith("#错误：得分 9 超出范围")


def test_vote_score_is_the_core_formula():
    assert U.SB_VOTESCORE(30, 10, 5, 5) == float(vote_score({"好": 30, "较好": 10, "一般": 5, "较差": 5}, FENLEI)) == 76.0
    assert U.SB_VOTESCORE(2, 1, 0, 0) == 86.67
    assert U.SB_VOTESCORE(0, 0, 0, 0) == "#错误：没有有效票"
    assert U.SB_VOTESCORE("三十", 1, 0, 0) == "#错误：“好”票数「三十」不是数字"


def test_final_score_is_exact():
    assert U.SB_FINAL([85.1, 95.5, 94.0], [0.5, 0.3, 0.2]) == 90.0
    assert U.SB_FINAL([85.1, 95.5, 94.0], ["50%", "30%", "20%"]) == 90.0
    assert U.SB_FINAL([90, 90], [0.5, 0.3]) == "#错误：权重合计为 80%，不等于100%"
    assert U.SB_FINAL([90, 90, 90], [0.5, 0.5]).startswith("#错误：得分 3 个，权重 2 个")


def test_grade_and_star_by_tables():
    grades = [["好", 90], ["较好", 80], ["一般", 60], ["较差", 0]]
    assert [U.SB_GRADE(x, grades) for x in (90, 89.99, 60, 59.99)] == ["好", "较好", "一般", "较差"]
    stars = [["五星级", 95, None], ["四星级", 90, None], ["三星级", 80, None], ["无星", 0, None]]
    assert [U.SB_STAR(x, stars) for x in (95, 94.99, 80, 10)] == ["五星级", "四星级", "三星级", "无星"]
    fenlei = [[r.star, float(r.min_score), r.grade] for r in FENLEI.star_rules]
    assert U.SB_STAR(75, fenlei, "一般") == "二星级"
    assert U.SB_STAR(75, [["六星级", 0]]) == "#错误：“六星级”不是星级"
    assert U.SB_GRADE(101, grades).startswith("#错误：综合得分 101 超出范围")


def test_quota_stars_match_the_core_rating():
    finals = [97.3, 95.5, 92.9, 90.9, 86.1, 83.6, 81.6, 77.5, 75.3, 71.6, 68.0, 64.6]
    ties = [[f, f] for f in finals]
    got = U.SB_QUOTASTARS(finals, ties, "分类定级")
    core = rate_organizations(FENLEI, [OrgInput(str(i), {"党委评定": D(str(f)), "党员群众测评": D(str(f)), "自评": D(str(f))}) for i, f in enumerate(finals)])
    assert got == [[r.star for r in core.results]]
    # 4 graded 好: floor(20% × 4) = 0 five-star places, the base being those graded 好
    assert got[0][:4] == ["四星级", "四星级", "四星级", "四星级"] and got[0][-1] == "无星"



def test_quota_ties_are_pending():
    # ten graded 好: floor(20% × 10) = 2 places; 98 takes one, the two 95s tie for the other
    got = U.SB_QUOTASTARS([98, 95, 95, 94, 93, 92, 91, 90, 90, 90, 70, 65], [[1], [2], [2], [1], [1], [1], [1], [1], [1], [1], [1], [1]])
    assert got[0][0] == "五星级" and got[0][1] == got[0][2] == "待定"
