"""The county's own forms: a 组织部's 评分细则 per 类别 (starbook new --items, starbook forms, 导入评分细则).

Each table is an .xlsx written here with openpyxl, its columns shuffled and a title
above the header, as a 组织部's own file would be.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from starbook import api
from starbook.cli import main
from starbook.edits import CellBlock
from starbook.fill import FormFill, form_edits, item_scores, summary_rows
from starbook.grid import find_header
from starbook.sheets.forms import CATEGORIES
from starbook.sheets.items import EXAMPLE, GENERAL, SHEET, parse_items
from starbook.xlsx.read import read_grids

VILLAGE_WORDS = ("集体经济", "村务公开")


def kind_items(kind: str) -> list[tuple[str, int, list[tuple[str, str, int]]]]:
    """(维度, 维度分值, [(评分内容, 评分标准, 分值)]) for one 类别: 100 points, each 类别 its own texts."""
    if kind == "农村":
        return [
            ("党组织带头人", 30, [("村党组织书记带富能力强", "群众公认得满分", 15), ("村两委班子团结协作", "不团结扣5分", 15)]),
            ("集体经济", 40, [("村集体经济收入稳定增长", "年收入5万元以上得满分", 25), ("发展特色产业", "无产业不得分", 15)]),
            ("村务公开", 30, [("村务公开及时规范", "每季度公开一次", 15), ("财务公开接受监督", "未公开不得分", 15)]),
        ]
    return [
        ("组织建设", 40, [(f"{kind}党组织班子健全", "班子不全扣5分", 20), (f"{kind}“三会一课”落实", "每缺一次扣2分", 20)]),
        ("作用发挥", 35, [(f"{kind}党员发挥先锋模范作用", "酌情扣分", 20), (f"完成{kind}中心工作", "未完成不得分", 15)]),
        ("群众评价", 25, [(f"{kind}服务对象满意", "根据走访评分", 25)]),
    ]


TITLES = ("类别", "维度", "维度分值", "评分内容", "评分标准", "分值")
SHUFFLED = ("评分标准", "分值", "类别", "评分内容", "维度分值", "维度")


def table_rows(kinds=CATEGORIES) -> list[dict[str, object]]:
    rows = []
    for kind in kinds:
        for dim, dim_points, items in kind_items(kind):
            for content, standard, points in items:
                rows.append({"类别": kind, "维度": dim, "维度分值": dim_points, "评分内容": content, "评分标准": standard, "分值": points})
    return rows


def write_table(path: Path, rows: list[dict[str, object]], order=SHUFFLED, *, merged_kind: str | None = "农村") -> Path:
    """The 组织部's file: a title, a blank line, the header in `order`; `merged_kind` written once, like merged cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["XX县基层党组织分类定级量化评分细则"])
    ws.append([])
    ws.append(list(order))
    previous = None
    for row in rows:
        values = dict(row)
        if values.get("类别") == merged_kind and previous == merged_kind:
            values["类别"] = None
        previous = row.get("类别")
        ws.append([values.get(t) for t in order])
    wb.save(path)
    return path


@pytest.fixture
def seven(tmp_path) -> Path:
    return write_table(tmp_path / "评分细则.xlsx", table_rows())


def flat_text(grid) -> str:
    return "\n".join(str(v) for line in grid for v in line if v not in ("", None))


def test_new_items_loads_seven_kinds_from_shuffled_columns(tmp_path, seven, capsys):
    book = tmp_path / "县.xlsm"
    assert main(["new", "--scheme", "分类定级", "--items", str(seven), "--orgs", "0", "-o", str(book)]) == 0, capsys.readouterr().err
    table, problems = parse_items(read_grids(book)[SHEET])
    assert problems == [] and list(table.kinds) == list(CATEGORIES)
    for kind in CATEGORIES:
        got = [(d.name, d.points, [(i.content, i.standard, i.points) for i in d.items]) for d in table.kinds[kind]]
        assert got == [(n, Decimal(p), [(c, s, Decimal(x)) for c, s, x in its]) for n, p, its in kind_items(kind)]
        assert table.sources[kind] == "导入：评分细则.xlsx" and not table.is_example(kind)


def test_a_jiguan_form_has_no_village_items(tmp_path, seven, capsys):
    book = tmp_path / "机关.xlsm"
    assert main(["new", "--scheme", "分类定级", "--items", str(seven), "--orgs", "2", "--kind", "机关事业单位", "-o", str(book)]) == 0, capsys.readouterr().err
    form = read_grids(book)["量化评分表1"]
    text = flat_text(form)
    assert "机关事业单位党组织班子健全" in text and "机关事业单位" in text
    assert not any(word in text for word in VILLAGE_WORDS)
    assert "示例" not in text
    village = tmp_path / "村.xlsm"
    assert main(["new", "--scheme", "分类定级", "--items", str(seven), "--orgs", "1", "--kind", "农村", "-o", str(village)]) == 0
    assert all(word in flat_text(read_grids(village)["量化评分表1"]) for word in VILLAGE_WORDS)


def test_preset_items_are_marked_as_examples(tmp_path):
    book = api.new("分类定级", tmp_path / "preset.xlsm", orgs=1)
    grids = read_grids(book)
    table, problems = parse_items(grids[SHEET])
    assert problems == [] and list(table.kinds) == [GENERAL] and table.sources[GENERAL] == EXAMPLE
    hr, cols = find_header(grids[SHEET], "类别", "来源")
    assert {line[cols["来源"]] for line in grids[SHEET][hr + 1:]} == {EXAMPLE}
    assert "【示例评分项】" in flat_text(grids["量化评分表1"])


def test_forms_per_kind_from_the_summary_rate_correctly(tmp_path, seven, capsys):
    book = tmp_path / "镇.xlsm"
    api.new("分类定级", book, orgs=0, items=api.load_items(seven)[0])
    orgs = [("前进村", "农村", "三星级", "95"), ("镇政府机关支部", "机关事业单位", "", "88"), ("兴旺公司支部", "非公企业", "二星级", "76")]
    grid = read_grids(book)["汇总表"]
    api.write_edits(book, book, [summary_rows(grid, [{"党组织名称": n, "类别": k, "上年星级": s} for n, k, s, _ in orgs])])
    assert main(["forms", str(book)]) == 0, capsys.readouterr().err

    grids = read_grids(book)
    forms = [n for n in grids if n.startswith("量化评分表")]
    assert forms == ["量化评分表1", "量化评分表2", "量化评分表3"]
    jiguan = flat_text(grids["量化评分表2"])
    assert "镇政府机关支部" in jiguan and not any(word in jiguan for word in VILLAGE_WORDS)
    edits = []
    for sheet, (name, kind, _, total) in zip(forms, orgs):
        points = [Decimal(p) for _, _, its in kind_items(kind) for _, _, p in its]
        fill = FormFill(name=name, items={e: item_scores(points, Decimal(total)) for e in ("党委评定", "自评")},
                        votes={"党员群众测评": {"应参评人数": 20, "实际参评人数": 20, "好": 20, "较好": 0, "一般": 0, "较差": 0}})
        edits += form_edits(sheet, grids[sheet], fill)
    api.write_edits(book, book, edits)

    outcome = api.rate(book)
    assert outcome.ok and outcome.warnings == [], [str(p) for p in outcome.problems]
    by_name = {r.name: r for r in outcome.rating.results}
    # 50% × total + 30% × 100 (every vote 好) + 20% × total
    assert by_name["前进村"].final == Decimal("96.50")
    assert by_name["镇政府机关支部"].final == Decimal("91.60")
    assert by_name["兴旺公司支部"].final == Decimal("83.20")
    summary = read_grids(book)["汇总表"]
    hr, cols = find_header(summary, "党组织名称", "类别", "党委评定得分")
    rows = {line[cols["党组织名称"]]: line for line in summary[hr + 1:] if line[cols["党组织名称"]]}
    assert {n: rows[n][cols["类别"]] for n in rows} == {n: k for n, k, _, _ in orgs}
    assert {n: rows[n][cols["党委评定得分"]] for n in rows} == {n: float(t) for n, _, _, t in orgs}


def test_a_form_whose_items_differ_from_its_kind_is_reported(tmp_path, seven):
    book = tmp_path / "镇.xlsm"
    api.new("分类定级", book, orgs=1, items=api.load_items(seven)[0], kind="机关事业单位")
    grids = read_grids(book)
    api.write_edits(book, book, form_edits("量化评分表1", grids["量化评分表1"], FormFill(
        name="局机关支部", items={e: item_scores([Decimal(x) for x in (20, 20, 20, 15, 25)], Decimal(90)) for e in ("党委评定", "自评")},
        votes={"党员群众测评": {"应参评人数": 20, "实际参评人数": 20, "好": 20, "较好": 0, "一般": 0, "较差": 0}})))
    assert api.check(book).warnings == []
    # The 组织部 revises a 机关 item: the form no longer matches its 类别.
    hr, cols = find_header(grids[SHEET], "类别", "评分内容")
    row = next(r for r, line in enumerate(grids[SHEET]) if line[cols["评分内容"]] == "机关事业单位“三会一课”落实")
    api.write_edits(book, book, [CellBlock(SHEET, row + 1, cols["评分内容"] + 1, (("机关事业单位主题党日落实",),))])
    outcome = api.check(book)
    assert outcome.ok
    [hint] = outcome.warnings
    assert hint.sheet == "量化评分表1" and "评分细则" in hint.message and "机关事业单位主题党日落实" in hint.message


def _without(rows, **match):
    return [r for r in rows if any(r[k] != v for k, v in match.items())]


def _changed(rows, match: dict, **values):
    return [{**r, **values} if all(r[k] == v for k, v in match.items()) else r for r in rows]


BAD_TABLES = {
    "points not summing to the dimension": (
        lambda rows: _changed(rows, {"类别": "城市社区", "评分内容": "完成城市社区中心工作"}, 分值=10),
        "城市社区", "各项分值合计 30，不等于维度分值 35"),
    "dimensions not summing to 100": (
        lambda rows: _changed(_changed(rows, {"类别": "国有企业", "维度": "群众评价"}, 维度分值=30),
                              {"类别": "国有企业", "维度": "群众评价"}, 分值=30),
        "国有企业", "各维度分值合计 105，不是 100"),
    "a kind with no items": (
        lambda rows: _without(rows, 类别="社会组织") + [{"类别": "社会组织"}],
        "社会组织", "没有评分项"),
    "an unknown kind": (
        lambda rows: _changed(rows, {"类别": "高等院校"}, 类别="学校"),
        "学校", "不是规定的七类之一"),
    "a blank 评分内容": (
        lambda rows: _changed(rows, {"评分内容": "非公企业服务对象满意"}, 评分内容=None),
        "非公企业", "评分内容未填写"),
    "a non-numeric 分值": (
        lambda rows: _changed(rows, {"评分内容": "发展特色产业"}, 分值="十五分"),
        "十五分", "不是数字"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_tables_get_chinese_problems(tmp_path, case, capsys):
    change, where, message = BAD_TABLES[case]
    path = write_table(tmp_path / "bad.xlsx", change(table_rows()))
    book = tmp_path / "new.xlsm"
    assert main(["new", "--scheme", "分类定级", "--items", str(path), "-o", str(book)]) == 1
    err = capsys.readouterr().err
    assert message in err and where in err and "bad.xlsx：Sheet1】" in err, err
    assert not book.exists()


def test_a_table_without_the_titles_is_refused(tmp_path, capsys):
    path = write_table(tmp_path / "bad.xlsx", table_rows(), order=("类别", "维度", "评分内容", "评分标准"))
    assert main(["new", "--scheme", "分类定级", "--items", str(path), "-o", str(tmp_path / "x.xlsm")]) == 1
    assert "缺少：分值" in capsys.readouterr().err


def test_blank_forms_need_a_kind_when_there_are_no_general_items(tmp_path, seven, capsys):
    assert main(["new", "--scheme", "分类定级", "--items", str(seven), "--orgs", "2", "-o", str(tmp_path / "x.xlsm")]) == 2
    assert "--kind" in capsys.readouterr().err
    general = write_table(tmp_path / "通用.xlsx", [{**r, "类别": GENERAL} for r in table_rows(["机关事业单位"])])
    book = tmp_path / "y.xlsm"
    assert main(["new", "--scheme", "分类定级", "--items", str(general), "--orgs", "2", "-o", str(book)]) == 0
    assert "通用党组织班子健全" not in flat_text(read_grids(book)["量化评分表2"])
    assert "机关事业单位党组织班子健全" in flat_text(read_grids(book)["量化评分表2"])


def test_forms_refuses_a_book_whose_forms_are_filled(tmp_path, seven, capsys):
    book = tmp_path / "镇.xlsm"
    api.new("分类定级", book, orgs=1, items=api.load_items(seven)[0], kind="农村")
    grids = read_grids(book)
    api.write_edits(book, book, form_edits("量化评分表1", grids["量化评分表1"], FormFill(name="前进村")))
    before = book.read_bytes()
    assert main(["forms", str(book)]) == 2
    assert "已经填写了内容" in capsys.readouterr().err
    assert book.read_bytes() == before


def test_forms_keeps_the_settings_typed_in_params(tmp_path, seven):
    book = tmp_path / "镇.xlsm"
    api.new("分类定级", book, orgs=0, items=api.load_items(seven)[0])
    grids = read_grids(book)
    hr, cols = find_header(grids["参数"], "设置项", "值")
    row = next(r for r, line in enumerate(grids["参数"]) if line[cols["设置项"]] == "发布单位")
    api.write_edits(book, book, [
        CellBlock("参数", row + 1, cols["值"] + 1, (("中共张纪镇委员会",),)),
        summary_rows(grids["汇总表"], [{"党组织名称": "前进村", "类别": "农村"}]),
    ])
    path, problems = api.forms(book)
    assert path == book and problems == []
    grids = read_grids(book)
    assert grids["参数"][row][cols["值"]] == "中共张纪镇委员会"
    assert list(parse_items(grids[SHEET])[0].kinds) == list(CATEGORIES)
    assert "前进村" in flat_text(grids["量化评分表1"]) and "集体经济" in flat_text(grids["量化评分表1"])


def test_the_ribbon_imports_a_table_into_the_open_book(tmp_path, seven):
    """导入评分细则 on xlwings' remote engine (the file dialog is replaced by the path argument)."""
    xw = pytest.importorskip("xlwings")
    from starbook import excel
    from test_excel_shell import apply_actions, payload

    book = api.new("分类定级", tmp_path / "镇.xlsm", orgs=1)
    grids = read_grids(book)
    api.write_edits(book, book, form_edits("量化评分表1", grids["量化评分表1"], FormFill(
        name="局机关支部", category="机关事业单位",
        items={e: item_scores([it.points for d in parse_items(grids[SHEET])[0].kinds[GENERAL] for it in d.items], Decimal(90))
               for e in ("党委评定", "自评")},
        votes={"党员群众测评": {"应参评人数": 20, "实际参评人数": 20, "好": 20, "较好": 0, "一般": 0, "较差": 0}})))
    assert api.check(book).warnings == []  # the preset's examples are this book's 评分细则

    live = xw.Book(json=payload(book))
    table = excel.import_items(book=live, path=str(seven))
    assert table is not None and list(table.kinds) == list(CATEGORIES)
    actions = live.json()["actions"]
    assert "已导入评分细则" in actions[-1]["args"][0]
    apply_actions(book, live, actions)
    imported, problems = parse_items(read_grids(book)[SHEET])
    assert problems == [] and imported.kinds == table.kinds and imported.sources["农村"] == "导入：评分细则.xlsx"
    [hint] = api.check(book).warnings  # the form still lists the examples: 定星 says so
    assert hint.sheet == "量化评分表1" and "机关事业单位" in hint.message


def test_the_ribbon_lists_a_bad_table_and_keeps_the_sheet(tmp_path):
    xw = pytest.importorskip("xlwings")
    from starbook import excel
    from excel_client import Model
    from test_excel_shell import payload

    bad = write_table(tmp_path / "bad.xlsx", _changed(table_rows(), {"评分内容": "发展特色产业"}, 分值="十五分"))
    book = api.new("分类定级", tmp_path / "镇.xlsm", orgs=1)
    live = xw.Book(json=payload(book))
    assert excel.import_items(book=live, path=str(bad)) is None
    actions = live.json()["actions"]
    assert "十五分" in actions[-1]["args"][0]
    model = Model(payload(book))
    model.apply(actions)
    assert model.sheet(SHEET) == Model(payload(book)).sheet(SHEET)  # the 评分细则 untouched
    listed = [str(v) for v in model.sheet("问题清单").values()]
    assert any("十五分" in v for v in listed) and "bad.xlsx：Sheet1" in listed


def test_libreoffice_recalculates_forms_of_each_kind_as_rated(tmp_path, seven):
    """Each 类别's form has its own rows: its preview formulas still agree with 定星 after a real recalculation."""
    import lo_uno
    from conftest import lo_required

    lo_required()
    book = tmp_path / "镇.xlsm"
    api.new("分类定级", book, orgs=0, items=api.load_items(seven)[0])
    orgs = [("前进村", "农村", "93.5"), ("镇政府机关支部", "机关事业单位", "88.25")]
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [{"党组织名称": n, "类别": k} for n, k, _ in orgs])])
    assert api.forms(book)[0] == book
    grids = read_grids(book)
    edits = []
    for i, (name, kind, total) in enumerate(orgs, start=1):
        points = [Decimal(p) for _, _, its in kind_items(kind) for _, _, p in its]
        edits += form_edits(f"量化评分表{i}", grids[f"量化评分表{i}"], FormFill(
            name=name, items={e: item_scores(points, Decimal(total)) for e in ("党委评定", "自评")},
            votes={"党员群众测评": {"应参评人数": 30, "实际参评人数": 30, "好": 20, "较好": 7, "一般": 3, "较差": 0}}))
    api.write_edits(book, book, edits)
    outcome = api.rate(book)
    assert outcome.ok and outcome.warnings == []
    final = {r.name: float(r.final) for r in outcome.rating.results}
    rows = lo_uno.recalculated_values(book, "量化评分表2")  # the 机关 form: 5 items in 3 dimensions, not the preset's 14 in 7
    assert any(r and r[0] == "作用发挥" for r in rows)
    preview = next(r for r in rows if r and r[0] in ("综合得分", "综合得分（预览）"))
    assert preview[3] == pytest.approx(final["镇政府机关支部"])


def test_forms_names_rows_without_a_kind_and_keeps_the_ribbon(tmp_path, seven, capsys):
    from starbook.build.package import custom_ui_of, vba_project_of

    book = tmp_path / "镇.xlsm"
    api.new("分类定级", book, orgs=0, items=api.load_items(seven)[0])
    rows = [{"党组织名称": "前进村", "类别": "农村"}, {"党组织名称": "新风社区"}, {"党组织名称": "某校", "类别": "学校"}]
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], rows)])
    before = book.read_bytes()
    assert main(["forms", str(book)]) == 1
    err = capsys.readouterr().err
    assert "【汇总表】C5：“新风社区”的类别未填写" in err and "【汇总表】C6：“某校”的类别「学校」不是规定的七类之一" in err, err
    assert book.read_bytes() == before
    out = tmp_path / "评分表.xlsm"
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [rows[0], {**rows[1], "类别": "城市社区"}, {**rows[2], "类别": "高等院校"}])])
    assert main(["forms", str(book), "-o", str(out)]) == 0
    assert vba_project_of(out) == vba_project_of(book) and custom_ui_of(out) == custom_ui_of(book)
    grids = read_grids(out)
    assert [flat_text(grids[f"量化评分表{i}"]).count(kind) > 0 for i, kind in enumerate(("村", "城市社区", "高等院校"), start=1)] == [True] * 3


def test_the_ribbon_makes_forms_per_kind_in_a_new_workbook(tmp_path, seven):
    """生成评分表 on xlwings' remote engine: a new workbook beside the open one, which stays as it was."""
    xw = pytest.importorskip("xlwings")
    from starbook import excel
    from test_excel_shell import payload

    book = api.new("分类定级", tmp_path / "镇.xlsm", orgs=0, items=api.load_items(seven)[0])
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [
        {"党组织名称": "前进村", "类别": "农村"}, {"党组织名称": "县财政局机关支部", "类别": "机关事业单位", "上年星级": "四星级"}])])
    before = book.read_bytes()
    live = xw.Book(json=payload(book))
    target = tmp_path / "镇-评分表.xlsm"
    assert excel.make_forms(book=live, out=str(target)) == target
    actions = live.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"] and str(target) in actions[0]["args"][0]
    grids = read_grids(target)
    village, office = flat_text(grids["量化评分表1"]), flat_text(grids["量化评分表2"])
    assert "前进村" in village and all(w in village for w in VILLAGE_WORDS)
    assert "县财政局机关支部" in office and "四星级" in office and not any(w in office for w in VILLAGE_WORDS)
    assert book.read_bytes() == before


def _rated_town(tmp_path, seven, capsys) -> tuple[Path, list[tuple[str, str]]]:
    """A township book whose forms were made per 类别 from a 7-类别 评分细则, filled and rated."""
    book = tmp_path / "镇.xlsm"
    api.new("分类定级", book, orgs=0, items=api.load_items(seven)[0], year=2026)
    orgs = [("前进村", "农村"), ("镇政府机关支部", "机关事业单位")]
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [{"党组织名称": n, "类别": k} for n, k in orgs])])
    assert main(["forms", str(book)]) == 0, capsys.readouterr().err
    grids = read_grids(book)
    edits = []
    for sheet, (name, kind) in zip(("量化评分表1", "量化评分表2"), orgs):
        points = [Decimal(p) for _, _, its in kind_items(kind) for _, _, p in its]
        edits += form_edits(sheet, grids[sheet], FormFill(name=name, items={e: item_scores(points, Decimal(90)) for e in ("党委评定", "自评")},
                            votes={"党员群众测评": {"应参评人数": 20, "实际参评人数": 20, "好": 20, "较好": 0, "一般": 0, "较差": 0}}))
    api.write_edits(book, book, edits)
    assert api.rate(book).ok
    return book, orgs


def test_distribute_and_next_year_build_each_form_from_its_kind(tmp_path, seven, capsys):
    book, orgs = _rated_town(tmp_path, seven, capsys)
    folder = tmp_path / "分发"
    assert main(["distribute", str(book), "-o", str(folder)]) == 0, capsys.readouterr().err
    jiguan = read_grids(folder / "镇政府机关支部.xlsm")
    text = flat_text(jiguan["量化评分表1"])
    assert "机关事业单位党组织班子健全" in text and not any(word in text for word in VILLAGE_WORDS)
    assert all(word in flat_text(read_grids(folder / "前进村.xlsm")["量化评分表1"]) for word in VILLAGE_WORDS)
    assert parse_items(jiguan[SHEET])[0].kinds == parse_items(read_grids(book)[SHEET])[0].kinds  # the committee's 评分细则 travels

    nxt = tmp_path / "镇2027.xlsm"
    assert main(["new", "--from", str(book), "-o", str(nxt)]) == 0, capsys.readouterr().err
    grids = read_grids(nxt)
    assert parse_items(grids[SHEET])[0].kinds == parse_items(read_grids(book)[SHEET])[0].kinds
    forms = {flat_text(grids[s]).count("机关事业单位党组织班子健全") > 0: s for s in ("量化评分表1", "量化评分表2")}
    assert "镇政府机关支部" in flat_text(grids[forms[True]]) and "前进村" in flat_text(grids[forms[False]])
    assert not any(word in flat_text(grids[forms[True]]) for word in VILLAGE_WORDS)


def test_an_organization_without_a_form_is_distributed_with_its_kinds_items(tmp_path, seven, capsys):
    book, _ = _rated_town(tmp_path, seven, capsys)
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [
        {"党组织名称": n, "类别": k} for n, k in (("前进村", "农村"), ("镇政府机关支部", "机关事业单位"), ("兴旺公司支部", "非公企业"))])])
    folder = tmp_path / "分发"
    assert main(["distribute", str(book), "-o", str(folder)]) == 0, capsys.readouterr().err
    text = flat_text(read_grids(folder / "兴旺公司支部.xlsm")["量化评分表1"])
    assert "非公企业" in text and not any(word in text for word in VILLAGE_WORDS)


def test_a_township_collects_new_organizations_into_forms_of_their_kind(tmp_path, seven, capsys):
    """Branch books of organizations the township has no form for get copies of a form of their
    own 类别 (a 机关 branch never lands on a village form), and their 自评 lands in it."""
    book, _ = _rated_town(tmp_path, seven, capsys)
    new = (("后进村", "农村"), ("镇中学党支部", "机关事业单位"))
    api.write_edits(book, book, [summary_rows(read_grids(book)["汇总表"], [
        {"党组织名称": n, "类别": k} for n, k in (("前进村", "农村"), ("镇政府机关支部", "机关事业单位"), *new)])])
    mail = tmp_path / "收件箱"
    assert main(["distribute", str(book), "-o", str(mail)]) == 0, capsys.readouterr().err
    for name, kind in new:
        branch = mail / f"{name}.xlsm"
        grid = read_grids(branch)["量化评分表1"]
        points = [Decimal(p) for _, _, its in kind_items(kind) for _, _, p in its]
        mine = {"自评": item_scores(points, Decimal(80))}
        if name == "后进村":  # the committee's part, typed by the branch anyway
            mine["党委评定"] = item_scores(points, Decimal(99))
        api.write_edits(branch, branch, form_edits("量化评分表1", grid, FormFill(name=name, items=mine)))
    for name in ("前进村", "镇政府机关支部"):
        (mail / f"{name}.xlsm").unlink()
    capsys.readouterr()
    assert main(["collect", str(mail), "-o", str(book)]) in (0, 1)
    said = capsys.readouterr()
    assert "未汇总" not in said.out + said.err
    assert "后进村" in said.err and "填写了党委评定，按参数表“填写方”这是党委填写的部分，未汇入" in said.err
    grids = read_grids(book)
    by_name = {}
    for sheet in ("量化评分表3", "量化评分表4"):
        text = flat_text(grids[sheet])
        by_name[next(n for n, _ in new if n in text)] = text
    assert all(word in by_name["后进村"] for word in VILLAGE_WORDS)
    assert "机关事业单位党组织班子健全" in by_name["镇中学党支部"]
    assert not any(word in by_name["镇中学党支部"] for word in VILLAGE_WORDS)
    outcome = api.check(book)  # the committee's parts are still to do; the branches' 自评 is there
    on_new = [p for p in outcome.problems if p.sheet in ("量化评分表3", "量化评分表4")]
    assert on_new and all("党委评定" in p.message or "党员群众测评" in p.message for p in on_new)
    assert {p.sheet for p in on_new if "党委评定" in p.message} == {"量化评分表3", "量化评分表4"}  # not taken from 后进村's book
