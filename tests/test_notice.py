"""The 公示 sheet and `starbook publish`: the notice lists every proposed star, keeps what
the cadre typed, and prints through real LibreOffice as an A4 GB/T 9704 notice."""
from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT, lo_required
from starbook import api, cli
from starbook.edits import CellBlock
from starbook.grid import find_cell, find_header
from starbook.pdf import only_sheets
from starbook.ratebook import rate_book
from starbook.sheets import notice as N
from starbook.sheets import params as P
from starbook.xlsx.parts import sheet_parts
from starbook.xlsx.read import read_grids

ARTIFACTS = ROOT / "tests" / "artifacts"
ISSUER = "中共张纪镇委员会"


def set_notice_settings(path: Path, **values) -> None:
    """Type the 公示 settings into 参数, found by their titles, as a cadre would."""
    grid = read_grids(path)[P.SHEET]
    hr, cols = find_header(grid, P.KEY, P.VALUE)
    edits = []
    for key, value in values.items():
        r, _ = find_cell(grid, key)
        edits.append(CellBlock(P.SHEET, r + 1, cols[P.VALUE] + 1, ((value,),)))
    api.write_edits(path, path, edits)


def sheet_part(path: Path, sheet: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(sheet_parts(zf)[sheet])


def notice_text(path: Path) -> list[str]:
    """The 公示 as its printed lines (each row's cells joined)."""
    return ["".join(str(v) for v in row if v not in (None, "")) for row in read_grids(path)[N.SHEET]]


def grouped(lines: list[str]) -> dict[str, list[str]]:
    """Organization names under their star heading: "一、五星级（2个）：A、B。" and its continuation lines."""
    groups: dict[str, list[str]] = {}
    current = None
    for line in lines:
        body = line.strip("　 ")
        head = next((s for s in (*N.STARS, N.PENDING) if f"、{s}（" in body[:8]), None)
        if head is not None:
            current = head
            body = body.split("：", 1)[1]
        elif current is None or body.startswith("公示期"):
            current = None if body.startswith("公示期") else current
            continue
        if "党委研究确定" in body:
            continue
        groups.setdefault(current, []).extend(n for n in body.rstrip("。").split("、") if n)
    return groups


def expected_groups(outcome) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in outcome.rating.results:  # the 汇总表's order
        out.setdefault(r.star, []).append(r.name)
    return out


@pytest.fixture
def rated(example, tmp_path) -> tuple[Path, object]:
    set_notice_settings(example, 发布单位=ISSUER, 公示开始日期=45663, 联系人="王芳", 联系电话="0851-86212345")  # 2025-01-06, a Monday
    outcome = api.rate(example)
    assert outcome.ok
    return example, outcome


# ---------------------------------------------------------------- the sheet


def test_working_days_skip_the_weekend():
    assert N.working_day_end(date(2026, 1, 5), 5) == date(2026, 1, 9)  # Monday → Friday
    assert N.working_day_end(date(2026, 1, 9), 5) == date(2026, 1, 15)  # Friday → next Thursday
    assert N.working_day_end(date(2026, 1, 10), 1) == date(2026, 1, 12)  # a Saturday start counts from Monday


def test_lines_never_start_with_closing_punctuation():
    lines = N.paragraph("根据基层党组织星级评定工作安排，经党委评定、党员群众测评、自评等程序，党委研究拟定了12个基层党组织的星级，现予公示：")
    assert len(lines) > 1
    assert not any(line[0] in N.NO_LINE_START for line in lines)
    assert all(sum(map(N._em, line)) <= N.LINE_EM for line in lines)


def test_rating_fills_the_notice_grouped_by_star(rated):
    path, outcome = rated
    lines = notice_text(path)
    assert lines[0] == f"{ISSUER}关于" and lines[1] == "基层党组织星级评定结果的公示"  # too long for one 22 pt line
    assert grouped(lines) == expected_groups(outcome)
    assert set(expected_groups(outcome)) == {"五星级", "四星级", "三星级", "二星级", "一星级", "无星"}
    text = "".join(lines)
    assert "公示期为2025年1月6日至2025年1月10日（5个工作日）" in text
    assert "联系人：王芳" in text and "联系电话：0851-86212345" in text
    assert f"{ISSUER}（盖章）" in lines
    assert not any("starbook" in line or "定星" in line for line in lines)  # no tool instructions print


def test_tied_organizations_are_listed_apart_as_pending(tmp_path):
    from decimal import Decimal

    from starbook.fill import summary_rows

    path = tmp_path / "tie.xlsm"
    api.new("分类定级", path, orgs=0)
    # ten graded 好 (≥90): 五星级 cap floor(20% × 10) = 2, and the second place is a tie
    scores = [96, 93, 93, 92, 92, 91, 91, 90, 90, 90, 75, 62]
    rows = [{"党组织名称": f"第{i + 1}党支部", "党委评定得分": Decimal(v), "党员群众测评得分": Decimal(v), "自评得分": Decimal(v)}
            for i, v in enumerate(scores)]
    api.write_edits(path, path, [summary_rows(read_grids(path)["汇总表"], rows)])
    outcome = api.rate(path)
    assert outcome.ok and outcome.rating.column("star")[1:3] == ["待定", "待定"]
    lines = notice_text(path)
    assert grouped(lines) == expected_groups(outcome)
    pending = next(i for i, line in enumerate(lines) if "待定（2个）" in line)
    assert "星级待党委研究确定" in lines[pending + 1]
    assert pending > max(i for i, line in enumerate(lines) if "无星" in line or "一星级" in line)  # listed after the stars


def test_rerating_keeps_what_the_cadre_typed(rated):
    path, outcome = rated
    lines = notice_text(path)
    seal = lines.index(f"{ISSUER}（盖章）")
    grid = read_grids(path)[N.SHEET]
    col = next(c for c, v in enumerate(grid[seal]) if v)
    api.write_edits(path, path, [
        CellBlock(N.SHEET, seal + 2, col + 1, (("2025年1月6日",),)),
        CellBlock(N.SHEET, seal + 4, 1, (("附件：星级评定汇总表",),)),
        CellBlock(N.SHEET, seal + 5, 1, (("抄送：县委组织部",),)),
    ])
    set_notice_settings(path, 发布单位="张纪镇党委", 联系电话="0851-86219999")
    assert api.rate(path).ok
    again = notice_text(path)
    assert again[:2] == ["张纪镇党委关于", "基层党组织星级评定结果的公示"]  # refreshed from 参数
    assert "联系电话：0851-86219999" in "".join(again)
    seal = again.index("张纪镇党委（盖章）")
    assert again[seal + 1] == "2025年1月6日"
    assert again[seal + 2:] == ["", "附件：星级评定汇总表", "抄送：县委组织部"]
    assert grouped(again) == expected_groups(outcome)


def test_rerating_with_an_unchanged_notice_leaves_the_sheet_as_it_is(rated):
    path, _ = rated
    before = sheet_part(path, N.SHEET)
    outcome = rate_book(read_grids(path))
    assert outcome.ok and not [e for e in outcome.edits if e.sheet == N.SHEET]  # nothing to rewrite
    assert api.rate(path).ok
    assert sheet_part(path, N.SHEET) == before
    set_notice_settings(path, 联系人="李明")
    assert [e for e in rate_book(read_grids(path)).edits if e.sheet == N.SHEET]  # a changed notice is rewritten
    assert api.rate(path).ok
    assert "联系人：李明" in "".join(notice_text(path))


@pytest.mark.parametrize("seed", range(4))
def test_a_written_notice_reads_back_as_written(tmp_path, seed):
    """The skip above compares the notice with the sheet's values: any notice 定星 writes,
    with any cells the cadre typed below it, must read back equal, or it would be rewritten forever."""
    import random
    from decimal import Decimal

    from starbook.fill import summary_rows

    rng = random.Random(seed)
    path = tmp_path / "n.xlsm"
    api.new("分类定级", path, orgs=0)
    names = [rng.choice(["第", "Ａ", "x", "_x0041_", "社区", "&<>", "，", "公司"]) * rng.randint(1, 9) + str(i) for i in range(rng.randint(3, 40))]
    rows = [{"党组织名称": n, "党委评定得分": Decimal(rng.randint(60, 99)), "党员群众测评得分": Decimal(rng.randint(60, 99)),
             "自评得分": Decimal(rng.randint(60, 99))} for n in names]
    api.write_edits(path, path, [summary_rows(read_grids(path)["汇总表"], rows)])
    assert api.rate(path).ok
    seal = next(i for i, line in enumerate(read_grids(path)[N.SHEET]) if any(str(v).endswith(N.SEAL) for v in line))
    typed = [rng.choice(["抄送：县委组织部", 12, 3.5, " 附件 ", "x\ny"]) for _ in range(rng.randint(0, 4))]
    api.write_edits(path, path, [CellBlock(N.SHEET, seal + 3 + i, rng.randint(1, 5), ((v,),)) for i, v in enumerate(typed)])
    assert api.rate(path).ok  # the typed cells are rewritten with the notice once
    outcome = rate_book(read_grids(path))
    assert outcome.ok and not [e for e in outcome.edits if e.sheet == N.SHEET]


def test_blank_settings_leave_room_to_write_by_hand(example):
    assert api.rate(example).ok
    lines = notice_text(example)
    assert lines[0] == "关于基层党组织星级评定结果的公示"
    assert f"公示期为{N.DATE_BLANK}至{N.DATE_BLANK}（5个工作日）" in "".join(lines)
    assert lines[-2:] == [N.SEAL, N.DATE_BLANK]


def test_a_bad_start_date_is_a_warning_naming_the_cell(example):
    set_notice_settings(example, 公示开始日期="下周一")
    outcome = api.rate(example)
    assert outcome.ok
    warning = next(p for p in outcome.warnings if p.sheet == "参数" and "公示开始日期" in p.message)
    assert warning.cell.startswith("B") and "2026-01-05" in warning.fix


def test_the_ribbon_fills_the_same_notice(rated, tmp_path):
    pytest.importorskip("xlwings")
    from test_excel_shell import NOW, USER, apply_actions, live_rate

    path, _ = rated
    by_cli = tmp_path / "cli.xlsm"
    assert api.rate(path, by_cli, now=NOW, user=USER).ok
    outcome, actions = live_rate(path)
    assert outcome.ok
    apply_actions(path, None, actions)
    assert read_grids(path)[N.SHEET] == read_grids(by_cli)[N.SHEET]


def test_template_notice_is_a4_gbt9704():
    from openpyxl import load_workbook

    ws = load_workbook(api.template_path())[N.SHEET]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    m = ws.page_margins
    assert [round(v * 25.4, 1) for v in (m.top, m.bottom, m.left, m.right)] == [37.0, 35.0, 28.0, 26.0]
    assert ws["B1"].font.name == "方正小标宋简体" and ws["B1"].font.sz == 22
    widths = [ws.column_dimensions[c].width for c in "ABC"]
    assert widths[0] == widths[2]  # the title column's centre is the 版心's centre
    assert sum(round(w * 7) * 25.4 / 96 for w in widths) <= 156  # Calibri 11: 7 px a character (padding included)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0


# ---------------------------------------------------------------- publish


def pdf_lines(pdf: Path) -> list[str]:
    """The PDF's text in reading order, one string per printed line."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
        return [" ".join(line.split()) for line in out.splitlines() if line.strip()]
    pdfium = pytest.importorskip("pypdfium2", reason="needs pdftotext (poppler-utils) or pypdfium2")
    lines: list[str] = []
    for page in pdfium.PdfDocument(str(pdf)):
        tp = page.get_textpage()
        chars = []
        for i in range(tp.count_chars()):
            ch = tp.get_text_range(i, 1)
            if ch.strip():
                left, bottom, right, top = tp.get_charbox(i)
                chars.append(((top + bottom) / 2, left, ch))
        chars.sort(key=lambda c: -c[0])
        line: list = []
        for c in chars:  # a new line where the glyph centres jump by more than 6 pt
            if line and line[-1][0] - c[0] > 6:
                lines.append("".join(ch for _, _, ch in sorted(line, key=lambda c: c[1])))
                line = []
            line.append(c)
        if line:
            lines.append("".join(ch for _, _, ch in sorted(line, key=lambda c: c[1])))
    return lines


def render_png(pdf: Path, stem: str) -> list[Path]:
    """Pages as PNG in tests/artifacts/ (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(ARTIFACTS / stem)], check=True)
        return sorted(ARTIFACTS.glob(f"{stem}*.png"))
    try:
        import pypdfium2 as pdfium

        out = []
        for i, page in enumerate(pdfium.PdfDocument(str(pdf))):
            target = ARTIFACTS / f"{stem}-{i + 1}.png"
            page.render(scale=100 / 72).to_pil().save(target)
            out.append(target)
        return out
    except ImportError:
        return []


def test_publish_prints_every_organization_under_its_star(rated, tmp_path):
    lo_required()
    path, outcome = rated
    before = path.read_bytes()
    pdf = tmp_path / "公示.pdf"
    assert cli.main(["publish", str(path), "-o", str(pdf)]) == 0
    assert path.read_bytes() == before  # the workbook is only read
    lines = [line.replace(" ", "") for line in pdf_lines(pdf)]
    assert any("基层党组织星级评定结果的公示" in line for line in lines)
    assert grouped(lines) == expected_groups(outcome)
    assert not any("党组织名称" in line for line in lines)  # the 汇总表 is not in it
    render_png(pdf, "publish-notice")
    try:
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(pdf))
        assert len(doc) == 1
        width, height = doc[0].get_size()
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4 portrait
    except ImportError:
        pass


def test_publish_all_adds_the_summary_and_the_rectification_list(rated, tmp_path):
    lo_required()
    path, outcome = rated
    pdf = tmp_path / "all.pdf"
    assert cli.main(["publish", str(path), "-o", str(pdf), "--all"]) == 0
    text = "".join(pdf_lines(pdf)).replace(" ", "")
    first = text.index("基层党组织星级评定结果的公示")
    assert text.index("结果汇总表") > first  # the notice comes first, in the order asked
    assert "后进党组织整改名单" in text
    assert "星级评定参数" not in text and "应参评人数" not in text  # the other sheets (参数, the forms) stay out
    render_png(pdf, "publish-all")


def test_publish_without_libreoffice_names_the_package(rated, tmp_path, monkeypatch, capsys):
    path, _ = rated
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert cli.main(["publish", str(path), "-o", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert "LibreOffice" in err and "libreoffice-calc" in err
    assert not (tmp_path / "x.pdf").exists()


def test_publish_before_rating_asks_for_定星_first(example, tmp_path, capsys):
    assert cli.main(["publish", str(example), "-o", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert "尚未定星" in err and "starbook rate" in err
    assert not (tmp_path / "x.pdf").exists()


def test_only_sheets_moves_the_wanted_sheets_first_and_hides_the_rest():
    xml = ('<workbook><bookViews><workbookView activeTab="2"/></bookViews><sheets>'
           '<sheet name="汇总表" sheetId="1" r:id="rId1"/><sheet name="整改名单" sheetId="2" r:id="rId2"/>'
           '<sheet name="公示" sheetId="3" r:id="rId3"/><sheet name="x" sheetId="4" state="hidden" r:id="rId4"/></sheets>'
           '<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">汇总表!$1:$3</definedName>'
           '<definedName name="_xlnm.Print_Titles" localSheetId="1">整改名单!$1:$3</definedName></definedNames></workbook>')
    out = only_sheets(xml, ["公示", "汇总表"])
    assert out.index('name="公示"') < out.index('name="汇总表"') < out.index('name="整改名单"')
    assert '<sheet name="公示" sheetId="3" r:id="rId3"/>' in out
    assert '<sheet name="汇总表" sheetId="1" r:id="rId1"/>' in out
    assert '<sheet state="hidden" name="整改名单"' in out and '<sheet state="hidden" name="x"' in out
    assert 'localSheetId="1">汇总表' in out and 'localSheetId="2">整改名单' in out
    assert "activeTab" not in out
