"""One collected file read and checked on its own, in a worker process.

Everything returned is plain data (picklable), small in proportion to the
book's organizations: the grids are dropped here, so memory stays flat however
many files a collect reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..grid import Grid, Value, cell_at, is_blank, is_date, shown_value, text
from ..problems import BookError
from ..ratebook import LOG_SHEET, RECTIFY_SHEET, rate_book
from ..scheme import Scheme
from ..sheets import forms as F
from ..sheets import params as P
from ..sheets import summary as S
from ..xlsx.guard import fingerprint
from ..xlsx.read import open_package, read_grids
from . import classify, verify
from .findings import Finding

UNUSABLE = "unusable"
SHEETS = (P.SHEET, S.SHEET, LOG_SHEET, RECTIFY_SHEET)  # and the forms: all a collect reads of a file


def wanted(name: str) -> bool:
    return name in SHEETS or F.is_form(name)


@dataclass
class Book:
    path: str
    name: str
    kind: str = UNUSABLE  # classify.BRANCH, classify.COMMITTEE or UNUSABLE
    unit: str = ""
    digest: str = ""
    scheme: Scheme | None = None
    params: dict = field(default_factory=dict)  # where 参数 states each rule (verify.param_places), to name differences by cell
    titles: list[str] = field(default_factory=list)  # the 汇总表's titles, in its order
    rows: list[dict[str, Value]] = field(default_factory=list)  # the 汇总表's organizations, by title
    cells: list[dict[str, str]] = field(default_factory=list)  # per row: {党组织名称: its cell address in the file}
    forms: list = field(default_factory=list)  # a branch's filled forms: township.FormInputs
    findings: list[Finding] = field(default_factory=list)
    rated: bool = False
    handed_down: bool = False  # marked 支部填报 (made by distribute): only the branch's own parts are taken
    rectify: list[dict[str, Value]] = field(default_factory=list)  # its 整改名单 rows, by title


def read_book(path: str) -> Book:
    """Read, classify and verify one file; never raises (an unusable file is a finding)."""
    book = Book(path, Path(path).name)
    try:
        _read(book)
    except BookError as exc:
        book.kind = UNUSABLE
        book.findings.append(Finding(book.name, "", "", f"{exc.message}，未汇总", exc.fix or "请从原件重新保存一份再汇总"))
    except Exception as exc:  # a reader failure on a hostile file: skip it with the reason, never a crash
        book.kind = UNUSABLE
        book.findings.append(Finding(book.name, "", "", f"无法读取（{type(exc).__name__}），未汇总", "请在 Excel 中打开后另存为 .xlsm 再汇总"))
    return book


def _read(book: Book) -> None:
    path = Path(book.path)
    data, zf = open_package(path, every_part=False)  # only read, never written back: its VBA and notes are not ours to check
    book.digest = fingerprint(data)
    merges: dict = {}
    with zf:
        grids = read_grids(path, wanted, data=data, merges=merges, threaded=False, zf=zf)
    for needed in (P.SHEET, S.SHEET):
        if needed not in grids:
            raise BookError(f"“{book.name}”不是星级评定工作簿（没有“{needed}”工作表）", "请只把星级评定工作簿放进汇总文件夹")
    book.params = verify.param_places(grids[P.SHEET])
    book.unit = classify.reporting_unit(grids[P.SHEET], path)
    log_rows, log = verify.last_log(grids.get(LOG_SHEET))
    filled = [s for s in F.form_sheets(list(grids)) if _filled(grids[s])]
    book.kind = classify.level(grids[P.SHEET], log_rows, len(filled))
    book.handed_down = P.book_kind(grids[P.SHEET])[0] == classify.BRANCH
    if book.kind == classify.BRANCH:
        from .township import form_inputs

        book.scheme = _scheme(book, grids)
        book.forms = [form_inputs(s, grids[s], book.scheme) for s in filled]
        return
    book.rated = log_rows > 0
    if LOG_SHEET not in grids:
        book.findings.append(verify.no_log(book.name))
    elif not book.rated:
        book.scheme = _scheme(book, grids)
        book.findings.append(verify.never_rated(book.name))
        return
    outcome = rate_book(grids, with_edits=False, merges=merges)  # parses 参数 once for all the checks
    book.scheme = scheme = outcome.scheme or _scheme(book, grids)
    grid = grids[S.SHEET]
    summary = outcome.summary  # as 定星 parsed it; a row whose scores only its form holds needs the plain reading
    if summary is None or any(r.missing for r in summary.rows):
        summary, found = S.parse_summary(grid, scheme)
        if summary is None:  # each cell that stops it (a date or an error value in a score, no header …) is named
            book.findings += [Finding.of(book.name, p) for p in found]
            raise BookError(f"“{book.name}”的汇总表有误（见上面各条），无法核对", "请上报单位改正后重新定星再报送")
    _rows(book, grid, summary)
    book.rectify = _rectify_rows(grids.get(RECTIFY_SHEET), book.unit)
    found, inputs_current = verify.digests(book.name, grid, scheme, log, summary)
    book.findings += found
    if not outcome.ok:
        book.findings += [Finding.of(book.name, p) for p in outcome.problems if p.severity == "错误"]
    elif inputs_current:
        found = verify.rerated(book.name, grid, outcome, summary)
        if found and F.form_sheets(list(grids)):  # results that do not follow: from forms edited after 定星?
            stale, names = verify.forms_changed(book.name, grids, scheme, summary)
            found = stale + verify.rerated(book.name, grid, outcome, summary, names) if stale else found
        book.findings += found
    book.findings += verify.quotas(book.name, grid, scheme, summary)


def collected(value: Value) -> Value:
    """A cell as the roll-up takes it from a reported book: a date or time (a result typed over
    by hand, Excel's reading of "5-1") as the text the cadre saw, which a worksheet cell can hold."""
    return shown_value(value) if is_date(value) else value


def _scheme(book: Book, grids) -> Scheme:
    scheme, problems = P.parse_params(grids[P.SHEET])  # parsed once per distinct 参数 in each worker
    if scheme is None:
        book.findings += [Finding.of(book.name, p) for p in problems]
        raise BookError(f"“{book.name}”的参数表有误，无法核对", "请上报单位改正参数表后重新定星")
    return scheme


def _filled(grid: Grid) -> bool:
    for r in range(min(len(grid), 12)):
        for c, v in enumerate(grid[r]):
            if text(v) == F.F_NAME:
                return not is_blank(cell_at(grid, r, c + 1))
    return False


def _rows(book: Book, grid: Grid, summary: S.Summary) -> None:
    from ..grid import cell_name

    titles = sorted(summary.columns, key=summary.columns.get)
    book.titles = titles
    columns = [(t, summary.columns[t]) for t in titles]
    c_name = summary.columns[S.S_NAME]
    for row in summary.rows:
        line = grid[row.row] if 0 <= row.row < len(grid) else []
        width = len(line)
        book.rows.append({t: collected(line[c]) if c < width else None for t, c in columns})
        book.cells.append({S.S_NAME: cell_name(row.row, c_name)})


def _rectify_rows(grid: Grid | None, unit: str) -> list[dict[str, Value]]:
    from ..grid import find_header

    found = find_header(grid or [], S.S_NAME, "列入原因", max_rows=20)
    if found is None:
        return []
    hr, cols = found
    out = []
    for r in range(hr + 1, len(grid)):
        if not is_blank(cell_at(grid, r, cols[S.S_NAME])):
            row = {t: collected(cell_at(grid, r, c)) for t, c in cols.items()}
            row["上报单位"] = unit
            out.append(row)
    return out
