"""The printouts a county accepts as the filing (issue 8, items 3 and 4): issuer titles,
sign-offs, filing columns, the 整改台账 kept across ratings, the 定星统计 chart."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

from starbook import api
from starbook.edits import CellBlock
from starbook.grid import find_cell
from starbook.sheets import ledger as L
from starbook.xlsx.read import read_grids
from starbook.xlsx.sheetpatch import patch_workbook

ARTIFACTS = Path(__file__).parent / "artifacts"
ISSUER = "中共张纪镇委员会"


def _patch(book: Path, sheet: str, label: str, right: int, value) -> None:
    """Type a value `right` columns right of a label, byte-faithfully (openpyxl would drop the chart)."""
    r, c = find_cell(read_grids(book)[sheet], label)
    patch_workbook(book, book, [CellBlock(sheet, r + 1, c + 1 + right, ((value,),))])


def _parts(book: Path, prefix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(book) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith(prefix)}


def test_the_ledger_keeps_what_cadres_typed_across_ratings(example):
    assert api.rate(example).ok
    grid = read_grids(example)[L.SHEET]
    blocks = L.find_blocks(grid)
    assert list(blocks) == ["石桥村党支部"]
    r = blocks["石桥村党支部"]
    assert grid[r + 2][:7] == list(L.COLUMNS)
    # a cadre fills the first line of the block
    typed = ("班子软弱涣散", "调整充实支部班子", "2026年6月底", "张三", "已召开专题会", "已销号")
    patch_workbook(example, example, [CellBlock(L.SHEET, r + 4, 2, (typed,))])
    for _ in range(2):
        assert api.rate(example).ok
    grid = read_grids(example)[L.SHEET]
    assert L.find_blocks(grid) == blocks  # no second block for the same organization
    assert tuple(grid[r + 3][1:7]) == typed
    assert grid[r + 1][5] == L.ON_LIST


def test_an_organization_leaving_the_list_keeps_its_block_and_a_new_one_is_appended():
    old = L.Entry("旧村党支部", "农村", "较差 / 无星", "末位等次")
    grid = [["整改台账"], [], [], *map(list, L.block_rows(old)), [], [None, "我们自己的备注"]]
    new = L.Entry("新村党支部", "农村", "较差 / 无星", "末位等次")
    edits, problems = L.ledger_edits({L.SHEET: grid}, [new], {"旧村党支部": "一般 / 二星级"})
    assert not problems
    at = {(e.row, e.col): e.values for e in edits}
    assert at[(5, 6)] == ((L.OFF_LIST,),)  # marked, never deleted
    assert at[(4, 6)] == (("一般 / 二星级",),)  # its latest result
    appended = [e for e in edits if len(e.values) == L.BLOCK_ROWS]
    assert len(appended) == 1 and appended[0].row == len(grid) + 2  # below the cadres' own note, one blank row between
    assert appended[0].values[0][1] == "新村党支部"


def test_new_blocks_are_one_edit_with_a_blank_row_between():
    entries = [L.Entry(f"第{i}村党支部", "农村", "较差 / 无星", "末位等次") for i in range(3)]
    edits, _ = L.ledger_edits({L.SHEET: [["整改台账"]]}, entries, {})
    assert len(edits) == 1 and edits[0].row == L.FIRST_BLOCK_ROW + 1
    grid = [[None]] * L.FIRST_BLOCK_ROW + [list(line) for line in edits[0].values]
    assert list(L.find_blocks(grid).values()) == [L.FIRST_BLOCK_ROW + i * (L.BLOCK_ROWS + 1) for i in range(3)]


def test_an_older_book_without_the_ledger_gets_a_hint():
    _, problems = L.ledger_edits({}, [L.Entry("旧村党支部", "农村", "较差", "末位等次")], {})
    assert problems and problems[0].severity == "提示" and problems[0].sheet == L.SHEET


def test_titles_name_the_issuer_and_refresh_when_rated(example):
    _patch(example, "参数", "发布单位", 1, ISSUER)
    assert api.rate(example).ok
    grids = read_grids(example)
    assert grids["汇总表"][0][0] == f"{ISSUER}基层党组织分类定级结果汇总表"
    assert grids["整改台账"][0][0] == f"{ISSUER}后进党组织整改台账"
    assert grids["定星统计"][0][0] == f"{ISSUER}基层党组织星级评定统计表"
    assert grids["量化评分表1"][0][0] == f"{ISSUER}基层党组织分类定级量化评分表"


def test_the_chart_part_is_untouched_by_rating_and_points_at_the_star_counts(example):
    charts = _parts(example, "xl/charts/")
    assert charts, "the 定星统计 has a native chart"
    xml = b"".join(charts.values()).decode("utf-8")
    assert "定星统计!$A$6:$A$11" in xml and "定星统计!$B$6:$B$11" in xml
    assert '<c:ptCount val="6"/></c:numCache>' in xml  # no cached counts that could go stale
    assert api.rate(example).ok
    _patch(example, "汇总表", "石桥村党支部", 0, "石桥村党支部")  # a byte-faithful edit, then rate again
    assert api.rate(example).ok
    assert _parts(example, "xl/charts/") == charts
    stats = read_grids(example)["定星统计"]
    assert [row[0] for row in stats[5:11]] == ["五星级", "四星级", "三星级", "二星级", "一星级", "无星"]
    assert sum(row[1] for row in stats[5:11]) == 12


def _render(book: Path, sheets: tuple[str, ...], name: str) -> str:
    """PDF and PNG pages into tests/artifacts (git-ignored) for a reviewer; the PDF's text."""
    from conftest import lo_required
    from starbook.pdf import export_pdf

    lo_required()
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"{name}.pdf"
    export_pdf(book, pdf, sheets)
    if shutil.which("pdftoppm"):
        for old in ARTIFACTS.glob(f"{name}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / name)], check=True)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


GUIDANCE = ("黄色单元格", "由“定星”自动生成", "预览，正式结果", "选“是”", "starbook", "点击")


def test_printouts_carry_the_signoffs_and_no_tool_instructions(example):
    _patch(example, "参数", "发布单位", 1, ISSUER)
    assert api.rate(example).ok
    text = _render(example, ("汇总表", "量化评分表1", "整改台账", "定星统计", "后进党组织调查摸底表"), "filing")
    flat = text.replace(" ", "")
    for line in ("党委书记（签字）", "党委（公章）", "县级复核意见", "申报星级", "主管部门党组织意见",
                 "自评经包村干部确认（签字）", "党组织（盖章）", "参加测评的工作人员（签字）",
                 f"{ISSUER}基层党组织分类定级结果汇总表", "存在主要问题", "销号", "重点整顿的后进党组织调查摸底表"):
        assert line in flat, line
    for words in GUIDANCE:
        assert words not in flat, words


def test_the_declared_star_goes_to_the_summary_with_a_note_where_the_result_differs(example):
    _patch(example, "量化评分表1", "申报星级", 1, "五星级")
    outcome = api.rate(example)
    assert outcome.ok
    summary = read_grids(example)["汇总表"]
    head = summary[2]
    name = read_grids(example)["量化评分表1"][2][1]
    row = next(line for line in summary if line[head.index("党组织名称")] == name)
    star = row[head.index("星级")]
    assert row[head.index("申报星级")] == "五星级"
    assert star != "五星级" and f"申报五星级，定为{star}" in row[head.index("调整说明")]
    others = [line[head.index("调整说明")] or "" for line in summary[3:] if line[head.index("党组织名称")] not in (None, name)]
    assert not any("申报" in n for n in others)  # nothing declared, nothing noted


def test_the_county_columns_are_kept_across_ratings(example):
    assert api.rate(example).ok
    head = read_grids(example)["汇总表"][2]
    c = head.index("县级复核意见")
    patch_workbook(example, example, [CellBlock("汇总表", 4, c + 1, (("同意",),))])
    assert api.rate(example).ok
    assert read_grids(example)["汇总表"][3][c] == "同意"


def test_the_supervisor_column_is_an_input_only_for_non_public_firms_and_social_organizations(tmp_path):
    book = tmp_path / "new.xlsm"
    api.new("分类定级", book, orgs=1)
    head = read_grids(book)["汇总表"][2]
    letter = chr(ord("A") + head.index("主管部门党组织意见"))
    kind = chr(ord("A") + head.index("类别"))
    xml = _parts(book, "xl/worksheets/sheet1.xml")["xl/worksheets/sheet1.xml"].decode("utf-8")
    rule = xml[xml.index(f'sqref="{letter}4:{letter}1048576"'):]
    assert f'NOT(OR(${kind}4="非公企业",${kind}4="社会组织"))' in rule[:rule.index("</conditionalFormatting>")]


def test_new_books_put_the_declared_star_next_to_the_result(tmp_path):
    from starbook.presets import all_presets

    for scheme in all_presets():
        book = tmp_path / f"{scheme.preset_id}.xlsm"
        api.new(scheme.preset, book, orgs=0)
        head = read_grids(book)["汇总表"][2]
        assert head.index("申报星级") + 1 == head.index("星级"), scheme.preset


def test_a_book_with_the_older_column_order_keeps_it_and_still_notes_the_declared_star(example):
    """Older books had 申报星级 after the results: data is found by titles, nothing moves."""
    head = read_grids(example)["汇总表"][2]
    declared, review = head.index("申报星级"), head.index("县级复核意见")
    patch_workbook(example, example, [CellBlock("汇总表", 3, declared + 1, (("县级复核意见",),)),
                                      CellBlock("汇总表", 3, review + 1, (("申报星级",),))])
    _patch(example, "量化评分表1", "申报星级", 1, "五星级")
    assert api.rate(example).ok
    summary = read_grids(example)["汇总表"]
    assert summary[2][review] == "申报星级" and summary[2][declared] == "县级复核意见"
    row = next(line for line in summary[3:] if line[review] == "五星级")
    assert "申报五星级，定为" in row[summary[2].index("调整说明")]
    assert all(line[declared] in (None, "") for line in summary[3:])


PRINTED = ("汇总表", "量化评分表1", "评分细则", "整改名单", "整改台账", "后进党组织调查摸底表", "定星统计", "公示")
TOOL_TEXT = (*GUIDANCE, "得分不得超过", "自动计算", "预览", "数据来源")


def test_every_filing_sheet_prints_on_a4_with_page_numbers_and_no_tool_text(example):
    """Every sheet a county receives, rendered by LibreOffice into tests/artifacts/every-sheet-*.png
    for a reviewer: A4 pages, a page number on each, none of the tool's own words or columns."""
    _patch(example, "参数", "发布单位", 1, ISSUER)
    assert api.rate(example).ok
    _render(example, PRINTED, "every-sheet")
    pdf = ARTIFACTS / "every-sheet.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == len(PRINTED)  # the example's sheets each fit one page
    for page in range(1, pages + 1):
        out = subprocess.run(["pdfinfo", "-f", str(page), "-l", str(page), str(pdf)], check=True, capture_output=True, text=True).stdout
        size = next(line for line in out.splitlines() if "size" in line)
        assert "(A4)" in size, (page, size)
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                              check=True, capture_output=True, text=True).stdout.replace(" ", "")
        assert re.search(r"第\d+页|—\d+—", text), page
        for words in TOOL_TEXT:
            assert words not in text, (page, words)
