"""The ribbon part: its relationship type goes with its namespace, its icons are Excel's."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from lxml import etree

from starbook.build.package import add_custom_ui
from starbook.cli import main

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "StarRating.xlsm"
CUSTOMUI = ROOT / "templates" / "src" / "customUI.xml"

# customUI namespace -> (part, relationship type). The Open XML SDK maps the 2006 type to
# RibbonExtensibilityPart (2006/01 customUI) and the 2007 type to
# RibbonAndBackstageCustomizationsPart (2009/07 customUI, part customUI14.xml); Excel's own
# xlwings.xlam (in the xlwings package) pairs its 2006/01 customUI.xml with the 2006 type.
RIBBON_PAIRS = {
    "http://schemas.microsoft.com/office/2006/01/customui": (
        "customUI/customUI.xml", "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"),
    "http://schemas.microsoft.com/office/2009/07/customui": (
        "customUI/customUI14.xml", "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"),
}
RIBBON_TYPES = {rel for _, rel in RIBBON_PAIRS.values()}
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

# imageMso ids checked in Microsoft's Office Fluent UI control identifier lists for Excel
# (github.com/OfficeDev/office-fluent-ui-command-identifiers, excelcontrols.xlsx of Office
# 2013, 2016, 2019 and Microsoft 365 Current Channel): each is an Excel button there.
# AcceptInvitation (Outlook) and TableInsert (PowerPoint) are not in Excel's lists.
EXCEL_IMAGE_MSO = {
    "FunctionWizard",  # 公式 > 函数库 > 插入函数
    "DataValidation",  # 数据 > 数据工具 > 数据验证
    "SheetInsert",  # 开始 > 单元格 > 插入工作表
    "Help",  # 帮助
    "FileSendAsAttachment",  # 文件 > 共享 > 电子邮件 > 作为附件发送 (Excel's Quick Access Toolbar list)
    "FileNew",  # 文件 > 新建
    "CalculateNow",  # 公式 > 计算 > 开始计算
    "TableInsertExcel",  # 插入 > 表格 > 表格
    "ErrorChecking",  # 公式 > 公式审核 > 错误检查
    "FileOpen",  # 文件 > 打开
}


def ribbon_relationships(package: bytes | Path) -> dict[str, tuple[str, str]]:
    """Target part -> (relationship type, namespace of the part) for each ribbon relationship."""
    with zipfile.ZipFile(package if isinstance(package, Path) else io.BytesIO(package)) as zf:
        rels = etree.fromstring(zf.read("_rels/.rels"))
        out = {}
        for rel in rels.iter(RELS):
            if rel.get("Type") in RIBBON_TYPES:
                target = rel.get("Target").lstrip("/")
                assert target not in out, f"two relationships to {target}"
                out[target] = (rel.get("Type"), etree.QName(etree.fromstring(zf.read(target))).namespace)
        return out


def assert_ribbon_pairs(package: bytes | Path) -> None:
    found = ribbon_relationships(package)
    assert found, "no ribbon relationship"
    types = [rel for rel, _ in found.values()]
    assert len(types) == len(set(types)), "one relationship of each type at most"
    for target, (rel, namespace) in found.items():
        assert (target, rel) == RIBBON_PAIRS[namespace], (target, rel, namespace)


def bare_workbook(rels_extra: str = "", parts: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet()
    wb.close()
    if not rels_extra and not parts:
        return buf.getvalue()
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            body = src.read(name)
            if name == "_rels/.rels":
                body = body.replace(b"</Relationships>", rels_extra.encode() + b"</Relationships>")
            dst.writestr(name, body)
        for name, body in (parts or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def ribbon(namespace: str) -> bytes:
    return f'<customUI xmlns="{namespace}"><ribbon><tabs/></ribbon></customUI>'.encode()


@pytest.mark.parametrize("namespace", sorted(RIBBON_PAIRS))
def test_add_custom_ui_chooses_part_and_relationship_from_the_namespace(namespace):
    part, rel = RIBBON_PAIRS[namespace]
    out = add_custom_ui(bare_workbook(), ribbon(namespace))
    assert ribbon_relationships(out) == {part: (rel, namespace)}
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        assert zf.read(part) == ribbon(namespace)


def test_both_ribbon_parts_can_live_side_by_side():
    out = bare_workbook()
    for namespace in sorted(RIBBON_PAIRS):
        out = add_custom_ui(out, ribbon(namespace))
    assert_ribbon_pairs(out)
    assert len(ribbon_relationships(out)) == 2


def test_the_old_mismatched_pair_is_retyped_not_duplicated():
    """A workbook built before the fix: the 2007 type on a 2006/01 customUI.xml."""
    old_ui = ribbon("http://schemas.microsoft.com/office/2006/01/customui")
    old = bare_workbook(
        '<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" '
        'Target="customUI/customUI.xml"/>',
        {"customUI/customUI.xml": old_ui},
    )
    with pytest.raises(AssertionError):
        assert_ribbon_pairs(old)
    out = add_custom_ui(old, CUSTOMUI.read_bytes())
    assert_ribbon_pairs(out)
    assert len(ribbon_relationships(out)) == 1
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        assert zf.read("customUI/customUI.xml") == CUSTOMUI.read_bytes()


def test_a_document_that_is_not_a_ribbon_is_refused():
    with pytest.raises(ValueError, match="customUI"):
        add_custom_ui(bare_workbook(), b'<customUI xmlns="urn:other"/>')


def test_the_template_pairs_its_ribbon_with_the_right_relationship():
    assert_ribbon_pairs(TEMPLATE)
    assert set(ribbon_relationships(TEMPLATE)) == {"customUI/customUI.xml"}


def test_new_and_rated_workbooks_keep_the_right_pair(tmp_path, example):
    made = tmp_path / "新建.xlsm"
    assert main(["new", "--scheme", "分类定级", "--orgs", "2", "-o", str(made)]) == 0
    assert_ribbon_pairs(made)
    assert_ribbon_pairs(example)
    rated = tmp_path / "定星结果.xlsm"
    assert main(["rate", str(example), "-o", str(rated)]) == 0
    assert_ribbon_pairs(rated)
    assert ribbon_relationships(rated) == ribbon_relationships(TEMPLATE)


def test_every_ribbon_icon_is_an_excel_image():
    ui = etree.parse(str(CUSTOMUI))
    used = {el.get("imageMso") for el in ui.iter() if el.get("imageMso") is not None}
    assert used, "the ribbon shows no built-in icon"
    assert used <= EXCEL_IMAGE_MSO, used - EXCEL_IMAGE_MSO
