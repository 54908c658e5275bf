"""The year around the rating: hand the forms down to the branches, start next year.

Both build whole workbooks (the file patcher cannot add sheets) with the same
builder as `starbook new`, from the committee's scheme as its 参数 states it and
its 评分细则 (each form from its 类别's items) or, in a book without one, the
items its forms list, then type the organizations in with starbook.fill so
that every value lands in the cells the parsers read. Used by both shells
(api for files, excel for the ribbon).
"""
from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .edits import CellBlock, Edit
from .fill import FormFill, form_edits, summary_rows
from .grid import Grid, cell_at, cell_name, find_header, is_blank, text
from .presets import find_preset, preset_title
from .problems import BookError, Problem, WARNING
from .ratebook import LOG_COLUMNS, LOG_SHEET
from .roster import Member, book_year, form_dimensions, form_title, members
from .scheme import STARS, Scheme
from .sheets import forms as F
from .sheets import params as P
from .sheets import items as I
from .sheets import ledger as L
from .sheets import notice as N
from .sheets import summary as S

LEDGER_SHEET = "整改台账"  # sheets/ledger.py SHEET
LEDGER_KEYS = ("存在主要问题", "销号")  # the ledger's header is found by these titles
LEDGER_COLUMNS = ("存在主要问题", "整改措施", "完成时限", "责任人", "整改情况", "销号")
BOOK_SUFFIX = ".xlsm"
NOTICE_START = "公示开始日期"  # a date of last year's 公示: not carried into the next year


def cycle_sheet(name: str) -> bool:
    """The sheets the cycle reads: the rating's own and the 整改台账."""
    from .shell import wanted

    return wanted(name) or name == LEDGER_SHEET


# ---------------------------------------------------------------- file names

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_file_name(name: str, fallback: str) -> str:
    """A file name Windows accepts for an organization: its forbidden characters dropped,
    Chinese kept, no trailing dot or space, no reserved device name."""
    stem = _FORBIDDEN.sub("", name).strip().rstrip(". ")
    if not stem:
        stem = fallback
    if stem.split(".")[0].upper() in _RESERVED:
        stem = f"_{stem}"
    return stem[:120]


def branch_file_names(names: Sequence[str]) -> list[str]:
    """One distinct file name per organization (names that clean to the same text get （2）, （3）…)."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names, 1):
        stem = safe_file_name(name, f"党组织{i}")
        candidate, k = stem, 1
        while candidate.casefold() in seen:
            k += 1
            candidate = f"{stem}（{k}）"
        seen.add(candidate.casefold())
        out.append(candidate + BOOK_SUFFIX)
    return out


# ---------------------------------------------------------------- building


@dataclass(frozen=True)
class Source:
    """What a new workbook is built from: the committee's book as read."""

    scheme: Scheme
    title: str
    year: int | None
    dimensions: tuple  # the items of the book's first form
    items: I.ItemTable | None = None  # the book's 评分细则, when it has one: forms are built per 类别 from it


def read_source(grids: Mapping[str, Grid], what: str) -> tuple[Source | None, list[Problem]]:
    """The committee's scheme (its 参数) and the items of its forms; problems stop the command."""
    if P.SHEET not in grids:
        return None, [Problem(P.SHEET, "", f"{what}中没有“{P.SHEET}”工作表", "请用 starbook new 或模板生成的工作簿")]
    scheme, problems = P.parse_params(grids[P.SHEET])
    if scheme is None:
        return None, problems
    dims: tuple = ()
    for sheet in F.form_sheets(list(grids)):
        dims = form_dimensions(grids[sheet])
        if dims:
            break
    preset = find_preset(scheme.preset_id) or find_preset(scheme.preset)
    if not dims and preset is not None:
        dims = preset.dimensions
    items = None
    found = I.find_items_sheet(dict(grids))
    if found is not None:
        items, found_problems = I.parse_items(found[1], found[0])
        if items is None or any(p.severity != WARNING for p in found_problems):
            return None, [p for p in found_problems if p.severity != WARNING]
    title = form_title(grids)
    issuer = N.parse_settings(grids[P.SHEET])[0].issuer
    if title and issuer and title.startswith(issuer) and title != issuer:
        # A1 is 发布单位 & the form's name, cached by 定星: the name alone goes into the new formula
        title = title[len(issuer):]
    if title is None:
        try:
            title = preset_title(scheme.preset_id)
        except Exception:  # a preset code the committee changed by hand
            title = "基层党组织量化评分表"
    return Source(scheme, title, book_year(grids), dims, items), []


def build_book(source: Source, *, forms: int, year: int | None, book_kind: str = P.BOOK_COMMITTEE,
               dimensions: tuple | None = None, extra=None, seeds: Sequence = ()) -> bytes:
    """A workbook as `starbook new` builds it (VBA and ribbon from the template), for this scheme."""
    from .api import template_path
    from .build.package import add_custom_ui, custom_ui_of, vba_project_of
    from .build.workbook import BookSpec, build_workbook

    scheme = replace(source.scheme, dimensions=dimensions or source.dimensions)
    items = source.items
    if items is not None and forms and items.for_kind(None) is None:  # blank forms need 通用 items
        items = I.ItemTable({**items.kinds, I.GENERAL: scheme.dimensions}, dict(items.sources))
    template = template_path()
    vba = customui = None
    if template.exists():
        vba, customui = vba_project_of(template), custom_ui_of(template)
    buf = io.BytesIO()
    build_workbook(buf, BookSpec(scheme, source.title, forms=forms, year=year, vba=vba, extra=extra, book_kind=book_kind,
                                 items=items, seeds=tuple(seeds)))
    data = buf.getvalue()
    return add_custom_ui(data, customui) if customui is not None else data


def write_filled(data: bytes, target: Path, fill, *, before_replace=None) -> None:
    """Write a built workbook to `target` atomically, with the edits `fill(grids)` makes from its own grids."""
    from .api import write_edits
    from .xlsx.read import read_grids

    fd, name = tempfile.mkstemp(suffix=BOOK_SUFFIX, prefix=".starbook-", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        edits = fill(read_grids(tmp, cycle_sheet))
        write_edits(tmp, target, edits, before_replace=before_replace)
    finally:
        tmp.unlink(missing_ok=True)


def _form_fill(grids, sheet: str, member: Member, last_star: str | None, class_title: str = "") -> list[Edit]:
    extra = {class_title: member.star_class} if class_title and member.star_class else {}
    return form_edits(sheet, grids[sheet], FormFill(member.name, member.category or None, last_star, extra=extra))


# ---------------------------------------------------------------- distribute


@dataclass(frozen=True)
class Handout:
    member: Member
    file: str  # its file name in the folder


def plan_distribution(grids: Mapping[str, Grid]) -> tuple[Source | None, list[Handout], list[Problem]]:
    """Which branch workbooks the committee's book makes, or the problems that stop it."""
    source, problems = read_source(grids, "工作簿")
    if source is None:
        return None, [], problems
    kind, at = P.book_kind(grids[P.SHEET])
    if kind == P.BOOK_BRANCH:
        return None, [], [Problem(P.SHEET, cell_name(*at) if at else "", "这是支部填报工作簿，不能再分发",
                                  "请在党委的汇总工作簿中点击“分发评分表”或运行 starbook distribute")]
    people = members(grids, source.scheme.class_input, problems)
    if problems:
        return None, [], problems
    if not people:
        return None, [], [Problem(S.SHEET, "", "工作簿中没有党组织可以分发",
                                  "请先在汇总表中逐行填写党组织名称（及类别、上年星级），或在量化评分表中填写党组织名称")]
    seen: dict[str, Member] = {}
    for m in people:
        if m.name in seen:
            where = (S.SHEET, cell_name(m.row, 0)) if m.row is not None else (m.form or S.SHEET, "")
            problems.append(Problem(*where, f"党组织名称“{m.name}”重复，无法为它单独生成工作簿", "请改正重复的名称后再分发"))
        seen[m.name] = m
    if problems:
        return None, [], problems
    return source, [Handout(m, f) for m, f in zip(people, branch_file_names([m.name for m in people]))], []


def branch_book(source: Source, grids: Mapping[str, Grid], handout: Handout) -> tuple[bytes, object]:
    """One branch's workbook: built with its own form's items where it has a form, else with its 类别's
    items from the 评分细则, and the fill for it."""
    m = handout.member
    last = m.last_star if m.last_star in STARS else None
    dims = form_dimensions(grids[m.form]) if m.form else ()
    if source.items is None:
        data = build_book(source, forms=1, year=source.year, book_kind=P.BOOK_BRANCH, dimensions=dims or None)
    else:
        # The committee's own form for it wins (the committee may have reworded or added items,
        # 5+2+x); without one, its 类别's items from the 评分细则.
        kind = m.category or None
        mine = dims or source.items.for_kind(kind) or source.dimensions
        table = I.ItemTable({**source.items.kinds, kind or I.GENERAL: mine}, dict(source.items.sources))
        data = build_book(replace(source, items=table), forms=0, year=source.year, book_kind=P.BOOK_BRANCH, seeds=[_seed(m, last)])

    def fill(built: Mapping[str, Grid]) -> list[Edit]:
        return _form_fill(built, F.form_sheets(list(built))[0], m, last, source.scheme.class_input)

    return data, fill


def _by_kind(source: Source, m: Member) -> bool:
    """Whether the member's form comes from the book's 评分细则 (its 类别's items, else the 通用 ones)."""
    return source.items is not None and source.items.for_kind(m.category or None) is not None


def _seed(m: Member, last: str | None):
    from .build.workbook import FormSeed

    return FormSeed(m.name, m.category or None, last, m.star_class)


def prepare_folder(folder: Path, files: Sequence[str], *, overwrite: bool) -> Path:
    """The output folder, created when missing (only that one folder; its parent must exist);
    files of the same names already there are refused unless `overwrite`."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise BookError(f"“{folder}”是文件，不是文件夹", "请在 -o 后写一个文件夹名，分发的工作簿将逐个写入其中")
    if not folder.exists():
        if not folder.parent.is_dir():
            raise BookError(f"文件夹“{folder.parent}”不存在", "请先建好上一级文件夹，或换一个已有的位置")
        folder.mkdir()
    clash = [f for f in files if os.path.lexists(folder / f)]
    if clash and not overwrite:
        shown = "、".join(clash[:5]) + (f" 等 {len(clash)} 个" if len(clash) > 5 else "")
        raise BookError(f"文件夹“{folder}”中已有同名文件：{shown}，未覆盖",
                        "如确要用新生成的工作簿替换它们（其中填写的内容将丢失），请加上 --force；否则请换一个文件夹")
    from .xlsx.guard import writable_target

    for f in clash:  # open in Excel, read-only or a folder: refused before any file is written
        writable_target(folder / f, output=True)
    return folder


def write_distribution(grids: Mapping[str, Grid], source: Source, handouts: Sequence[Handout], folder: Path) -> list[Path]:
    """Write every branch workbook into `folder` (prepared), each atomically."""
    from .xlsx.guard import refuse_if_open, writable_target

    written = []
    for h in handouts:
        target = writable_target(folder / h.file, output=True)
        data, fill = branch_book(source, grids, h)
        write_filled(data, target, fill, before_replace=lambda t=target: refuse_if_open(t))
        written.append(folder / h.file)
    return written


# ---------------------------------------------------------------- next year


def _rated(grids: Mapping[str, Grid]) -> bool:
    grid = grids.get(LOG_SHEET)
    if grid is None:
        return False
    found = find_header(grid, LOG_COLUMNS[0], LOG_COLUMNS[1], max_rows=20)
    if found is None:
        return False
    hr, cols = found
    return any(not is_blank(cell_at(grid, r, cols[LOG_COLUMNS[0]])) for r in range(hr + 1, len(grid)))


def open_ledger_items(grids: Mapping[str, Grid]) -> list[dict[str, object]]:
    """The 整改台账 rows not yet closed (销号 blank), each as {column title: value}, with 党组织名称.

    Reads the ledger 定星 keeps (one block per organization, sheets/ledger.py) and a flat
    table with a 党组织名称 column, as a cadre may have kept it before.
    """
    grid = grids.get(LEDGER_SHEET)
    if grid is None:
        return []
    blocks = L.find_blocks(grid)
    if blocks:
        return _block_items(grid, blocks)
    found = find_header(grid, *LEDGER_KEYS, max_rows=30)
    if found is None:
        return []
    hr, _ = found
    titles = {c: text(v) for c, v in enumerate(grid[hr]) if text(v)}
    return _open_lines(grid, range(hr + 1, len(grid)), titles, {})


def _open_lines(grid: Grid, rows, titles: dict[int, str], extra: dict[str, object]) -> list[dict[str, object]]:
    closed = next(c for c, t in titles.items() if t == "销号")
    items = []
    for r in rows:
        row = {t: cell_at(grid, r, c) for c, t in titles.items()}
        if not is_blank(cell_at(grid, r, closed)):
            continue
        if all(is_blank(row.get(t)) for t in LEDGER_COLUMNS[:-1] if t in row):
            continue
        items.append({**extra, **{t: v for t, v in row.items() if not is_blank(v) and t != "序号"}})
    return items


def _block_items(grid: Grid, blocks: dict[str, int]) -> list[dict[str, object]]:
    """Open lines of each organization's block: below its header line, up to the next block."""
    starts = sorted(blocks.values())
    items = []
    for name, r in blocks.items():
        header = r + 2
        end = next((s for s in starts if s > r), len(grid))
        titles = {c: text(v) for c, v in enumerate(grid[header]) if text(v)} if header < len(grid) else {}
        if "销号" in titles.values():
            items += _open_lines(grid, range(header + 1, end), titles, {L.L_NAME: name})
    return items


def _plain_ledger(titles: Sequence[str]):
    """A bare 整改台账 for a new workbook whose builder makes none: last year's titles as its header."""
    def add(wb) -> None:
        ws = wb.add_worksheet(LEDGER_SHEET)
        ws.write(0, 0, "后进党组织整改台账（挂牌销号）")
        ws.write_row(2, 0, list(titles))
    return add


def _has_sheet(data: bytes, name: str) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return f'name="{name}"' in zf.read("xl/workbook.xml").decode("utf-8")


def _ledger_edits(grid: Grid, items: Sequence[Mapping[str, object]]) -> list[Edit]:
    """The carried-over items in the new book's ledger: a block per organization (as 定星
    keeps it), each open item one numbered line; a flat table gets them as rows."""
    if not items:
        return []
    if find_header(grid, *LEDGER_KEYS, max_rows=30) is None:  # the ledger 定星 keeps: blocks
        rows: list[tuple] = []
        by_name: dict[str, list[Mapping[str, object]]] = {}
        for item in items:
            by_name.setdefault(str(item.get(L.L_NAME, "")), []).append(item)
        for name, lines in by_name.items():
            head, reason, header, *_ = L.block_rows(L.Entry(name, "", "", "上一年度未销号事项结转"))
            rows += [head, reason, header]
            rows += [(n, *(line.get(t) for t in L.COLUMNS[1:])) for n, line in enumerate(lines, 1)]
            rows.append(("",) * len(L.COLUMNS))
        return [CellBlock(LEDGER_SHEET, L.FIRST_BLOCK_ROW + 1, 1, tuple(rows[:-1]))]
    found = find_header(grid, *LEDGER_KEYS, max_rows=30)
    hr, _ = found
    cols = {text(v): c for c, v in enumerate(grid[hr]) if text(v)}
    first = hr + 1
    while first < len(grid) and any(not is_blank(v) for v in grid[first]):
        first += 1
    left, right = min(cols.values()), max(cols.values())
    by_col = {c: t for t, c in cols.items()}
    values = tuple(tuple(item.get(by_col[c]) if c in by_col else None for c in range(left, right + 1)) for item in items)
    return [CellBlock(LEDGER_SHEET, first + 1, left + 1, values)]


def plan_next_year(grids: Mapping[str, Grid], name: str) -> tuple[Source | None, list[Member], list[Problem]]:
    """Last year's organizations and scheme, or the problems that stop `new --from`."""
    source, problems = read_source(grids, f"“{name}”")
    if source is None:
        return None, [], problems
    if not _rated(grids):
        return None, [], [Problem(LOG_SHEET, "", f"“{name}”还没有定星（“定星记录”中没有记录），不能据此生成下一年度工作簿",
                                  f"请先在 Excel 中点击“定星”或运行 starbook rate {name}，再运行 starbook new --from")]
    people = members(grids, source.scheme.class_input, problems)
    if problems:
        return None, [], problems
    if not people:
        return None, [], [Problem(S.SHEET, "", f"“{name}”中没有党组织", "请检查汇总表是否有党组织名称")]
    return source, people, []


def next_year_book(source: Source, grids: Mapping[str, Grid], people: Sequence[Member]) -> tuple[bytes, object, list[Problem]]:
    """Next year's workbook and its fill: one form per organization, 上年星级 = last year's 星级."""
    notes: list[Problem] = []
    year = source.year + 1 if source.year else None
    if year is None:
        notes.append(Problem(S.SHEET, "", "找不到上一年度的年度（评分表“年度”或汇总表“年度：”），新工作簿的年度留空",
                             "请在新工作簿各评分表的“年度”中填写年度", WARNING))
    items = open_ledger_items(grids)
    lasts = [m.star if m.star in STARS else None for m in people]
    if all(_by_kind(source, m) for m in people):  # each form from its 类别's items in the 评分细则
        shape = {"forms": 0, "seeds": [_seed(m, last) for m, last in zip(people, lasts)]}
    else:
        shape = {"forms": len(people)}
    data = build_book(source, year=year, **shape)
    if items and not _has_sheet(data, LEDGER_SHEET):
        titles = [t for t in (text(v) for v in grids[LEDGER_SHEET][find_header(grids[LEDGER_SHEET], *LEDGER_KEYS, max_rows=30)[0]]) if t]
        data = build_book(source, year=year, extra=_plain_ledger(titles), **shape)
    for m, star in zip(people, lasts):
        if star is None:
            where = cell_name(m.row, 0) if m.row is not None else ""
            said = f"为“{m.star}”" if m.star else "为空"
            notes.append(Problem(S.SHEET, where, f"{m.name}上一年度的星级{said}，新工作簿中它的上年星级留空",
                                 "请在新工作簿中该党组织评分表的“上年星级”中填写党委最终确定的星级", WARNING))

    def fill(built: Mapping[str, Grid]) -> list[Edit]:
        from .api import _settings_edits

        sheets = F.form_sheets(list(built))
        # 参数 基本设置 as last year's committee typed them (发布单位, 联系人 …), last year's 公示 date aside
        edits: list[Edit] = _settings_edits(grids[P.SHEET], built[P.SHEET], skip=(NOTICE_START,))
        rows = []
        for i, (m, sheet, last) in enumerate(zip(people, sheets, lasts), 1):
            edits += _form_fill(built, sheet, m, last, source.scheme.class_input)
            row = {S.S_NO: i, S.S_NAME: m.name, S.S_KIND: m.category or "", S.S_LAST: last or "", S.O_SOURCE: sheet}
            if source.scheme.class_input:  # the earlier 晋位升级 result does not change with the year
                row[source.scheme.class_input] = m.star_class or ""
            rows.append(row)
        edits.append(summary_rows(built[S.SHEET], rows))
        if LEDGER_SHEET in built:
            edits += _ledger_edits(built[LEDGER_SHEET], items)
        return edits

    if items:
        notes.append(Problem(LEDGER_SHEET, "", f"上一年度整改台账中未销号的 {len(items)} 条已结转到新工作簿",
                             "请在新工作簿的“整改台账”中继续跟踪，整改完成后填写“销号”", WARNING))
    return data, fill, notes
