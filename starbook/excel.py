"""The live shell: what the 星级评定 ribbon buttons run inside Excel, through xlwings.

Each entry point reads the open book in bulk (one range read per sheet), calls
the same ``rate_book`` path as the command line, and writes the result back in
bulk (a fixed number of range writes per sheet, whatever the number of
organizations). Messages are Chinese and come from here, so the VBA stays ASCII.

The functions take an optional ``book`` so that tests can pass a book built by
xlwings' remote engine; from Excel they use ``xlwings.Book.caller()``.
"""
from __future__ import annotations

import getpass
import os
import traceback
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from .fill import blank_form_edits
from .grid import Grid
from .problems import BookError, Problem
from .edits import Cached, CellBlock, ClearRows, Edit, FitRows, RowHeight
from .gcpause import gc_paused
from .ratebook import Outcome, rate_book
from .scheme import METHOD_DIRECT, METHOD_VOTE, PENDING, STARS
from .sheets.params import parse_params
from .sheets.forms import PREFIX, is_form

PROBLEM_SHEET = "问题清单"
TITLE = "星级评定"
READ_SHEETS = ("参数", "汇总表", "定星记录", "整改名单", "定星统计")
MAX_SHOWN = 8


def _caller(book=None):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _wanted(name: str) -> bool:
    return name in READ_SHEETS or is_form(name)


def read_grids(book) -> dict[str, Grid]:
    """Each wanted sheet from A1 to its last used cell, in one read."""
    grids: dict[str, Grid] = {}
    for sheet in book.sheets:
        if not _wanted(sheet.name):
            continue
        last = sheet.used_range.last_cell
        values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
        grids[sheet.name] = values
    return grids


def _plain(value):
    """Excel stores doubles; a Decimal rounded to 2 places shows the same in a 0.00 cell."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def apply_edits(book, edits: Sequence[Edit]) -> None:
    """Write the core's edits to the open book in bulk."""
    heights: dict[str, list[int]] = {}
    for e in edits:
        sheet = book.sheets[e.sheet]
        if isinstance(e, CellBlock):
            if any(isinstance(v, Cached) for line in e.values for v in line):
                continue  # Excel recalculates its own formulas
            values = [[_plain(v) for v in line] for line in e.values]
            sheet.range((e.row, e.col)).value = values
        elif isinstance(e, ClearRows):
            last = sheet.used_range.last_cell
            if last.row >= e.row:
                sheet.range((e.row, 1), (last.row, last.column)).clear_contents()
        elif isinstance(e, RowHeight):
            heights.setdefault(e.sheet, []).append(e.row)
        elif isinstance(e, FitRows):
            sheet.range((e.first, 1), (e.last, 1)).rows.autofit()
    for name, rows in heights.items():
        book.sheets[name].range((min(rows), 1), (max(rows), 1)).rows.autofit()


def _alert(book, text: str, mode: str = "info") -> None:
    book.app.alert(text, TITLE, "ok", mode, None)


def _show_problems(book, problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "错误"]
    lines = [f"{i}. {p}" for i, p in enumerate(errors[:MAX_SHOWN], 1)]
    more = f"\n……共 {len(errors)} 处，全部列在“{PROBLEM_SHEET}”工作表中。" if len(errors) > MAX_SHOWN else ""
    _write_problem_sheet(book, problems)
    _alert(book, "发现以下问题，未写入任何结果：\n\n" + "\n".join(lines) + more, "critical")


def _write_problem_sheet(book, problems: list[Problem]) -> None:
    names = [s.name for s in book.sheets]
    sheet = book.sheets[PROBLEM_SHEET] if PROBLEM_SHEET in names else book.sheets.add(PROBLEM_SHEET, after=book.sheets[len(names) - 1])
    last = sheet.used_range.last_cell
    sheet.range((1, 1), (max(last.row, 1), max(last.column, 5))).clear_contents()
    rows = [["序号", "工作表", "单元格", "问题", "改法", "类型"]]
    rows += [[i, p.sheet, p.cell, p.message, p.fix, p.severity] for i, p in enumerate(problems, 1)]
    sheet.range((1, 1)).value = rows


def _remove_problem_sheet(book) -> None:
    if PROBLEM_SHEET in [s.name for s in book.sheets]:
        book.sheets[PROBLEM_SHEET].delete()


def _summary(outcome: Outcome) -> str:
    rating = outcome.rating
    counts = "、".join(f"{s}{rating.counts.get(s, 0)}个" for s in (*STARS, PENDING) if rating.counts.get(s, 0))
    changed = rating.changed
    text = f"定星完成：{len(rating)} 个党组织（方案：{outcome.scheme.preset}）。\n{counts}。"
    if changed:
        text += f"\n调整 {changed} 个，原因见汇总表“调整说明”列。"
    if outcome.warnings:
        text += "\n\n提示：\n" + "\n".join(f"- {p}" for p in outcome.warnings[:MAX_SHOWN])
    return text


def _guarded(action):
    """Run an entry point; any unexpected failure becomes a Chinese message, never a traceback."""

    def run(book=None, **kwargs):
        book = _caller(book)
        try:
            return action(book, **kwargs)
        except Exception:
            log = Path(os.environ.get("TEMP", "/tmp")) / "starbook-error.log"
            try:
                log.write_text(traceback.format_exc(), encoding="utf-8")
            except OSError:
                pass
            _alert(book, f"starbook 内部错误，工作簿未改动。详细信息已保存到 {log}，请把它和工作簿发给技术支持。", "critical")
            return None

    run.__name__ = action.__name__
    run.__doc__ = action.__doc__
    return run


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USERNAME", "")


@_guarded
def rate(book, *, now: datetime | None = None, user: str | None = None) -> Outcome:
    """定星: rate the open book in place, exactly as `starbook rate` does on a file."""
    with gc_paused():
        outcome = rate_book(read_grids(book), now=now or datetime.now(), user=_user() if user is None else user)
    if not outcome.ok:
        _show_problems(book, outcome.problems)
        return outcome
    with gc_paused():
        apply_edits(book, outcome.edits)
    _remove_problem_sheet(book)
    _alert(book, _summary(outcome))
    return outcome


@_guarded
def check(book) -> Outcome:
    """校验: list every problem, change no result."""
    with gc_paused():
        outcome = rate_book(read_grids(book), with_edits=False)
    if not outcome.ok:
        _show_problems(book, outcome.problems)
    else:
        _remove_problem_sheet(book)
        text = f"校验通过：{len(outcome.names)} 个党组织可以定星。"
        if outcome.warnings:
            text += "\n\n提示：\n" + "\n".join(f"- {p}" for p in outcome.warnings[:MAX_SHOWN])
        _alert(book, text)
    return outcome


@_guarded
def add_form(book) -> str | None:
    """新增评分表: copy the last form after itself and clear its inputs."""
    forms = [s for s in book.sheets if is_form(s.name)]
    if not forms:
        _alert(book, "工作簿中没有量化评分表可以复制。请用 starbook new 生成带评分表的工作簿。", "critical")
        return None
    numbers = [int(s.name[len(PREFIX):]) for s in forms if s.name[len(PREFIX):].isdigit()]
    name = f"{PREFIX}{max(numbers, default=len(forms)) + 1}"
    grids = read_grids(book)
    scheme, problems = parse_params(grids.get("参数", [[]]))
    if scheme is None:
        _show_problems(book, problems)
        return None
    source = forms[-1]
    copy = source.copy(after=source, name=name)
    direct = [e.name for e in scheme.evaluators if e.method == METHOD_DIRECT]
    apply_edits(book, blank_form_edits(name, grids[source.name], direct))
    copy.activate()
    return name


EXPORT_FILTER = "测评结果文件 (*.xlsx;*.xls;*.csv),*.xlsx;*.xls;*.csv"


@_guarded
def import_ballots(
    book,
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
            outcome = plan_import(grids, exports, add=add, evaluator=evaluator, now=now or datetime.now(), user=_user() if user is None else user)
    except BookError as exc:
        _alert(book, f"无法导入测评票：{exc}", "critical")
        return None
    if not outcome.ok:
        _show_problems(book, outcome.problems)
        return outcome
    apply_edits(book, outcome.edits)
    _remove_problem_sheet(book)
    lines = [f"{o.name}：{'、'.join(f'{x}{o.counts[x]}' for x in outcome.options)}，实际参评 {o.voted} 人" for o in outcome.orgs]
    text = (f"已导入测评票（{outcome.evaluator}，{'与已有票数相加' if outcome.added else '替换原有票数'}）：\n"
            + "\n".join(lines[:MAX_SHOWN * 2]) + ("\n……" if len(lines) > MAX_SHOWN * 2 else "")
            + "\n\n请点击“定星”重新计算。")
    if outcome.warnings:
        text += "\n\n提示：\n" + "\n".join(f"- {p}" for p in outcome.warnings[:MAX_SHOWN])
    _alert(book, text)
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
def show_help(book) -> None:
    """帮助: the short user guide."""
    _alert(
        book,
        "使用步骤：\n"
        "1. 在“参数”表确认方案、权重、分数线和名额（黄色单元格可改）。\n"
        "2. 每个党组织一张“量化评分表”：填写名称、类别、上年星级、各方逐项得分、测评票数和否决事项。"
        "点击“新增评分表”可再加一张。没有评分表的党组织可直接在“汇总表”中填写各方得分。\n"
        "3. 点击“校验”检查填写；点击“定星”计算综合得分、等次、星级并写入“汇总表”、“整改名单”、“定星统计”和“定星记录”。\n"
        "4. 定星结果以数值保存，可直接把工作簿发给上级。\n\n"
        "完整说明见 starbook 的 README（安装目录或项目主页）。",
    )
