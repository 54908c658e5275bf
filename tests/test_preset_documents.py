"""Each preset's defaults are what its document says, quoted word for word.

Every row quotes the source document (docs/sources/, copied as found: the
张纪镇/盖德乡/贵州 text is a traditional-character web copy whose converter left
readings such as “數(shù)” in the text, and the quotes keep them) and names the
default that the quote fixes. The quote is checked against the file, so it
cannot drift from the document; the value is checked against the preset, so a
default cannot drift from the quote. Choices the documents leave open are
tested as readings, each with the words that leave them open.
"""
from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest

from starbook import api
from starbook.fill import FormFill, form_edits
from starbook.presets import all_presets, preset, preset_basis, preset_source
from starbook.rules.grading import grade_for, star_for
from starbook.rules.movement import honor_eligible
from starbook.rules.scoring import required_turnout
from starbook.scheme import BASE_TOP_GRADE, STAR_BY_DIMENSIONS, StarRule
from starbook.xlsx.read import read_grids

SOURCES = Path(__file__).resolve().parent.parent / "docs" / "sources"
QIANNAN_DOC = "qiannan-2017.txt"  # 《全州机关基层党组织开展“晋级升星·好花更红”星级党支部创建工作方案》
FENLEI_DOC = "fenlei-dingji.txt"  # 贵州《“五级五评”…工作方案》; 张纪镇、盖德乡《关于开展基层党组织分类定级工作实施方案》
WUXING_DOC = "zhengchuang-wuxing.txt"  # 《争创五星级党支部工作方案》篇1、篇2、篇3
JINWEI_DOC = "jinwei-shengji.txt"  # untitled 晋位升级 deployment, “中央组织部明确要求，在党的十八大召开之前…”


def _flat(text: str) -> str:
    """The text without whitespace: the copies break lines (and numbers) where the PDF did."""
    return re.sub(r"\s+", "", text)


def source(name: str) -> str:
    return _flat((SOURCES / name).read_text("utf-8"))


def weights(s):
    return {e.name: e.weight for e in s.evaluators}


def grades(s):
    return [(g.name, g.min_score) for g in s.grades]


def star_mins(s):
    return [(r.star, r.min_score) for r in s.star_rules]


def approving(s):
    return dict(s.approving)


# (preset, document, exact words of the document, what the words fix, expected default)
LITERAL = [
    # ------------------------------------------------ 分类定级 (张纪镇、盖德乡)
    ("fenlei", FENLEI_DOC, "基層黨組織最終得分=黨委評定得分×50% +黨員群眾測評得分×30%+基層黨組織自評得分×20%",
     weights, {"党委评定": D("0.5"), "党员群众测评": D("0.3"), "自评": D("0.2")}),
    ("fenlei", FENLEI_DOC, "黨員群眾測評得分=(100ד好”得票率)+(60ד較好”得票率)+(30ד一般”得票率)+(10ד較差”得票率)",
     lambda s: s.vote_options, (("好", D(100)), ("较好", D(60)), ("一般", D(30)), ("较差", D(10)))),
    ("fenlei", FENLEI_DOC, "90分以上為“好”,80-89分為 “較好”,60-79分為“一般”,60分以下為“較差”",
     grades, [("好", D(90)), ("较好", D(80)), ("一般", D(60)), ("较差", D(0))]),
    ("fenlei", FENLEI_DOC, "對評定為“好”等次的基層黨組織,從中確定出五星級黨組織,比例不超過20%",
     lambda s: (s.five_star_cap, s.five_star_base), (D("0.2"), BASE_TOP_GRADE)),
    ("fenlei", FENLEI_DOC, "其余確定為四星級黨組織", lambda s: s.cap_fallback_star, "四星级"),
    ("fenlei", FENLEI_DOC, "對評定為“較好”等次的基層黨組織,確定為三星級黨組織",
     lambda s: [r.star for r in s.star_rules if r.grade == "较好"], ["三星级"]),
    ("fenlei", FENLEI_DOC, "對評定為“一般”等次的基層黨組織,確定為二星和一星級黨組織",
     lambda s: sorted(r.star for r in s.star_rules if r.grade == "一般"), ["一星级", "二星级"]),
    ("fenlei", FENLEI_DOC, "對評定為“較差”等次的基層黨組織,不予定星",
     lambda s: [r.star for r in s.star_rules if r.grade == "较差"], ["无星"]),
    ("fenlei", FENLEI_DOC, "必須保證“較差”黨組織占本級黨委所轄黨組織總數(shù)的比例不得低于5%",
     lambda s: (s.bottom_grade, s.bottom_floor), ("较差", D("0.05"))),
    ("fenlei", FENLEI_DOC, "在村、在崗人數(shù)30%以上的黨員、群眾進(jìn)行測評(少于20人的,所有人全部參加測評)",
     lambda s: (s.turnout_min, s.full_roll_below, [e.turnout_min for e in s.evaluators]), (D("0.3"), 20, [None] * 3)),
    ("fenlei", FENLEI_DOC, "五星級基層黨組織由市委進(jìn)行評定,四星、三星級基層黨組織由縣委進(jìn)行評定,二星、一星及不定星級基層黨組織由各黨委評定",
     approving, {"五星级": "市委", "四星级": "县委", "三星级": "县委", "二星级": "乡镇党委", "一星级": "乡镇党委", "无星": "乡镇党委"}),
    # ------------------------------------------------ 五级五评 (贵州)
    ("wujiwuping", FENLEI_DOC, "上級黨組織評占30%、黨支部自評占10%、黨員評占20%、群眾評占20%、相關(guān)單位評占20%",
     weights, {"上级党组织评": D("0.3"), "党支部自评": D("0.1"), "党员评": D("0.2"), "群众评": D("0.2"), "相关单位评": D("0.2")}),
    ("wujiwuping", FENLEI_DOC, "綜合評分95分及以上為很好、85分至94分為好、75分至84分為較好、60分至74分為一般、60分以下為差",
     grades, [("很好", D(95)), ("好", D(85)), ("较好", D(75)), ("一般", D(60)), ("差", D(0))]),
    ("wujiwuping", FENLEI_DOC, "黨員參與率達(dá)到100%,群眾參與率不少于10%",
     lambda s: (s.evaluator("党员评").turnout_min, s.evaluator("群众评").turnout_min), (D(1), D("0.1"))),
    # ------------------------------------------------ 黔南机关星级
    ("qiannan", QIANNAN_DOC, "95分以上为“五星级”,90—94分为“四星级”,80—89分为“三星级”,70—79分为“二星级”,60—69分为“一星级”,60分以下为无星",
     star_mins, [("五星级", D(95)), ("四星级", D(90)), ("三星级", D(80)), ("二星级", D(70)), ("一星级", D(60)), ("无星", D(0))]),
    ("qiannan", QIANNAN_DOC, "“基层自评、群众测评、上级考评、定星命名”的程序",
     lambda s: sorted(weights(s)), sorted(["上级考评", "群众测评", "自评"])),
    ("qiannan", QIANNAN_DOC, "五星级党支部约占总数的30%以上,四星级约占50%以上,三星级及以下不超过20%",
     lambda s: [(t.stars, t.at_least, t.ratio) for t in s.distribution_targets],
     [(("五星级",), True, D("0.3")), (("四星级",), True, D("0.5")), (("三星级", "二星级", "一星级", "无星"), False, D("0.2"))]),
    # ------------------------------------------------ 服务型五星 (篇1)
    ("fuwuxing", WUXING_DOC, "95分以上为五星级,90—94分为四星级,80—89分为三星级,70—79分为二星级,60—69分为一星级,60分以下无星",
     star_mins, [("五星级", D(95)), ("四星级", D(90)), ("三星级", D(80)), ("二星级", D(70)), ("一星级", D(60)), ("无星", D(0))]),
    ("fuwuxing", WUXING_DOC, "三星级以下党支部及其负责人当年不得评为各类先进", lambda s: s.honor_min_star, "三星级"),
    ("fuwuxing", WUXING_DOC, "中心机关党委通过召开测评会、电话随机抽查等形式",
     lambda s: set(approving(s).values()), {"机关党委"}),
    ("fuwuxing", WUXING_DOC, "结合基层组织建设年晋位升级情况,原则上“先进”的可分为五星级、四星级和三星级",
     grades, []),  # 先进/一般/后进 come from 晋位升级, not from this year's score
    ("fuwuxing", WUXING_DOC, "原则上“先进”的可分为五星级、四星级和三星级。“一般”的为二星级和一星级、“后进”的为无星",
     lambda s: (s.class_input, [(c.name, c.stars) for c in s.star_classes]),
     ("晋位升级等次", [("先进", ("五星级", "四星级", "三星级")), ("一般", ("二星级", "一星级")), ("后进", ("无星",))])),
    ("fuwuxing", WUXING_DOC, "星级服务业绩:政务服务流程进一步优化",
     lambda s: [d.points for d in s.dimensions], [D(20)] * 5),
    # ------------------------------------------------ 三档星级 (篇2)
    ("sandang", WUXING_DOC, "三星级:考核分数达到75-85分;四星级:考核分数达到85-95分;五星级:考核分数达到95分以上",
     star_mins, [("五星级", D(95)), ("四星级", D(85)), ("三星级", D(75)), ("无星", D(0))]),
    ("sandang", WUXING_DOC, "13、支部在办公室机关党建工作年度考核排名在第一位且达到目标考核分",
     lambda s: [v.max_star for v in s.vetoes], ["四星级"] * 13),
    # ------------------------------------------------ 五星创建 (篇3)
    ("wuxing", WUXING_DOC, "按照理论学习星、制度落实星、党建活动星、党员队伍星、自身建设星创建要求",
     lambda s: (s.star_mode, len(s.dimensions)), (STAR_BY_DIMENSIONS, 5)),
    ("wuxing", WUXING_DOC, "机关党委于20XX年9月20日前向市直工委申报验收",
     lambda s: set(approving(s).values()), {"市直工委"}),
]


@pytest.mark.parametrize("preset_id, document, words, what, expected", LITERAL, ids=[f"{row[0]}-{i}" for i, row in enumerate(LITERAL)])
def test_default_is_what_the_document_says(preset_id, document, words, what, expected):
    assert _flat(words) in source(document), f"not in {document}: {words}"
    assert what(preset(preset_id)) == expected


# The untitled 晋位升级 deployment sets a one-time goal and a poll after rectification;
# neither is a rule of the annual rating, so every preset ships both off.
def test_the_one_time_upgrade_goal_is_off_in_every_preset():
    text = source(JINWEI_DOC)
    assert _flat("在党的十八大召开之前,要使每一个基层党组织在原有基础上都有新的提高") in text
    assert _flat("“较好”的基层党组织50%以上实现晋位升级、“一般”的60%以上晋位升级") in text
    for s in all_presets():
        assert s.upgrade_targets == (), s.preset


def test_the_satisfaction_poll_after_rectification_is_off_in_every_preset():
    text = source(JINWEI_DOC)
    assert _flat("上级党组织对下属党组织整改落实情况开展满意度测评,满意率低于80%的进行再整改再落实") in text
    for s in all_presets():
        assert s.satisfaction_min is None, s.preset


def test_distribution_targets_only_where_a_document_sets_them():
    assert {s.preset_id for s in all_presets() if s.distribution_targets} == {"qiannan"}


@pytest.mark.parametrize("preset_id, document", [
    ("fenlei", FENLEI_DOC), ("wujiwuping", FENLEI_DOC), ("qiannan", QIANNAN_DOC), ("fuwuxing", WUXING_DOC), ("wuxing", WUXING_DOC),
])
def test_no_preset_invents_a_veto(preset_id, document):
    text = source(document)
    assert "否决" not in text and "否決" not in text  # the documents list none
    assert preset(preset_id).vetoes == ()


@pytest.mark.parametrize("preset_id", ["qiannan", "wujiwuping", "sandang"])
def test_no_approving_body_where_the_document_names_none(preset_id):
    assert set(approving(preset(preset_id)).values()) == {""}


# ------------------------------------------------------------------ readings


@pytest.mark.parametrize("preset_id, document, words, score, expected", [
    # “90分以上…80-89分”: 89.5 lies between the bands; every lower bound is inclusive, so it is 较好
    ("fenlei", FENLEI_DOC, "90分以上為“好”,80-89分為 “較好”", "89.5", ("较好", "三星级")),
    ("fenlei", FENLEI_DOC, "90分以上為“好”", "90", ("好", "五星级")),
    ("fenlei", FENLEI_DOC, "60分以下為“較差”", "60", ("一般", "一星级")),
    # “一般…確定為二星和一星級”: the document does not say where; 70 and above is 二星级
    ("fenlei", FENLEI_DOC, "確定為二星和一星級黨組織", "70", ("一般", "二星级")),
    ("fenlei", FENLEI_DOC, "確定為二星和一星級黨組織", "69.99", ("一般", "一星级")),
    ("wujiwuping", FENLEI_DOC, "85分至94分為好", "94.5", ("好", "四星级")),
    ("qiannan", QIANNAN_DOC, "90—94分为“四星级”", "94.5", (None, "四星级")),
    # “75-85分…85-95分…95分以上” overlap at 85 and 95: the higher band
    ("sandang", WUXING_DOC, "三星级:考核分数达到75-85分;四星级:考核分数达到85-95分", "85", (None, "四星级")),
    ("sandang", WUXING_DOC, "四星级:考核分数达到85-95分;五星级:考核分数达到95分以上", "95", (None, "五星级")),
    ("sandang", WUXING_DOC, "三星级:考核分数达到75-85分", "74.99", (None, "无星")),
])
def test_bands_read_with_inclusive_lower_bounds(preset_id, document, words, score, expected):
    assert _flat(words) in source(document)
    s = preset(preset_id)
    grade = grade_for(D(score), s)
    assert (grade, star_for(D(score), grade, s)) == expected


def test_sanxing_yixia_excludes_sanxing_as_the_same_document_writes_60_fen_yixia():
    text = source(WUXING_DOC)
    assert _flat("三星级以下党支部及其负责人当年不得评为各类先进") in text
    assert _flat("60—69分为一星级,60分以下无星") in text  # 60 is 一星级: 以下 leaves the number out
    s = preset("fuwuxing")
    assert [honor_eligible(star, s) for star in ("五星级", "四星级", "三星级", "二星级", "一星级", "无星")] == ["是", "是", "是", "否", "否", "否"]


def test_wujiwuping_cha_may_be_yixingji_by_editing_the_star_table():
    # “‘较差’的为一星级或无星”: 无星 by default; the star table's last row makes it 一星级
    assert _flat("“较差”的为一星级或无星") in source(JINWEI_DOC)
    s = preset("wujiwuping")
    assert star_for(D(50), "差", s) == "无星"
    one_star = replace(s, star_rules=(*s.star_rules[:-1], StarRule("一星级", D(0), "差")))
    assert star_for(D(50), "差", one_star) == "一星级"


def test_wujiwuping_turnout_rolls_are_separate():
    s = preset("wujiwuping")
    members, public = s.evaluator("党员评"), s.evaluator("群众评")
    assert required_turnout(30, s, members) == 30  # 党员参与率达到100%
    assert required_turnout(200, s, public) == 20  # 群众参与率不少于10%
    assert required_turnout(15, s, public) == 2  # no “少于20人…全部参加” rule in this document
    fenlei = preset("fenlei")
    assert required_turnout(15, fenlei, fenlei.evaluator("党员群众测评")) == 15


# ------------------------------------------------------------------ the workbook says it too


@pytest.mark.parametrize("scheme", all_presets(), ids=lambda s: s.preset_id)
def test_the_params_sheet_quotes_the_document_by_its_title(tmp_path, scheme):
    book = api.new(scheme.preset_id, tmp_path / "new.xlsm", orgs=1)
    grid = read_grids(book)["参数"]
    cells = [str(v) for row in grid for v in row if isinstance(v, str)]
    joined = "\n".join(cells)
    assert "seed" not in joined.lower()  # documents are named by title, never by a file name
    assert preset_source(scheme.preset_id) in joined and preset_source(scheme.preset_id).startswith("《")
    assert any(c.startswith("【依据与解读】") for c in cells)
    for what, why in preset_basis(scheme.preset_id):
        assert what in cells and why in cells
    # each entry either quotes the document, is marked as a reading, or says the document is silent
    for _, why in preset_basis(scheme.preset_id):
        assert why.startswith(("依据：", "解读（Reading）：", "文件没有", "本文件没有")), why
    outcome = api.check(book)  # the section is not a table the parser trips over
    assert not [p for p in outcome.problems if p.sheet == "参数"]


def test_wujiwuping_turnout_on_a_real_form(tmp_path):
    """党员评 needs everyone on the members' roll, 群众评 a tenth of the public's, each on its own roll."""
    book = api.new("wujiwuping", tmp_path / "w.xlsm", orgs=1)
    grid = read_grids(book)["量化评分表1"]
    ballot = {"好": 30, "较好": 9, "一般": 0, "较差": 0}
    fill = FormFill(
        name="甲支部",
        votes={
            "党员评": {"应参评人数": 40, "实际参评人数": 39, **ballot},  # 39/40 < 100%
            "群众评": {"应参评人数": 390, "实际参评人数": 39, **ballot},  # 39/390 = 10%
        },
    )
    api.write_edits(book, book, form_edits("量化评分表1", grid, fill))
    outcome = api.check(book)
    notes = [p.message for p in outcome.problems]
    assert any("党员评参评 39/40 人" in m and "不少于100%" in m for m in notes), notes
    assert not any("群众评参评" in m for m in notes), notes


_PUNCT = str.maketrans({"，": ",", "；": ";", "：": ":", "（": "(", "）": ")", "‘": "“", "’": "”"})


@pytest.mark.parametrize("preset_id, document, common", [
    ("qiannan", QIANNAN_DOC, False), ("fuwuxing", WUXING_DOC, False), ("sandang", WUXING_DOC, False),
    ("wuxing", WUXING_DOC, False), ("fenlei", JINWEI_DOC, True),
])
def test_the_params_sheet_quotes_are_the_documents_words(preset_id, document, common):
    """What 参数 quotes after 依据 is in the document (the simplified-character ones; “……” marks a cut)."""
    text = source(document)
    entries = preset_basis(preset_id)
    own = [why for what, why in entries if (what, why) not in _common_entries()]
    checked = 0
    for why in ([why for _, why in _common_entries()] if common else own):
        if not why.startswith("依据："):
            continue
        basis = why.split("解读（Reading）")[0]
        for quote in re.findall(r"“(.+?)”(?![^“]*”)", basis):
            for part in quote.split("……"):
                assert _flat(part).translate(_PUNCT) in text, part
                checked += 1
    assert checked


def _common_entries():
    from starbook.presets import _raw

    return [tuple(e) for e in _raw("fenlei")["common_basis"]]


def test_a_bad_turnout_minimum_in_params_names_its_cell(tmp_path):
    from starbook.edits import CellBlock
    from starbook.grid import find_header

    book = api.new("wujiwuping", tmp_path / "w.xlsm", orgs=1)
    grid = read_grids(book)["参数"]
    header_row, cols = find_header(grid, "评价主体", "参与率下限")
    row = next(r for r in range(header_row + 1, len(grid)) if grid[r][cols["评价主体"]] == "党员评")
    api.write_edits(book, book, [CellBlock("参数", row + 1, cols["参与率下限"] + 1, (("全体",),))])
    problems = [p for p in api.check(book).problems if p.sheet == "参数"]
    assert len(problems) == 1 and "“党员评”的参与率下限「全体」不是百分比" in problems[0].message
    assert problems[0].cell == f"{chr(ord('A') + cols['参与率下限'])}{row + 1}"
