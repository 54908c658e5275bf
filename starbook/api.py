"""The library behind the command line: one function per command, same name.

    >>> from starbook import api
    >>> [s.preset for s in api.schemes()][:2]
    ['分类定级', '黔南机关星级']

These are the file shell: they read a workbook from disk, call the shared
``rate_book`` path, and write the result back without touching any part of the
package they did not mean to change.
"""
from __future__ import annotations

import getpass
import io
import os
import zipfile
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from .edits import Edit
from .gcpause import gc_paused
from .presets import all_presets, find_preset, preset_title
from .problems import BookError
from .ratebook import Outcome, rate_book
from .scheme import Scheme
from .sheets.forms import is_form
from .sheets.summary import SHEET as SUMMARY_SHEET
from .xlsx.atomic import atomic_write
from .xlsx.read import read_grids

READ_SHEETS = ("参数", "汇总表", "定星记录", "整改名单", "定星统计")


def template_path() -> Path:
    """The template shipped with the package, or the repository's own copy."""
    packaged = Path(__file__).with_name("_template") / "StarRating.xlsm"
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates" / "StarRating.xlsm"


def schemes() -> list[Scheme]:
    """The presets of DOMAIN.md, in a stable order."""
    return all_presets()


def resolve_scheme(name: str) -> Scheme:
    scheme = find_preset(name)
    if scheme is None:
        names = "、".join(f"{s.preset}（{s.preset_id}）" for s in all_presets())
        raise BookError(f"没有名为“{name}”的方案", f"可选方案：{names}")
    return scheme


def new(scheme: str, out: Path, *, orgs: int = 1, year: int | None = None, template: Path | None = None) -> Path:
    """A workbook with the scheme in 参数, `orgs` blank forms and an empty 汇总表.

    The VBA project and the ribbon come from the template, so a workbook made
    here has the same 定星 button as the template itself.
    """
    from .build.package import add_custom_ui, custom_ui_of, vba_project_of  # only `new` builds workbooks
    from .build.workbook import MAX_FORMS, BookSpec, build_workbook

    chosen = resolve_scheme(scheme)
    if not 0 <= orgs <= MAX_FORMS:
        raise BookError(f"评分表张数 {orgs} 超出范围", f"请填写 0 到 {MAX_FORMS} 之间的数")
    source = template or template_path()
    vba = customui = None
    if source.exists():
        vba, customui = vba_project_of(source), custom_ui_of(source)
    buf = io.BytesIO()
    spec = BookSpec(chosen, preset_title(chosen.preset_id), forms=orgs, year=year or datetime.now().year, vba=vba)
    build_workbook(buf, spec)
    data = buf.getvalue()
    if customui is not None:
        data = add_custom_ui(data, customui)
    _atomic_write_bytes(Path(out), data)
    return Path(out)


def _wanted(name: str) -> bool:
    return name in READ_SHEETS or is_form(name)


def check(path: Path) -> Outcome:
    """Validate only; nothing is written."""
    with gc_paused():
        merges: dict = {}
        grids = read_grids(Path(path), _wanted, merges=merges)
        return rate_book(grids, with_edits=False, merges=merges)


def rate(path: Path, out: Path | None = None, *, now: datetime | None = None, user: str | None = None) -> Outcome:
    """Exactly what the 定星 button does, on a file: in place unless `out` is given.

    Nothing is written when the workbook has problems.
    """
    path = Path(path)
    with gc_paused(), ThreadPoolExecutor(1) as pool:
        # The reader parses the 汇总表 without holding the GIL; meanwhile a second
        # thread cuts the same sheet's XML into rows for the writer.
        scan = pool.submit(_scan_quietly, path, SUMMARY_SHEET)
        merges: dict = {}
        grids = read_grids(path, _wanted, merges=merges)
        outcome = rate_book(grids, now=now or datetime.now(), user=user if user is not None else _os_user(), merges=merges)
        if outcome.ok:
            write_edits(path, Path(out) if out else path, outcome.edits, scans={SUMMARY_SHEET: scan.result()})
    return outcome


def _scan_quietly(path: Path, sheet: str):
    """A head start for the writer, never an error of its own: the reader reports bad files."""
    from .xlsx.sheetpatch import scan_sheet_part

    try:
        return scan_sheet_part(path, sheet)
    except Exception:
        return None


def write_edits(src: Path, dst: Path, edits: Sequence[Edit], *, scans: dict | None = None) -> None:
    """Apply the core's edits to a file, atomically, keeping every other part."""
    from .xlsx.sheetpatch import PatchError, patch_workbook

    try:
        patch_workbook(src, dst, edits, scans)
    except PatchError as exc:
        raise BookError(
            f"无法写入“{dst.name}”：工作簿中有 starbook 不能安全改写的内容（技术信息：{exc}）",
            "请在 Excel 中打开该文件另存一次后再试；仍不行请把文件发给技术支持",
        ) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BookError(f"“{src.name}”已损坏（{exc}）", "请从原件或邮件附件重新保存一份再试") from exc
    except PermissionError as exc:
        raise BookError(f"无法写入“{dst.name}”：文件被占用或没有写权限", "请先在 Excel/WPS 中关闭这个文件，再重试") from exc


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (e.g. a service account): leave the cell blank
        return os.environ.get("USERNAME", "")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda fh: fh.write(data))
