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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .ballots.record import SHEET as BALLOT_RECORD_SHEET
from .edits import Edit
from .gcpause import gc_paused
from .presets import all_presets, find_preset, preset_title
from .problems import BookError, Problem
from .ratebook import Outcome, rate_book
from .scheme import Scheme
from .shell import os_user, wanted
from .sheets.forms import is_form
from .sheets.params import SHEET as PARAMS_SHEET
from .sheets.items import GENERAL, ItemTable, check_scheme, find_items_sheet, parse_items
from .sheets.forms import CATEGORIES
from .sheets.summary import SHEET as SUMMARY_SHEET
from .xlsx.atomic import atomic_write
from .xlsx.guard import fingerprint, refuse_if_open, refuse_wrong_suffix, unchanged_since_read, workbook_lock, writable_target
from .xlsx.read import check_exists, read_grids, read_package, sheet_names

if TYPE_CHECKING:  # the ballot import is loaded by the command that uses it, not by every rating
    from .ballots.importer import BallotOutcome
    from .ballots.source import Export

T = TypeVar("T")


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


def new(scheme: str, out: Path, *, orgs: int = 1, year: int | None = None, template: Path | None = None, overwrite: bool = False,
        items: ItemTable | None = None, kind: str | None = None) -> Path:
    """A workbook with the scheme in 参数, `orgs` blank forms and an empty 汇总表.

    `items` (from load_items) fill the 评分细则 in place of the preset's examples;
    the blank forms get the items of `kind` (written on them), else the 通用 ones.

    The VBA project and the ribbon come from the template, so a workbook made
    here has the same 定星 button as the template itself. An existing file is
    replaced only with `overwrite` (a cadre's filled workbook is one typo away).
    """
    from .build.package import add_custom_ui, custom_ui_of, vba_project_of  # only `new` builds workbooks
    from .build.workbook import MAX_FORMS, BookSpec, build_workbook

    chosen = resolve_scheme(scheme)
    if not 0 <= orgs <= MAX_FORMS:
        raise BookError(f"评分表张数 {orgs} 超出范围", f"请填写 0 到 {MAX_FORMS} 之间的数")
    table = _items_for(chosen, items, kind, orgs)
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
    spec = BookSpec(chosen, preset_title(chosen.preset_id), forms=orgs, year=year or datetime.now().year, vba=vba, items=table, form_kind=kind)
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

    def change(data: bytes, write: Callable[..., None]) -> Outcome:
        with gc_paused():
            # The reader parses the 汇总表 without holding the GIL; meanwhile its
            # error scan thread, holding the sheet's XML anyway, cuts it into rows for the writer.
            scans: dict = {}

            def head_start(sheet: str, xml: bytes, crc: int) -> None:
                if sheet == SUMMARY_SHEET:
                    scans[sheet] = _scan_quietly(xml, crc)

            merges: dict = {}
            grids = read_grids(path, wanted, data=data, merges=merges, each_part=head_start)
            outcome = rate_book(grids, now=now or datetime.now(), user=user if user is not None else os_user(), merges=merges)
            if outcome.ok:
                write(outcome.edits, scans=scans)
        return outcome

    return _update(path, out, change)


def _update(path: Path, out: Path | None, change: Callable[[bytes, Callable[..., None]], T]) -> T:
    """Read the workbook once, let `change` compute from those bytes and call `write(edits)`.

    Shared by every command that writes a workbook: the target is locked for the
    whole run, and the write is refused (BookError) when the file changed on disk
    since it was read or was opened in Excel/WPS/LibreOffice meanwhile.
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
            refuse_if_open(dst)  # opened in Excel while we were working

        def write(edits: Sequence[Edit], scans: dict | None = None) -> None:
            try:
                write_edits(path, target, edits, scans=scans, before_replace=before_replace)
            except FileNotFoundError:  # gone while we worked, e.g. mid-way through an Excel save
                unchanged()
                raise

        return change(data, write)


def ballots(
    path: Path,
    exports: Sequence[Path],
    out: Path | None = None,
    *,
    add: bool = False,
    evaluator: str | None = None,
    now: datetime | None = None,
    user: str | None = None,
) -> BallotOutcome:
    """Fill the forms' vote counts from survey exports or paper tallies (导入测评票).

    Without `add` the counts of these files replace the counts on the forms
    (importing the same file twice counts it once); with `add` they are added to
    them. Nothing is written when anything is listed as a problem.
    """
    from .ballots.importer import plan_import

    path = Path(path)
    files = [read_export(Path(e)) for e in exports]

    def change(data: bytes, write: Callable[..., None]) -> BallotOutcome:
        grids = read_grids(path, _wanted_for_ballots, data=data)
        outcome = plan_import(grids, files, add=add, evaluator=evaluator, now=now, user=user if user is not None else os_user())
        if outcome.ok:
            write(outcome.edits)
        return outcome

    return _update(path, out, change)


def read_export(path: Path) -> Export:
    """A survey export or tally file, read from disk (its parsing is starbook.ballots')."""
    from .ballots.source import Export

    check_exists(path)
    try:
        return Export(path.name, path.read_bytes())
    except OSError as exc:
        raise BookError(f"无法读取测评文件“{path.name}”：文件被占用或没有读取权限", "请关闭占用它的程序后重试") from exc


def _wanted_for_ballots(name: str) -> bool:
    return name in (PARAMS_SHEET, SUMMARY_SHEET, BALLOT_RECORD_SHEET) or is_form(name)


def _content_types(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read("[Content_Types].xml")
    except (KeyError, zipfile.BadZipFile):
        return b""


def _scan_quietly(xml: bytes, crc: int):
    """A head start for the writer, never an error of its own: the reader reports bad files."""
    from .xlsx.sheetpatch import scan_sheet

    try:
        return scan_sheet(xml, crc)
    except Exception:
        return None


def write_edits(
    src: Path, dst: Path, edits: Sequence[Edit], *, scans: dict | None = None, before_replace: Callable[[], None] | None = None,
    verified: bool = False,
) -> None:
    """Apply the core's edits to a file, atomically, keeping every other part.

    `before_replace` may still refuse (raise) once the new file is ready, before it replaces `dst`.
    `verified`: `src` was just written by this process from parts it checked (patch_workbook).
    """
    from .xlsx.sheetpatch import PatchError, patch_workbook

    try:
        patch_workbook(src, dst, edits, scans, before_replace=before_replace, verified=verified)
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


def load_items(path: Path) -> tuple[ItemTable | None, list[Problem]]:
    """A 组织部's 评分细则 from an .xlsx/.xlsm: columns 类别, 维度, 评分内容, 评分标准, 分值 (维度分值
    optional) in any order, found by their titles on the sheet named 评分细则 or the first that has them.
    Problems name the file and sheet; the table is None when any is an error."""
    path = Path(path)
    grids = read_grids(path)
    if not grids:
        return None, [Problem(path.name, "", "文件中没有工作表", "请选择组织部下发的评分细则文件")]
    sheet, grid = find_items_sheet(grids) or next(iter(grids.items()))  # none has the titles: say which are missing
    table, problems = parse_items(grid, f"{path.name}：{sheet}")
    if table is not None:
        table = ItemTable(table.kinds, {k: table.sources.get(k) or f"导入：{path.name}"[:60] for k in table.kinds})
    return table, problems


def _items_for(scheme: Scheme, items: ItemTable | None, kind: str | None, orgs: int) -> ItemTable | None:
    """Refuse a 类别 the forms cannot be built for, before anything is written."""
    from .sheets.items import preset_items

    if kind is not None and kind not in CATEGORIES:
        raise BookError(f"类别“{kind}”不是规定的七类之一", f"请用 {'、'.join(CATEGORIES)} 之一")
    table = items if items is not None else preset_items(scheme)
    problems = check_scheme(table, scheme)
    if problems:
        raise BookError(str(problems[0]), "")
    if orgs and table.for_kind(kind) is None:
        if kind is None:
            raise BookError(f"评分细则没有“{GENERAL}”评分项，不知道空白评分表用哪一类的评分项",
                            f"请用 --kind 指定评分表的类别（{'、'.join(k for k in table.kinds)}），或用 --orgs 0 只生成评分细则和汇总表")
        raise BookError(f"评分细则中没有类别“{kind}”的评分项，也没有“{GENERAL}”评分项", "请在评分细则中补上这一类的评分项，或换一个 --kind")
    return items


STARBOOK_SHEETS = ("汇总表", "整改名单", "整改台账", "后进党组织调查摸底表", "定星统计", "公示", "参数", "定星记录", "评分细则", "问题清单", BALLOT_RECORD_SHEET, "xlwings.conf")


def forms(path: Path, out: Path | None = None) -> tuple[Path | None, list[Problem]]:
    """生成评分表: a form for every 汇总表 row (名称 and 类别 filled), from its 类别's items in 评分细则.

    The file patcher cannot add sheets, so the workbook is rebuilt from what it holds (forms_package).
    In place unless `out`. Returns (the file, problems); (None, problems) when a problem stops it.
    """
    from .build.package import custom_ui_of, vba_project_of

    path = Path(path)
    dst = Path(out) if out else path
    data = read_package(path)
    grids = read_grids(path, data=data)
    built, problems = forms_package(grids, list(grids), vba_project_of(path), custom_ui_of(path))
    if built is None:
        return None, problems
    target = writable_target(dst, output=out is not None)
    refuse_wrong_suffix(dst, _content_types(built[0]))
    with workbook_lock(target):
        unchanged = unchanged_since_read(path, fingerprint(data))

        def before_replace() -> None:
            unchanged()
            refuse_if_open(dst)

        install_package(built, target, before_replace)
    return dst, problems


def forms_package(grids: dict, names: Sequence[str], vba: bytes | None, customui: bytes | None
                  ) -> tuple[tuple[bytes, list[Edit]] | None, list[Problem]]:
    """The rebuilt workbook for 生成评分表 (both shells): its bytes and the 参数 values to type into it.

    Kept: 参数 (every setting, as parsed, and the 基本设置 values as typed), 评分细则, and the
    汇总表's 名称, 类别 and 上年星级, which the new forms carry; the VBA project and ribbon given.
    That is everything a workbook holds before its forms are filled, so only such a workbook is
    rebuilt: a filled form, scores or 否决事项 typed in the 汇总表, a 定星记录 or a sheet of the
    cadre's own is refused (BookError), nothing lost.
    """
    from .build.package import add_custom_ui
    from .build.workbook import MAX_FORMS, BookSpec, FormSeed, build_workbook
    from .grid import cell_at, cell_name, find_header, is_blank, text
    from .sheets import forms as F
    from .sheets import params as P
    from .sheets import summary as S
    from .sheets.items import SHEET as ITEMS_SHEET

    own = [n for n in names if n not in STARBOOK_SHEETS and not F.is_form(n)]
    if own:
        raise BookError(f"工作簿中有 starbook 之外的工作表“{own[0]}”：生成评分表要重建工作簿，这张表不会保留",
                        "请把它移到另一个工作簿后再生成评分表，或用“新增评分表”逐张添加")
    for needed in (P.SHEET, S.SHEET, ITEMS_SHEET):
        if needed not in grids:
            raise BookError(f"工作簿中没有“{needed}”工作表", "请用 starbook new 生成的新版工作簿")
    scheme, problems = P.parse_params(grids[P.SHEET])
    if scheme is None:
        return None, problems
    if find_preset(scheme.preset_id) is None:
        raise BookError(f"参数表的方案代码“{scheme.preset_id}”不是预设方案，无法重建工作簿", "请在参数表“方案代码”填写预设方案的代码（starbook schemes 列出）")
    table, found = parse_items(grids[ITEMS_SHEET])
    problems += [p for p in found if p.severity == "错误"]
    if table is None:
        return None, problems
    problems += check_scheme(table, scheme)
    for sheet in F.form_sheets(list(grids)):
        form, found = F.parse_form(sheet, grids[sheet], scheme)
        if form is not None or found:
            raise BookError(f"“{sheet}”已经填写了内容：生成评分表要重建工作簿，只用于还没有填写评分表的工作簿",
                            "请用“新增评分表”添加评分表，或在新工作簿中生成评分表后再填写")
    log = grids.get("定星记录", [])
    logged = find_header(log, "定星时间")
    if logged and any(not is_blank(v) for line in log[logged[0] + 1:] for v in line):
        raise BookError("工作簿已经定过星：生成评分表要重建工作簿，定星记录不会保留", "请在定星之前生成评分表")
    grid = grids[S.SHEET]
    header = find_header(grid, S.S_NAME, S.S_KIND)
    if header is None:
        return None, [Problem(S.SHEET, "", f"找不到“{S.S_NAME}”“{S.S_KIND}”列", "请按模板恢复汇总表的表头")]
    hr, cols = header
    typed = [cols[t] for t in (*(e.column for e in scheme.evaluators), S.S_VETO) if t in cols]
    seeds: list[FormSeed] = []
    for r in range(hr + 1, len(grid)):
        name = text(cell_at(grid, r, cols[S.S_NAME]))
        if not name:
            continue
        for c in typed:
            if not is_blank(cell_at(grid, r, c)):
                raise BookError(f"汇总表{cell_name(r, c)}已经填写（{name}）：生成评分表要重建工作簿，汇总表中手填的得分和否决事项不会保留",
                                "请先清空这些单元格，在生成的评分表中填写")
        kind = text(cell_at(grid, r, cols[S.S_KIND]))
        if not kind:
            problems.append(Problem(S.SHEET, cell_name(r, cols[S.S_KIND]), f"“{name}”的类别未填写", f"请选择{'、'.join(CATEGORIES)}之一"))
        elif kind not in CATEGORIES:
            problems.append(Problem(S.SHEET, cell_name(r, cols[S.S_KIND]), f"“{name}”的类别「{kind}」不是规定的七类之一", f"请选择{'、'.join(CATEGORIES)}之一"))
        elif table.for_kind(kind) is None:
            problems.append(Problem(S.SHEET, cell_name(r, cols[S.S_KIND]), f"“{ITEMS_SHEET}”中没有类别“{kind}”的评分项（也没有“{GENERAL}”评分项）",
                                    f"请在“{ITEMS_SHEET}”中补上“{kind}”的评分项，或点击“导入评分细则”"))
        last = text(cell_at(grid, r, cols[S.S_LAST])) if S.S_LAST in cols else ""
        klass = text(cell_at(grid, r, cols[scheme.class_input])) if scheme.class_input in cols else ""
        seeds.append(FormSeed(name, kind, last or None, klass or None))
    if len(seeds) > MAX_FORMS:
        problems.append(Problem(S.SHEET, "", f"汇总表有 {len(seeds)} 个党组织，一个工作簿最多 {MAX_FORMS} 张评分表",
                                "请分成几个工作簿（每个乡镇或片区一个）"))
    if not seeds:
        problems.append(Problem(S.SHEET, cell_name(hr + 1, cols[S.S_NAME]), "汇总表中没有党组织", "请逐行填写党组织名称和类别，再生成评分表"))
    if any(p.severity == "错误" for p in problems):
        return None, problems
    from .roster import book_year

    year = book_year(grids)  # a form's 年度, else the 汇总表's “年度：” line (a book made with --orgs 0 has no form)
    buf = io.BytesIO()
    build_workbook(buf, BookSpec(scheme, preset_title(scheme.preset_id), forms=0, year=year or datetime.now().year,
                                 vba=vba, items=table, seeds=tuple(seeds)))
    built = buf.getvalue()
    if customui is not None:
        built = add_custom_ui(built, customui)
    new_params = read_grids(Path("new.xlsm"), lambda n: n == P.SHEET, data=built)[P.SHEET]
    return (built, _settings_edits(grids[P.SHEET], new_params)), problems


def install_package(built: tuple[bytes, list[Edit]], target: Path, before_replace: Callable[[], None] | None = None) -> None:
    """Write a rebuilt workbook to `target` atomically, with its edits patched in."""
    data, edits = built
    scratch = target.with_name(f".~starbook.{target.name}.new")
    try:
        scratch.write_bytes(data)
        write_edits(scratch, target, edits, before_replace=before_replace)
    finally:
        scratch.unlink(missing_ok=True)


def _settings_edits(old, new, skip: Sequence[str] = ()) -> list[Edit]:
    """The 参数 基本设置 values as typed in the old book (the 公示's settings are not in the Scheme),
    but for the keys in `skip`."""
    from datetime import date

    from .edits import CellBlock
    from .grid import cell_at, find_header, is_blank, text
    from .sheets.params import KEY, SHEET, VALUE

    def settings(grid) -> dict[str, tuple[int, int, object]]:
        found = find_header(grid, KEY, VALUE)
        if found is None:
            return {}
        hr, cols = found
        out = {}
        for r in range(hr + 1, len(grid)):
            key = text(cell_at(grid, r, cols[KEY]))
            if not key:
                break
            out[key] = (r, cols[VALUE], cell_at(grid, r, cols[VALUE]))
        return out

    edits: list[Edit] = []
    fresh = settings(new)
    for key, (_, _, value) in settings(old).items():
        if key not in fresh or key in skip or is_blank(value) or value == fresh[key][2]:
            continue
        if isinstance(value, (datetime, date)):  # the cell keeps its date format; Excel stores the serial
            value = float((datetime(value.year, value.month, value.day) - datetime(1899, 12, 30)).days)
        r, c, _ = fresh[key]
        edits.append(CellBlock(SHEET, r + 1, c + 1, ((value,),)))
    return edits


def distribute(path: Path, folder: Path, *, overwrite: bool = False) -> tuple[list[Path], list[Problem]]:
    """One branch workbook per organization of the committee's book, written into `folder`.

    Each holds that organization's form (name, 类别, 上年星级 filled in) and the
    committee's 参数, protected and marked 工作簿类型 = 支部填报. The committee's
    book is only read. Returns the files written, or the problems that stop it
    (nothing is written then).
    """
    from . import cycle

    path = Path(path)
    check_exists(path)
    grids = read_grids(path, cycle.cycle_sheet)
    source, handouts, problems = cycle.plan_distribution(grids)
    if source is None:
        return [], problems
    folder = cycle.prepare_folder(Path(folder), [h.file for h in handouts], overwrite=overwrite)
    return cycle.write_distribution(grids, source, handouts, folder), problems


def new_from(last_year: Path, out: Path, *, overwrite: bool = False) -> tuple[Path | None, list[Problem]]:
    """Next year's workbook from last year's rated one: the same organizations (汇总表 rows and
    one form each), 类别 and 参数, 年度 + 1, 上年星级 = last year's 星级, and the 整改台账
    items not yet closed. Returns the new file and its notes, or None and the problems
    that stop it (last year's book not rated, or its 参数 unusable)."""
    from . import cycle

    last_year, out = Path(last_year), Path(out)
    check_exists(last_year)
    if os.path.lexists(out) and not out.is_dir() and not overwrite:
        raise BookError(f"“{out}”已存在，未覆盖",
                        "如确要用新工作簿替换它（其中的内容将全部丢失），请加上 --force；否则请换一个文件名")
    target = writable_target(out, output=True)
    if target == Path(os.path.realpath(last_year)):
        raise BookError("新年度工作簿不能写回上一年度的文件", "请在 -o 后另写一个文件名，如 2027年星级评定.xlsm")
    grids = read_grids(last_year, cycle.cycle_sheet)
    source, people, problems = cycle.plan_next_year(grids, last_year.name)
    if source is None:
        return None, problems
    data, fill, notes = cycle.next_year_book(source, grids, people)
    refuse_wrong_suffix(out, _content_types(data))
    with workbook_lock(target):
        cycle.write_filled(data, target, fill, before_replace=lambda: refuse_if_open(out))
    return out, notes


def collect(inputs: Sequence[Path], out: Path, *, scheme: str | None = None, rerate: bool = False,
            progress: Callable[[int, int], None] | None = None, workers: int | None = None):
    """Gather branch or township workbooks (files or folders) into `out`, verifying each.

    The collected files are only read, never opened in Excel. Returns a
    `collect.run.Collected`: its findings, the usable books, whether `out` was written.
    """
    from .collect.run import collect as run

    return run(inputs, Path(out), scheme=scheme, rerate=rerate, progress=progress, workers=workers)
