"""Every rule of DOMAIN.md, each with a worked example computed by hand."""
from dataclasses import replace
from decimal import Decimal as D

import pytest

from starbook.presets import find_preset, preset
from starbook.rules.grading import grade_for, star_for, veto_cap
from starbook.rules.movement import movement
from starbook.rules.rating import OrgInput, rate_organizations
from starbook.rules.scoring import (
    dimension_subtotal,
    evaluator_total,
    final_score,
    required_turnout,
    satisfaction,
    vote_score,
)
from starbook.scheme import BASE_ALL, PENDING, UpgradeTarget, Veto

FENLEI = preset("fenlei")
QIANNAN = preset("qiannan")
# The five-star cap on all organizations instead of those graded 好 (a setting).
FENLEI_ALL = replace(FENLEI, five_star_base=BASE_ALL)
# Vetoes a committee adds itself: no preset but 三档星级 ships any.
LOCAL_VETOES = (Veto("违纪违法", "无星"), Veto("未完成重点任务", "三星级"))


def org(name, committee, vote, own, **kw):
    return OrgInput(name, {"党委评定": D(committee), "党员群众测评": D(vote), "自评": D(own)}, **kw)


def by_name(rating):
    return {r.name: r for r in rating.results}


# ------------------------------------------------------------------ scores


def test_final_score_is_exact_decimal_and_graded_as_shown():
    # DOMAIN.md: 85.1 / 95.5 / 94.0 under 50/30/20 is exactly 90.00 → 好,
    # although naive float arithmetic gives 89.999999….
    assert 85.1 * 0.5 + 95.5 * 0.3 + 94.0 * 0.2 < 90
    scores = {"党委评定": D("85.1"), "党员群众测评": D("95.5"), "自评": D("94.0")}
    final = final_score(scores, FENLEI.evaluators, FENLEI)
    assert final == D("90.00") and str(final) == "90.00"
    assert grade_for(final, FENLEI) == "好"


def test_final_score_rounds_half_up_to_two_decimals():
    # 80.01×0.5 + 70.01×0.3 + 60.01×0.2 = 40.005 + 21.003 + 12.002 = 73.01
    scores = {"党委评定": D("80.01"), "党员群众测评": D("70.01"), "自评": D("60.01")}
    assert final_score(scores, FENLEI.evaluators, FENLEI) == D("73.01")
    # 80.05×0.5 = 40.025 → the total 40.025 + 0 + 0 rounds half up to 40.03
    scores = {"党委评定": D("80.05"), "党员群众测评": D("0"), "自评": D("0")}
    assert final_score(scores, FENLEI.evaluators, FENLEI) == D("40.03")
    even = replace(FENLEI, rounding="四舍六入五成双")
    assert final_score(scores, even.evaluators, even) == D("40.02")


def test_dimension_subtotal_is_capped_at_the_dimension_points():
    assert dimension_subtotal([D(8), D(9)], D(15), FENLEI) == D("15.00")
    assert dimension_subtotal([D("7.5"), D("6.25")], D(15), FENLEI) == D("13.75")
    assert evaluator_total([D("13.75"), D("15.00"), D("14")], FENLEI) == D("42.75")


def test_vote_score_formula_of_seed_001():
    # 30 好, 10 较好, 5 一般, 5 较差 of 50: (3000 + 600 + 150 + 50) / 50 = 76
    counts = {"好": 30, "较好": 10, "一般": 5, "较差": 5}
    assert vote_score(counts, FENLEI) == D("76.00")
    # 2 好, 1 较好 of 3: (200 + 60) / 3 = 86.666… → 86.67
    assert vote_score({"好": 2, "较好": 1, "一般": 0, "较差": 0}, FENLEI) == D("86.67")
    assert satisfaction(counts, FENLEI) == D("0.8000")


def test_turnout_needs_thirty_percent_or_everyone_under_twenty():
    assert required_turnout(50, FENLEI) == 15  # ceil(30% × 50)
    assert required_turnout(51, FENLEI) == 16  # ceil(15.3)
    assert required_turnout(20, FENLEI) == 6
    assert required_turnout(19, FENLEI) == 19  # fewer than 20 on the roll: all of them


# ------------------------------------------------------------------ grades and stars


@pytest.mark.parametrize(
    "score, star",
    [("95", "五星级"), ("94.99", "四星级"), ("90", "四星级"), ("89.99", "三星级"), ("80", "三星级"),
     ("79.99", "二星级"), ("70", "二星级"), ("69.99", "一星级"), ("60", "一星级"), ("59.99", "无星")],
)
def test_qiannan_thresholds_are_inclusive_lower_bounds(score, star):
    assert star_for(D(score), grade_for(D(score), QIANNAN), QIANNAN) == star


@pytest.mark.parametrize(
    "score, grade, star",
    [("90", "好", "五星级"), ("89.99", "较好", "三星级"), ("80", "较好", "三星级"), ("79.99", "一般", "二星级"),
     ("70", "一般", "二星级"), ("69.99", "一般", "一星级"), ("60", "一般", "一星级"), ("59.99", "较差", "无星")],
)
def test_fenlei_grade_to_star_with_the_seventy_split(score, grade, star):
    assert grade_for(D(score), FENLEI) == grade
    assert star_for(D(score), grade, FENLEI) == star


def test_wujiwuping_five_grades():
    s = preset("wujiwuping")
    assert [grade_for(D(x), s) for x in ("95", "94", "85", "84.99", "75", "60", "59")] == ["很好", "好", "好", "较好", "较好", "一般", "差"]
    assert star_for(D("86"), "好", s) == "四星级"


def test_sandang_below_75_has_no_star():
    s = preset("sandang")
    assert [star_for(D(x), None, s) for x in ("95", "85", "84.99", "75", "74.99")] == ["五星级", "四星级", "三星级", "三星级", "无星"]


def test_wuxing_one_star_per_dimension_reached():
    s = preset("wuxing")  # five 20-point dimensions, reached at 80% = 16 points
    orgs = [
        OrgInput("甲", {"考核": D(90)}, dimension_scores=(D(16), D(18), D(20), D(16), D(20))),
        OrgInput("乙", {"考核": D(70)}, dimension_scores=(D(16), D("15.99"), D(20), D(10), D(9))),
    ]
    res = by_name(rate_organizations(s, orgs))
    assert res["甲"].star == "五星级"
    assert res["乙"].star == "二星级"
    assert res["乙"].reached == ("理论学习星", "党建活动星")


def test_veto_caps_the_star():
    local = replace(FENLEI, vetoes=LOCAL_VETOES)
    star, lowered = veto_cap("五星级", ["未完成重点任务"], local)
    assert star == "三星级" and [v.name for v in lowered] == ["未完成重点任务"]
    assert veto_cap("二星级", ["未完成重点任务"], local) == ("二星级", [])
    sandang = preset("sandang")
    assert veto_cap("五星级", [sandang.vetoes[3].name], sandang)[0] == "四星级"


# ------------------------------------------------------------------ quotas


def twelve():
    """Twelve branches; four graded 好, none 较差."""
    return [
        org("一村", 98, 97, 96), org("二村", 96, 95, 95), org("三村", 93, 92, 94), org("四村", 91, 90, 92),
        org("五村", 85, 88, 86), org("六村", 84, 82, 85), org("七村", 82, 80, 83), org("八村", 78, 75, 80),
        org("九村", 75, 74, 78), org("十村", 70, 72, 75), org("社区", 66, 70, 70), org("企业", 63, 65, 68),
    ]


def test_five_star_cap_of_twenty_percent_keeps_the_highest():
    res = by_name(rate_organizations(FENLEI_ALL, twelve()))
    # floor(20% × 12) = 2 places
    assert [n for n, r in res.items() if r.star == "五星级"] == ["一村", "二村"]
    for n in ("三村", "四村"):
        assert res[n].base_star == "五星级" and res[n].star == "四星级"
        assert "五星级名额已满（上限2个" in res[n].note_text and "调整为四星级" in res[n].note_text
    assert res["一村"].note_text == ""


def test_five_star_cap_counts_those_graded_hao_by_default():
    # “对评定为‘好’等次的基层党组织，从中确定出五星级党组织，比例不超过20%”
    res = by_name(rate_organizations(FENLEI, twelve()))
    # 4 graded 好: floor(20% × 4) = 0 places
    assert not [r for r in res.values() if r.star == "五星级"]
    assert res["一村"].star == "四星级"
    assert "上限0个，评为好的4个党组织的20%" in res["一村"].note_text
    five = twelve()
    five[4] = org("五村", 91, 90, 90)  # 45.5 + 27 + 18 = 90.50: a fifth 好
    res = by_name(rate_organizations(FENLEI, five))
    # floor(20% × 5) = 1 place, for the highest score
    assert [n for n, r in res.items() if r.star == "五星级"] == ["一村"]
    assert "上限1个，评为好的5个党组织的20%" in res["二村"].note_text


def test_bottom_floor_turns_the_lowest_into_kjiaocha():
    res = by_name(rate_organizations(FENLEI, twelve()))
    # ceil(5% × 12) = 1 must be 较差; none scored below 60, so the lowest moves
    low = res["企业"]
    assert (low.grade, low.base_star, low.star) == ("较差", "一星级", "无星")
    assert "较差等次不少于5%（至少1个）" in low.note_text
    assert res["社区"].grade == "一般"
    assert low.rectify == ("等次为较差",)


def test_floor_not_applied_when_enough_are_already_kjiaocha():
    orgs = twelve()[:-1] + [org("企业", 50, 50, 50)]
    res = by_name(rate_organizations(FENLEI, orgs))
    assert res["企业"].grade == "较差" and res["企业"].note_text == ""
    assert res["社区"].grade == "一般"


def test_ties_at_the_cut_are_broken_by_committee_then_vote():
    orgs = twelve()
    orgs[1] = org("二村", 96, 96, 94.5)  # 48 + 28.8 + 18.9 = 95.70
    orgs[2] = org("三村", 95, 97, 95.5)  # 47.5 + 29.1 + 19.1 = 95.70
    res = by_name(rate_organizations(FENLEI_ALL, orgs))
    assert res["二村"].final == res["三村"].final == D("95.70")
    assert res["二村"].star == "五星级"
    assert res["三村"].star == "四星级"


def test_ties_that_rules_cannot_break_are_pending():
    orgs = twelve()
    orgs[2] = org("三村", 96, 95, 95)  # identical to 二村 in every compared score
    res = by_name(rate_organizations(FENLEI_ALL, orgs))
    assert res["一村"].star == "五星级"
    assert res["二村"].star == res["三村"].star == PENDING
    assert "待党委研究确定" in res["二村"].note_text and "三村" in res["二村"].note_text
    assert res["二村"].approving == "" and res["二村"].movement == ""


def test_tie_at_the_floor_cut_is_pending():
    orgs = twelve()[:-1] + [org("企业", 66, 70, 70)]  # equal to 社区 in every compared score
    res = by_name(rate_organizations(FENLEI, orgs))
    assert res["企业"].star == res["社区"].star == PENDING
    assert "较差名额" in res["企业"].note_text


def test_vetoed_organization_does_not_take_a_five_star_place():
    orgs = twelve()
    orgs[0] = org("一村", 98, 97, 96, vetoes=("违纪违法",))
    res = by_name(rate_organizations(replace(FENLEI_ALL, vetoes=LOCAL_VETOES), orgs))
    assert res["一村"].star == "无星" and "违纪违法" in res["一村"].note_text
    assert [n for n, r in res.items() if r.star == "五星级"] == ["二村", "三村"]


# ------------------------------------------------------------------ movement, approval, targets


def test_movement_against_last_year():
    assert movement("五星级", "三星级") == "升2级"
    assert movement("三星级", "三星级") == "持平"
    assert movement("无星", "二星级") == "降2级"
    assert movement("四星级", None) == ""


def test_approving_bodies_of_fenlei():
    res = by_name(rate_organizations(FENLEI_ALL, twelve()))
    assert res["一村"].approving == "市委"
    assert res["三村"].approving == "县委"
    assert res["五村"].approving == "县委"  # 三星级
    assert res["九村"].approving == "乡镇党委"  # 二星级
    assert res["企业"].approving == "乡镇党委"  # 无星


def test_distribution_and_upgrade_targets_are_reported():
    orgs = [replace(o, last_star="三星级") if o.name in ("一村", "五村") else o for o in twelve()]
    orgs = [replace(o, last_star="二星级") if o.name in ("九村", "十村", "社区") else o for o in orgs]
    # 黔南's distribution targets and the one-time 晋位升级 targets, both set by hand here
    scheme = replace(
        FENLEI_ALL,
        distribution_targets=QIANNAN.distribution_targets,
        upgrade_targets=(
            UpgradeTarget("较好", ("三星级",), D("0.5")),
            UpgradeTarget("一般", ("二星级", "一星级"), D("0.6")),
            UpgradeTarget("较差", ("无星",), D("0.7")),
        ),
    )
    rating = rate_organizations(scheme, orgs)
    dist = {t.label: t for t in rating.distribution}
    assert (dist["五星级占比"].count, dist["五星级占比"].base, dist["五星级占比"].met) == (2, 12, False)
    assert dist["三星级及以下占比"].count == 8 and not dist["三星级及以下占比"].met
    up = {t.label.split("（")[0]: t for t in rating.upgrades}
    # last year's 较好 (三星级): 一村 moved up, 五村 stayed → 1/2 = 50% ≥ 50%
    assert (up["上年较好"].count, up["上年较好"].base, up["上年较好"].met) == (1, 2, True)
    # last year's 一般 (二星级/一星级): none of 3 moved up
    assert (up["上年一般"].count, up["上年一般"].base, up["上年一般"].met) == (0, 3, False)
    assert up["上年较差"].base == 0 and not up["上年较差"].met


def test_honor_needs_three_stars_in_the_service_scheme():
    # “三星级以下……不得评为各类先进”; the same document's “60分以下无星” keeps 60 out of 以下
    s = preset("fuwuxing")
    orgs = [
        OrgInput("甲", {"机关党委评定": D(92), "党员群众测评": D(90), "支部自评": D(90)}),
        OrgInput("乙", {"机关党委评定": D(85), "党员群众测评": D(85), "支部自评": D(85)}),
        OrgInput("丙", {"机关党委评定": D(75), "党员群众测评": D(75), "支部自评": D(75)}),
    ]
    res = by_name(rate_organizations(s, orgs))
    assert (res["甲"].star, res["甲"].honor) == ("四星级", "是")
    assert (res["乙"].star, res["乙"].honor) == ("三星级", "是")
    assert (res["丙"].star, res["丙"].honor) == ("二星级", "否")
    # 先进/一般/后进 is last 晋位升级's result, not a band of this year's score
    assert res["甲"].grade is None


def test_satisfaction_below_the_line_goes_to_rectification_when_the_line_is_set():
    orgs = twelve()
    orgs[0] = replace(orgs[0], satisfaction=D("0.79"))
    orgs[1] = replace(orgs[1], satisfaction=D("0.80"))
    res = by_name(rate_organizations(replace(FENLEI, satisfaction_min=D("0.80")), orgs))
    assert res["一村"].rectify == ("满意率79%低于80%",)
    assert res["二村"].rectify == ()
    # off by default: the annual ballot is not the poll after rectification
    res = by_name(rate_organizations(FENLEI, orgs))
    assert res["一村"].rectify == ()


def test_presets_are_found_by_chinese_name_or_ascii_id():
    assert find_preset("分类定级") is find_preset("fenlei") is FENLEI
    assert find_preset("WUJIWUPING").preset == "五级五评"
    assert find_preset("不存在") is None


def test_floor_selection_agrees_with_a_full_ranking():
    """The floor picks its lowest organizations without sorting them all; ties at the cut
    must come out exactly as a full stable ranking cuts them."""
    import random

    from starbook.rules import quotas

    rng = random.Random(7)
    for trial in range(300):
        n = rng.randint(1, 40)
        finals = [D(rng.choice(["60", "61.5", "70", "70.00", "85"])) for _ in range(n)]
        ties = [(D(rng.randint(0, 2)),) for _ in range(n)]
        st = quotas.Standings([f"o{i}" for i in range(n)], finals, ties, [None] * n, ["三星级"] * n)
        items = list(range(n))
        take = rng.randint(0, n + 1)
        inside, tied, _ = quotas._cut(sorted(items, key=st.key), take, st.key)
        got_in, got_tied = quotas._lowest(items, take, st.key)
        assert sorted(got_in) == sorted(inside), (trial, take)
        assert got_tied == tied, (trial, take)  # same organizations, named in the same order


def test_the_collector_pause_restores_the_collectors_state():
    import gc

    from starbook.gcpause import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
