"""The live shell: what the 星级评定 ribbon buttons run inside Excel, through xlwings.

Each entry point reads the open book in bulk (one range read per sheet), calls
the same ``rate_book`` path as the command line, and writes the result back in
bulk (a fixed number of range writes per sheet, whatever the number of
organizations). Messages are Chinese and come from here, so the VBA stays ASCII.

Excel parses what it is given: every text goes behind an apostrophe so that it
stays text. A write Excel refuses is undone before the message says the book is
untouched, and no failure, not even reaching the calling book, shows a traceback.

The functions take an optional ``book`` so that tests can pass a book built by
xlwings' remote engine; from Excel they use ``xlwings.Book.caller()``.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import wraps
from pathlib import Path

from .fill import blank_form_edits
from .grid import ERROR_LITERALS, CellError, Grid
from .problems import BookError, Problem
from .edits import Cached, CellBlock, ClearRows, Edit, FitRows, RowHeight
from .gcpause import gc_paused
from .ratebook import STATS_SHEET, Outcome, rate_book
from .scheme import METHOD_DIRECT, METHOD_VOTE, PENDING, STARS
from .sheets.params import parse_params
from .sheets.forms import F_KIND, F_LAST, F_NAME, PREFIX, is_form
from .sheets.summary import SHEET as SUMMARY_SHEET
from .shell import crash_log, os_user
from .shell import wanted as _wanted

PROBLEM_SHEET = "问题清单"
TITLE = "星级评定"
MAX_SHOWN = 8


def _caller(book=None):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def read_grids(book, wanted=_wanted) -> dict[str, Grid]:
    """Each wanted sheet from A1 to its last used cell, in one read; error cells as CellError."""
    grids: dict[str, Grid] = {}
    for sheet in book.sheets:
        if not wanted(sheet.name):
            continue
        last = sheet.used_range.last_cell
        values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2, err_to_str=True).value
        grids[sheet.name] = [_with_errors(line) for line in values]
    return grids


# With err_to_str, xlwings hands error cells over as Excel's text ("#DIV/0!") from the
# remote clients and for the legacy seven on Windows; the newer ones (#SPILL! …) arrive
# from COM as the VARIANT error code 0x800A0000 + xlErr number, a Python int.
_COM_ERRORS = {2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?", 2036: "#NUM!",
               2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!", 2047: "#BLOCKED!",
               2048: "#UNKNOWN!", 2049: "#FIELD!", 2050: "#CALC!", 2051: "#EXTERNAL!"}
_LIVE_ERRORS: dict = {text: CellError(text) for text in ERROR_LITERALS}
_LIVE_ERRORS.update({number - 2146828288: CellError(text) for number, text in _COM_ERRORS.items()})


def _with_errors(line: list) -> list:
    """A row with its error cells as CellError; rows without one (nearly all) pass at C speed."""
    if _LIVE_ERRORS.keys().isdisjoint(line):
        return line
    return [_LIVE_ERRORS[v] if type(v) in (str, int) and v in _LIVE_ERRORS else v for v in line]


def _plain(value):
    """Excel stores doubles; a Decimal rounded to 2 places shows the same in a 0.00 cell."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def _cell(value):
    """A value as Excel must receive it. A text goes behind an apostrophe, which Excel drops
    (it becomes the cell's quotePrefix): "001", "15%", "=1+1", "TRUE" or "2026-11-22 09:30"
    stay the text they are instead of turning into a number, formula, boolean or date."""
    value = _plain(value)
    if isinstance(value, str) and value:
        return "'" + value
    return value


def _rows(values) -> list[list]:
    """A range read as a list of rows, whatever shape the engine returns."""
    if not isinstance(values, (list, tuple)):
        return [[values]]
    return [list(line) if isinstance(line, (list, tuple)) else [line] for line in values]


def _contents(sheet, row: int, col: int, nrows: int, ncols: int) -> list[list]:
    """What a rectangle holds now, ready to be written back unchanged: formulas as formulas,
    texts as texts. (xlwings' remote engines read no formulas synchronously: values only.)"""
    rng = sheet.range((row, col), (row + nrows - 1, col + ncols - 1))
    values = _rows(rng.options(ndim=2).value)
    try:
        formulas = _rows(rng.formula)
    except NotImplementedError:
        formulas = None
    out = []
    for i, line in enumerate(values):
        out.append([])
        for j, value in enumerate(line):
            f = formulas[i][j] if formulas else None
            # A text cell that reads "=1+1" reports the same as its formula: it is no formula.
            out[-1].append(f if isinstance(f, str) and f.startswith("=") and f != value else _cell(value))
    return out


MERGED_SHEETS = (SUMMARY_SHEET,)


def _plan(edits: Sequence[Edit]) -> list:
    """The edits as range writes, in order. On the 汇总表 the single-column blocks of one column
    (a run per gap in 序号, or per organization without a form) become one group written as a
    single rectangle, so the number of writes never grows with the organizations."""
    cleared = {e.sheet for e in edits if isinstance(e, ClearRows)}
    ops: list = []
    groups: dict[tuple[str, int], list[CellBlock]] = {}
    for e in edits:
        if isinstance(e, CellBlock) and e.sheet in MERGED_SHEETS and e.sheet not in cleared and all(len(line) == 1 for line in e.values):
            key = (e.sheet, e.col)
            if key not in groups:
                groups[key] = []
                ops.append(groups[key])
            groups[key].append(e)
        elif isinstance(e, (CellBlock, ClearRows)):
            ops.append(e)
    return ops


def _sheet_payload(sheet) -> dict:
    """What a remote client sent of a sheet (a desktop Excel's sheet, through COM, answers everything)."""
    api = sheet.api
    return api if isinstance(api, dict) else {"charts": None}


class _Live:
    """The open book during one button press. Every change goes through here and can be undone,
    so a failure never leaves a half-written book behind a message that says it is untouched."""

    def __init__(self, book) -> None:
        self.book = book
        self._undo: list = []
        self._lost = False  # a change that cannot be undone (a deleted sheet)

    @property
    def changed(self) -> bool:
        return bool(self._undo) or self._lost

    def rollback(self) -> bool:
        """Undo every change, newest first; False when the book could not be fully restored."""
        whole = not self._lost
        while self._undo:
            try:
                self._undo.pop()()
            except Exception:
                whole = False
        self._lost = not whole
        return whole

    def alert(self, text: str, mode: str = "info") -> None:
        self.book.app.alert(text, TITLE, "ok", mode, None)

    def _put(self, sheet, row: int, col: int, rows: list[list], old: list[list]) -> None:
        sheet.range((row, col)).value = rows
        self._undo.append(lambda: setattr(sheet.range((row, col)), "value", old))

    def write(self, sheet, row: int, col: int, values) -> None:
        """Values (rows) at (row, col), 1-based, each arriving in Excel as itself."""
        rows = [[_cell(v) for v in line] for line in values]
        self._put(sheet, row, col, rows, _contents(sheet, row, col, len(rows), len(rows[0])))

    def clear(self, sheet, row: int, min_cols: int = 1) -> None:
        """Empty every used row from `row` down."""
        last = sheet.used_range.last_cell
        if last.row < row:
            return
        cols = max(last.column, min_cols)
        old = _contents(sheet, row, 1, last.row - row + 1, cols)
        sheet.range((row, 1), (last.row, cols)).clear_contents()
        self._undo.append(lambda: setattr(sheet.range((row, 1)), "value", old))

    def add_sheet(self, name: str, after):
        sheet = self.book.sheets.add(name, after=after)
        self._undo.append(sheet.delete)
        return sheet

    def copy_sheet(self, source, name: str):
        copy = source.copy(after=source, name=name)
        self._undo.append(copy.delete)
        return copy

    def unit_chart(self, sheet, table) -> bool:
        """定星统计's chart per 上报单位 (collect.chart draws the same into a file), the earlier one
        replaced; False when the client tells nothing of the sheet's charts (then none is drawn)."""
        from .collect.chart import HEIGHT_ROWS, TITLE

        if "charts" not in _sheet_payload(sheet):
            return False
        for chart in [c for c in sheet.charts if c.name == TITLE]:
            chart.delete()
            self._lost = True
        top, left, units = table.header_row + 1, table.col + 1, len(table.rows)
        chart = sheet.charts.add(width=640, height=HEIGHT_ROWS * 15, chart_type="column_stacked", name=TITLE, plot_by="columns",
                                 source=sheet.range((top, left), (top + units, left + len(table.stars))),
                                 anchor=sheet.range((top + units + 3, left)))
        self._undo.append(chart.delete)
        return True

    def delete_sheet(self, name: str) -> None:
        self.book.sheets[name].delete()
        self._lost = True

    def apply(self, edits: Sequence[Edit]) -> None:
        """Write the core's edits in bulk; a write Excel refuses (a protected sheet, a cell being
        edited) stops here with the sheet named, and the entry point undoes the earlier ones.

        Asking Excel beforehand would not be exact (unlocked cells of a protected sheet take
        values; the remote clients send no protection state), undoing is."""
        for op in _plan(edits):
            sheet = self.book.sheets[op[0].sheet if isinstance(op, list) else op.sheet]
            try:
                self._apply_one(sheet, op)
            except Exception as exc:
                log = crash_log()
                raise BookError(
                    f"写入“{sheet.name}”工作表时 Excel 拒绝了修改",
                    f"请确认这张工作表没有受保护（“审阅”→“撤销工作表保护”）、也没有单元格正处于编辑状态，然后重试；"
                    f"仍不行请把 {log} 和工作簿发给技术支持",
                ) from exc
        heights: dict[str, list[int]] = {}
        for e in edits:
            if isinstance(e, RowHeight):
                heights.setdefault(e.sheet, []).append(e.row)
            elif isinstance(e, FitRows):
                self.book.sheets[e.sheet].range((e.first, 1), (e.last, 1)).rows.autofit()
        for name, rows in heights.items():
            self.book.sheets[name].range((min(rows), 1), (max(rows), 1)).rows.autofit()

    def _apply_one(self, sheet, op) -> None:
        if isinstance(op, ClearRows):
            self.clear(sheet, op.row)
        elif isinstance(op, CellBlock):
            if not any(isinstance(v, Cached) for line in op.values for v in line):  # Excel recalculates its own formulas
                self.write(sheet, op.row, op.col, op.values)
        else:  # one 汇总表 column: its blocks and the cells between them, which keep what they hold
            top = min(b.row for b in op)
            bottom = max(b.row + len(b.values) - 1 for b in op)
            col = op[0].col
            old = _contents(sheet, top, col, bottom - top + 1, 1)
            rows = [list(line) for line in old]
            for b in op:
                for k, (value,) in enumerate(b.values):
                    if not isinstance(value, Cached):
                        rows[b.row - top + k][0] = _cell(value)
            self._put(sheet, top, col, rows, old)


def _show_problems(live: _Live, problems: list[Problem]) -> None:
    """The problems in a message box and in the 问题清单; the box comes even when the sheet cannot
    be written (a protected workbook structure), and then nothing stays changed."""
    errors = [p for p in problems if p.severity == "错误"]
    lines = [f"{i}. {p}" for i, p in enumerate(errors[:MAX_SHOWN], 1)]
    try:
        _write_problem_sheet(live, problems)
        listed = True
    except Exception:
        crash_log()
        live.rollback()  # the listing is the first change of every entry point: nothing else is undone
        listed = False
    text = "发现以下问题，未写入任何结果：\n\n" + "\n".join(lines)
    if len(errors) > MAX_SHOWN:
        text += f"\n……共 {len(errors)} 处" + (f"，全部列在“{PROBLEM_SHEET}”工作表中。" if listed else "。")
    if not listed:
        text += f"\n\n（未能写入“{PROBLEM_SHEET}”工作表：工作簿结构或该表受保护。）"
    live.alert(text, "critical")


def _write_problem_sheet(live: _Live, problems: list[Problem]) -> None:
    sheets = live.book.sheets
    names = [s.name for s in sheets]
    sheet = sheets[PROBLEM_SHEET] if PROBLEM_SHEET in names else live.add_sheet(PROBLEM_SHEET, after=sheets[len(names) - 1])
    live.clear(sheet, 1, min_cols=5)
    rows = [["序号", "工作表", "单元格", "问题", "改法", "类型"]]
    rows += [[i, p.sheet, p.cell, p.message, p.fix, p.severity] for i, p in enumerate(problems, 1)]
    live.write(sheet, 1, 1, rows)


def _remove_problem_sheet(live: _Live) -> None:
    if PROBLEM_SHEET in [s.name for s in live.book.sheets]:
        live.delete_sheet(PROBLEM_SHEET)


def _summary(outcome: Outcome) -> str:
    rating = outcome.rating
    counts = "、".join(f"{s}{rating.counts.get(s, 0)}个" for s in (*STARS, PENDING) if rating.counts.get(s, 0))
    changed = rating.changed
    text = f"定星完成：{len(rating)} 个党组织（方案：{outcome.scheme.preset}）。" + (f"\n{counts}。" if counts else "")
    if changed:
        text += f"\n调整 {changed} 个，原因见汇总表“调整说明”列。"
    if outcome.warnings:
        text += "\n\n提示：\n" + "\n".join(f"- {p}" for p in outcome.warnings[:MAX_SHOWN])
    return text


def _message_box(text: str) -> None:
    """A message when there is no book to show it on (xlwings could not reach the caller)."""
    try:
        import xlwings as xw

        xw.apps.active.alert(text, TITLE, "ok", "critical", None)
        return
    except Exception:
        pass
    if sys.platform == "win32":
        import ctypes

        ctypes.windll.user32.MessageBoxW(None, text, TITLE, 0x10 | 0x40000)  # critical, topmost


def _tell(live: _Live | None, text: str) -> None:
    try:
        if live is not None:
            live.alert(text, "critical")
            return
    except Exception:
        pass
    _message_box(text)


def _undone(live: _Live | None) -> str:
    """Undo what a failed entry point changed, and say truthfully what state the book is in."""
    if live is None or not live.changed or live.rollback():
        return "工作簿未改动。"
    return "工作簿已部分改动，请关闭工作簿并选择“不保存”，重新打开后再试。"


def _guarded(action):
    """Run an entry point so that nothing but a Chinese message reaches the cadre: not a failure
    to reach the calling book, not a refused write (what was written is undone first)."""

    @wraps(action)
    def run(book=None, **kwargs):
        live = None
        try:
            live = _Live(_caller(book))
            return action(live, **kwargs)
        except BookError as exc:
            _tell(live, f"{exc}。\n\n{_undone(live)}")
        except Exception:
            log = crash_log()
            _tell(live, f"starbook 内部错误，{_undone(live)}\n详细信息已保存到 {log}，请把它和工作簿发给技术支持。")
        return None

    return run


@_guarded
def rate(live: _Live, *, now: datetime | None = None, user: str | None = None) -> Outcome:
    """定星: rate the open book in place, exactly as `starbook rate` does on a file."""
    with gc_paused():
        outcome = rate_book(read_grids(live.book), now=now or datetime.now(), user=os_user() if user is None else user)
    if not outcome.ok:
        _show_problems(live, outcome.problems)
        return outcome
    with gc_paused():
        live.apply(outcome.edits)
    _remove_problem_sheet(live)
    live.alert(_summary(outcome))
    return outcome


@_guarded
def check(live: _Live) -> Outcome:
    """校验: list every problem, change no result."""
    with gc_paused():
        outcome = rate_book(read_grids(live.book), with_edits=False)
    if not outcome.ok:
        _show_problems(live, outcome.problems)
    else:
        _remove_problem_sheet(live)
        text = f"校验通过：{len(outcome.names)} 个党组织可以定星。"
        if outcome.warnings:
            text += "\n\n提示：\n" + "\n".join(f"- {p}" for p in outcome.warnings[:MAX_SHOWN])
        live.alert(text)
    return outcome


@_guarded
def add_form(live: _Live) -> str | None:
    """新增评分表: copy a form after the last one and clear its inputs.

    With a 评分细则, the copy is of a form built from the items of the new organization's 类别:
    the 类别 (and name, 上年星级…) of the 汇总表 row the cursor is on, written into the new form.
    Excel copies a sheet as it is, so a 类别 no form of the book was built for is refused with
    the ways to get one (生成评分表, starbook forms / new --items --kind), never a wrong form."""
    from .fill import form_cells
    from .sheets import items as I

    book = live.book
    forms = [s for s in book.sheets if is_form(s.name)]
    if not forms:
        live.alert("工作簿中没有量化评分表可以复制。请用 starbook new 生成带评分表的工作簿。", "critical")
        return None
    numbers = [int(s.name[len(PREFIX):]) for s in forms if s.name[len(PREFIX):].isdigit()]
    name = f"{PREFIX}{max(numbers, default=len(forms)) + 1}"
    grids = read_grids(book)
    scheme, problems = parse_params(grids.get("参数", [[]]))
    if scheme is None:
        _show_problems(live, problems)
        return None
    source, org = forms[-1].name, {}
    if I.SHEET in grids:
        table, problems = I.parse_items(grids[I.SHEET])
        if table is None:
            _show_problems(live, problems)
            return None
        org = _cursor_row(book, grids, scheme)
        kind = org.get(F_KIND) or None
        if kind is None and set(table.kinds) != {I.GENERAL}:
            live.alert("评分表按党组织类别的评分细则生成：请先在汇总表中填好新党组织的名称和类别，"
                       "选中它所在的行，再点击“新增评分表”。", "critical")
            return None
        have = next((f.name for f in forms if org.get(F_NAME) and _form_name(grids[f.name]) == org[F_NAME]), None)
        if have is not None:
            live.alert(f"“{org[F_NAME]}”已经有评分表“{have}”，未新增。请选中汇总表中还没有评分表的党组织所在的行。", "critical")
            return None
        found = I.form_of_kind(grids, table, kind)
        if found is None:
            what = f"类别“{kind}”" if kind else f"“{I.GENERAL}”"
            live.alert(f"本工作簿中没有按{what}的评分细则生成的评分表可以复制（新增评分表复制同类别的评分表，"
                       "Excel 不能改变复制出的评分项行数）。\n\n还没有填写评分表时，请点击“生成评分表”按汇总表各行的类别另存新工作簿；"
                       f"否则请用 starbook new --items 评分细则文件 --kind {kind or I.GENERAL} --orgs 1 生成这一类的评分表，填好后用“汇总”收集。",
                       "critical")
            return None
        source = found
    copy = live.copy_sheet(book.sheets[source], name)
    direct = [e.name for e in scheme.evaluators if e.method == METHOD_DIRECT]
    labels = (scheme.class_input,) if scheme.class_input else ()
    edits = blank_form_edits(name, grids[source], direct, labels)
    header = form_cells(grids[source], labels).header
    edits += [CellBlock(name, r + 1, c + 1, ((org[label],),)) for label, (r, c) in header.items() if org.get(label)]
    live.apply(edits)
    copy.activate()
    return name


def _form_name(grid: Grid) -> str:
    from .fill import form_cells
    from .grid import cell_at, text

    at = form_cells(grid).header.get(F_NAME)
    return text(cell_at(grid, *at)) if at else ""


def _cursor_row(book, grids: dict[str, Grid], scheme) -> dict[str, str]:
    """The 汇总表 row the cursor is on, as the new form's header (名称, 类别, 上年星级, the scheme's
    class); empty when the cursor is elsewhere. Read from the cells already read, no dialog:
    the remote clients have no input box, and the cadre fills that row first anyway."""
    from .grid import cell_at, find_header, text
    from .sheets import summary as S

    try:
        if book.sheets.active.name != SUMMARY_SHEET:
            return {}
        row = book.selection.row - 1
    except Exception:
        return {}
    grid = grids.get(SUMMARY_SHEET, [])
    found = find_header(grid, S.S_NAME, max_rows=30)
    if found is None or row <= found[0]:
        return {}
    cols = found[1]
    titles = {F_NAME: S.S_NAME, F_KIND: S.S_KIND, F_LAST: S.S_LAST}
    if scheme.class_input:
        titles[scheme.class_input] = scheme.class_input
    org = {label: text(cell_at(grid, row, cols[t])) for label, t in titles.items() if t in cols}
    return org if org.get(F_NAME) else {}


EXPORT_FILTER = "测评结果文件 (*.xlsx;*.xls;*.csv),*.xlsx;*.xls;*.csv"


@_guarded
def import_ballots(
    live: _Live,
    *,
    paths: Sequence[Path] | None = None,
    add: bool | None = None,
    evaluator: str | None = None,
    now: datetime | None = None,
    user: str | None = None,
):
    """导入测评票: fill the forms' vote counts from exports, exactly as `starbook ballots` does on a file.

    Without `paths` the cadre picks the files; without `add` the cadre is asked
    whether to add to the counts of earlier imports (only when there are any).
    """
    from .api import read_export
    from .ballots.importer import has_active_imports, plan_import
    from .ballots.record import SHEET as RECORD

    book = live.book
    if paths is None:
        paths = _ask_export_files(book)
        if not paths:
            return None
    grids = read_grids(book)
    if RECORD in [s.name for s in book.sheets]:
        last = book.sheets[RECORD].used_range.last_cell
        grids[RECORD] = book.sheets[RECORD].range((1, 1), (last.row, last.column)).options(ndim=2).value
    try:
        exports = [read_export(Path(p)) for p in paths]
        if evaluator is None:
            evaluator = _ask_evaluator(book, grids)
            if evaluator == "":
                return None
        if add is None:
            add = False
            if has_active_imports(grids):
                answer = book.app.alert(
                    "评分表上已有此前导入的测评票。\n\n是：与已有票数相加（例如网上测评加纸质票）；\n"
                    "否：替换为本次导入的票数；\n取消：不导入。\n\n同一个文件再次导入时只计一次。",
                    TITLE, "yes_no_cancel", "question", None)
                if answer == "cancel":
                    return None
                add = answer == "yes"
        with gc_paused():
            outcome = plan_import(grids, exports, add=add, evaluator=evaluator, now=now or datetime.now(), user=os_user() if user is None else user)
    except BookError as exc:
        live.alert(f"无法导入测评票：{exc}", "critical")
        return None
    if not outcome.ok:
        _show_problems(live, outcome.problems)
        return outcome
    live.apply(outcome.edits)
    _remove_problem_sheet(live)
    lines = [f"{o.name}：{'、'.join(f'{x}{o.counts[x]}' for x in outcome.options)}，实际参评 {o.voted} 人" for o in outcome.orgs]
    text = (f"已导入测评票（{outcome.evaluator}，{'与已有票数相加' if outcome.added else '替换原有票数'}）：\n"
            + "\n".join(lines[:MAX_SHOWN * 2]) + ("\n……" if len(lines) > MAX_SHOWN * 2 else "")
            + "\n\n请点击“定星”重新计算。")
    if outcome.warnings:
        text += "\n\n提示：\n" + "\n".join(f"- {p}" for p in outcome.warnings[:MAX_SHOWN])
    live.alert(text)
    return outcome


def _ask_evaluator(book, grids) -> str | None:
    """With several vote evaluators (五级五评: 党员评, 群众评) the cadre says whose ballots these are:
    one yes/no question per evaluator; "" when cancelled, None when there is nothing to ask."""
    scheme, _ = parse_params(grids.get("参数", [[]]))
    votes = [e.name for e in scheme.evaluators if e.method == METHOD_VOTE] if scheme is not None else []
    for name in votes[:-1] if len(votes) > 1 else ():
        answer = book.app.alert(f"这些测评票是“{name}”的吗？\n\n是：导入为“{name}”的票数；\n否：看下一个评价主体；\n取消：不导入。",
                                TITLE, "yes_no_cancel", "question", None)
        if answer == "yes":
            return name
        if answer != "no":
            return ""
    return votes[-1] if len(votes) > 1 else None


def _ask_export_files(book) -> list[Path]:
    """Excel's own file dialog (several files at once); an empty list when cancelled."""
    chosen = book.app.api.GetOpenFilename(EXPORT_FILTER, 1, "导入测评票：选择问卷星、腾讯问卷导出的文件或计票表（可多选）", "", True)
    if not chosen:
        return []
    return [Path(p) for p in (chosen if isinstance(chosen, (list, tuple)) else [chosen])]


@_guarded
def show_help(live: _Live) -> None:
    """帮助: the short user guide."""
    live.alert(
        "使用步骤：\n"
        "1. 在“参数”表确认方案、权重、分数线和名额（黄色单元格可改）。\n"
        "2. 每个党组织一张“量化评分表”：填写名称、类别、上年星级、各方逐项得分、测评票数和否决事项。"
        "点击“新增评分表”可再加一张。没有评分表的党组织可直接在“汇总表”中填写各方得分。\n"
        "3. 点击“校验”检查填写；点击“定星”计算综合得分、等次、星级并写入“汇总表”、“整改名单”、“整改台账”、“定星统计”、“公示”和“定星记录”（整改台账中您填写的内容不会改动）。\n"
        "4. 定星结果以数值保存，可直接把工作簿发给上级。\n"
        "其他按钮：导入评分细则（组织部下发的评分细则）、生成评分表（按类别为每个党组织生成评分表）、"
        "导入测评票（问卷星、腾讯问卷或计票表）、分发评分表（每个支部一个工作簿）、汇总下级（汇总报来的工作簿）、"
        "新年度（按本年度生成下一年度工作簿）。\n\n"
        "完整说明见 starbook 的 README（安装目录或项目主页）。",
    )


ITEMS_FILTER = "Excel 工作簿 (*.xlsx;*.xlsm;*.xls),*.xlsx;*.xlsm;*.xls"


def _ask_items_file(live: _Live) -> str | None:
    """The file dialog (Excel on Windows/Mac); None when the cadre cancels."""
    chosen = live.book.app.api.GetOpenFilename(ITEMS_FILTER, 1, "选择组织部下发的评分细则")
    return chosen if isinstance(chosen, str) and chosen else None


@_guarded
def import_items(live: _Live, path: str | None = None):
    """导入评分细则: load the 组织部's table (any column order, titles matched) into the 评分细则 sheet.

    Forms already in the book keep their items: 定星 then names each form that differs
    from its 类别 (a 提示); `starbook forms` rebuilds an unfilled book's forms from the table.
    """
    from pathlib import Path

    from .api import load_items
    from .sheets import items as I

    if path is None:
        path = _ask_items_file(live)
        if path is None:
            return None
    table, problems = load_items(Path(path))
    if table is not None:
        scheme, found = parse_params(read_grids(live.book).get("参数", [[]]))
        problems += found if scheme is None else I.check_scheme(table, scheme)
    if table is None or any(p.severity == "错误" for p in problems):
        _show_problems(live, problems)
        return None
    book = live.book
    names = [s.name for s in book.sheets]
    sheet = book.sheets[I.SHEET] if I.SHEET in names else live.add_sheet(I.SHEET, after=book.sheets[len(names) - 1])
    grid = read_grids(book).get(I.SHEET, [[]]) if I.SHEET in names else [[]]
    found = next((r for r, line in enumerate(grid[:I.HEADER_ROWS]) if I.KIND in line and I.CONTENT in line), None)
    header = 2 if found is None else found + 1  # 1-based
    if found is None:
        live.write(sheet, 1, 1, [["量化评分表评分细则"]])
    live.clear(sheet, header, min_cols=len(I.COLUMNS))
    live.write(sheet, header, 1, [list(I.COLUMNS), *[list(r) for r in I.rows_of(table)]])
    _remove_problem_sheet(live)
    counts = "、".join(f"{k}{sum(len(d.items) for d in dims)}项" for k, dims in table.kinds.items())
    text = (f"已导入评分细则（{Path(path).name}）：{counts}。\n\n"
            "已有的评分表不会自动改变：定星时，评分项与其类别的评分细则不一致的评分表会被提示。"
            "还没有填写的工作簿可保存关闭后运行 starbook forms 文件名，按汇总表中各党组织的类别重新生成评分表。")
    warnings = [p for p in problems if p.severity != "错误"]
    if warnings:
        text += "\n\n提示：\n" + "\n".join(f"- {p}" for p in warnings[:MAX_SHOWN])
    live.alert(text)
    return table


def _beside(saved, suffix: str):
    """A new file next to the saved book (in the home folder for an unsaved one), never an existing one."""
    from pathlib import Path

    here = saved if saved is not None and saved.is_absolute() and saved.parent.is_dir() else Path.home() / "星级评定.xlsm"
    for n in range(1, 100):
        candidate = here.with_name(f"{here.stem}-{suffix}{'' if n == 1 else n}.xlsm")
        if not candidate.exists():
            return candidate
    raise BookError(f"“{here.parent}”中已有太多“{here.stem}-{suffix}”文件", "请删除或移走旧的文件后再试")


@_guarded
def make_forms(live: _Live, out: str | None = None):
    """生成评分表: a new workbook beside the open one, with a form for every 汇总表 row built from its 类别's
    items. The open book is not changed (Excel cannot add a form of another length by copying one);
    the new one keeps its 参数, 评分细则, names and 类别 (api.forms_package says what is refused)."""
    from pathlib import Path

    from . import api
    from .build.package import custom_ui_of, vba_project_of

    book = live.book
    names = [s.name for s in book.sheets]
    try:
        saved = Path(book.fullname)
        source = saved if saved.suffix.lower() == ".xlsm" and saved.is_file() else api.template_path()
    except Exception:
        saved, source = None, api.template_path()
    grids = read_grids(book)
    built, problems = api.forms_package(grids, names, vba_project_of(source), custom_ui_of(source))
    if built is None:
        _show_problems(live, problems)
        return None
    target = Path(out) if out else _beside(saved, "评分表")
    api.install_package(built, api.writable_target(target, output=True))
    _remove_problem_sheet(live)
    live.alert(f"已按各党组织的类别生成评分表，保存为新的工作簿：\n{target}\n\n请打开它填写评分表（本工作簿未改动）。")
    return target


def _cycle_grids(book) -> dict[str, Grid]:
    """The sheets the annual cycle reads (the rating's and the 整改台账), as read_grids reads them."""
    from .cycle import cycle_sheet

    grids: dict[str, Grid] = {}
    for sheet in book.sheets:
        if cycle_sheet(sheet.name):
            last = sheet.used_range.last_cell
            values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2, err_to_str=True).value
            grids[sheet.name] = [_with_errors(line) for line in _rows(values)]
    return grids


def _saved_as(book):
    """The open book's file; an unsaved book has no folder yet to write beside it."""
    from pathlib import Path

    full = Path(book.fullname)
    if not full.parent.is_absolute() or not full.parent.is_dir():
        raise BookError("工作簿还没有保存到文件夹中", "请先把工作簿保存到电脑上的一个文件夹，再点击这个按钮")
    return full


@_guarded
def distribute(live: _Live, *, folder=None) -> list | None:
    """分发评分表: one branch workbook per organization, as `starbook distribute` writes them.

    The folder is `folder` (tests) or “<工作簿名>-支部评分表” beside the open book; files
    already there are never replaced from the ribbon (the command line has --force)."""
    from pathlib import Path

    from . import cycle

    with gc_paused():
        grids = _cycle_grids(live.book)
    source, handouts, problems = cycle.plan_distribution(grids)
    if source is None:
        _show_problems(live, problems)
        return None
    if folder is None:
        full = _saved_as(live.book)
        folder = full.with_name(f"{full.stem}-支部评分表")
    target = Path(folder)
    target = cycle.prepare_folder(target, [h.file for h in handouts], overwrite=False)
    written = cycle.write_distribution(grids, source, handouts, target)
    _remove_problem_sheet(live)
    live.alert(f"已在文件夹“{target}”中生成 {len(written)} 个支部工作簿，每个党组织一个，以党组织名称命名。\n\n"
               "请把它们分别发给各党支部填写（自评、申报星级、测评票数），收回后用“汇总下级”收集。")
    return written


@_guarded
def new_year(live: _Live, *, out=None):
    """新年度: next year's workbook beside this one, as `starbook new --from` writes it."""
    import re
    from pathlib import Path

    from . import cycle
    from .xlsx.guard import refuse_if_open, writable_target

    with gc_paused():
        grids = _cycle_grids(live.book)
    name = live.book.name
    source, people, problems = cycle.plan_next_year(grids, name)
    if source is None:
        _show_problems(live, problems)
        return None
    if out is None:
        stem = Path(name).stem
        year = source.year
        following = re.sub(str(year), str(year + 1), stem) if year and str(year) in stem else f"{stem}-{(year or 0) + 1 if year else '新年度'}"
        out = _saved_as(live.book).with_name(following + ".xlsm")
    out = Path(out)
    if out.exists():
        raise BookError(f"“{out.name}”已存在，未覆盖", "请先把已有的文件改名或移走，再点击“新年度”")
    target = writable_target(out, output=True)
    data, fill, notes = cycle.next_year_book(source, grids, people)
    cycle.write_filled(data, target, fill, before_replace=lambda: refuse_if_open(out))
    text = f"已生成下一年度工作簿“{out}”：{len(people)} 个党组织，参数沿用本工作簿，上年星级取本年度星级。"
    if notes:
        text += "\n\n提示：\n" + "\n".join(f"- {p}" for p in notes[:MAX_SHOWN])
    live.alert(text)
    return out


def _status(live: _Live, text: str | bool) -> None:
    """Excel's status bar (False gives it back to Excel); engines without one are left alone."""
    try:
        live.book.app.status_bar = text
    except Exception:
        pass


def _folder_of(folder: str | None, folder_hex: str | None) -> str | None:
    """The folder the VBA asked for: its UTF-16 code units in hex keep the VBA source ASCII."""
    if folder_hex:
        return bytes.fromhex(folder_hex).decode("utf-16-be")
    return folder


@_guarded
def collect(live: _Live, folder: str | None = None, *, folder_hex: str | None = None, rerate: bool = False):
    """汇总下级: gather the workbooks of a folder (read from disk, never opened in Excel, so no
    macro of theirs runs) into the open book, exactly as `starbook collect FOLDER -o THIS` does."""
    from pathlib import Path

    from .collect.run import gather, plan

    folder = _folder_of(folder, folder_hex)
    if not folder:
        live.alert("请先选择存放下级工作簿的文件夹。", "info")
        return None
    with gc_paused():
        grids = read_grids(live.book, lambda name: True)
    own = Path(str(live.book.fullname))
    result, scheme = gather([Path(folder)], own if own.is_absolute() else None, grids, None,
                            progress=lambda done, total: _status(live, f"汇总下级：正在读取 {done}/{total} 个工作簿……"))
    _status(live, False)
    if not result.books or scheme is None:
        lines = "\n".join(f"{i}. {f}" for i, f in enumerate(result.findings[:MAX_SHOWN], 1))
        live.alert(f"文件夹中没有可以汇总的星级评定工作簿，未写入任何内容。\n\n{lines}", "critical")
        return result
    done = plan(grids, scheme, result, rerate, str(live.book.name), lambda sheet: True)
    sheets = live.book.sheets
    for group in done.copies:
        for name in group.names:
            live.copy_sheet(sheets[group.source], name)
    for name, header, _widths in done.new_sheets:
        sheet = live.add_sheet(name, after=sheets[len(sheets) - 1])
        if header:
            live.write(sheet, 1, 1, [list(header)])
    with gc_paused():
        live.apply(done.edits)
    if done.chart is not None and done.chart.rows:
        live.unit_chart(sheets[STATS_SHEET], done.chart)
    result.written = True
    text = f"汇总完成：{len(result.books)} 个工作簿，汇总表共 {result.organizations} 个党组织。" if result.committees else \
        f"汇总完成：{len(result.books)} 个工作簿，支部评分表汇入 {result.forms} 张。"
    if result.findings:
        text += f"\n\n发现 {len(result.findings)} 处问题，已列在“{PROBLEM_SHEET}”工作表中：\n"
        text += "\n".join(f"{i}. {f}" for i, f in enumerate(result.findings[:MAX_SHOWN], 1))
    live.alert(text, "warning" if result.findings else "info")
    return result
