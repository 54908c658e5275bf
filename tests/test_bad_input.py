"""Bad input gets a clear Chinese answer naming sheet, cell and fix, and nothing is written."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from starbook import api
from starbook.cli import main
from starbook.fill import FormFill, form_edits, summary_rows
from starbook.edits import CellBlock
from starbook.xlsx.read import read_grids


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def cell_of(path: Path, sheet: str, label: str) -> tuple[int, int]:
    """1-based (row, col) of the cell right of `label` on `sheet`."""
    grid = read_grids(path)[sheet]
    for r, line in enumerate(grid):
        for c, v in enumerate(line):
            if v == label:
                return r + 1, c + 2
    raise KeyError(label)


def set_cells(path: Path, *blocks: CellBlock) -> None:
    api.write_edits(path, path, list(blocks))


@pytest.fixture
def filled(example) -> Path:
    """The example: 12 filled forms under 分类定级."""
    return example


def assert_rejected(capsys, path: Path, *needles: str) -> str:
    before = digest(path)
    code, out = run(capsys, "check", path)
    assert code == 1, out
    for needle in needles:
        assert needle in out, out
    code, out_rate = run(capsys, "rate", path)
    assert code == 1
    assert "未写入任何内容" in out_rate
    assert digest(path) == before  # nothing written
    assert "Traceback" not in out + out_rate
    return out


def test_score_above_its_points(capsys, filled):
    # 量化评分表3, first item (分值 8) of 党委评定, column G, first item row 8
    set_cells(filled, CellBlock("量化评分表3", 8, 7, ((9,),)))
    assert_rejected(capsys, filled, "【量化评分表3】G8：党委评定得分 9 超出范围 0～8", "请改为 0 到 8 之间的分数")


def test_negative_score(capsys, filled):
    set_cells(filled, CellBlock("量化评分表1", 9, 8, ((-1,),)))
    assert_rejected(capsys, filled, "【量化评分表1】H9：自评得分 -1 超出范围 0～7")


def test_text_in_a_score_cell(capsys, filled):
    set_cells(filled, CellBlock("量化评分表2", 10, 7, (("八分",),)))
    assert_rejected(capsys, filled, "【量化评分表2】G10：党委评定得分「八分」是文本，不是数字", "请填写数字")


def test_numeric_text_gets_a_specific_hint(capsys, filled):
    set_cells(filled, CellBlock("量化评分表2", 10, 7, (("7",),)))
    assert_rejected(capsys, filled, "G10", "文本格式的数字")


def test_duplicate_organization_names(capsys, filled):
    row, col = cell_of(filled, "量化评分表2", "党组织名称")
    set_cells(filled, CellBlock("量化评分表2", row, col, (("东风村党支部",),)))
    assert_rejected(capsys, filled, "【量化评分表2】B3：党组织名称“东风村党支部”与“量化评分表1”B3 重复")


def test_duplicate_names_in_the_summary(capsys, tmp_path):
    book = tmp_path / "typed.xlsm"
    api.new("分类定级", book, orgs=0)
    grid = read_grids(book)["汇总表"]
    row = {"党组织名称": "一村", "党委评定得分": 90, "党员群众测评得分": 90, "自评得分": 90}
    set_cells(book, summary_rows(grid, [row, dict(row)]))
    assert_rejected(capsys, book, "【汇总表】B5：党组织名称“一村”重复（另见 B4）")


def test_missing_required_column(capsys, tmp_path):
    book = tmp_path / "typed.xlsm"
    api.new("分类定级", book, orgs=0)
    grid = read_grids(book)["汇总表"]
    set_cells(book, summary_rows(grid, [{"党组织名称": "一村", "党委评定得分": 90, "党员群众测评得分": 90, "自评得分": 90}]))
    set_cells(book, CellBlock("汇总表", 3, 5, (("测评得分",),)))  # a cadre renamed the column
    assert_rejected(capsys, book, "【汇总表】", "缺少列“党员群众测评得分”", "请在表头行加上")


def test_weights_not_summing_to_100(capsys, filled):
    row, col = cell_of(filled, "参数", "党委评定")
    set_cells(filled, CellBlock("参数", row, col, ((0.4,),)))
    assert_rejected(capsys, filled, "【参数】B", "权重合计为90%，不等于100%", "使合计为100%")


def test_thresholds_out_of_order(capsys, filled):
    row, col = cell_of(filled, "参数", "较好")  # first "较好" is in the 等次 table
    set_cells(filled, CellBlock("参数", row, col, ((95,),)))
    assert_rejected(capsys, filled, "【参数】", "等次最低分没有从高到低排列（95 不低于上一行的 90）")


def test_vote_counts_above_the_roll(capsys, filled):
    grid = read_grids(filled)["量化评分表4"]
    edits = form_edits("量化评分表4", grid, FormFill("新华村党支部", votes={"党员群众测评": {"应参评人数": 20, "实际参评人数": 30}}))
    set_cells(filled, *edits)
    assert_rejected(capsys, filled, "【量化评分表4】B", "参评 30 人，多于应参评人数 20", "票数不能超过应参评人数")


def test_check_lists_every_problem_at_once(capsys, filled):
    set_cells(
        filled,
        CellBlock("量化评分表3", 8, 7, ((9,),)),
        CellBlock("量化评分表5", 9, 8, (("x",),)),
    )
    code, out = run(capsys, "check", filled)
    assert code == 1
    assert "发现 2 处问题" in out and "量化评分表3】G8" in out and "量化评分表5】H9" in out


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"just some text\n", "不是 Excel 工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "设置了打开密码，或是旧版 .xls 格式"),
        (b"PK\x03\x04" + b"\0" * 100, "已损坏"),
    ],
)
def test_files_that_are_not_usable(capsys, tmp_path, content, needle):
    bad = tmp_path / "bad.xlsm"
    bad.write_bytes(content)
    for command in ("check", "rate"):
        code, out = run(capsys, command, bad)
        assert code == 2 and needle in out and "Traceback" not in out
    assert bad.read_bytes() == content


def test_truncated_workbook_is_reported_as_damaged(capsys, tmp_path, example):
    bad = tmp_path / "cut.xlsm"
    bad.write_bytes(example.read_bytes()[:20000])
    code, out = run(capsys, "rate", bad)
    assert code == 2 and "已损坏" in out


def test_a_word_document_is_not_a_workbook(capsys, tmp_path):
    doc = tmp_path / "通知.xlsm"
    with zipfile.ZipFile(doc, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    code, out = run(capsys, "check", doc)
    assert code == 2 and "不是 Excel 工作簿" in out


def test_a_workbook_without_the_sheets(capsys, tmp_path):
    import xlsxwriter

    other = tmp_path / "other.xlsx"
    wb = xlsxwriter.Workbook(str(other))
    wb.add_worksheet("Sheet1").write("A1", "hello")
    wb.close()
    code, out = run(capsys, "check", other)
    assert code == 1 and "工作簿中没有“参数”工作表" in out


def test_unknown_scheme_and_bad_usage(capsys, tmp_path):
    code, out = run(capsys, "new", "--scheme", "不存在", "-o", tmp_path / "x.xlsm")
    assert code == 2 and "没有名为“不存在”的方案" in out and "分类定级（fenlei）" in out
    code, out = run(capsys, "rate")
    assert code == 2 and "命令用法有误" in out
    assert not (tmp_path / "x.xlsm").exists()


@pytest.mark.parametrize("part", ["xl/styles.xml", "汇总表", "参数"])
def test_a_part_with_a_wrong_checksum_is_damage_and_nothing_is_written(capsys, tmp_path, example, part):
    """A part with a wrong CRC: reported as damage, whichever part it is (the 汇总表, which is rewritten,
    or the 参数 sheet, which is copied as it is), and the file stays as it was."""
    import struct
    import zipfile

    from starbook.xlsx.sheetpatch import sheet_parts

    with zipfile.ZipFile(example) as zf:
        part = sheet_parts(zf).get(part, part)
        crc = struct.pack("<I", zf.getinfo(part).CRC)
    data = example.read_bytes()
    assert data.count(crc) == 2  # the local header and the central directory
    bad = tmp_path / "crc.xlsm"
    bad.write_bytes(data.replace(crc, struct.pack("<I", zf.getinfo(part).CRC ^ 0x5A5A5A5A)))
    before = bad.read_bytes()
    code, out = run(capsys, "rate", bad)
    assert code == 2 and "已损坏" in out and "Traceback" not in out
    assert bad.read_bytes() == before
