"""导入测评票 (`starbook ballots`): real export files of every format into a real workbook."""
from __future__ import annotations

import csv
import hashlib
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


def record_rows(path: Path) -> list[dict]:
    grid = read_grids(path)["测评导入记录"]
    hr, cols = find_header(grid, "导入时间", "SHA-256")
    return [{t: line[c] for t, c in cols.items()} for line in grid[hr + 1:] if any(v != "" for v in line)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_export_twice_counts_once(book, tmp_path):
    export = wjx_text_xlsx(tmp_path / "问卷星.xlsx")
    assert main(["ballots", str(book), str(export)]) == 0
    assert main(["ballots", str(book), str(export)]) == 0
    assert counts_on_forms(book) == expected()
    rows = record_rows(book)
    assert [r["状态"] for r in rows] == ["已替换"] * 3 + ["有效"] * 3
    assert {r["SHA-256"] for r in rows} == {sha(export)}
    assert [(r["党组织名称"], r["好"], r["实际参评人数"]) for r in rows[3:]] == [(o, expected()[o]["好"], expected()[o]["实际参评人数"]) for o in ORGS]


def test_without_add_a_second_export_replaces_the_first(book, tmp_path):
    first, second = BALLOTS[:10], BALLOTS[10:]
    assert main(["ballots", str(book), str(wjx_text_xlsx(tmp_path / "一.xlsx", first))]) == 0
    assert main(["ballots", str(book), str(tencent_csv(tmp_path / "二.csv", second))]) == 0
    assert counts_on_forms(book) == expected(second)


def test_add_sums_different_exports_and_never_counts_one_twice(book, tmp_path):
    online, paper = BALLOTS[:10], BALLOTS[10:]
    online_file = wjx_number_csv(tmp_path / "网上.csv", online)
    paper_file = tally_xlsx(tmp_path / "纸质计票.xlsx", expected(paper))
    assert main(["ballots", str(book), str(online_file)]) == 0
    assert main(["ballots", str(book), str(paper_file), "--add"]) == 0
    assert counts_on_forms(book) == expected()
    assert main(["ballots", str(book), str(paper_file), "--add"]) == 0  # the same tally again: replaces itself
    assert counts_on_forms(book) == expected()
    states = [(r["文件"], r["状态"]) for r in record_rows(book)]
    assert states == [("网上.csv", "有效")] * 3 + [("纸质计票.xlsx", "已替换")] * 3 + [("纸质计票.xlsx", "有效")] * 3
    assert main(["ballots", str(book), str(paper_file)]) == 0  # without --add: only this file's counts
    assert counts_on_forms(book) == expected(paper)


def test_several_exports_in_one_command_add_up(book, tmp_path):
    a = plain_xlsx(tmp_path / "一组.xlsx", BALLOTS[:7])
    b = wjx_text_xlsx(tmp_path / "二组.xlsx", BALLOTS[7:])
    assert main(["ballots", str(book), str(a), str(b)]) == 0
    assert counts_on_forms(book) == expected()


def test_an_unknown_answer_is_listed_and_nothing_is_written(book, tmp_path, capsys):
    export = wjx_text_xlsx(tmp_path / "问卷星.xlsx")
    wb = openpyxl.load_workbook(export)
    wb.active["H6"] = "很好"  # ballot 5, 红旗村党支部
    wb.save(export)
    before = book.read_bytes()
    assert main(["ballots", str(book), str(export)]) == 1
    err = capsys.readouterr().err
    assert "【问卷星.xlsx】H6：“红旗村党支部”一列的答案「很好」不是测评选项（H6）" in err and "测评选项为 好、较好、一般、较差" in err
    assert "测评答案对应" in err  # the fix names the setting
    assert book.read_bytes() == before


def test_an_answer_code_set_in_params_is_used(book, tmp_path):
    grids = read_grids(book)
    hr, cols = find_header(grids[P.SHEET], *P.T_ANSWERS[1])
    below = hr + 1 + 8  # the eight default codes A–D, 1–4
    api.write_edits(book, book, [CellBlock(P.SHEET, below + 1, cols["测评答案"] + 1, (("很好", "好"),))])
    export = wjx_text_xlsx(tmp_path / "问卷星.xlsx")
    wb = openpyxl.load_workbook(export)
    wb.active["G2"] = "很好"  # ballot 1 said 好 for 东风村党支部
    wb.save(export)
    assert main(["ballots", str(book), str(export)]) == 0
    assert counts_on_forms(book) == expected()


def issue_tickets(book: Path, ranges: str) -> None:
    grids = read_grids(book)
    hr, cols = find_header(grids[P.SHEET], *P.T_ISSUED[1])
    api.write_edits(book, book, [CellBlock(P.SHEET, hr + 2, cols["已发票号"] + 1, ((ranges,),))])


def test_a_reused_or_unissued_ballot_number_is_not_counted(book, tmp_path, capsys):
    issue_tickets(book, "1-30")
    tickets = list(range(1, len(BALLOTS) + 1))
    tickets[7] = 3  # ballot 8 carries number 3 again
    tickets[12] = 99  # ballot 13 carries a number never issued
    export = plain_xlsx(tmp_path / "登记表.xlsx", tickets=tickets)
    assert main(["ballots", str(book), str(export)]) == 0
    err = capsys.readouterr().err
    assert "【登记表.xlsx】A5：票号 3 出现 2 次（A5、A10），无法确定哪一张是真的，这些票都不计" in err
    assert "【登记表.xlsx】A15：票号 99 不在已发出的票号中（参数表“已发票号”：1-30），这张票不计" in err
    counted = [b for i, b in enumerate(BALLOTS) if i not in (2, 7, 12)]
    assert counts_on_forms(book) == expected(counted)


def test_ballot_numbers_outside_an_issued_list_are_checked_only_when_one_is_set(book, tmp_path):
    export = plain_xlsx(tmp_path / "登记表.xlsx", tickets=[100 + i for i in range(len(BALLOTS))])
    assert main(["ballots", str(book), str(export)]) == 0
    assert counts_on_forms(book) == expected()


def test_an_organization_without_a_column_is_listed(book, tmp_path, capsys):
    export = tmp_path / "两个支部.csv"
    with export.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ORGS[:2])
        w.writerows([OPTIONS[b[0] or 0], OPTIONS[b[1] or 0]] for b in BALLOTS)
    before = book.read_bytes()
    assert main(["ballots", str(book), str(export)]) == 1
    err = capsys.readouterr().err
    assert "【量化评分表3】：本次导入的文件（两个支部.csv）中没有“向阳社区党支部”的测评票" in err and "--add" in err
    assert book.read_bytes() == before
    assert main(["ballots", str(book), str(export), "--add"]) == 0  # asked: only these two change
    assert "它的票数保持不变" in capsys.readouterr().err
    assert counts_on_forms(book)["向阳社区党支部"] == {"实际参评人数": None, **dict.fromkeys(OPTIONS, None)}


def test_a_column_that_fits_no_organization_or_two_is_listed(book, tmp_path, capsys):
    export = wjx_text_xlsx(tmp_path / "问卷星.xlsx")
    wb = openpyxl.load_workbook(export)
    wb.active["J1"] = "4、您的身份"
    wb.active["K1"] = "5、东风村党支部与红旗村党支部的联系"
    wb.active["J2"] = "党员"
    wb.save(export)
    assert main(["ballots", str(book), str(export)]) == 1
    err = capsys.readouterr().err
    assert "【问卷星.xlsx】J1：列标题“4、您的身份”对应不上任何党组织" in err
    assert "【问卷星.xlsx】K1：列标题“5、东风村党支部与红旗村党支部的联系”同时含有" in err


def test_an_organization_with_only_a_summary_row_needs_a_form(book, tmp_path, capsys):
    from starbook.fill import summary_rows

    grid = read_grids(book)["汇总表"]
    api.write_edits(book, book, [summary_rows(grid, [{"党组织名称": "石桥村党支部", "党委评定得分": 80, "党员群众测评得分": 80, "自评得分": 80}])])
    export = tmp_path / "四个.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append([*ORGS, "石桥村党支部"])
    for b in BALLOTS:
        wb.active.append([OPTIONS[a] if a is not None else None for a in b] + ["好"])
    wb.save(export)
    assert main(["ballots", str(book), str(export)]) == 1
    assert "“石桥村党支部”只有汇总表中的一行，没有量化评分表" in capsys.readouterr().err


def test_rate_after_import_scores_the_imported_counts(book, tmp_path):
    assert main(["ballots", str(book), str(wjx_number_csv(tmp_path / "问卷星.csv"))]) == 0
    outcome = api.rate(book)
    assert outcome.ok, outcome.problems
    scheme = outcome.scheme
    grid = read_grids(book)["汇总表"]
    hr, cols = find_header(grid, "党组织名称", "党员群众测评得分")
    shown = {line[cols["党组织名称"]]: Decimal(str(line[cols["党员群众测评得分"]])) for line in grid[hr + 1:] if line[cols["党组织名称"]]}
    assert shown == {org: vote_score({o: c[o] for o in OPTIONS}, scheme) for org, c in expected().items()}
    assert shown["东风村党支部"] == Decimal("83.04")  # by hand: (16×100 + 4×60 + 2×30 + 1×10) / 23 = 83.043…


def test_unusable_files_exit_2(book, tmp_path, capsys):
    junk = tmp_path / "坏.xlsx"
    junk.write_bytes(b"not a workbook")
    assert main(["ballots", str(book), str(junk)]) == 2
    assert "无法读取测评文件“坏.xlsx”" in capsys.readouterr().err
    other = tmp_path / "别的表.csv"
    other.write_text("姓名,电话\n张三,123\n", encoding="utf-8")
    assert main(["ballots", str(book), str(other)]) == 2
    assert "认不出测评文件“别的表.csv”" in capsys.readouterr().err
    assert main(["ballots", str(book), str(tmp_path / "没有.csv")]) == 2


def test_a_scheme_with_two_votes_needs_the_evaluator(tmp_path, capsys):
    path = tmp_path / "五级五评.xlsm"
    api.new("五级五评", path, orgs=1)
    export = plain_xlsx(tmp_path / "表.xlsx")
    assert main(["ballots", str(path), str(export)]) == 2
    assert "--evaluator" in capsys.readouterr().err


def test_output_elsewhere_leaves_the_workbook_alone(book, tmp_path):
    before = book.read_bytes()
    out = tmp_path / "已导入.xlsm"
    assert main(["ballots", str(book), str(wjx_text_xlsx(tmp_path / "问卷星.xlsx")), "-o", str(out)]) == 0
    assert book.read_bytes() == before
    assert counts_on_forms(out) == expected()


def test_a_workbook_open_in_excel_is_not_written(book, tmp_path, capsys):
    (book.parent / ("~$" + book.name)).write_bytes(b"\x05cadre" + bytes(160))
    before = book.read_bytes()
    assert main(["ballots", str(book), str(wjx_text_xlsx(tmp_path / "问卷星.xlsx"))]) == 2
    assert "正在 Excel 或 WPS 中打开" in capsys.readouterr().err
    assert book.read_bytes() == before


def test_importing_keeps_every_other_part_of_the_workbook(book, tmp_path):
    import zipfile

    from starbook.xlsx.sheetpatch import sheet_parts

    with zipfile.ZipFile(book) as zf:
        before = {i.filename: zf.read(i.filename) for i in zf.infolist()}
        parts = sheet_parts(zf)
    assert main(["ballots", str(book), str(wjx_text_xlsx(tmp_path / "问卷星.xlsx"))]) == 0
    with zipfile.ZipFile(book) as zf:
        after = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    changed = {n for n in before if before[n] != after.get(n)}
    forms = {parts[f"量化评分表{i}"] for i in (1, 2, 3)}
    assert set(after) <= set(before) and {parts["量化评分表1"], parts["测评导入记录"]} <= changed  # a form, the record
    assert changed <= forms | {parts["测评导入记录"], "xl/sharedStrings.xml"}
    assert "xl/vbaProject.bin" in before and before["xl/vbaProject.bin"] == after["xl/vbaProject.bin"]


def test_a_workbook_from_before_the_import_uses_the_defaults(book, tmp_path):
    """No 测评导入记录 sheet and no 测评答案对应/已发票号 tables (a workbook made by an earlier starbook)."""
    from starbook.ballots.importer import plan_import
    from starbook.ballots.source import Export
    from starbook.problems import BookError

    grids = read_grids(book)
    del grids["测评导入记录"]
    start = find_header(grids[P.SHEET], *P.T_ANSWERS[1])[0] - 1
    grids[P.SHEET] = grids[P.SHEET][:start]  # the sheet as it ended before: 【晋位升级目标】 last
    export = wjx_number_csv(tmp_path / "问卷星.csv")  # answers 1–4: the default codes
    outcome = plan_import(grids, [Export(export.name, export.read_bytes())])
    assert outcome.ok and [str(w) for w in outcome.warnings] == ["【测评导入记录】：工作簿中没有“测评导入记录”表，本次导入不留记录。可用新版 starbook new 生成带记录表的工作簿"]
    assert {o.name: o.counts for o in outcome.orgs} == {org: {o: c[o] for o in OPTIONS} for org, c in expected().items()}
    with pytest.raises(BookError, match="不能相加"):
        plan_import(grids, [Export(export.name, export.read_bytes())], add=True)


def test_a_number_with_a_fraction_is_no_choice_letter_and_dot():
    """“3.5” (a number in the export, or typed) once read as choice 3 (一般): an answer that fits
    no option is listed, never guessed; “3.好” and “C、一般” still read by their text or letter."""
    from starbook.ballots.answers import AnswerKey

    key = AnswerKey(("好", "较好", "一般", "较差"), {"A": "好", "B": "较好", "C": "一般", "D": "较差", "1": "好", "2": "较好", "3": "一般", "4": "较差"})
    for value in (3.5, "3.5", "1.0", "2.25", 10, "10"):
        assert key.option(value) is None, value
    assert [key.option(v) for v in ("3.好", "C、一般", "(A)好", 3.0, "３", "Ｂ", "D.较差")] == ["好", "一般", "好", "一般", "一般", "较好", "较差"]
