"""A whole year of one township, end to end through the command line, on real files.

12 organizations made with `starbook new` and `starbook forms`, handed down with
`distribute`, three branch workbooks filled (自评, 申报星级) and `collect`ed back, the
ballot counted from a 问卷星 export for all 12 with `ballots`, the committee's scores
typed in, `rate`, `publish`, and next year started with `new --from`. Between the
commands cells are typed the way a cadre's Excel would (starbook.fill, by titles).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from make_example import BRANCHES
from make_year_example import BOOK, EXPORT, ISSUER, OUT as EXAMPLE, RETURNED, RETURNS, branch_edits, committee_edits, roster_edits, wjx_export
from starbook import api
from starbook.cli import main
from starbook.edits import CellBlock
from starbook.fill import form_cells
from starbook.grid import find_header, text
from starbook.roster import book_year, members
from starbook.sheets import params as P
from starbook.sheets.forms import form_sheets
from starbook.sheets.ledger import find_blocks
from starbook.xlsx.read import read_grids

NAMES = [b[0] for b in BRANCHES]
PAPER = [n for n in NAMES if n not in RETURNED]  # branches that handed in paper forms, typed by the committee
STARS = {
    "东风村党支部": "五星级", "红旗村党支部": "四星级", "向阳社区党支部": "四星级", "新华村党支部": "四星级",
    "长青村党支部": "四星级", "镇机关党支部": "三星级", "光明村党支部": "三星级", "幸福村党支部": "二星级",
    "和平村党支部": "二星级", "宏达公司党支部": "一星级", "石桥村党支部": "无星", "南岭村党支部": "二星级",
}


def _type(path: Path, edits) -> None:
    api.write_edits(path, path, edits)


def _summary(path: Path) -> dict[str, dict[str, object]]:
    grid = read_grids(path)["汇总表"]
    hr, cols = find_header(grid, "党组织名称", "星级")
    return {text(r[cols["党组织名称"]]): {t: r[c] for t, c in cols.items()} for r in grid[hr + 1:] if text(r[cols["党组织名称"]])}


def _form_values(path: Path) -> dict[str, dict[str, object]]:
    """Each form's 自评 total (its 合计 cell is a formula: its cached value), 申报星级 and vote counts."""
    grids = read_grids(path)
    out = {}
    for m in members(grids):
        grid = grids[m.form]
        cells = form_cells(grid)
        own = [grid[r][c] for r, c in cells.items["自评"]]
        votes = {label: grid[r][c] for label, (r, c) in cells.votes["党员群众测评"].items()}
        out[m.name] = {"自评": None if all(v == "" for v in own) else sum(own), "申报星级": grid[cells.header["申报星级"][0]][cells.header["申报星级"][1]],
                       **votes}
    return out


def test_forms_keep_the_year_of_a_book_made_without_forms(tmp_path):
    """`new --year 2025 --orgs 0`, organizations typed in, `forms`: the forms say 2025, whatever today's year."""
    book = tmp_path / "张纪镇2025.xlsm"
    assert main(["new", "--scheme", "分类定级", "--orgs", "0", "--year", "2025", "-o", str(book)]) == 0
    _type(book, roster_edits(book))
    assert main(["forms", str(book)]) == 0
    grids = read_grids(book)
    years = {grids[s][r][c + 1] for s in form_sheets(list(grids)) for r, line in enumerate(grids[s][:12]) for c, v in enumerate(line) if v == "年度"}
    assert years == {2025}


def _ledger_lines(path: Path) -> list[CellBlock]:
    """Two items the committee types into 石桥村's block of the 整改台账, the second closed (销号)."""
    grid = read_grids(path)["整改台账"]
    r = find_blocks(grid)["石桥村党支部"]
    cols = {text(v): c for c, v in enumerate(grid[r + 2]) if text(v)}
    lines = (("测评参与率低", "重新组织测评", "2027-03-31", "王书记", "进行中", None),
             ("阵地建设滞后", "改造活动室", "2026-12-31", "李委员", "已完成", "已销号"))
    return [CellBlock("整改台账", r + 4, cols["存在主要问题"] + 1, lines)]


def test_a_township_s_whole_year_through_the_command_line(tmp_path, capsys):
    book = tmp_path / "张纪镇2026.xlsm"

    # 1. the township's book: `new`, the organizations typed into the 汇总表, `forms`
    assert main(["new", "--scheme", "分类定级", "--orgs", "0", "-o", str(book)]) == 0
    _type(book, roster_edits(book))
    assert main(["forms", str(book)]) == 0
    grids = read_grids(book)
    assert len(form_sheets(list(grids))) == 12 and book_year(grids) == 2026
    assert [(m.name, m.category, m.last_star) for m in members(grids)] == [(b[0], b[1], b[5]) for b in BRANCHES]

    # 2. hand the forms down
    folder = tmp_path / "分发"
    assert main(["distribute", str(book), "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.xlsm" for n in NAMES)
    for name in NAMES:
        handed = read_grids(folder / f"{name}.xlsm")
        assert [m.name for m in members(handed)] == [name] and P.book_kind(handed[P.SHEET])[0] == "支部填报"

    # 3. three branches fill their own parts (自评, 申报星级) and check them; the committee's parts are not due there
    returned = tmp_path / "支部来件"
    returned.mkdir()
    for name, declared in RETURNED.items():
        path = folder / f"{name}.xlsm"
        _type(path, branch_edits(path, name, declared))
        capsys.readouterr()
        assert main(["check", str(path)]) == 0
        assert "“党委评定”未填写" in capsys.readouterr().err
        (returned / path.name).write_bytes(path.read_bytes())
    assert main(["check", str(folder / "红旗村党支部.xlsm")]) == 1  # handed down, never filled: its 自评 is due

    # 4. collect them back into the township's book
    assert main(["collect", str(returned), "-o", str(book)]) == 0
    forms = _form_values(book)
    own = {b[0]: int(b[3]) for b in BRANCHES}
    assert {n: (v["自评"], v["申报星级"]) for n, v in forms.items() if n in RETURNED} == {n: (own[n], RETURNED[n]) for n in RETURNED}
    assert all(forms[n]["自评"] is None and forms[n]["申报星级"] == "" for n in PAPER)

    # 5. the 问卷星 ballot for all 12
    export = wjx_export(tmp_path / "问卷星.csv")
    assert main(["ballots", str(book), str(export)]) == 0
    forms = _form_values(book)
    for name, _, _, _, (roll, voted, good, fair, so_so, poor), _, _ in BRANCHES:
        assert {k: forms[name][k] for k in ("好", "较好", "一般", "较差", "实际参评人数")} == {
            "好": good, "较好": fair, "一般": so_so, "较差": poor, "实际参评人数": voted}
    assert main(["ballots", str(book), str(export)]) == 0  # the same export again: counted once
    assert _form_values(book) == forms

    # 6. the committee's scores (党委评定, the roll) and the paper forms' 自评
    assert main(["check", str(book)]) == 1
    _type(book, committee_edits(book, own_scores_of=PAPER))
    capsys.readouterr()
    assert main(["check", str(book)]) == 0

    # 7. rate
    assert main(["rate", str(book)]) == 0
    rows = _summary(book)
    assert {n: r["星级"] for n, r in rows.items()} == STARS
    assert rows["东风村党支部"]["综合得分"] == 96.9  # 97×50% + 96×30% + 98×20%
    assert rows["向阳社区党支部"]["调整说明"].endswith("申报五星级，定为四星级")
    assert rows["石桥村党支部"]["调整说明"].endswith("申报二星级，定为无星")
    assert not rows["东风村党支部"]["调整说明"]  # declared 五星级 and got it

    # the committee keeps its 整改台账: one item open, one closed (销号)
    _type(book, _ledger_lines(book))

    # 8. publish
    if shutil.which("soffice"):  # without LibreOffice (outside CI) the year goes on unpublished
        pdf = tmp_path / "公示.pdf"
        assert main(["publish", str(book), "-o", str(pdf)]) == 0
        assert pdf.read_bytes()[:5] == b"%PDF-"

    # 9. next year
    nxt = tmp_path / "张纪镇2027.xlsm"
    capsys.readouterr()
    assert main(["new", "--from", str(book), "-o", str(nxt)]) == 0
    assert "未销号的 1 条" in capsys.readouterr().err
    grids = read_grids(nxt)
    assert book_year(grids) == 2027 and P.book_kind(grids[P.SHEET])[0] == "党委汇总"
    issuer_at = P.setting_cell(grids[P.SHEET], "发布单位")
    assert grids[P.SHEET][issuer_at[0]][issuer_at[1]] == ISSUER  # 参数 as last year's, 发布单位 included
    wb = openpyxl.load_workbook(nxt)  # a second reader, for the formula itself: 发布单位 & the form's name, once
    assert {wb[s]["A1"].value for s in form_sheets(wb.sheetnames)} == {"='参数'!$B$%d&\"基层党组织分类定级量化评分表\"" % (issuer_at[0] + 1)}
    assert [(m.name, m.category, m.last_star) for m in members(grids)] == [(b[0], b[1], STARS[b[0]]) for b in BRANCHES]
    ledger = grids["整改台账"]
    [(name, r)] = find_blocks(ledger).items()
    cols = {text(v): c for c, v in enumerate(ledger[r + 2]) if text(v)}
    assert name == "石桥村党支部"
    assert [text(ledger[r + 3][cols[t]]) for t in ("存在主要问题", "责任人", "销号")] == ["测评参与率低", "王书记", ""]
    assert all(text(v) == "" for v in ledger[r + 4]) if r + 4 < len(ledger) else True


def test_the_ribbon_s_year_gives_the_command_line_s_files(tmp_path):
    """分发评分表, 校验 and 定星 in a branch's book, 导入测评票, 定星 and 新年度 on xlwings' remote
    engine (the JSON the ribbon's clients send) write what the commands write, step by step."""
    xw = pytest.importorskip("xlwings")
    from datetime import datetime

    from starbook import excel
    from test_excel_shell import apply_actions, payload

    now, user = datetime(2026, 12, 1, 9, 0, 0), "zuzhi"
    shutil.copytree(EXAMPLE, tmp_path / "cli")
    shutil.copytree(EXAMPLE, tmp_path / "live")
    cli, live = tmp_path / "cli" / BOOK, tmp_path / "live" / BOOK

    def press(button, path, **kwargs):
        book = xw.Book(json=payload(path))
        result = button(book=book, **kwargs)
        others = apply_actions(path, None, book.json()["actions"])
        return result, others

    # 分发评分表
    by_cli, _ = api.distribute(cli, tmp_path / "cli" / "分发")
    written, _ = press(excel.distribute, live, folder=tmp_path / "live" / "分发")
    assert sorted(p.name for p in written) == sorted(p.name for p in by_cli)
    for path in by_cli:
        assert read_grids(tmp_path / "live" / "分发" / path.name) == read_grids(path)

    # a branch's own book: 校验 and its 定星 preview, the committee's part not yet in
    branch_cli = tmp_path / "cli" / RETURNS / "东风村党支部.xlsm"
    branch_live = tmp_path / "live" / RETURNS / "东风村党支部.xlsm"
    checked, _ = press(excel.check, branch_live)
    assert checked.ok and checked.problems == api.check(branch_cli).problems
    book = xw.Book(json=payload(branch_live))
    rated = excel.rate(book=book, now=now, user=user)
    actions = book.json()["actions"]
    assert rated.ok and rated.problems == api.rate(branch_cli, now=now, user=user).problems
    apply_actions(branch_live, None, actions)
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert alert.startswith("定星完成：1 个党组织（方案：分类定级）。\n\n提示：") and "“党委评定”未填写" in alert
    for sheet in ("汇总表", "定星统计", "定星记录", "整改名单"):  # (Excel itself recomputes the forms' formulas)
        assert read_grids(branch_live)[sheet] == read_grids(branch_cli)[sheet], sheet
    assert _summary(branch_live)["东风村党支部"]["调整说明"].startswith("预览：党委评定、党员群众测评尚未填写")

    # 导入测评票 (问卷星's GBK .csv), then 定星
    for folder in ("cli", "live"):
        assert api.collect([tmp_path / folder / RETURNS], tmp_path / folder / BOOK).written
    assert api.ballots(cli, [tmp_path / "cli" / EXPORT], now=now, user=user).ok
    imported, _ = press(excel.import_ballots, live, paths=[tmp_path / "live" / EXPORT], now=now, user=user)
    assert imported.ok
    cli_grids, live_grids = read_grids(cli), read_grids(live)
    for sheet in [*form_sheets(list(cli_grids)), "测评导入记录"]:
        assert live_grids[sheet] == cli_grids[sheet], sheet
    assert api.rate(cli, now=now, user=user).ok
    rated, _ = press(excel.rate, live, now=now, user=user)
    assert rated.ok
    cli_grids, live_grids = read_grids(cli), read_grids(live)
    for sheet in ("汇总表", "定星记录", "定星统计", "整改名单", "整改台账", "公示"):  # below the titles, formulas Excel recomputes
        assert live_grids[sheet][1:] == cli_grids[sheet][1:], sheet
    assert {n: r["星级"] for n, r in _summary(live).items()} == STARS

    # 新年度, with an open item the committee typed into its 整改台账
    for path in (cli, live):
        _type(path, _ledger_lines(path))
    by_cli, notes = api.new_from(cli, tmp_path / "cli" / "张纪镇2027.xlsm")
    assert any("未销号的 1 条" in p.message for p in notes)
    out, _ = press(excel.new_year, live, out=tmp_path / "live" / "张纪镇2027.xlsm")
    assert read_grids(out) == read_grids(by_cli)
