"""`collect`: discover, read every file in a process pool, verify across files, write the roll-up."""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..grid import text
from ..problems import BookError
from ..presets import find_preset, preset_title
from ..scheme import Scheme
from ..sheets import params as P
from ..sheets import summary as S
from ..xlsx.guard import fingerprint, refuse_if_open, refuse_wrong_suffix, unchanged_since_read, workbook_lock, writable_target
from ..xlsx.read import read_grids, read_package
from . import classify, reports, rollup, verify
from .discover import discover
from .findings import ERROR, WARNING, Finding
from .readbook import UNUSABLE, Book, read_book

Progress = Callable[[int, int], None]
POOL_FROM = 4  # fewer files are read in this process: starting workers costs more than it saves


@dataclass
class Collected:
    out: Path
    findings: list[Finding] = field(default_factory=list)
    books: list[Book] = field(default_factory=list)  # the usable ones, in order
    organizations: int = 0
    written: bool = False
    forms: int = 0  # branch forms that landed in the collecting workbook's forms
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)  # --rerate: (上报单位, 党组织, decided, re-rated)

    @property
    def committees(self) -> list[Book]:
        return [b for b in self.books if b.kind == classify.COMMITTEE and b.rows]

    @property
    def branches(self) -> list[Book]:
        return [b for b in self.books if b.kind == classify.BRANCH]

    @property
    def flagged(self) -> bool:
        return bool(self.findings)


class Pool:
    """All cores for one collect: reading the files, then patching the new forms; started on first use."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable, items: Sequence) -> Iterator:
        """fn over items in their order; in this process when they are few (workers cost more than they save)."""
        if len(items) < POOL_FROM or self.workers == 1:
            return map(fn, items)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return self._pool.map(fn, items, chunksize=max(1, min(16, len(items) // (4 * self.workers))))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_all(paths: Sequence[Path], progress: Progress | None = None, workers: int | None = None, pool: Pool | None = None) -> Iterator[Book]:
    """Each file read and checked on its own, by all cores; results in the files' order."""
    total = len(paths)
    own = pool is None
    pool = pool or Pool(workers)
    try:
        for done, book in enumerate(pool.map(read_book, [str(p) for p in paths]), 1):
            if progress is not None:
                progress(done, total)
            yield book
    finally:
        if own:
            pool.close()


def gather(inputs: Iterable[Path], exclude: Path | None, target_grids: dict | None, scheme: str | None,
           progress: Progress | None = None, workers: int | None = None, pool: Pool | None = None) -> tuple[Collected, Scheme | None]:
    """Find, read and verify every input; the cross-file checks against the collector's scheme."""
    result = Collected(Path(exclude) if exclude is not None else Path())
    found = discover(inputs, exclude=exclude)
    result.findings += found.findings
    books: list[Book] = []
    seen: dict[str, str] = {}
    for book in read_all(found.files, progress, workers, pool):
        result.findings += book.findings
        if book.kind == UNUSABLE:
            continue
        if book.digest in seen:
            result.findings.append(Finding(book.name, "", "", f"与“{seen[book.digest]}”内容完全相同（同一个文件报送了两次），只汇总一次", "无需处理；如是误报，请删除多余的一份", WARNING))
            continue
        seen[book.digest] = book.name
        books.append(book)
    ours = _collector_scheme(target_grids, scheme, books)
    for book in books:
        if ours is not None and book.scheme is not None and book.scheme.preset_id != ours.preset_id:
            result.findings.append(Finding(book.name, "参数", "", f"方案为“{book.scheme.preset}”，与汇总工作簿的“{ours.preset}”不同，未汇总",
                                           f"请上报单位使用“{ours.preset}”方案的工作簿重新填报"))
            continue
        if ours is not None and book.scheme is not None:
            result.findings += verify.param_differences(book.name, book.params, book.scheme, ours)
        book.params = {}
        result.books.append(book)
    result.findings += _duplicates(result.committees)
    return result, ours


def collect(inputs: Iterable[Path], out: Path, *, scheme: str | None = None, rerate: bool = False,
            progress: Progress | None = None, workers: int | None = None) -> Collected:
    """Gather the inputs into `out` (made from the template when it does not exist yet)."""
    out = Path(out)
    with Pool(workers) as pool:
        result, ours = gather(inputs, out, _target_grids(out), scheme, progress, workers, pool)
        if not result.books or ours is None:
            return result
        result.organizations = _write(out, ours, result, rerate, pool)
    result.written = True
    return result


@dataclass
class Copies:
    """New forms copied from one form of the collecting workbook."""

    source: str
    names: list[str]
    clear: list  # what empties `source`; the plan's edits hold it for each copy, first


@dataclass
class Plan:
    """What a collect changes in the collecting workbook: sheets to add, forms to copy, then edits."""

    edits: list = field(default_factory=list)
    new_sheets: list[tuple[str, tuple[str, ...], tuple[float, ...]]] = field(default_factory=list)  # (name, header, widths)
    copies: list[Copies] = field(default_factory=list)  # new forms, each group copies of one form
    chart: reports.UnitTable | None = None  # 定星统计's table per 上报单位, which the roll-up's chart draws


def plan(grids: dict, scheme: Scheme, result: Collected, rerate: bool, out_name: str, can_copy: Callable[[str], bool]) -> Plan:
    """Every change, from the collecting workbook's grids (updated in place for the sheets it adds)."""
    from .township import Forms, branch_edits, new_form_names

    done = Plan()
    committees, branch = result.committees, result.branches
    laid = None
    if committees:
        done.edits, result.organizations, laid = rollup.summary_edits(grids[S.SHEET], scheme, committees)
    if branch:
        forms = Forms(grids, scheme, _items(grids))
        for source, names in new_form_names(forms, branch):
            if names and can_copy(source):
                clear, cleared = forms.add_copies(source, names)
                done.copies.append(Copies(source, names, clear))
                done.edits += cleared
        more, found = branch_edits(forms, branch)
        done.edits += more
        result.findings += found
        result.forms = forms.placed
    rerated = None
    if rerate and laid is not None:
        from .rerate import rerate_edits

        more, found, result.changes, rerated = rerate_edits(grids, scheme, *laid, out_name)
        done.edits += [e for e in more if e.sheet != reports.STATS_SHEET]
        result.findings += found
    if laid is not None:
        _report_edits(done, grids, scheme, laid, committees, rerated)
    if rollup.PROBLEMS_SHEET not in grids and result.findings:
        done.new_sheets.append((rollup.PROBLEMS_SHEET, rollup.COLUMNS_SHOWN, rollup.WIDTHS))
        grids[rollup.PROBLEMS_SHEET] = [list(rollup.COLUMNS_SHOWN)]
    if rollup.PROBLEMS_SHEET in grids:
        done.edits += rollup.problem_edits(grids[rollup.PROBLEMS_SHEET], result.findings)
    return done


def _items(grids: dict):
    """The collecting workbook's 评分细则, when it has a usable one (new forms then follow 类别)."""
    from ..sheets import items as I

    if I.SHEET not in grids:
        return None
    table, _problems = I.parse_items(grids[I.SHEET])
    return table


def _duplicates(books: Sequence[Book]) -> list[Finding]:
    first: dict[str, tuple[Book, str]] = {}
    found: list[Finding] = []
    for book in books:
        for row, cells in zip(book.rows, book.cells):
            name = text(row.get(S.S_NAME))
            if not name:
                continue
            if name in first and first[name][0].unit != book.unit:
                other, where = first[name]
                found.append(Finding(book.name, S.SHEET, cells.get(S.S_NAME, ""),
                                     f"党组织“{name}”同时出现在“{other.name}”（{other.unit}）{where}，两行都已汇总",
                                     "请核实它属于哪个上报单位，并让另一单位删除后重新定星报送"))
            else:
                first.setdefault(name, (book, cells.get(S.S_NAME, "")))
    return found


def _target_grids(out: Path) -> dict | None:
    if not out.exists():
        return None
    return read_grids(out, lambda n: n == P.SHEET)


def _collector_scheme(grids: dict | None, name: str | None, books: Sequence[Book]) -> Scheme | None:
    if grids is not None:
        scheme, problems = P.parse_params(grids.get(P.SHEET, []))
        if scheme is None:
            raise BookError("汇总工作簿的参数表有误", "请先在汇总工作簿中运行“校验”并改正参数表" + (f"（{problems[0]}）" if problems else ""))
        return scheme
    if name:
        from ..api import resolve_scheme

        return resolve_scheme(name)
    counts = Counter(b.scheme.preset_id for b in books if b.scheme is not None)
    if not counts:
        return None
    return find_preset(counts.most_common(1)[0][0])


def _write(out: Path, scheme: Scheme, result: Collected, rerate: bool, pool: Pool | None = None) -> int:
    """Patch `out` (or a new roll-up made from the template) with the collect's edits, atomically.

    An existing `out` is guarded like `rate`: locked, refused when open in Excel,
    replaced only if its bytes are still those read.
    """
    from ..api import write_edits
    from .addsheet import add_sheets, copyable, sheet_xml, with_copies

    new = not out.exists()
    target = writable_target(out, output=new)
    with workbook_lock(target):
        if new:
            data = _new_rollup_bytes(scheme, 1 if result.branches else 0)
            refuse_wrong_suffix(out, _content_types(data))
            before = lambda: refuse_if_open(out)  # noqa: E731
        else:
            data = read_package(out)
            unchanged = unchanged_since_read(out, fingerprint(data))

            def before() -> None:
                unchanged()
                refuse_if_open(out)

        grids = read_grids(out, lambda n: True, data=data)
        done = plan(grids, scheme, result, rerate, out.name, lambda sheet: copyable(data, sheet))
        edits = done.edits
        for group in done.copies:  # each new form is written whole as it is added; the patch below leaves it alone
            copies = set(group.names)
            own = _past_clear([e for e in edits if e.sheet in copies], len(group.clear))
            data = with_copies(data, group.source, group.names, group.clear, own, (pool or Pool(1)).map)
            edits = [e for e in edits if e.sheet not in copies]
        if done.new_sheets:
            data = add_sheets(data, [(name, sheet_xml(header, widths)) for name, header, widths in done.new_sheets])
        if done.chart is not None and done.chart.rows:
            from .chart import TITLE, with_unit_chart

            try:
                data = with_unit_chart(data, done.chart)
            except (KeyError, ValueError, UnicodeDecodeError, zipfile.BadZipFile):  # a drawing part missing or garbled
                result.findings.append(Finding(out.name, reports.STATS_SHEET, "", f"汇总工作簿的图表部件不完整，未画“{TITLE}”（表格已写入）",
                                               "请在 Excel 中打开汇总工作簿另存一份，或用 starbook new 生成新的汇总工作簿后重新汇总", WARNING))
        tmp = _temp_copy(target, data)
        try:
            write_edits(tmp, target, edits, before_replace=before, verified=True)  # tmp: the bytes just checked and changed here
        finally:
            if tmp.exists():
                tmp.unlink()
    return result.organizations


def _past_clear(edits: Sequence, cleared: int) -> list:
    """Each copy's edits without the clearing ones plan() put first (with_copies clears once for all)."""
    seen: Counter = Counter()
    out = []
    for e in edits:
        seen[e.sheet] += 1
        if seen[e.sheet] > cleared:
            out.append(e)
    return out


def _report_edits(done: Plan, grids: dict, scheme: Scheme, laid: tuple, committees: Sequence[Book], rerated: list | None) -> None:
    """定星统计, 审定名单 (added when missing) and, unless re-rated (定星 then wrote its own), 整改名单."""
    hr, titles, rows = laid
    df = reports.frame(rerated if rerated is not None else [dict(zip(titles, r)) for r in rows])
    stats, done.chart = reports.stats_report(grids.get(reports.STATS_SHEET), df, scheme)
    done.edits += stats
    if reports.APPROVAL_SHEET not in grids:
        done.new_sheets.append((reports.APPROVAL_SHEET, (), reports.APPROVAL_WIDTHS))
        grids[reports.APPROVAL_SHEET] = [[]]
    done.edits += reports.approval_edits(grids[reports.APPROVAL_SHEET], df, scheme)
    if rerated is None:
        done.edits += reports.rectify_edits(grids.get(reports.RECTIFY_SHEET), [r for b in committees for r in b.rectify])


def _new_rollup_bytes(scheme: Scheme, forms: int = 0) -> bytes:
    from ..api import template_path
    from ..build.package import add_custom_ui, custom_ui_of, vba_project_of
    from ..build.workbook import MAX_FORMS, BookSpec, build_workbook

    source = template_path()
    vba = customui = None
    if source.exists():
        vba, customui = vba_project_of(source), custom_ui_of(source)
    buf = io.BytesIO()
    spec = BookSpec(scheme, preset_title(scheme.preset_id), forms=min(forms, MAX_FORMS), year=datetime.now().year, vba=vba,
                    extra=lambda wb: rollup.add_problems_sheet(wb, vba is not None))
    build_workbook(buf, spec)
    data = buf.getvalue()
    return add_custom_ui(data, customui) if customui is not None else data


def _temp_copy(target: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix=".starbook-new-", suffix=target.suffix, dir=target.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


def _content_types(data: bytes) -> bytes:
    from ..api import _content_types as of

    return of(data)


__all__ = ["Collected", "ERROR", "collect", "read_all"]
