"""The template's VBA project is built from source and read back by two independent readers."""
from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import pytest
from lxml import etree
from oletools.olevba import VBA_Parser, decompress_stream

import lo_uno
from conftest import lo_required
from starbook.build.package import CUSTOMUI_PART, CUSTOMUI_REL
from starbook.vba import build_vba_project, load_module_dir
from starbook.vba.compression import compress, decompress
from starbook.vba.project import decrypt, stored_source

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "templates" / "src" / "vba"
TEMPLATE = ROOT / "templates" / "StarRating.xlsm"


# The head of every class and document module Excel stores (xlwings' quickstart files).
EXCEL_MODULE_ATTRIBUTES = [
    "VB_Name", "VB_Base", "VB_GlobalNameSpace", "VB_Creatable", "VB_PredeclaredId", "VB_Exposed",
    "VB_TemplateDerived", "VB_Customizable",
]


def olevba_modules(path: Path) -> dict[str, tuple[str, str]]:
    """Module name -> (file name, source) as olevba decodes them."""
    return {stream.split("/")[-1]: (filename, code) for _, stream, filename, code in VBA_Parser(str(path)).extract_macros()}


def attribute_head(code: str) -> list[str]:
    lines = normalized(code).split("\n")
    return lines[: next((i for i, line in enumerate(lines) if not line.startswith("Attribute ")), len(lines))]


def normalized(code: str) -> str:
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(lines).strip("\n")


def without_attributes(code: str) -> str:
    """LibreOffice drops every Attribute line (module and member level) on import."""
    return "\n".join(line for line in normalized(code).split("\n") if not line.startswith("Attribute "))


@pytest.fixture(scope="module")
def modules():
    return load_module_dir(SOURCES)


@pytest.fixture(scope="module")
def project(modules) -> bytes:
    return build_vba_project(modules)


def test_sources_are_ascii_and_complete(modules):
    names = {m.name: m.kind for m in modules}
    assert names == {"ThisWorkbook": "document", "StarbookRibbon": "standard", "xlwings": "standard", "Dictionary": "class"}
    for f in SOURCES.iterdir():
        assert f.read_bytes().isascii(), f


def test_compression_round_trips_through_an_independent_decoder(modules):
    samples = [b"", b"a", b"#aaabcdefaaaaghijaaaabklaaamnopqaaaaaaaaaaaarstuvwxyzaaa", bytes(range(256)) * 40, b"ab" * 5000]
    samples += [m.source.encode("ascii") for m in modules]
    for data in samples:
        packed = compress(data)
        assert packed[0] == 1
        assert decompress(packed) == data
        assert bytes(decompress_stream(bytearray(packed))) == data  # oletools' decoder
    # Repetitive text must actually be compressed, not stored as literals.
    assert len(compress(b"Attribute VB_Name = \"x\"\r\n" * 200)) < 400


def test_project_encryption_matches_what_excel_wrote():
    """CMG/DPB/GC of an unprotected project Excel saved (xlwings' quickstart) decrypt as the spec says."""
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm") as zf:
        ole = olefile.OleFileIO(io.BytesIO(zf.read("xl/vbaProject.bin")))
    text = ole.openstream("PROJECT").read().decode("latin-1")
    project_id = re.search(r'ID="(\{[^}]+\})"', text).group(1)
    fields = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, re.M))
    assert decrypt(fields["CMG"], project_id) == b"\0\0\0\0"  # not protected
    assert decrypt(fields["DPB"], project_id) == b"\0"  # no password
    assert decrypt(fields["GC"], project_id) == b"\xff"  # visible


def test_our_project_stream_is_unprotected_and_lists_every_module(project, modules):
    ole = olefile.OleFileIO(io.BytesIO(project))
    text = ole.openstream("PROJECT").read().decode("cp1252")
    project_id = re.search(r'ID="(\{[^}]+\})"', text).group(1)
    fields = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, re.M))
    assert decrypt(fields["CMG"], project_id) == b"\0\0\0\0"
    assert decrypt(fields["DPB"], project_id) == b"\0"
    assert decrypt(fields["GC"], project_id) == b"\xff"
    assert "Document=ThisWorkbook/&H00000000" in text
    assert "Module=StarbookRibbon" in text and "Module=xlwings" in text and "Class=Dictionary" in text
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("cc61ffff000000")
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(
        ["PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir", *(f"VBA/{m.name}" for m in modules)]
    )


def test_olevba_decodes_every_module_to_its_source(project, modules, tmp_path):
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(project)
    found = olevba_modules(path)
    assert set(found) == {m.name for m in modules}
    for m in modules:
        filename, code = found[m.name]
        assert filename == m.name + (".bas" if m.kind == "standard" else ".cls")
        assert normalized(code) == normalized(stored_source(m))
        assert without_attributes(code) == without_attributes(m.source)


def test_class_and_document_modules_carry_the_attributes_excel_stores(project, tmp_path):
    """Decoded by olevba, each class and document module begins with Excel's full attribute
    set in Excel's order, the same lines Excel stored for Dictionary and ThisWorkbook in
    xlwings' quickstart_standalone.xlsm."""
    import xlwings

    path = tmp_path / "vbaProject.bin"
    path.write_bytes(project)
    ours = olevba_modules(path)
    excel = olevba_modules(Path(xlwings.__file__).parent / "quickstart_standalone.xlsm")
    classes = [name for name, (filename, _) in ours.items() if filename.endswith(".cls")]
    assert sorted(classes) == ["Dictionary", "ThisWorkbook"]
    for name in classes:
        head = attribute_head(ours[name][1])
        assert [line.split(" = ")[0] for line in head[:8]] == [f"Attribute {a}" for a in EXCEL_MODULE_ATTRIBUTES], name
        assert head == attribute_head(excel[name][1]), name
    assert 'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"' in attribute_head(ours["Dictionary"][1])


def test_an_exported_class_module_gets_the_attributes_the_vbe_adds_on_import():
    from starbook.vba import VBAModule

    exported = 'Attribute VB_Name = "Class1"\nAttribute VB_Exposed = True\nAttribute VB_Description = "d"\nOption Explicit\n'
    assert stored_source(VBAModule("Class1", exported, "class")).split("\r\n") == [
        'Attribute VB_Name = "Class1"',
        'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = False",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = False",
        'Attribute VB_Description = "d"',
        "Option Explicit",
        "",
    ]
    with pytest.raises(ValueError, match="VB_Base"):  # a worksheet and a workbook differ only there
        stored_source(VBAModule("Sheet1", 'Attribute VB_Name = "Sheet1"\n', "document"))


def test_libreoffice_lists_the_same_modules_with_the_same_code(modules):
    lo_required()
    seen = lo_uno.vba_modules(TEMPLATE)
    assert set(seen) == {m.name for m in modules}
    kinds = {"standard": "VBAModule", "class": "VBAClassModule", "document": "VBADocumentModule"}
    for m in modules:
        lines = normalized(seen[m.name]).split("\n")
        assert lines[0] == f"Rem Attribute VBA_ModuleType={kinds[m.kind]}"
        assert lines[1] == "Option VBASupport 1"
        rest = lines[2:]
        if m.kind == "class":
            assert rest[0] == "Option ClassModule"
            rest = rest[1:]
        assert "\n".join(rest).strip("\n") == without_attributes(m.source).strip("\n"), m.name


def test_building_twice_gives_identical_bytes(modules, project):
    assert build_vba_project(modules) == project


def test_non_ascii_source_is_refused():
    from starbook.vba import VBAModule

    with pytest.raises(ValueError, match="ASCII"):
        build_vba_project([VBAModule("Bad", 'Attribute VB_Name = "Bad"\r\nMsgBox "定星"\r\n', "standard")])


def test_the_committed_template_matches_its_sources():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_template.py"), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    with zipfile.ZipFile(TEMPLATE) as zf:
        assert zf.read("xl/vbaProject.bin") == build_vba_project(load_module_dir(SOURCES))


def test_every_ribbon_callback_is_a_sub_of_the_built_project():
    with zipfile.ZipFile(TEMPLATE) as zf:
        ui = etree.fromstring(zf.read(CUSTOMUI_PART))
        rels = zf.read("_rels/.rels").decode()
        vba = zf.read("xl/vbaProject.bin")
    assert CUSTOMUI_REL in rels and CUSTOMUI_PART in rels
    ns = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
    tab = ui.find(".//ui:tab", ns)
    assert tab.get("label") == "星级评定"
    buttons = {b.get("label"): b.get("onAction") for b in ui.iterfind(".//ui:button", ns)}
    assert set(buttons) == {"定星", "校验", "新增评分表", "生成评分表", "导入评分细则", "导入测评票", "分发评分表", "新年度", "汇总下级", "帮助"}
    ole = olefile.OleFileIO(io.BytesIO(vba))
    code = bytes(decompress_stream(bytearray(ole.openstream("VBA/StarbookRibbon").read()))).decode("ascii")
    for label, action in buttons.items():
        assert re.search(rf"^Public Sub {action}\(control As IRibbonControl\)", code, re.M), (label, action)
    assert re.search(rf"^Public Sub {ui.get('onLoad')}\(ribbon As IRibbonUI\)", code, re.M)


def test_the_vba_module_matches_the_pinned_xlwings():
    """xlwings.bas loads xlwings64-<version>.dll from the Python package: the versions must be equal."""
    import xlwings

    source = (SOURCES / "xlwings.bas").read_text("ascii")
    vba_version = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', source).group(1)
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert f'"xlwings=={vba_version}"' in pyproject
    assert xlwings.__version__ == vba_version
