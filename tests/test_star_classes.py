"""服务型五星's 先进 / 一般 / 后进: an input (the branch's earlier 晋位升级 result) that bounds
the star, not a band of this year's score (seed 002 篇1, DOMAIN.md).

The document line: “结合基层组织建设年晋位升级情况，原则上‘先进’的可分为五星级、四星级和三星级。
‘一般’的为二星级和一星级、‘后进’的为无星”. Each case below is a real workbook made by
`starbook new --scheme 服务型五星`, rated by `starbook rate` and by the ribbon's code path.
"""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from starbook import api
from starbook.digests import summary_digests
from starbook.edits import CellBlock
from starbook.fill import form_cells, summary_rows
from starbook.grid import find_cell
from starbook.presets import find_preset
from starbook.roster import members
from starbook.rules.grading import class_bound
from starbook.scheme import StarClass
from starbook.sheets.forms import form_sheets
from starbook.sheets.params import parse_params
from starbook.xlsx.read import read_grids
from starbook.xlsx.sheetpatch import patch_workbook

LINE = "原则上‘先进’的可分为五星级、四星级和三星级。‘一般’的为二星级和一星级、‘后进’的为无星"
CLASS = "晋位升级等次"

# (晋位升级等次, the three evaluators' score, 初定星级 by the score bands, 星级 after the class bounds it)
CASES = [
    ("先进", 96, "五星级", "五星级"),
    ("先进", 92, "四星级", "四星级"),
    ("先进", 85, "三星级", "三星级"),
    ("先进", 75, "二星级", "三星级"),  # “‘先进’的可分为五星级、四星级和三星级”: raised to the nearest
    ("先进", 40, "无星", "三星级"),
    ("一般", 96, "五星级", "二星级"),  # “‘一般’的为二星级和一星级”: lowered to the nearest
    ("一般", 75, "二星级", "二星级"),
    ("一般", 65, "一星级", "一星级"),
    ("一般", 40, "无星", "一星级"),
    ("后进", 96, "五星级", "无星"),  # “‘后进’的为无星”
    ("后进", 40, "无星", "无星"),
    (None, 85, "三星级", "三星级"),  # blank: not bounded, a 提示 instead
]


def _book(path: Path, cases=CASES) -> Path:
    api.new("服务型五星", path, orgs=0, year=2026)
    grid = read_grids(path)["汇总表"]
    rows = [{"党组织名称": f"第{i + 1}党支部", "机关党委评定得分": Decimal(s), "党员群众测评得分": Decimal(s),
             "支部自评得分": Decimal(s), CLASS: c} for i, (c, s, _, _) in enumerate(cases)]
    api.write_edits(path, path, [summary_rows(grid, rows)])
    return path


def _column(path: Path, title: str) -> list:
    grid = read_grids(path)["汇总表"]
    head = grid[2]
    return [line[head.index(title)] for line in grid[3:] if line[head.index("党组织名称")]]


def test_the_preset_declares_the_document_line_as_data():
    scheme = find_preset("服务型五星")
    assert scheme.class_input == CLASS
    assert {c.name: c.stars for c in scheme.star_classes} == {
        "先进": ("五星级", "四星级", "三星级"), "一般": ("二星级", "一星级"), "后进": ("无星",)}
    assert not scheme.grades  # 先进/一般/后进 are no band of this year's score
    for other in ("分类定级", "黔南机关星级", "五级五评", "三档星级", "五星创建"):
        assert not find_preset(other).class_input


def test_each_class_bounds_the_star_as_the_document_says(tmp_path):
    book = _book(tmp_path / "fw.xlsm")
    outcome = api.rate(book)
    assert outcome.ok
    assert _column(book, "初定星级") == [base for _, _, base, _ in CASES]
    assert _column(book, "星级") == [star for _, _, _, star in CASES]
    notes = _column(book, "调整说明")
    for (word, _, base, star), note in zip(CASES, notes):
        if base == star:
            assert not note
        else:
            assert note == f"晋位升级等次为“{word}”（可定{'、'.join(find_preset('服务型五星').star_class_map[word].stars)}），由{base}调整为{star}"
    hints = [p for p in outcome.problems if CLASS in p.message]
    assert len(hints) == 1 and hints[0].severity == "提示" and hints[0].sheet == "汇总表"
    head = read_grids(book)["汇总表"][2]
    assert hints[0].cell == f"{chr(65 + head.index(CLASS))}15" and "第12党支部" in hints[0].message


def test_the_ribbon_gives_the_same_stars(tmp_path):
    from test_excel_shell import NOW, USER, apply_actions, live_rate

    by_cli = _book(tmp_path / "cli.xlsm")
    live = tmp_path / "live.xlsm"
    shutil.copyfile(by_cli, live)
    assert api.rate(by_cli, now=NOW, user=USER).ok
    outcome, actions = live_rate(live)
    assert outcome.ok
    apply_actions(live, None, actions)
    assert read_grids(live)["汇总表"] == read_grids(by_cli)["汇总表"]
    assert read_grids(live)["定星记录"] == read_grids(by_cli)["定星记录"]


def test_an_unknown_word_names_its_cell_and_the_allowed_words(tmp_path):
    book = _book(tmp_path / "fw.xlsm", [("较好", 90, "四星级", "四星级")])
    outcome = api.rate(book)
    assert not outcome.ok
    (p,) = outcome.problems
    head = read_grids(book)["汇总表"][2]
    assert (p.sheet, p.cell) == ("汇总表", f"{chr(65 + head.index(CLASS))}4")
    assert "「较好」" in p.message and "先进、一般、后进" in p.fix


def test_the_form_carries_the_class_and_the_summary_receives_it(tmp_path):
    from starbook.fill import FormFill, form_cells, form_edits

    book = tmp_path / "form.xlsm"
    api.new("服务型五星", book, orgs=1, year=2026)
    grid = read_grids(book)["量化评分表1"]
    cells = form_cells(grid, (CLASS,))
    full = {who: [None] * len(places) for who, places in cells.items.items()}
    for who, places in cells.items.items():
        full[who] = [grid[r][5] for r, _ in places]  # every item at its full points (分值 column)
    votes = {"党员群众测评": {"应参评人数": 20, "实际参评人数": 20, "好": 20, "较好": 0, "一般": 0, "较差": 0}}
    edits = form_edits("量化评分表1", grid, FormFill("服务中心党支部", "机关事业单位", items=full, votes=votes))
    at = cells.header[CLASS]
    patch_workbook(book, book, [*edits, CellBlock("量化评分表1", at[0] + 1, at[1] + 1, (("乡镇",),))])
    outcome = api.rate(book)
    assert not outcome.ok
    assert [(p.sheet, p.cell) for p in outcome.problems] == [("量化评分表1", f"{chr(65 + at[1])}{at[0] + 1}")]
    assert "「乡镇」" in outcome.problems[0].message
    patch_workbook(book, book, [CellBlock("量化评分表1", at[0] + 1, at[1] + 1, (("一般",),))])
    outcome = api.rate(book)
    assert outcome.ok and not outcome.problems
    assert _column(book, CLASS) == ["一般"]
    assert _column(book, "初定星级") == ["五星级"] and _column(book, "星级") == ["二星级"]


def test_the_ranges_are_editable_in_params(tmp_path):
    book = _book(tmp_path / "fw.xlsm", [("一般", 96, "五星级", "三星级")])
    r, c = find_cell(read_grids(book)["参数"], "一般")
    patch_workbook(book, book, [CellBlock("参数", r + 1, c + 2, (("三星级、二星级、一星级",),))])
    assert api.rate(book).ok
    assert _column(book, "星级") == ["三星级"]
    assert "可定三星级、二星级、一星级" in _column(book, "调整说明")[0]


def test_a_bad_star_in_the_params_table_names_its_cell(tmp_path):
    book = _book(tmp_path / "fw.xlsm", [("一般", 96, "五星级", "二星级")])
    r, c = find_cell(read_grids(book)["参数"], "一般")
    patch_workbook(book, book, [CellBlock("参数", r + 1, c + 2, (("二星",),))])
    scheme, problems = parse_params(read_grids(book)["参数"])
    assert scheme is None and problems[0].cell == f"{chr(66 + c)}{r + 1}" and "二星" in problems[0].message


def test_the_input_digest_covers_the_class_and_a_summary_alone_recomputes_it(tmp_path):
    book = _book(tmp_path / "fw.xlsm")
    assert api.rate(book).ok
    grids = read_grids(book)
    scheme, _ = parse_params(grids["参数"])
    log = grids["定星记录"]
    head = log[2]
    recorded = (log[3][head.index("输入摘要")], log[3][head.index("结果摘要")])
    assert summary_digests(grids["汇总表"], scheme) == recorded
    head = grids["汇总表"][2]
    patch_workbook(book, book, [CellBlock("汇总表", 4, head.index(CLASS) + 1, (("后进",),))])
    assert summary_digests(read_grids(book)["汇总表"], scheme)[0] != recorded[0]


def test_a_scheme_without_a_class_keeps_its_digest_text():
    from starbook.digests import scheme_text

    text = scheme_text(find_preset("分类定级"))
    assert "class_input" not in text and "star_classes" not in text
    assert "class_input=晋位升级等次" in scheme_text(find_preset("服务型五星"))


@pytest.mark.parametrize("star, allowed, expected", [
    ("四星级", ("二星级", "一星级"), "二星级"),
    ("无星", ("五星级", "四星级", "三星级"), "三星级"),
    ("三星级", ("五星级", "一星级"), "一星级"),  # equally near: the lower
    ("三星级", (), "三星级"),  # an empty range bounds nothing
])
def test_the_nearest_allowed_star(star, allowed, expected):
    assert class_bound(star, StarClass("x", allowed)) == expected


def test_the_worksheet_function_honours_the_class(tmp_path):
    from udfs import starbook_udfs as U

    book = _book(tmp_path / "fw.xlsm")
    assert api.rate(book).ok
    grids = read_grids(book)
    head = grids["汇总表"][2]
    rows = [line for line in grids["汇总表"][3:] if line[head.index("党组织名称")]]
    scores = [[line[head.index(t)] for t in ("机关党委评定得分", "党员群众测评得分", "支部自评得分")] for line in rows]
    classes = [[line[head.index(CLASS)]] for line in rows]
    params = [list(line) for line in grids["参数"]]
    got = U.SB_QUOTASTARS(scores, None, params, classes)
    assert [s for (s,) in got] == _column(book, "星级")
    assert U.SB_QUOTASTARS(scores, None, params, [["较好"]] + classes[1:]).startswith("#错误：第1行晋位升级等次「较好」")


def test_forms_built_from_the_summary_carry_its_class(tmp_path, capsys):
    from starbook.cli import main

    book = tmp_path / "fw.xlsm"
    api.new("服务型五星", book, orgs=0, year=2026)
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [
        {"党组织名称": "服务中心党支部", "类别": "机关事业单位", CLASS: "后进"}])])
    assert main(["forms", str(book)]) == 0, capsys.readouterr().err
    grid = read_grids(book)["量化评分表1"]
    r, c = find_cell(grid, CLASS)
    assert grid[r][c + 1] == "后进"


def test_a_summary_without_the_class_column_gets_it_and_a_hint(tmp_path):
    """A 服务型五星 book whose 汇总表 lost (or never had) the column: rated unbounded, the column added."""
    book = _book(tmp_path / "fw.xlsm", [(None, 96, "五星级", "五星级")])
    head = read_grids(book)["汇总表"][2]
    c = head.index(CLASS)
    patch_workbook(book, book, [CellBlock("汇总表", 3, c + 1, (("备注",),))])
    outcome = api.rate(book)
    assert outcome.ok
    (hint,) = [p for p in outcome.problems if CLASS in p.message]
    head = read_grids(book)["汇总表"][2]
    assert head[-1] == CLASS or CLASS in head
    where = head.index(CLASS)
    assert hint.severity == "提示" and hint.cell == f"{chr(65 + where)}3" and "没有“晋位升级等次”列" in hint.message
    assert _column(book, "星级") == ["五星级"]


def test_any_scheme_may_declare_a_class_table_in_params(example):
    """Generic: a 分类定级 committee adds “本地类别 | 可定星级” to 参数 and a 本地类别 column to the 汇总表."""
    assert api.rate(example).ok  # the 汇总表 rows come from the forms
    params = read_grids(example)["参数"]
    width = max(len(line) for line in params)
    patch_workbook(example, example, [CellBlock("参数", 5, width + 2, (("本地类别", "可定星级"), ("示范", "五星级、四星级")))])
    head = read_grids(example)["汇总表"][2]
    c = len(head) + 1
    row = next(i for i, line in enumerate(read_grids(example)["汇总表"]) if line[head.index("党组织名称")] == "镇机关党支部")
    patch_workbook(example, example, [CellBlock("汇总表", 3, c + 1, (("本地类别",),)), CellBlock("汇总表", row + 1, c + 1, (("示范",),))])
    outcome = api.rate(example)
    assert outcome.ok
    summary = read_grids(example)["汇总表"]
    line = summary[row]
    head = summary[2]
    assert line[head.index("初定星级")] == "三星级" and line[head.index("星级")] == "四星级"
    assert "本地类别为“示范”（可定五星级、四星级），由三星级调整为四星级" in line[head.index("调整说明")]
    assert sum("未填写本地类别" in p.message for p in outcome.problems) == 1  # the other eleven, in one 提示


def test_distribute_and_next_year_carry_each_organization_s_class(tmp_path):
    """The earlier 晋位升级 result travels with the organization: onto its branch form and into next year."""
    book = _book(tmp_path / "fw.xlsm", CASES[:3] + [CASES[5], CASES[-1]])
    given = {n: k or None for n, k in zip(_column(book, "党组织名称"), _column(book, CLASS))}
    api.rate(book)
    folder = tmp_path / "分发"
    api.distribute(book, folder)
    for name, klass in given.items():
        grids = read_grids(folder / f"{name}.xlsm")
        (sheet,) = form_sheets(list(grids))
        assert members(grids, CLASS)[0].star_class == (klass or None)
        r, c = form_cells(grids[sheet], (CLASS,)).header[CLASS]
        assert (grids[sheet][r][c] or None) == klass
    nxt = tmp_path / "fw2027.xlsm"
    api.new_from(book, nxt)
    assert dict(zip(_column(nxt, "党组织名称"), [v or None for v in _column(nxt, CLASS)])) == given
    assert {m.name: m.star_class for m in members(read_grids(nxt), CLASS)} == given
