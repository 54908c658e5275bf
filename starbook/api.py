"""The library behind the command line: one function per command, same name.

    >>> from starbook import api
    >>> [s.preset for s in api.schemes()][:2]
    ['分类定级', '黔南机关星级']

These are the file shell: they read a workbook from disk, call the shared
``rate_book`` path, and write the result back without touching any part of the
package they did not mean to change.
"""
from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from .edits import Edit
from .gcpause import gc_paused
from .presets import all_presets, find_preset, preset_title
from .problems import BookError, Problem
from .ratebook import Outcome, rate_book
from .scheme import Scheme
from .shell import os_user, wanted
from .sheets.summary import SHEET as SUMMARY_SHEET
from .xlsx.atomic import atomic_write
from .xlsx.guard import fingerprint, refuse_if_open, refuse_wrong_suffix, unchanged_since_read, workbook_lock, writable_target
from .xlsx.read import check_exists, read_grids, read_package, sheet_names

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


def new(scheme: str, out: Path, *, orgs: int = 1, year: int | None = None, template: Path | None = None, overwrite: bool = False) -> Path:
    """A workbook with the scheme in 参数, `orgs` blank forms and an empty 汇总表.

    The VBA project and the ribbon come from the template, so a workbook made
    here has the same 定星 button as the template itself. An existing file is
    replaced only with `overwrite` (a cadre's filled workbook is one typo away).
    """
    from .build.package import add_custom_ui, custom_ui_of, vba_project_of  # only `new` builds workbooks
    from .build.workbook import MAX_FORMS, BookSpec, build_workbook

    chosen = resolve_scheme(scheme)
    if not 0 <= orgs <= MAX_FORMS:
        raise BookError(f"评分表张数 {orgs} 超出范围", f"请填写 0 到 {MAX_FORMS} 之间的数")
    out = Path(out)
    if os.path.lexists(out) and not out.is_dir() and not overwrite:
        raise BookError(
            f"“{out}”已存在，未覆盖",
            "如确要用新工作簿替换它（其中的内容将全部丢失），请加上 --force；否则请换一个文件名",
        )
    target = writable_target(out, output=True)
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
    refuse_wrong_suffix(out, _content_types(data))
    with workbook_lock(target):
        atomic_write(target, lambda fh: fh.write(data), before_replace=lambda: refuse_if_open(out))
    return out


def check(path: Path) -> Outcome:
    """Validate only; nothing is written."""
    with gc_paused():
        merges: dict = {}
        grids = read_grids(Path(path), wanted, merges=merges)
        return rate_book(grids, with_edits=False, merges=merges)


def rate(path: Path, out: Path | None = None, *, now: datetime | None = None, user: str | None = None) -> Outcome:
    """Exactly what the 定星 button does, on a file: in place unless `out` is given.

    Nothing is written when the workbook has problems, nor when the target is
    open in Excel/WPS/LibreOffice, read-only, or being rated by another run,
    nor when the file changed on disk while it was being rated.
    """
    path = Path(path)
    check_exists(path)
    dst = Path(out) if out else path
    target = writable_target(dst, output=out is not None)
    with workbook_lock(target):
        data = read_package(path)  # read once: these bytes are parsed, scanned and fingerprinted
        if out is not None and target != Path(os.path.realpath(path)):
            refuse_wrong_suffix(Path(out), _content_types(data))
        unchanged = unchanged_since_read(path, fingerprint(data))

        def before_replace() -> None:
            unchanged()
            refuse_if_open(dst)  # opened in Excel while we were rating

        with gc_paused(), ThreadPoolExecutor(1) as pool:
            # The reader parses the 汇总表 without holding the GIL; meanwhile a second
            # thread cuts the same sheet's XML into rows for the writer.
            scan = pool.submit(_scan_quietly, data, SUMMARY_SHEET)
            merges: dict = {}
            grids = read_grids(path, wanted, data=data, merges=merges)
            outcome = rate_book(grids, now=now or datetime.now(), user=user if user is not None else os_user(), merges=merges)
            if outcome.ok:
                try:
                    write_edits(path, target, outcome.edits, scans={SUMMARY_SHEET: scan.result()}, before_replace=before_replace)
                except FileNotFoundError:  # gone while we rated, e.g. mid-way through an Excel save
                    unchanged()
                    raise
    return outcome


def _content_types(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read("[Content_Types].xml")
    except (KeyError, zipfile.BadZipFile):
        return b""


def _scan_quietly(data: bytes, sheet: str):
    """A head start for the writer, never an error of its own: the reader reports bad files."""
    from .xlsx.sheetpatch import scan_sheet_part

    try:
        return scan_sheet_part(io.BytesIO(data), sheet)
    except Exception:
        return None


def write_edits(
    src: Path, dst: Path, edits: Sequence[Edit], *, scans: dict | None = None, before_replace: Callable[[], None] | None = None
) -> None:
    """Apply the core's edits to a file, atomically, keeping every other part.

    `before_replace` may still refuse (raise) once the new file is ready, before it replaces `dst`.
    """
    from .xlsx.sheetpatch import PatchError, patch_workbook

    try:
        patch_workbook(src, dst, edits, scans, before_replace=before_replace)
    except PatchError as exc:
        raise BookError(f"无法写入“{dst.name}”：{exc}", exc.fix) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BookError(f"“{src.name}”已损坏（技术信息：{exc}）", "请从原件或邮件附件重新保存一份再试") from exc
    except PermissionError as exc:
        raise BookError(f"无法写入“{dst.name}”：文件被占用或没有写权限", "请先在 Excel/WPS 中关闭这个文件，再重试") from exc


PUBLISH_SHEETS = ("公示",)
PUBLISH_ALL_SHEETS = ("公示", "汇总表", "整改名单", "整改台账")


def publish(path: Path, out: Path, *, all_sheets: bool = False) -> list[Problem]:
    """The 公示 (with `all_sheets`, also the 汇总表 and 整改名单) as a PDF, through LibreOffice.

    The workbook is only read. Returns the problems that stop it (the book is not
    rated yet); nothing is written then.
    """
    from .pdf import export_pdf
    from .sheets import notice

    path = Path(path)
    names = sheet_names(path)
    sheets = [s for s in (PUBLISH_ALL_SHEETS if all_sheets else PUBLISH_SHEETS) if s in names]
    if notice.SHEET not in names:
        raise BookError(f"“{path.name}”中没有“{notice.SHEET}”工作表（旧版工作簿）",
                        "请用 starbook new 生成新版工作簿，或从模板 StarRating.xlsm 复制“公示”表到本工作簿后重新定星")
    grid = read_grids(path, lambda n: n == notice.SHEET)[notice.SHEET]
    if not notice.is_filled(grid):
        return [Problem(notice.SHEET, "", "公示还没有生成：工作簿尚未定星", "请先点击“星级评定”选项卡的“定星”或运行 starbook rate 文件名，再生成 PDF")]
    export_pdf(path, Path(out), sheets)
    return []
