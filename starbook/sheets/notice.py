"""The 公示 sheet: the public notice of the proposed stars, laid out as a GB/T 9704 notice.

The layout is one printed line per row (GB/T 9704: 22 lines of 28 characters in a
156 × 225 mm 版心), so the core wraps the text itself and the sheet needs no merged
cells: column A holds left-aligned body lines, B the centred title, C the right-aligned
signature; each line overflows into the empty cells beside it. Styles belong to the
columns, so whatever row a line lands on after a re-rating, it prints the same.

定星 rewrites the notice from the results and the 参数 settings (NOTICE_SETTINGS);
what the cadre types on the sheet itself — the date under the signature and every
row below it — is read back first and written again, never lost.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from ..edits import CellBlock, ClearRows, Edit
from ..grid import Grid, Value, cell_at, cell_name, find_header, is_blank, text
from ..problems import WARNING, Problem
from ..scheme import PENDING, STARS, Scheme
from . import params as P

SHEET = "公示"
SEAL = "（盖章）"
DATE_BLANK = "　　　　年　　月　　日"
LINE_EM = 27  # body characters per line: 16 pt characters in the 156 mm 版心 (GB/T 9704 condenses 28)
TITLE_EM = 19  # 22 pt title characters per line
INDENT = "　　"
NO_LINE_START = set("，。、；：？！）》」』”’")  # 禁则: these never begin a line
NUMERALS = "一二三四五六七八九十"
COL_LEFT, COL_TITLE, COL_RIGHT = 0, 1, 2  # 0-based columns A, B, C
WIDTH = 3


@dataclass(frozen=True)
class NoticeSettings:
    issuer: str = ""
    start: date | None = None
    days: int = 5
    contact: str = ""
    phone: str = ""


# ---------------------------------------------------------------- settings


def _date_of(value: Value) -> date | None | str:
    """A date cell as a date; None when blank; the text itself when it is not a date."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and 20000 < float(value) < 80000:
        return date(1899, 12, 30) + timedelta(days=int(value))  # an Excel serial number read as a number
    raw = text(value)
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", raw)
    if m:
        try:
            return date(*map(int, m.groups()))
        except ValueError:
            pass
    return raw


def parse_settings(grid: Grid | None) -> tuple[NoticeSettings, list[Problem]]:
    """The 公示 settings of 参数 by title; a missing row (an older workbook) keeps its default."""
    if grid is None:
        return NoticeSettings(), []
    header = find_header(grid, P.KEY, P.VALUE)
    if header is None:
        return NoticeSettings(), []
    hr, cols = header
    kcol, vcol = cols[P.KEY], cols[P.VALUE]
    rows = {text(cell_at(grid, r, kcol)): r for r in range(hr + 1, len(grid)) if not is_blank(cell_at(grid, r, kcol))}
    values: dict[str, object] = {}
    problems: list[Problem] = []
    for s in P.NOTICE_SETTINGS:
        if s.key not in rows:
            continue
        r = rows[s.key]
        raw = cell_at(grid, r, vcol)
        where = cell_name(r, vcol)
        if s.kind == "date":
            d = _date_of(raw)
            if isinstance(d, str):
                problems.append(Problem(P.SHEET, where, f"公示开始日期「{d}」不是日期，公示中的日期留空", "请填写日期，如 2026-01-05", WARNING))
            else:
                values[s.attr] = d
        elif s.kind == "int":
            if is_blank(raw):
                continue
            n = raw if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool) else None
            if isinstance(raw, str) and raw.strip().isdigit():
                n = int(raw.strip())  # typed into a text-formatted cell
            if n is None or n != int(n) or not 1 <= n <= 60:
                problems.append(Problem(P.SHEET, where, f"公示天数「{raw}」不是 1～60 的整数，按默认 {s.default} 个工作日", "请填写工作日天数，如 5", WARNING))
            else:
                values[s.attr] = int(n)
        else:
            values[s.attr] = text(raw) if isinstance(raw, str) else ("" if is_blank(raw) else str(raw))
    return NoticeSettings(**values), problems


def working_day_end(start: date, days: int) -> date:
    """The last day of `days` working days (Monday to Friday) counted from `start` on.

    Public holidays and the weekend days they swap in are not known here; the
    参数 help says so, and the cadre moves the start or adds days around them.
    """
    day, left = start, days
    while True:
        if day.weekday() < 5:
            left -= 1
            if left <= 0:
                return day
        day += timedelta(days=1)


def chinese_date(d: date) -> str:
    """GB/T 9704 成文日期: Arabic numerals, no leading zeros."""
    return f"{d.year}年{d.month}月{d.day}日"


# ---------------------------------------------------------------- text layout


def _em(ch: str) -> float:
    """Width in ems: ASCII is half-width; everything else (CJK, full-width punctuation, “”—) one em."""
    return 0.5 if ch < "\x80" else 1.0


def _ems(text: str) -> float:
    return len(text) - len(text.encode("ascii", "ignore")) / 2


def wrap(tokens: Sequence[str], width: float, *, first: str = "") -> list[str]:
    """Tokens laid into lines of at most `width` ems, a token split only when it alone is too long.

    A line never starts with closing punctuation (禁则): the character before it moves down too.
    """
    lines: list[str] = []
    parts: list[str] = [first] if first else []
    used = _ems(first)

    def cut(next_char: str) -> None:
        nonlocal parts, used
        line = "".join(parts)
        carry = line[-1] if next_char in NO_LINE_START and len(line.strip()) > 1 else ""
        lines.append(line[: len(line) - len(carry)])
        parts, used = ([carry] if carry else []), _ems(carry)

    for token in tokens:
        size = _ems(token)
        if used + size > width and "".join(parts).strip():
            cut(token[0])
        if used + size <= width:  # the usual case: the whole token fits
            parts.append(token)
            used += size
            continue
        for ch in token:  # a token longer than a line
            if used + _em(ch) > width:
                cut(ch)
            parts.append(ch)
            used += _em(ch)
    if parts and "".join(parts):
        lines.append("".join(parts))
    return lines


def paragraph(body: str) -> list[str]:
    """A paragraph with the two-character first-line indent, wrapped character by character."""
    return wrap(list(body), LINE_EM, first=INDENT)


def title_lines(issuer: str) -> list[str]:
    """The title, broken after 关于 when it is too long for one line (a 词意完整 break)."""
    head, tail = f"{issuer}关于", "基层党组织星级评定结果的公示"
    whole = head + tail
    if _ems(whole) <= TITLE_EM:
        return [whole]
    if not issuer or _ems(head) > TITLE_EM:
        return wrap(list(whole), TITLE_EM)
    return [head, tail]


# ---------------------------------------------------------------- the notice


@dataclass(frozen=True)
class Kept:
    """What the cadre typed on the sheet: the date under the signature and the rows below it."""

    date: Value = None
    rows: tuple[tuple[Value, ...], ...] = ()


def _cell_value(value: Value) -> Value:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return chinese_date(value)
    return None if is_blank(value) else value


def kept(grid: Grid | None) -> Kept:
    """The cadre's own cells of the current notice, found below the last line ending in （盖章）."""
    if not grid:
        return Kept()
    seal = None
    for r in range(len(grid)):
        for c in range(len(grid[r])):
            v = grid[r][c]
            if isinstance(v, str) and v.strip().endswith(SEAL):
                seal = (r, c)
    if seal is None:
        return Kept()
    r, c = seal
    typed = _cell_value(cell_at(grid, r + 1, c))
    if isinstance(typed, str) and not typed.replace("　", "").replace(" ", "").strip("年月日"):
        typed = None  # the blank placeholder
    rows = [tuple(_cell_value(v) for v in line) for line in grid[r + 2 :]]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return Kept(typed, tuple(rows))


def notice_lines(
    scheme: Scheme, names: Sequence[str], stars: Sequence[str], settings: NoticeSettings, keep: Kept
) -> list[tuple[Value, ...]]:
    """The notice as rows of (A, B, C) values: title, body, groups, period, contact, signature."""
    def row(col: int, value: Value) -> tuple[Value, ...]:
        out: list[Value] = [None] * WIDTH
        out[col] = value
        return tuple(out)

    issuer = settings.issuer
    rows = [row(COL_TITLE, t) for t in title_lines(issuer)]
    rows.append(row(COL_LEFT, None))
    evaluators = "、".join(e.name for e in scheme.evaluators)
    rows += [row(COL_LEFT, t) for t in paragraph(
        f"根据基层党组织星级评定工作安排，经{evaluators}等程序，{issuer or '党委'}研究拟定了{len(names)}个基层党组织的星级，现予公示：")]
    groups: dict[str, list[str]] = {}
    for name, star in zip(names, stars):
        groups.setdefault(star, []).append(name)
    number = 0
    for star in (*STARS, PENDING):
        members = groups.get(star)
        if not members:
            continue
        label = NUMERALS[number] if number < len(NUMERALS) else str(number + 1)
        number += 1
        head = f"{INDENT}{label}、{star}（{len(members)}个）："
        if star == PENDING:  # the tie is the committee's to settle: say so before the names
            rows += [row(COL_LEFT, t) for t in wrap([head], LINE_EM)]
            head = INDENT + "以下党组织综合得分相同、跨在名额分界上，星级待党委研究确定："
        tokens = [f"{n}、" for n in members[:-1]] + [f"{members[-1]}。"]
        rows += [row(COL_LEFT, t) for t in wrap(tokens, LINE_EM, first=head)]
    if settings.start is not None:
        period = f"{chinese_date(settings.start)}至{chinese_date(working_day_end(settings.start, settings.days))}"
    else:
        period = f"{DATE_BLANK}至{DATE_BLANK}"
    rows += [row(COL_LEFT, t) for t in paragraph(
        f"公示期为{period}（{settings.days}个工作日）。公示期间，如有异议，请以来电、来信、来访等方式向{issuer or '党委'}反映。")]
    contact = f"联系人：{settings.contact or '　　　　　　'}　　联系电话：{settings.phone or '　　　　　　　　'}"
    rows += [row(COL_LEFT, t) for t in paragraph(contact)]
    rows += [row(COL_LEFT, None), row(COL_LEFT, None)]
    rows.append(row(COL_RIGHT, f"{issuer}{SEAL}"))
    rows.append(row(COL_RIGHT, keep.date if keep.date is not None else DATE_BLANK))
    for line in keep.rows:
        rows.append(tuple((list(line) + [None] * WIDTH)[: max(WIDTH, len(line))]))
    return rows


def notice_edits(
    grids: Mapping[str, Grid], scheme: Scheme, names: Sequence[str], stars: Sequence[str]
) -> tuple[list[Edit], list[Problem]]:
    """The 公示 rewritten from the results, keeping the cadre's own cells; nothing without the sheet."""
    if SHEET not in grids:
        return [], []
    settings, problems = parse_settings(grids.get(P.SHEET))
    keep = kept(grids[SHEET])
    rows = notice_lines(scheme, names, stars, settings, keep)
    if _same(rows, grids[SHEET], signed=len(rows) - len(keep.rows) - 1):
        # A re-rating that changes nothing on the notice leaves the sheet as it is:
        # tens of thousands of rows not rewritten, and the cadre's formatting kept.
        return [], problems
    return [ClearRows(SHEET, 1), *_blocks(rows)], problems


def _same(rows: Sequence[Sequence[Value]], grid: Grid, signed: int) -> bool:
    """Whether the sheet already holds these rows (as _trimmed sees them). Rows up to
    the signature line (`signed` of them) are never blank: a sheet shorter than that
    (the template's, at the first rating) differs without trimming all the rows."""
    held = _trimmed(grid)
    return len(held) >= signed and _trimmed(rows) == held


def _trimmed(rows: Sequence[Sequence[Value]]) -> list[tuple[Value, ...]]:
    """Rows as the sheet would hold them: empty cells (None, '') as None, no blank cells or rows at the end.

    Only exact values count as the same: a date, a number typed as text or a
    blank of spaces differs from what the notice writes, so it is rewritten."""
    out = [tuple(None if v is None or (type(v) is str and v == "") else v for v in line) for line in rows]
    out = [line[: max((i + 1 for i, v in enumerate(line) if v is not None), default=0)] for line in out]
    while out and not out[-1]:
        out.pop()
    return out


def _blocks(rows: Sequence[tuple[Value, ...]]) -> list[CellBlock]:
    """Runs of rows as blocks spanning only their filled columns: no blank cells written."""
    blocks: list[CellBlock] = []
    run: list[tuple[Value, ...]] = []
    span: tuple[int, int] | None = None
    start = 0
    for i, line in enumerate([*rows, ()]):
        filled = [c for c, v in enumerate(line) if v is not None]
        here = (filled[0], filled[-1]) if filled else None
        if here != span or here is None:
            if run and span is not None:
                blocks.append(CellBlock(SHEET, start + 1, span[0] + 1, tuple(r[span[0] : span[1] + 1] for r in run)))
            run, span, start = [], here, i
        if here is not None:
            run.append(line)
    return blocks


def is_filled(grid: Grid | None) -> bool:
    """Whether 定星 has written the notice (its signature line is there)."""
    return any(isinstance(v, str) and v.strip().endswith(SEAL) for line in (grid or ()) for v in line)
