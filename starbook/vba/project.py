"""Build xl/vbaProject.bin from VBA source files (MS-OVBA), without Excel.

The project carries source only: _VBA_PROJECT has Version 0xFFFF and no
performance cache (MS-OVBA 2.3.4.1), so Excel compiles the modules from source
when it opens the workbook, as it does for the xlwings quickstart files.
"""
from __future__ import annotations

import hashlib
import re
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .cfb import write_compound_file
from .compression import compress

KIND_STANDARD, KIND_CLASS, KIND_DOCUMENT = "standard", "class", "document"
DOCUMENT_BASES = ("0{00020819-0000-0000-C000-000000000046}", "0{00020820-0000-0000-C000-000000000046}")
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

# The attributes Excel stores at the head of every class and document module, in
# its order (as in the files Excel saved that xlwings ships), with the values of a
# new module where the source gives none. A .cls the VBE exports lacks VB_Base,
# VB_TemplateDerived and VB_Customizable: the VBE adds them back on import.
MODULE_ATTRIBUTES = {
    KIND_CLASS: {
        "VB_Name": None, "VB_Base": f'"{CLASS_BASE}"', "VB_GlobalNameSpace": "False", "VB_Creatable": "False",
        "VB_PredeclaredId": "False", "VB_Exposed": "False", "VB_TemplateDerived": "False", "VB_Customizable": "False",
    },
    KIND_DOCUMENT: {
        "VB_Name": None, "VB_Base": None, "VB_GlobalNameSpace": "False", "VB_Creatable": "False",
        "VB_PredeclaredId": "True", "VB_Exposed": "True", "VB_TemplateDerived": "False", "VB_Customizable": "True",
    },
}

# Registered type libraries a ribbon project needs: OLE Automation and the Office
# library (IRibbonControl). Excel resolves them by GUID and version; the path is a hint.
REFERENCES = (
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
    ("Office", "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library"),
)


@dataclass(frozen=True)
class VBAModule:
    name: str
    source: str  # as exported to a .bas/.cls file, Attribute lines included
    kind: Literal["standard", "class", "document"]


def _crlf(text: str) -> str:
    return re.sub(r"\r\n|\r|\n", "\r\n", text).rstrip("\r\n") + "\r\n"


def stored_source(module: VBAModule) -> str:
    """The module's text as Excel stores it: CRLF lines and, for a class or document
    module, the full attribute set of MODULE_ATTRIBUTES first, in Excel's order."""
    text = _crlf(module.source)
    if module.kind == KIND_STANDARD:
        return text
    lines = text.split("\r\n")
    given: dict[str, str] = {}
    n = 0
    while n < len(lines) and (m := re.fullmatch(r"Attribute (VB_\w+) = (.*)", lines[n])):
        given.setdefault(m.group(1), m.group(2))
        n += 1
    head = []
    for name, default in MODULE_ATTRIBUTES[module.kind].items():
        value = given.pop(name, None) or (f'"{module.name}"' if name == "VB_Name" else default)
        if value is None:
            raise ValueError(f"VBA module {module.name} needs Attribute {name}")
        head.append(f"Attribute {name} = {value}")
    head += [f"Attribute {name} = {value}" for name, value in given.items()]
    return "\r\n".join(head + lines[n:])


def _record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _encrypt(data: bytes, project_id: str, seed: int) -> str:
    """MS-OVBA 2.4.3.2 data encryption, as used for CMG, DPB and GC."""
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    version_enc = seed ^ 2
    proj_key_enc = seed ^ proj_key
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    out = bytearray([seed, version_enc, proj_key_enc])
    ignored = (seed & 6) // 2
    for _ in range(ignored):
        temp = 0
        byte = temp ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte, temp
    for plain in len(data).to_bytes(4, "little") + data:
        byte = plain ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte, plain
    return out.hex().upper()


def decrypt(hex_text: str, project_id: str | None = None) -> bytes:
    """Inverse of the data encryption; checks the project key when given the ID."""
    enc = bytes.fromhex(hex_text)
    seed, version_enc, proj_key_enc = enc[0], enc[1], enc[2]
    if seed ^ version_enc != 2:
        raise ValueError("bad version")
    proj_key = seed ^ proj_key_enc
    if project_id is not None and proj_key != sum(project_id.encode("ascii")) & 0xFF:
        raise ValueError("project key mismatch")
    # The ignored bytes roll the state like data bytes do.
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    out = bytearray()
    for byte in enc[3:]:
        plain = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(plain)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte, plain
    data = bytes(out[(seed & 6) // 2 :])
    length = int.from_bytes(data[:4], "little")
    return data[4 : 4 + length]


def _dir_stream(modules: list[VBAModule], project_name: str, codepage: int) -> bytes:
    enc = lambda s: s.encode(f"cp{codepage}")  # noqa: E731
    uni = lambda s: s.encode("utf-16-le")  # noqa: E731
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))  # PROJECTSYSKIND: Win32
    out += _record(0x0002, struct.pack("<I", 0x0409))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", 0x0409))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", codepage))  # PROJECTCODEPAGE
    out += _record(0x0004, enc(project_name))  # PROJECTNAME
    out += _record(0x0005, b"") + _record(0x0040, b"")  # PROJECTDOCSTRING
    out += _record(0x0006, b"") + _record(0x003D, b"")  # PROJECTHELPFILEPATH
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: Reserved=4, major 1, minor 0
    out += _record(0x000C, b"") + _record(0x003C, b"")  # PROJECTCONSTANTS
    for name, libid in REFERENCES:
        out += _record(0x0016, enc(name)) + _record(0x003E, uni(name))  # REFERENCENAME
        lib = enc(libid)
        body = struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0)
        out += _record(0x000D, body)  # REFERENCEREGISTERED
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for m in modules:
        out += _record(0x0019, enc(m.name)) + _record(0x0047, uni(m.name))
        out += _record(0x001A, enc(m.name)) + _record(0x0032, uni(m.name))
        out += _record(0x001C, b"") + _record(0x0048, b"")
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts at 0
        out += _record(0x001E, struct.pack("<I", 0))
        out += _record(0x002C, struct.pack("<H", 0xFFFF))
        out += struct.pack("<HI", 0x0021 if m.kind == KIND_STANDARD else 0x0022, 0)
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir terminator
    return bytes(out)


def _project_id(modules: list[VBAModule]) -> str:
    digest = hashlib.sha256("\0".join(m.name + "\0" + m.source for m in modules).encode("utf-8")).digest()
    return "{" + str(uuid.UUID(bytes=digest[:16])).upper() + "}"


def _project_stream(modules: list[VBAModule], project_name: str, project_id: str, codepage: int) -> bytes:
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind == KIND_DOCUMENT:
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == KIND_CLASS:
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    seed = sum(project_id.encode("ascii")) & 0xF9 | 0x80  # fixed per project: the file is reproducible
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{_encrypt(bytes(4), project_id, seed)}"',
        f'DPB="{_encrypt(bytes(1), project_id, seed)}"',
        f'GC="{_encrypt(bytes([0xFF]), project_id, seed)}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{m.name}=0, 0, 0, 0, C" for m in modules),
        "",
    ]
    return "\r\n".join(lines).encode(f"cp{codepage}")


def _project_wm(modules: list[VBAModule], codepage: int) -> bytes:
    out = bytearray()
    for m in modules:
        out += m.name.encode(f"cp{codepage}") + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")


def build_vba_project(modules: list[VBAModule], project_name: str = "VBAProject", codepage: int = 1252) -> bytes:
    """vbaProject.bin holding `modules`; the same input always gives the same bytes."""
    names = set()
    for m in modules:
        if not m.source.isascii() or not m.name.isascii():
            raise ValueError(f"VBA module {m.name} must be ASCII (VBA source is stored in a code page)")
        if m.name.lower() in names:
            raise ValueError(f"duplicate VBA module {m.name}")
        names.add(m.name.lower())
    project_id = _project_id(modules)
    vba = {
        "_VBA_PROJECT": bytes.fromhex("cc61ffff000000"),
        "dir": compress(_dir_stream(modules, project_name, codepage)),
    }
    for m in modules:
        vba[m.name] = compress(stored_source(m).encode(f"cp{codepage}"))
    return write_compound_file({
        "PROJECT": _project_stream(modules, project_name, project_id, codepage),
        "PROJECTwm": _project_wm(modules, codepage),
        "VBA": vba,
    })


def _kind(path: Path, source: str) -> str:
    if path.suffix.lower() == ".bas":
        return KIND_STANDARD
    base = re.search(r'Attribute VB_Base = "([^"]+)"', source)
    if base and base.group(1) in DOCUMENT_BASES:
        return KIND_DOCUMENT
    return KIND_CLASS


def _module_name(path: Path, source: str) -> str:
    m = re.search(r'^Attribute VB_Name = "([^"]+)"', source, re.M)
    return m.group(1) if m else path.stem


def load_module_dir(path) -> list[VBAModule]:
    """Modules from *.bas and *.cls files, documents first, then by name."""
    modules = []
    for f in sorted(Path(path).iterdir()):
        if f.suffix.lower() not in (".bas", ".cls"):
            continue
        source = f.read_bytes().decode("ascii")
        source = _strip_class_header(source) if f.suffix.lower() == ".cls" else source
        modules.append(VBAModule(_module_name(f, source), source, _kind(f, source)))
    order = {KIND_DOCUMENT: 0, KIND_STANDARD: 1, KIND_CLASS: 2}
    return sorted(modules, key=lambda m: (order[m.kind], m.name != "ThisWorkbook", m.name.lower()))


def _strip_class_header(source: str) -> str:
    """A .cls export begins with VERSION/BEGIN…END lines that are not module source."""
    lines = source.splitlines()
    if lines and lines[0].startswith("VERSION "):
        end = next((i for i, line in enumerate(lines) if line.strip() == "END"), 0)
        lines = lines[end + 1 :]
    return "\r\n".join(lines) + "\r\n"
