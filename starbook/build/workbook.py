"""Build a star-rating workbook (the template, or `starbook new`) with XlsxWriter.

Layouts here write the titles the parsers in ``starbook.sheets`` look for; the
formulas are a live preview for the cadre, each with a correct cached value so
no application has to recalculate on load.
"""
from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..numbers import percent_text
from ..presets import preset_basis, preset_source
from ..ratebook import LOG_COLUMNS, LOG_SHEET, RECTIFY_COLUMNS, RECTIFY_SHEET, STATS_ANCHOR, STATS_SHEET
from ..scheme import Dimension, FILLERS, METHOD_DIRECT, METHOD_ITEMS, METHOD_VOTE, METHODS, PENDING, ROUND_HALF_EVEN, STAR_BY_DIMENSIONS, STARS, Scheme, veto_rule
from ..ballots import record as BALLOT_RECORD
from ..sheets import forms as F
from ..sheets import items as I
from ..sheets import ledger as L
from ..sheets import titles as T
from ..sheets import notice as N
from ..sheets import params as P
from ..sheets import summary as S
from ..textwidth import wrapped_lines

STYLES = tomllib.loads(Path(__file__).with_name("styles.toml").read_text("utf-8"))
FIXED_DATE = datetime(2026, 1, 1)
LAST_ROW = 1048575
MAX_FORMS = 500
XLWINGS_CONF = "xlwings.conf"
# Settings xlwings' standalone VBA module reads from the hidden sheet (column A key, B value).
# Interpreter and other keys are left to the user's own xlwings.conf (see README).
XLWINGS_SETTINGS = (("UDF Modules", "udfs.starbook_udfs"),)


@dataclass(frozen=True)
class BookSpec:
    scheme: Scheme
    title: str
    forms: int = 1
    year: int | None = FIXED_DATE.year  # None: left blank for the cadre
    vba: bytes | None = None
    extra: Callable[[xlsxwriter.Workbook], None] | None = None  # adds a caller's own sheets, charts or images
    items: I.ItemTable | None = None  # the 评分细则; None: the preset's items, marked as examples
    form_kind: str | None = None  # the 类别 of the blank forms: they get its items and show it
    seeds: tuple[FormSeed, ...] = ()  # one form per organization, each from its 类别's items (after `forms` blank ones)
    book_kind: str = P.BOOK_COMMITTEE  # 支部填报: a branch's copy, its 参数 protected (starbook distribute)

    @property
    def item_table(self) -> I.ItemTable:
        return self.items if self.items is not None else I.preset_items(self.scheme)


@dataclass(frozen=True)
class FormSeed:
    """An organization a form is built for: its name, 类别 and last year's star written in."""

    name: str
    kind: str | None = None
    last_star: str | None = None
    star_class: str | None = None  # the scheme's input class (晋位升级等次), when known


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook, *, locked: bool = False) -> None:
        base = STYLES["base"]
        self._wb = wb
        self._locked = locked  # every cell locked, input styles too: a protected sheet nobody types in
        self._cache: dict[str, object] = {}
        self.base = base

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            props = dict(STYLES[name]) if name.startswith("cf_") else {**self.base, **STYLES[name]}
            if self._locked and not name.startswith("cf_"):
                props["locked"] = True
            self._cache[name] = self._wb.add_format(props)
        return self._cache[name]

    def get(self, name: str):
        return getattr(self, name)


def _num(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


FORM_WIDTHS = (14, 10, 10, 34, 28, 8)


def _lines(text: str, width: int) -> int:
    """Lines a wrapped cell of column width `width` needs (its padding takes two)."""
    return wrapped_lines(text, width - 2)


def _title(ws, fmt: _Formats, last_col: int, param_cells: dict[str, str], name: str, guide: str = "") -> None:
    """Row 1: the issuing unit from 参数 and the form name; the tool's guidance goes into a comment, never on paper."""
    ws.merge_range(0, 0, 0, last_col, "", fmt.title)
    ws.write_formula(0, 0, T.formula(param_cells["issuer"], name), fmt.title, name)
    if guide:
        ws.write_comment(0, 0, guide, {"x_scale": 2.5, "y_scale": 2})


def form_sheet_name(index: int) -> str:
    return f"{F.PREFIX}{index}"


def build_workbook(path: Path | io.BytesIO, spec: BookSpec) -> None:
    """Write the whole workbook; `path` may be a BytesIO."""
    if not 0 <= spec.forms + len(spec.seeds) <= MAX_FORMS:
        raise ValueError(f"forms must be between 0 and {MAX_FORMS}")
    table = spec.item_table
    seeds = (FormSeed("", spec.form_kind),) * spec.forms + spec.seeds
    for seed in seeds:
        if table.for_kind(seed.kind) is None:
            raise ValueError(f"no items for {seed.kind}")
    target = path if isinstance(path, io.BytesIO) else str(path)
    wb = xlsxwriter.Workbook(target, {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"title": spec.title, "author": "starbook", "company": "", "created": FIXED_DATE,
                       "comments": "由 starbook 生成；定星结果以数值保存，无需 Python 也能查看"})
    wb.set_calc_mode("auto")
    wb.calc_on_load = False  # cached values are right; never force a full recalculation
    if spec.vba is not None:
        wb.add_vba_project(io.BytesIO(spec.vba), is_stream=True)
        wb.set_vba_name("ThisWorkbook")
    fmt = _Formats(wb)
    param_cells = _params_sheet_cells(spec.scheme)
    summary = wb.add_worksheet(S.SHEET)
    forms = [wb.add_worksheet(form_sheet_name(i + 1)) for i in range(len(seeds))]
    items = wb.add_worksheet(I.SHEET)
    rectify = wb.add_worksheet(RECTIFY_SHEET)
    ledger = wb.add_worksheet(L.SHEET)
    survey = wb.add_worksheet(L.SURVEY_SHEET)
    stats = wb.add_worksheet(STATS_SHEET)
    notice = wb.add_worksheet(N.SHEET)
    params = wb.add_worksheet(P.SHEET)
    log = wb.add_worksheet(LOG_SHEET)
    ballot_log = wb.add_worksheet(BALLOT_RECORD.SHEET)
    conf = wb.add_worksheet(XLWINGS_CONF)
    for i, ws in enumerate([summary, *forms, rectify, ledger, survey, stats, notice, params, log, ballot_log, conf, items]):
        ws.set_vba_name(f"Sheet{i + 1}") if spec.vba is not None else None
        ws.hide_gridlines(2)
    _summary(summary, fmt, spec, param_cells)
    for ws, seed in zip(forms, seeds):
        _form(ws, fmt, spec, param_cells, table.for_kind(seed.kind) or (), seed, table.is_example(seed.kind))
    _items_sheet(items, fmt, table)
    _rectify(rectify, fmt, spec, param_cells)
    _ledger(ledger, fmt, spec, param_cells)
    _survey(survey, fmt, spec, param_cells)
    _stats(stats, fmt, spec, param_cells)
    _stats_chart(wb, stats)
    _notice(notice, fmt)
    _params(params, _Formats(wb, locked=True) if spec.book_kind == P.BOOK_BRANCH else fmt, spec.scheme, spec.book_kind)
    _log(log, fmt)
    _ballot_log(ballot_log, fmt, spec.scheme)
    _xlwings_conf(conf)
    if spec.extra is not None:
        spec.extra(wb)
    summary.activate()
    wb.close()


# ---------------------------------------------------------------- 参数


def _params_sheet_cells(scheme: Scheme) -> dict[str, str]:
    """Absolute addresses of the 参数 cells that the forms' formulas refer to."""
    cells: dict[str, str] = {}
    row = 3
    for label, header, rows in P.content(scheme):
        row += 1  # section label
        header_row = row
        row += 1
        for r in rows:
            if label == P.T_EVALUATORS[0]:
                cells[f"weight:{r[0]}"] = f"'{P.SHEET}'!{xl_rowcol_to_cell(row, 1, True, True)}"
            if label == P.T_VOTES[0]:
                cells[f"vote:{r[0]}"] = f"'{P.SHEET}'!{xl_rowcol_to_cell(row, 1, True, True)}"
            if label == "基本设置" and r[0] == "发布单位":
                cells["issuer"] = f"'{P.SHEET}'!{xl_rowcol_to_cell(row, 1, True, True)}"
            if label == "基本设置" and r[0] in ("小数位数", "舍入方式"):
                cells["decimals" if r[0] == "小数位数" else "rounding"] = f"'{P.SHEET}'!{xl_rowcol_to_cell(row, 1, True, True)}"
            row += 1
        if label == scheme.class_input and rows:
            first, last = (xl_rowcol_to_cell(r, 0, True, True) for r in (row - len(rows), row - 1))
            cells["class_words"] = f"='{P.SHEET}'!{first}:{last}"
        if label == P.T_VETOES[0] and rows:
            first, last = (xl_rowcol_to_cell(r, 2, True, True) for r in (row - len(rows), row - 1))
            cells["veto_codes"] = f"='{P.SHEET}'!{first}:{last}"
        if label == P.T_EVALUATORS[0]:
            row += 1  # 合计
        row += 1  # blank line
        del header_row
    return cells


BRANCH_NOTE = ("本工作簿是党委分发给本支部填报的（工作簿类型：支部填报）。本表参数由党委统一规定，已保护，请勿修改；"
               "请填写量化评分表中的自评、申报星级和测评票数，点击“校验”检查后发回党委。这里的“定星”只预览本支部得分，"
               "名额由党委统一执行。")


def _params(ws, fmt: _Formats, scheme: Scheme, book_kind: str = P.BOOK_COMMITTEE) -> None:
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 16)
    ws.set_column(3, 3, 16)
    ws.set_column(4, 4, 12)
    ws.set_column(5, 5, 60)
    ws.merge_range(0, 0, 0, 5, "星级评定参数", fmt.title)
    ws.set_row(0, 30)
    branch = book_kind == P.BOOK_BRANCH
    ws.merge_range(1, 0, 1, 5, (BRANCH_NOTE if branch else "") + f"方案依据：{preset_source(scheme.preset_id)}", fmt.subtitle)
    ws.write_comment(0, 0, "本表规定定星规则（黄色单元格可改）。本表末【依据与解读】引用文件原文；标“解读（Reading）”的是文件未写明时的本地设置。"
                     "修改后点击“星级评定”选项卡的“定星”或运行 starbook rate 重新计算。", {"x_scale": 2.5, "y_scale": 2})
    row = 3
    for label, header, rows in P.content(scheme, book_kind):
        ws.merge_range(row, 0, row, 5 if label == "基本设置" else len(header) - 1, f"【{label}】", fmt.section)
        row += 1
        for c, title in enumerate(header):
            if label == "基本设置" and c == 2:
                ws.merge_range(row, 2, row, 5, title, fmt.header_input)
            else:
                ws.write(row, c, title, fmt.header_input)
        row += 1
        first = row
        for values in rows:
            if label == "基本设置":
                setting = next(s for s in (*P.SETTINGS, *P.NOTICE_SETTINGS, P.BOOK_KIND) if s.key == values[0])
                ws.write(row, 0, values[0], fmt.label)
                _write_setting(ws, row, setting, values[1], fmt)
                ws.merge_range(row, 2, row, 5, values[2], fmt.note)
            else:
                for c, v in enumerate(values):
                    _write_param_cell(ws, row, c, header[c], v, fmt)
            row += 1
        if label == P.T_EVALUATORS[0]:
            ws.write(row, 0, P.TOTAL_ROW, fmt.total_label)
            total = sum((r[1] for r in rows), Decimal(0))
            ws.write_formula(row, 1, f"=SUM({xl_rowcol_to_cell(first, 1)}:{xl_rowcol_to_cell(row - 1, 1)})", fmt.percent, _num(total))
            ws.data_validation(first, 2, row - 1, 2, {"validate": "list", "source": list(METHODS)})
            if P.E_FILLER in header:
                c = header.index(P.E_FILLER)
                ws.data_validation(first, c, row - 1, c, {"validate": "list", "source": list(FILLERS), "ignore_blank": True,
                                                           "input_title": P.E_FILLER, "input_message": "支部：支部填报工作簿必须填写；党委：支部不必填写；支部或党委：由组织的一方填写（如测评）"})
            row += 1
        _param_validations(ws, label, first, row - 1)
        row += 1
    _params_basis(ws, fmt, row, preset_basis(scheme.preset_id))
    if branch:  # not the branch's to change: protected without a password, so it stays a visible hint, not a lock
        ws.protect("", {"select_unlocked_cells": True, "select_locked_cells": True})
        ws.set_row(1, 30)
        ws.set_row(2, 30)
    ws.freeze_panes(3, 0)
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, 0)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _params_basis(ws, fmt: _Formats, row: int, basis: list[tuple[str, str]]) -> None:
    """The document's words behind each default, and each reading, below the tables (not parsed)."""
    if not basis:
        return
    ws.merge_range(row, 0, row, 5, "【依据与解读】“依据”引用文件原文；“解读（Reading）”是文件未写明时的本地设置，可在上面各表修改", fmt.section)
    row += 1
    ws.write(row, 0, "项目", fmt.header_result)
    ws.merge_range(row, 1, row, 5, "依据与解读", fmt.header_result)
    for what, why in basis:
        row += 1
        ws.write(row, 0, what, fmt.label)
        ws.merge_range(row, 1, row, 5, why, fmt.note)
        lines = _lines(why, 16 + 16 + 16 + 12 + 60)
        if lines > 1:
            ws.set_row(row, 15 * lines)


def _write_setting(ws, row: int, setting: P.Setting, value, fmt: _Formats) -> None:
    if setting.kind in ("percent", "opt_percent"):
        ws.write(row, 1, _num(value) if value is not None else "", fmt.input_percent)
    elif setting.kind == "date":
        ws.write_blank(row, 1, None, fmt.input_date)
        ws.data_validation(row, 1, row, 1, {"validate": "date", "criteria": ">", "value": datetime(2000, 1, 1),
                                            "ignore_blank": True, "error_message": "请填写日期，如 2026-01-05"})
    elif setting.kind == "int":
        ws.write_number(row, 1, value, fmt.input_count)
    else:
        ws.write_string(row, 1, "" if value is None else str(value), fmt.input_center)
    if setting.choices:
        ws.data_validation(row, 1, row, 1, {"validate": "list", "source": list(setting.choices)})
    elif setting.kind in ("star", "opt_star"):
        ws.data_validation(row, 1, row, 1, {"validate": "list", "source": list(STARS), "ignore_blank": True})


def _write_param_cell(ws, row: int, col: int, title: str, value, fmt: _Formats) -> None:
    if title == P.E_TURNOUT:
        ws.write(row, col, "" if value is None else _num(value), fmt.input_percent)
    elif title == P.T_ISSUED[1][1]:
        ws.write_string(row, col, value, fmt.note)
    elif title in ("权重", "比例", "升级比例不低于"):
        ws.write_number(row, col, _num(value), fmt.input_percent)
    elif title in ("最低分", "每票分值", "维度分值", "平局比较顺序"):
        if value is None:
            ws.write_blank(row, col, None, fmt.input_center)
        else:
            ws.write_number(row, col, _num(value), fmt.input_center)
    else:
        ws.write_string(row, col, "" if value is None else str(value), fmt.input_center if col else fmt.input)


def _param_validations(ws, label: str, first: int, last: int) -> None:
    if last < first:
        return
    star_list = {"validate": "list", "source": list(STARS)}
    if label == P.T_STARS[0]:
        ws.data_validation(first, 0, last, 0, star_list)
    if label in (P.T_VETOES[0],):
        ws.data_validation(first, 1, last, 1, star_list)
    if label == P.T_APPROVING[0]:
        ws.data_validation(first, 0, last, 0, star_list)
    if label == P.T_DISTRIBUTION[0]:
        ws.data_validation(first, 2, last, 2, {"validate": "list", "source": ["不低于", "不高于"]})


# ---------------------------------------------------------------- 汇总表


def _veto_picker(scheme: Scheme, param_cells: dict[str, str], *, one: bool = False) -> dict:
    """A dropdown of the 参数 veto codes that still takes typed text (several, or a full name)."""
    example = next((v.code for v in scheme.vetoes if v.code), scheme.vetoes[0].name)
    message = (f"每行一个否决事项：参数表“否决事项”表中的全称或代码（如 {example}），可从下拉列表选择；存在的在右侧选“是”"
               if one else veto_rule(example))
    return {
        "validate": "list", "source": param_cells["veto_codes"], "show_error": False,
        "input_title": "否决事项", "input_message": message[:255],
    }


def _class_picker(scheme: Scheme, param_cells: dict[str, str]) -> dict:
    """A dropdown of the 参数 class words (服务型五星's 先进/一般/后进), with the rule as its input message."""
    rules = "；".join(f"{c.name}{c.rule}" for c in scheme.star_classes)
    return {"validate": "list", "source": param_cells["class_words"], "input_title": scheme.class_input[:32],
            "input_message": f"此前晋位升级的结果，限定可定星级：{rules}。未填写的不限定星级"[:255],
            "error_title": scheme.class_input[:32], "error_message": "请从下拉列表选择（参数表中的等次），没有请留空"}


def _summary(ws, fmt: _Formats, spec: BookSpec, param_cells: dict[str, str]) -> None:
    scheme = spec.scheme
    inputs = S.input_columns(scheme)
    outputs = S.output_columns(scheme)
    # 申报星级 stands next to the result it is compared with (seed 002 "开展自评，申报星级"); the
    # county's columns follow the results. All are inputs 定星 never overwrites; found by title.
    # 数据来源 (the form a row was taken from) is the tool's bookkeeping: last, outside the print area.
    at = outputs.index(S.O_STAR)
    results = [t for t in (*outputs[:at], S.S_DECLARED, *outputs[at:]) if t != S.O_SOURCE]
    county = [S.S_SUPERVISOR, S.S_REVIEW]
    titles = inputs + results + county + [S.O_SOURCE]
    filing = {S.S_DECLARED, *county}
    last_col = len(titles) - 1
    printed = last_col - 1
    _title(ws, fmt, printed, param_cells, T.summary_title(scheme),
           "黄色（蓝色表头）列为输入，绿色表头列由“定星”写入。申报星级为党组织自评时申报的星级；"
           "县级复核意见由县委组织部复核时填写；主管部门党组织意见仅非公企业、社会组织填写。重新定星不改动这些列。"
           "党委书记签字、党委公章在每页页脚。")
    ws.set_row(0, 32)
    ws.merge_range(1, 0, 1, printed, f"填报单位（盖章）：                    年度：{spec.year or '        '}                    填报日期：", fmt.subtitle)
    header = 2
    ws.set_row(header, 36)
    widths = {S.S_NO: 6, S.S_NAME: 24, S.S_KIND: 12, S.S_LAST: 10, S.S_VETO: 18, S.O_FINAL: 10, S.O_GRADE: 8,
              S.O_BASE: 10, S.O_STAR: 10, S.O_NOTE: 46, S.O_BODY: 10, S.O_MOVE: 8, S.O_SAT: 9, S.O_HONOR: 9, S.O_REACHED: 30, S.O_SOURCE: 14,
              S.S_DECLARED: 10, S.S_SUPERVISOR: 18, S.S_REVIEW: 18}
    for c, title in enumerate(titles):
        is_input = c < len(inputs) or title in filing
        ws.write(header, c, title, fmt.header_input if is_input else fmt.header_result)
        if title in (S.S_NO, S.S_KIND, S.S_LAST, S.S_DECLARED, S.O_GRADE, S.O_BASE, S.O_STAR, S.O_BODY, S.O_MOVE, S.O_HONOR, scheme.class_input):
            col_fmt = fmt.col_center
        elif title in (S.O_NOTE, S.O_REACHED, S.S_VETO, *county):
            col_fmt = fmt.col_wrap
        elif title == S.O_SAT:
            col_fmt = fmt.col_percent
        elif title.endswith("得分"):
            col_fmt = fmt.col_score
        else:
            col_fmt = fmt.col_text
        ws.set_column(c, c, widths.get(title, 11), col_fmt)
    first = header + 1
    col = {t: c for c, t in enumerate(titles)}
    name = xl_col_to_name(col[S.S_NAME])
    has_name = f'=${name}{first + 1}<>""'
    # LibreOffice and WPS apply only the first matching rule of a cell, so every
    # rule carries the row border itself and the star colours come first.
    star_col = col[S.O_STAR]
    base = xl_col_to_name(col[S.O_BASE])
    star = xl_col_to_name(star_col)
    for tier in (PENDING, "五星级", "四星级", "三星级"):
        ws.conditional_format(first, star_col, LAST_ROW, star_col,
                              {"type": "cell", "criteria": "==", "value": f'"{tier}"', "format": fmt.get(f"cf_star_{tier}")})
    ws.conditional_format(first, star_col, LAST_ROW, star_col, {
        "type": "formula", "criteria": f'=AND(${star}{first + 1}<>"",${star}{first + 1}<>${base}{first + 1})', "format": fmt.cf_changed})
    ws.conditional_format(first, 0, LAST_ROW, len(inputs) - 1, {"type": "formula", "criteria": has_name, "format": fmt.cf_input})
    declared = col[S.S_DECLARED]
    ws.conditional_format(first, len(inputs), LAST_ROW, declared - 1, {"type": "formula", "criteria": has_name, "format": fmt.cf_row})
    ws.conditional_format(first, declared, LAST_ROW, declared, {"type": "formula", "criteria": has_name, "format": fmt.cf_input})
    ws.conditional_format(first, declared + 1, LAST_ROW, printed - len(county), {"type": "formula", "criteria": has_name, "format": fmt.cf_row})
    ws.conditional_format(first, last_col, LAST_ROW, last_col, {"type": "formula", "criteria": has_name, "format": fmt.cf_row})
    # 主管部门党组织意见 applies to 非公企业 and 社会组织 only (seed 001): grey, not yellow, on other rows.
    sup, kind = col[S.S_SUPERVISOR], xl_col_to_name(col[S.S_KIND])
    applies = "OR(" + ",".join(f'${kind}{first + 1}="{k}"' for k in S.SUPERVISED) + ")"
    ws.conditional_format(first, sup, LAST_ROW, sup, {"type": "formula", "criteria": f"=AND({has_name[1:]},NOT({applies}))", "format": fmt.cf_na})
    ws.conditional_format(first, printed - len(county) + 1, LAST_ROW, printed, {"type": "formula", "criteria": has_name, "format": fmt.cf_input})
    ws.data_validation(first, col[S.S_KIND], LAST_ROW, col[S.S_KIND], {
        "validate": "list", "source": list(F.CATEGORIES), "error_type": "warning",
        "error_title": "类别", "error_message": "请从下拉列表选择党组织类别"})
    ws.data_validation(first, col[S.S_LAST], LAST_ROW, col[S.S_LAST], {
        "validate": "list", "source": list(STARS), "error_title": "上年星级", "error_message": "请从下拉列表选择星级，没有请留空"})
    if scheme.class_input:
        c = col[scheme.class_input]
        ws.data_validation(first, c, LAST_ROW, c, _class_picker(scheme, param_cells))
    for e in scheme.evaluators:
        c = col[e.column]
        ws.data_validation(first, c, LAST_ROW, c, {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
            "error_title": e.column, "error_message": "得分应在 0 到 100 之间"})
    for d in scheme.dimensions if scheme.star_mode == STAR_BY_DIMENSIONS else ():
        c = col[S.dimension_column(d.name)]
        ws.data_validation(first, c, LAST_ROW, c, {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": _num(d.points),
            "error_title": d.name, "error_message": f"得分应在 0 到 {_num(d.points)} 之间"})
    if scheme.vetoes:
        c = col[S.S_VETO]
        ws.data_validation(first, c, LAST_ROW, c, _veto_picker(scheme, param_cells))
    for title, message in ((S.S_DECLARED, "党组织自评时申报的星级；与定星结果不同时，定星在调整说明中注明"),
                           (S.S_REVIEW, "县委组织部复核审定时填写；重新定星不改动"),
                           (S.S_SUPERVISOR, "非公企业、社会组织党组织定级时征求的行业主管部门党组织意见；重新定星不改动")):
        c = col[title]
        ws.data_validation(first, c, LAST_ROW, c, {"validate": "any", "input_title": title, "input_message": message}
                           if title != S.S_DECLARED else {"validate": "list", "source": list(STARS), "input_title": title,
                                                         "input_message": message, "error_message": "请从下拉列表选择星级"})
    ws.freeze_panes(first, col[S.S_NAME] + 1)
    _print_setup(ws, landscape=True, repeat=(0, header))
    ws.print_area(0, 0, LAST_ROW, printed)
    # Seed 001: the 汇总表 "由党委书记签字后加盖党委公章上报县委组织部". The rows grow with every
    # rating, so the sign-off goes in the footer of each page rather than below the data.
    ws.set_footer("&L党委书记（签字）：&C第 &P 页，共 &N 页&R党委（公章）　　　　年　　月　　日", {"margin": 0.3})


def _print_setup(ws, *, landscape: bool, repeat: tuple[int, int]) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape() if landscape else ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.repeat_rows(*repeat)
    ws.set_footer("&C第 &P 页，共 &N 页")


# ---------------------------------------------------------------- 量化评分表


def _rounded(expr: str, param_cells: dict[str, str], decimals: str | None = None) -> str:
    """A formula rounding `expr` (never negative) exactly as the core does under 参数's 小数位数 and 舍入方式.

    ROUND is half away from zero, which is 四舍五入 for scores. For 四舍六入五成双 a
    value lying exactly halfway (…, k.5 at the last place, detected on the value
    cleaned to 9 places so that binary noise does not hide it) with an even k goes
    down one unit instead. The settings are referenced, so changing them in 参数
    changes every preview.
    """
    d = decimals or param_cells["decimals"]
    even = f'({param_cells["rounding"]}="{ROUND_HALF_EVEN}")'
    return f"ROUND({expr},{d})-{even}*(MOD(ROUND(({expr})*10^{d},9),2)=0.5)*10^-{d}"


def _form(ws, fmt: _Formats, spec: BookSpec, param_cells: dict[str, str], dimensions: tuple[Dimension, ...] = (),
          seed: FormSeed | None = None, example: bool = False) -> None:
    """One organization's form, its items taken from `dimensions` (the 评分细则 of its 类别)."""
    scheme = spec.scheme
    seed = seed or FormSeed("")
    items_by = [e for e in scheme.evaluators if e.method == METHOD_ITEMS]
    votes = [e for e in scheme.evaluators if e.method == METHOD_VOTE]
    direct = [e for e in scheme.evaluators if e.method == METHOD_DIRECT]
    item_cols = [F.I_DIM, F.I_DIM_POINTS, F.I_NO, F.I_CONTENT, F.I_STANDARD, F.I_POINTS, *(e.name for e in items_by)]
    last_col = max(len(item_cols), 4) - 1
    for c, w in enumerate(FORM_WIDTHS):
        ws.set_column(c, c, w)
    ws.set_column(6, max(6, last_col), 11)

    _title(ws, fmt, last_col, param_cells, spec.title,
           f"{scheme.preset}，百分制；黄色单元格由评分人填写。申报星级为本党组织自评时申报的星级。"
           "综合得分为预览，正式结果以汇总表“定星”为准。否决事项存在的选“是”，星级不超过参数表规定。")
    ws.set_row(0, 32)
    ws.merge_range(1, 0, 1, last_col, f"（{scheme.preset}，百分制）", fmt.subtitle_center)
    ws.write(2, 0, F.F_NAME, fmt.label)
    ws.merge_range(2, 1, 2, 3, seed.name, fmt.input)
    ws.write(2, 4, F.F_KIND, fmt.label)
    ws.merge_range(2, 5, 2, last_col, seed.kind or "", fmt.input_center)
    ws.data_validation(2, 5, 2, 5, {"validate": "list", "source": list(F.CATEGORIES), "error_type": "warning"})
    ws.write(3, 0, F.F_YEAR, fmt.label)
    ws.merge_range(3, 1, 3, 3, spec.year if spec.year else "", fmt.input_center)
    ws.write(3, 4, F.F_LAST, fmt.label)
    ws.merge_range(3, 5, 3, last_col, seed.last_star or "", fmt.input_center)
    ws.data_validation(3, 5, 3, 5, {"validate": "list", "source": list(STARS), "error_message": "请从下拉列表选择星级，没有请留空"})
    ws.write(4, 0, F.F_DECLARED, fmt.label)  # seed 002 "开展自评，申报星级"
    ws.merge_range(4, 1, 4, 3, "", fmt.input_center)
    ws.data_validation(4, 1, 4, 1, {"validate": "list", "source": list(STARS), "input_title": F.F_DECLARED,
                                    "input_message": "本党组织自评时申报的星级", "error_message": "请从下拉列表选择星级"})
    if scheme.class_input:  # 服务型五星: the earlier 晋位升级 result bounds the star
        ws.write(4, 4, scheme.class_input, fmt.label)
        ws.merge_range(4, 5, 4, last_col, seed.star_class or "", fmt.input_center)
        ws.data_validation(4, 5, 4, 5, _class_picker(scheme, param_cells))

    row = 5  # the sections keep their rows: 申报星级 took the blank line above them
    section = 0
    score_refs: dict[str, str] = {}
    item_ranges: dict[str, str] = {}  # an item evaluator's score cells: its part is filled once any holds a number
    numerals = "一二三四五六"
    if items_by:
        marked = "【示例评分项】" if example else ""
        ws.merge_range(row, 0, row, last_col, f"{numerals[section]}、逐项评分{marked}", fmt.section)
        kind = seed.kind or I.GENERAL
        ws.write_comment(row, 0, (
            "每项得分不得超过该项分值（黄色单元格填写）。"
            f"评分项取自“{I.SHEET}”表类别“{kind}”。"
            + ("这些是预设的示例评分项，不是组织部下发的评分细则：请点击“导入评分细则”或运行 starbook new --items 文件 换成本地的评分细则。"
               if example else "评分项与评分细则不一致时，定星会提示。")), {"x_scale": 2.5, "y_scale": 2})
        section += 1
        row += 1
        header = row
        for c, title in enumerate(item_cols):
            ws.write(row, c, title, fmt.header_input if c >= 6 else fmt.header_input)
        ws.set_row(row, 30)
        row += 1
        first_item = row
        dim_rows: list[tuple[int, int, Decimal]] = []
        number = 1
        for d in dimensions:
            start = row
            for it in d.items:
                lines = max(_lines(it.content, FORM_WIDTHS[3]), _lines(it.standard, FORM_WIDTHS[4]))
                if lines > 1:
                    ws.set_row(row, 15 * lines)
                ws.write_number(row, 2, number, fmt.text_center)
                ws.write_string(row, 3, it.content, fmt.text)
                ws.write_string(row, 4, it.standard, fmt.text)
                ws.write_number(row, 5, _num(it.points), fmt.points)
                for k, e in enumerate(items_by):
                    ws.write_blank(row, 6 + k, None, fmt.input_score)
                    ws.data_validation(row, 6 + k, row, 6 + k, {
                        "validate": "decimal", "criteria": "between", "minimum": 0,
                        "maximum": f"=${xl_col_to_name(5)}${row + 1}",
                        "input_title": e.name[:32], "input_message": "得分不得超过该项分值",
                        "error_title": "得分超出分值", "error_message": "得分应在 0 到该项分值之间"})
                number += 1
                row += 1
            end = row - 1
            if end > start:
                ws.merge_range(start, 0, end, 0, d.name, fmt.label)
                ws.merge_range(start, 1, end, 1, _num(d.points), fmt.points)
            else:
                ws.write(start, 0, d.name, fmt.label)
                ws.write_number(start, 1, _num(d.points), fmt.points)
            dim_rows.append((start, end, d.points))
        last_item = row - 1
        ws.write(row, 0, F.TOTAL, fmt.total_label)
        ws.write_formula(row, 1, f"=SUM(B{first_item + 1}:B{last_item + 1})", fmt.total_score, _num(sum(d[2] for d in dim_rows)))
        ws.merge_range(row, 2, row, 4, "", fmt.total_label)
        ws.write_formula(row, 5, f"=SUM(F{first_item + 1}:F{last_item + 1})", fmt.total_score,
                         _num(sum(it.points for d in dimensions for it in d.items)))
        total_row = row
        row += 2
        # 维度小计: the preview of the capped subtotals.
        ws.merge_range(row, 0, row, last_col, f"{numerals[section]}、维度小计", fmt.section)
        ws.write_comment(row, 0, "由公式自动计算：各维度小计为其各项得分之和，不超过维度分值。", {"x_scale": 2, "y_scale": 1})
        section += 1
        row += 1
        ws.set_row(row, 30)  # the evaluators' names may take two lines, as in the item table's header
        ws.write(row, 0, F.SUBTOTALS, fmt.header_input)
        ws.write(row, 1, F.I_DIM_POINTS, fmt.header_input)
        ws.merge_range(row, 2, row, 5, "", fmt.header_input)
        for k, e in enumerate(items_by):
            ws.write(row, 6 + k, e.name, fmt.header_result)
        row += 1
        sub_first = row
        for (start, end, pts), d in zip(dim_rows, dimensions):
            ws.write(row, 0, d.name, fmt.label)
            ws.write_formula(row, 1, f"=B{start + 1}", fmt.points, _num(pts))
            ws.merge_range(row, 2, row, 5, "", fmt.text)
            for k in range(len(items_by)):
                c = xl_col_to_name(6 + k)
                ws.write_formula(row, 6 + k, "=" + _rounded(f"MIN(SUM({c}{start + 1}:{c}{end + 1}),$B${start + 1})", param_cells), fmt.score, 0)
            row += 1
        ws.write(row, 0, F.ALL_TOTALS, fmt.total_label)
        ws.write_formula(row, 1, f"=SUM(B{sub_first + 1}:B{row})", fmt.total_score, _num(sum(d[2] for d in dim_rows)))
        ws.merge_range(row, 2, row, 5, "", fmt.total_label)
        for k, e in enumerate(items_by):
            c = xl_col_to_name(6 + k)
            ws.write_formula(row, 6 + k, "=" + _rounded(f"SUM({c}{sub_first + 1}:{c}{row})", param_cells), fmt.total_score, 0)
            score_refs[e.name] = f"{c}{row + 1}"
            item_ranges[e.name] = f"{c}{first_item + 1}:{c}{last_item + 1}"
            ws.write_formula(total_row, 6 + k, f"={c}{row + 1}", fmt.total_score, 0)
        row += 2
        ws.repeat_rows(header, header)
    if votes:
        ws.merge_range(row, 0, row, last_col, f"{numerals[section]}、{'、'.join(e.name for e in votes)}（无记名投票，按有效票计分）", fmt.section)
        section += 1
        row += 1
        ws.write(row, 0, F.V_ITEM, fmt.header_input)
        ws.set_row(row, 30)  # an evaluator's name takes two lines
        for k, e in enumerate(votes):
            ws.write(row, 1 + k, e.name, fmt.header_input)
        shares = {percent_text(e.required_share(scheme)) for e in votes}
        turnout = (f"参评人数须达应参评人数的{shares.pop()}" if len(shares) == 1 else
                   "参评人数须达应参评人数的" + "、".join(f"{percent_text(e.required_share(scheme))}（{e.name}）" for e in votes))
        if scheme.full_roll_below:
            turnout += f"，不足{scheme.full_roll_below}人须全员参评"
        rule = f"计分：{'＋'.join(f'{_num(p)}×{n}票率' for n, p in scheme.vote_options)}；{turnout}"
        ws.merge_range(row, 1 + len(votes), row + 3, last_col, rule, fmt.note)
        row += 1
        labels = [F.V_ROLL, F.V_VOTED, *(n for n, _ in scheme.vote_options)]
        first_vote = row
        for label in labels:
            ws.write(row, 0, label, fmt.label)
            for k in range(len(votes)):
                ws.write_blank(row, 1 + k, None, fmt.input_count)
                ws.data_validation(row, 1 + k, row, 1 + k, {
                    "validate": "integer", "criteria": ">=", "value": 0, "error_message": "请填写非负整数人数"})
            row += 1
        opt_rows = {n: first_vote + 2 + i for i, (n, _) in enumerate(scheme.vote_options)}
        for label, kind in ((F.V_SCORE, "score"), (F.V_SAT, "sat")):
            ws.write(row, 0, label, fmt.label)
            for k, e in enumerate(votes):
                c = xl_col_to_name(1 + k)
                valid = "+".join(f"{c}{r + 1}" for r in opt_rows.values())
                if kind == "score":
                    points = "+".join(f"{param_cells[f'vote:{n}']}*{c}{r + 1}" for n, r in opt_rows.items())
                    formula = f'=IF(({valid})=0,"",{_rounded(f"({points})/({valid})", param_cells)})'
                    ws.write_formula(row, 1 + k, formula, fmt.total_score, "")
                    score_refs[e.name] = f"{c}{row + 1}"
                else:
                    happy = "+".join(f"{c}{opt_rows[n] + 1}" for n in scheme.satisfied_options if n in opt_rows)
                    ws.write_formula(row, 1 + k, f'=IF(({valid})=0,"",{_rounded(f"({happy})/({valid})", param_cells, "4")})', fmt.percent, "")
            row += 1
        ws.write(row, 0, "参加测评的工作人员（签字）：", fmt.signature)  # seed 001 "经参加测评的工作人员签字后上报"
        row += 2
    if scheme.vetoes:
        ws.merge_range(row, 0, row, last_col, f"{numerals[section]}、否决事项", fmt.section)
        section += 1
        row += 1
        ws.merge_range(row, 0, row, 4, F.X_VETO, fmt.header_input)
        ws.write(row, 5, F.X_HIT, fmt.header_input)
        row += 1
        for v in scheme.vetoes:
            ws.merge_range(row, 0, row, 4, v.name, fmt.text)
            ws.data_validation(row, 0, row, 0, _veto_picker(scheme, param_cells, one=True))
            ws.write_string(row, 5, F.NO, fmt.input_center)
            ws.data_validation(row, 5, row, 5, {"validate": "list", "source": [F.YES, F.NO]})
            row += 1
        row += 1
    ws.merge_range(row, 0, row, last_col, f"{numerals[section]}、综合得分", fmt.section)
    row += 1
    for c, title in enumerate((F.D_WHO, F.D_WEIGHT, F.D_SCORE, F.D_WEIGHTED)):
        ws.write(row, c, title, fmt.header_input if title == F.D_SCORE and direct else fmt.header_result)
    row += 1
    first_eval = row
    for e in scheme.evaluators:
        ws.write(row, 0, e.name, fmt.label)
        ws.write_formula(row, 1, f"={param_cells[f'weight:{e.name}']}", fmt.percent, _num(e.weight))
        if e.method == METHOD_DIRECT:
            ws.write_blank(row, 2, None, fmt.input_score)
            ws.data_validation(row, 2, row, 2, {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                                                "error_message": "得分应在 0 到 100 之间"})
        elif e.name in item_ranges:  # blank until one of its items is scored: a part not yet filled adds nothing
            ws.write_formula(row, 2, f'=IF(COUNT({item_ranges[e.name]})=0,"",{score_refs[e.name]})', fmt.score, "")
        else:
            ws.write_formula(row, 2, f"={score_refs[e.name]}", fmt.score, "")
        ws.write_formula(row, 3, f'=IF(C{row + 1}="","",B{row + 1}*C{row + 1})', fmt.score, "")
        row += 1
    ws.write(row, 0, F.FINAL, fmt.total_label)
    ws.write_comment(row, 0, "预览：正式结果以汇总表“定星”为准；各方得分都填写后才显示。", {"x_scale": 1.5, "y_scale": 1})
    ws.merge_range(row, 1, row, 2, "", fmt.total_label)
    # Shown only when every part is in: a branch's book leaves the committee's parts blank, and a
    # partial sum would read as its score.
    weighted = f"D{first_eval + 1}:D{row}"
    ws.write_formula(row, 3, f'=IF(COUNT({weighted})<{len(scheme.evaluators)},"",{_rounded(f"SUM({weighted})", param_cells)})',
                     fmt.total_score, "")
    row += 2
    # Seed 001: the 自评 "经包村干部确认…后加盖本村、本单位党组织公章"; for 非公企业 and 社会组织
    # "充分征求行业主管部门党组织的意见".
    for left, right in (("评分人（签字）：", "党组织书记（签字）："),
                        ("自评经包村干部确认（签字）：", "党组织（盖章）"),
                        ("主管部门党组织意见（非公企业、社会组织填写）：", ""),
                        ("", "年　　月　　日")):
        ws.set_row(row, 24)
        if left:
            ws.write(row, 0, left, fmt.signature)
        if right:
            ws.write(row, 4, right, fmt.signature)
        row += 1
    ws.freeze_panes(5, 0)
    _print_setup(ws, landscape=False, repeat=(0, 0))


# ---------------------------------------------------------------- 评分细则

ITEM_WIDTHS = {I.KIND: 14, I.DIM: 14, I.DIM_POINTS: 8, I.CONTENT: 36, I.STANDARD: 32, I.POINTS: 7, I.SOURCE: 24}


def _items_sheet(ws, fmt: _Formats, table: I.ItemTable) -> None:
    """The 评分细则: one row per item, the table every form is built from and checked against."""
    last = len(I.COLUMNS) - 1
    ws.merge_range(0, 0, 0, last, "量化评分表评分细则", fmt.title)
    ws.set_row(0, 30)
    ws.write_comment(0, 0, (
        f"每行一个评分项：{'、'.join(I.COLUMNS[:-1])}。每个类别的评分表按本类别的评分项生成，"
        f"类别为“{I.GENERAL}”的评分项用于没有自己评分项的类别。“来源”为“{I.EXAMPLE}”的是预设方案自带的示例，"
        "不是组织部下发的评分细则：请点击“导入评分细则”或运行 starbook new --items 文件 换成本地的评分细则。"
        "各维度分值须等于其各项分值之和，每类合计 100。"), {"x_scale": 3, "y_scale": 2.5})
    header = 1
    for c, title in enumerate(I.COLUMNS):
        ws.write(header, c, title, fmt.header_input)
        ws.set_column(c, c, ITEM_WIDTHS[title])
    ws.set_row(header, 24)
    row = header + 1
    for values in I.rows_of(table):
        kind, dim, dim_points, content, standard, points, source = values
        lines = max(_lines(content, ITEM_WIDTHS[I.CONTENT]), _lines(standard, ITEM_WIDTHS[I.STANDARD]), _lines(source, ITEM_WIDTHS[I.SOURCE]))
        if lines > 1:
            ws.set_row(row, 15 * lines)
        ws.write_string(row, 0, kind, fmt.input_center)
        ws.write_string(row, 1, dim, fmt.input)
        ws.write_number(row, 2, _num(dim_points), fmt.input_center)
        ws.write_string(row, 3, content, fmt.input_wrap)
        ws.write_string(row, 4, standard, fmt.input_wrap)
        ws.write_number(row, 5, _num(points), fmt.input_center)
        ws.write_string(row, 6, source, fmt.text_center)
        row += 1
    ws.data_validation(header + 1, 0, LAST_ROW, 0, {
        "validate": "list", "source": [*F.CATEGORIES, I.GENERAL], "error_title": I.KIND,
        "error_message": f"请选择七类之一，或“{I.GENERAL}”（适用于没有自己评分项的类别）"})
    ws.freeze_panes(header + 1, 0)
    _print_setup(ws, landscape=True, repeat=(0, header))


# ---------------------------------------------------------------- 整改名单, 定星统计, 定星记录


def _rectify(ws, fmt: _Formats, spec: BookSpec, param_cells: dict[str, str]) -> None:
    last = len(RECTIFY_COLUMNS) - 1
    _title(ws, fmt, last, param_cells, T.RECTIFY,
           "由“定星”自动生成：等次为末位等次（或未定星）的，以及满意率低于整改线的党组织。各党组织的问题、措施、时限、责任人和销号记在“整改台账”表。")
    ws.set_row(0, 30)
    widths = (6, 24, 12, 10, 8, 10, 40)
    col_fmts = (fmt.col_center, fmt.col_text, fmt.col_center, fmt.col_score, fmt.col_center, fmt.col_center, fmt.col_wrap)
    for c, title in enumerate(RECTIFY_COLUMNS):
        ws.write(2, c, title, fmt.header_result)
        ws.set_column(c, c, widths[c], col_fmts[c])
    ws.conditional_format(3, 0, LAST_ROW, last, {"type": "formula", "criteria": '=$B4<>""', "format": fmt.cf_row})
    ws.freeze_panes(3, 0)
    _print_setup(ws, landscape=True, repeat=(0, 2))


LEDGER_WIDTHS = (10, 30, 30, 12, 12, 30, 12)


def _ledger(ws, fmt: _Formats, spec: BookSpec, param_cells: dict[str, str]) -> None:
    """Blocks are appended by 定星 (starbook.sheets.ledger); their look comes from column
    formats and conditional formats, so an appended block prints like a built one."""
    last = len(L.COLUMNS) - 1
    _title(ws, fmt, last, param_cells, T.LEDGER,
           "“定星”为整改名单中的每个党组织追加一块台账，并刷新类别、等次/星级、列入原因和名单状态；"
           "存在主要问题、整改措施、完成时限、责任人、整改情况、销号由您填写，重新定星不会改动或删除。"
           "不再列入整改名单的党组织保留其台账，名单状态标为“已不在整改名单”。一块台账需要更多行时，在其序号行之间插入行。")
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, last, f"填报单位（盖章）：                              年度：{spec.year or '        '}", fmt.subtitle)
    for c, w in enumerate(LEDGER_WIDTHS):
        ws.set_column(c, c, w, fmt.col_center if c in (0, 3, 4, 6) else fmt.col_wrap)
    first, a = L.FIRST_BLOCK_ROW, L.FIRST_BLOCK_ROW + 1
    # LibreOffice and WPS apply only the first matching rule, so each rule carries the border.
    ws.conditional_format(first, 0, LAST_ROW, last, {"type": "formula", "criteria": f'=$B{a}="{L.COLUMNS[1]}"', "format": fmt.cf_head})
    ws.conditional_format(first, 0, LAST_ROW, last, {"type": "formula", "criteria": f'=OR($A{a}="{L.L_NAME}",$A{a}="{L.L_REASON}")', "format": fmt.cf_block})
    ws.conditional_format(first, 1, LAST_ROW, last, {"type": "formula", "criteria": f"=ISNUMBER($A{a})", "format": fmt.cf_input})
    ws.conditional_format(first, 0, LAST_ROW, last, {"type": "formula", "criteria": f"=COUNTA($A{a}:${xl_col_to_name(last)}{a})>0", "format": fmt.cf_row})
    ws.data_validation(first, last, LAST_ROW, last, {"validate": "any", "input_title": "销号",
                                                     "input_message": "整改完成、验收合格后填写销号日期或“已销号”（挂牌销号）"})
    _print_setup(ws, landscape=True, repeat=(0, 0))


def _survey(ws, fmt: _Formats, spec: BookSpec, param_cells: dict[str, str]) -> None:
    """Seed 001 附件3, a blank form filled by hand during the 调查摸底 (not touched by 定星)."""
    last = len(L.SURVEY_COLUMNS) - 1
    _title(ws, fmt, last, param_cells, T.SURVEY,
           "调查摸底时手工填写，定星不改动本表。各栏依据文件“重点调查党组织设置是否合理、领导班子是否健全、"
           "组织制度是否完善、经费场所保障是否落实、作用发挥是否充分”（文件附件3只列表名，栏目为本地解读）。")
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, last, f"填报单位（盖章）：                              年度：{spec.year or '        '}                    填报日期：", fmt.subtitle)
    widths = (5, 20, 9, 7, 9, 9, 9, 9, 10, 9, 24, 24, 9)
    for c, (title, w) in enumerate(zip(L.SURVEY_COLUMNS, widths)):
        ws.set_column(c, c, w)
        ws.write(2, c, title, fmt.header_input)
    ws.set_row(2, 44)
    for r in range(3, 3 + 15):
        ws.set_row(r, 30)
        ws.write_number(r, 0, r - 2, fmt.text_center)
        for c in range(1, last + 1):
            ws.write_blank(r, c, None, fmt.input if c in (1, 10, 11) else fmt.input_center)
    ws.set_row(19, 24)
    ws.write(19, 0, "填表人：", fmt.signature)
    ws.write(19, 6, "党委（盖章）", fmt.signature)
    _print_setup(ws, landscape=True, repeat=(0, 2))


STATS_FIRST_STAR_ROW = 5  # 0-based: the 星级分布 anchor at row 4, its header at 5 (STATS_ANCHOR)
STATS_ROW_PT = 20  # the star table's rows; the chart beside it is exactly as tall (9 rows), so the targets below stay clear


def _stats(ws, fmt: _Formats, spec: BookSpec, param_cells: dict[str, str]) -> None:
    """The star table is built with its borders and formats; 定星 writes its values in place
    (ratebook keeps the six star rows), so the native chart below keeps pointing at them."""
    _title(ws, fmt, 5, param_cells, T.STATS,
           "由“定星”自动生成；目标（参数表“星级分布目标”“晋位升级目标”）只作报告，不改变定星结果。图表随定星结果更新。")
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, 5, f"填报单位（盖章）：                    年度：{spec.year or '        '}", fmt.subtitle)
    # G–J: a roll-up's table per 上报单位 (上报单位, six stars, 待定, 合计, 五星级占比) is wider than the targets.
    for c, w in enumerate((30, 14, 12, 14, 14, 14, 10, 10, 10, 12)):
        ws.set_column(c, c, w, fmt.col_center if c else fmt.col_text)
    ws.write(3, 0, STATS_ANCHOR, fmt.stats_caption)
    ws.write_row(4, 0, ("星级", "个数", "占比"), fmt.header_result)
    first = STATS_FIRST_STAR_ROW
    ws.set_row(first - 1, STATS_ROW_PT)
    for i, star in enumerate((*STARS, PENDING, "合计")):
        ws.set_row(first + i, STATS_ROW_PT)
        ws.write(first + i, 0, star, fmt.label)
        ws.write_blank(first + i, 1, None, fmt.stats_count)
        ws.write_blank(first + i, 2, None, fmt.percent)
    # The targets below (and a roll-up's table per 上报单位) vary with the rating: each filled cell of a
    # filled row is bordered.
    below = first + len(STARS) + 2
    ws.conditional_format(below, 0, LAST_ROW, 9, {"type": "formula", "criteria": f'=AND($A{below + 1}<>"",A{below + 1}<>"")',
                                                  "format": fmt.cf_row})
    _print_setup(ws, landscape=False, repeat=(0, 0))


def _stats_chart(wb: xlsxwriter.Workbook, ws) -> None:
    """A native column chart of the six star counts, referencing the cells 定星 writes."""
    first, last = STATS_FIRST_STAR_ROW, STATS_FIRST_STAR_ROW + len(STARS) - 1
    chart = wb.add_chart({"type": "column"})
    chart.add_series({
        "name": "党组织个数",
        "categories": [STATS_SHEET, first, 0, last, 0],
        "values": [STATS_SHEET, first, 1, last, 1],
        # No cached counts (ptCount without points): the counts come from the cells 定星 writes,
        # which Excel and LibreOffice read on opening; a stale cache of zeros would mislead
        # any viewer that draws from the cache alone. The chart part is never patched.
        "values_data": [None] * len(STARS),
        "data_labels": {"value": True},
        "fill": {"color": "#C00000"},
        "gap": 80,
    })
    chart.set_title({"name": "星级分布", "name_font": {"name": "黑体", "size": 12, "bold": False}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_font": {"name": "宋体", "size": 9}})
    chart.set_y_axis({"name": "个数", "name_font": {"name": "宋体", "size": 9, "bold": False},
                      "num_font": {"size": 9}, "min": 0, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    rows = len(STARS) + 3  # header, six stars, 待定, 合计
    chart.set_size({"width": 440, "height": round(rows * STATS_ROW_PT * 4 / 3) - 2})
    ws.insert_chart(STATS_FIRST_STAR_ROW - 1, 3, chart, {"x_offset": 10, "y_offset": 1, "object_position": 1})


# GB/T 9704 on A4: 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm (so bottom 35 mm, right 26 mm),
# 22 lines a page. Columns A and C are equal, so B's centre is the 版心's centre.
MM = 1 / 25.4
NOTICE_LINE_PT = 28.5  # 38 px: the pixel height nearest below 225 mm / 22 lines (28.95 pt)
NOTICE_COLUMNS = (10.1, 61.3, 10.1)  # 20 + 115 + 20 mm in Calibri-11 character widths (7 px + 5 px padding)


def _notice(ws, fmt: _Formats) -> None:
    for c, (width, style) in enumerate(zip(NOTICE_COLUMNS, (fmt.notice_body, fmt.notice_title, fmt.notice_right))):
        ws.set_column(c, c, width, style)
    ws.set_default_row(NOTICE_LINE_PT)
    ws.write(0, N.COL_TITLE, N.title_lines("")[0], fmt.notice_title)
    ws.write_comment(0, N.COL_TITLE, (
        "本表由“定星”生成，每次定星刷新拟定星级名单。标题和落款取参数表“发布单位”，公示期取“公示开始日期”"
        "“公示天数（工作日）”，联系人、联系电话取参数表。落款下一行的日期和其下各行由您填写，重新定星不会改动。"
        "打印或 starbook publish 生成 PDF（A4，GB/T 9704 版式）。"), {"x_scale": 2.5, "y_scale": 2.5})
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=28 * MM, right=26 * MM, top=37 * MM, bottom=35 * MM)
    # 100 % (the sizes GB/T 9704 fixes) where the book's default font Calibri, or its metric twin
    # Carlito, sets the column widths; shrunk to the page, never split across pages, where a wider
    # substitute does (README: fonts).
    ws.fit_to_pages(1, 0)
    ws.set_footer('&C&"宋体"&14— &P —', {"margin": 23 * MM})


def _xlwings_conf(ws) -> None:
    for r, (key, value) in enumerate(XLWINGS_SETTINGS):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    ws.hide()


def _log(ws, fmt: _Formats) -> None:
    last = len(LOG_COLUMNS) - 1
    ws.merge_range(0, 0, 0, last, "定星记录", fmt.title)
    ws.set_row(0, 30)
    ws.write_comment(0, 0, "每次定星追加一行：时间、操作人（系统用户名）、方案、各星级个数、输入摘要与结果摘要（SHA-256，算法见 starbook/digests.py）。请勿删除。",
                     {"x_scale": 2.5, "y_scale": 2})
    widths = {"定星时间": 20, "操作人": 12, "方案": 14, "输入摘要": 68, "结果摘要": 68, "程序版本": 16}
    for c, title in enumerate(LOG_COLUMNS):
        ws.write(2, c, title, fmt.header_result)
        ws.set_column(c, c, widths.get(title, 8), fmt.col_text if title in widths else fmt.col_center)
    ws.freeze_panes(3, 0)
    _print_setup(ws, landscape=True, repeat=(0, 2))


def _ballot_log(ws, fmt: _Formats, scheme: Scheme) -> None:
    """测评导入记录: filled by `starbook ballots` / 导入测评票, one row per file and organization."""
    titles = BALLOT_RECORD.columns(tuple(n for n, _ in scheme.vote_options))
    last = len(titles) - 1
    ws.merge_range(0, 0, 0, last, "测评导入记录", fmt.title)
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, last, "导入测评票时每个文件、每个党组织一行；状态“有效”的票数在评分表上，“已替换”的已被后来的导入替换。请勿删除。", fmt.note)
    widths = {"导入时间": 20, "操作人": 12, "文件": 28, "格式": 12, "SHA-256": 30, "测评主体": 14, "党组织名称": 24}
    for c, title in enumerate(titles):
        ws.write(2, c, title, fmt.header_result)
        ws.set_column(c, c, widths.get(title, 8), fmt.col_text if title in widths else fmt.col_center)
    ws.freeze_panes(3, 0)
    _print_setup(ws, landscape=True, repeat=(0, 2))
