"""What the Excel side does with the actions xlwings' remote engine returns, for the tests.

`excel_coerce` is Excel's parsing of a text assigned to Range.Value (what COM, the
VBA client and Office.js all do): numbers, percentages, accounting negatives,
booleans, dates, times and formulas stop being the text that was sent. A text
cell (number format "@") or a leading apostrophe (kept as the quotePrefix style,
not in the value) keeps the text as it is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from xlwings.pro._xlremote import datetime_regex

TEXT_FORMAT = "@"


@dataclass(frozen=True)
class Formula:
    """A cell that became a formula: never equal to the text that was meant."""

    text: str


_NUMBER = re.compile(
    r"(?P<open>\()?(?P<sign>[+-])?[$¥]?(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?P<exp>[eE][+-]?\d+)?(?P<pct>%)?(?P<close>\))?"
)
_DATE_YMD = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DATE_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_DATE_MD = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def excel_coerce(value, number_format: str = "General", *, today: date = date(2026, 11, 22)):
    """The value a cell holds after `value` is assigned to it, as Excel (en-US/zh-CN) parses it."""
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    if number_format == TEXT_FORMAT:
        return value
    if value.startswith("'"):
        return value[1:]
    s = value.strip()
    if s.startswith("="):
        return Formula(s)
    if s.upper() in ("TRUE", "FALSE"):
        return s.upper() == "TRUE"
    m = _NUMBER.fullmatch(s)
    if m and bool(m["open"]) == bool(m["close"]) and not (m["open"] and m["sign"]):
        number = float(m["num"].replace(",", "") + (m["exp"] or ""))
        if m["pct"]:
            number /= 100
        return -number if m["open"] or m["sign"] == "-" else number
    for pattern in (_DATE_YMD, _DATE_CN):
        m = pattern.fullmatch(s)
        if m:
            parts = [int(p) if p else 0 for p in m.groups()] + [0, 0, 0]
            try:
                return datetime(*parts[:6])
            except ValueError:
                return value
    m = _DATE_MD.fullmatch(s)
    if m:
        month, day, year = int(m[1]), int(m[2]), int(m[3]) if m[3] else today.year
        try:
            return datetime(year + 2000 if year < 30 else year, month, day)
        except ValueError:
            return value
    m = _TIME.fullmatch(s)
    if m and int(m[1]) < 24:
        return time(int(m[1]), int(m[2]), int(m[3] or 0))
    return value


def client_value(value, number_format: str = "General"):
    """One cell of a setValues action as the xlwings VBA client writes it: an ISO date-time
    text becomes a date (WebHelpers.ParseIso), anything else goes to Excel's parsing."""
    if isinstance(value, str) and datetime_regex.match(value):
        return datetime.fromisoformat(value.rstrip("Z"))
    return excel_coerce(value, number_format)


class Model:
    """Cells of a book after the client applied the actions: {sheet position: {(row, col): value}}, 1-based."""

    def __init__(self, payload: dict) -> None:
        self.names = [s["name"] for s in payload["sheets"]]
        self.cells: dict[int, dict[tuple[int, int], object]] = {}
        self.formats: dict[int, dict[tuple[int, int], str]] = {}
        for i, sheet in enumerate(payload["sheets"]):
            self.cells[i] = {(r + 1, c + 1): v for r, line in enumerate(sheet["values"]) for c, v in enumerate(line) if v not in ("", None)}
            self.formats[i] = {}

    def apply(self, actions: list[dict]) -> list[str]:
        """Apply the cell actions; return the names of the others (alerts, autofit…)."""
        others = []
        for a in actions:
            func, pos = a["func"], a["sheet_position"]
            if func == "addSheet":
                pos = len(self.names)
                self.names.append(a["args"][1])
                self.cells[pos], self.formats[pos] = {}, {}
            elif func == "setValues":
                for i, line in enumerate(a["values"]):
                    for j, v in enumerate(line):
                        at = (a["start_row"] + i + 1, a["start_column"] + j + 1)
                        value = client_value(v, self.formats[pos].get(at, "General"))
                        if value is None:
                            self.cells[pos].pop(at, None)
                        else:
                            self.cells[pos][at] = value
            elif func in ("rangeClearContents", "setNumberFormat"):
                for i in range(a["row_count"]):
                    for j in range(a["column_count"]):
                        at = (a["start_row"] + i + 1, a["start_column"] + j + 1)
                        if func == "rangeClearContents":
                            self.cells[pos].pop(at, None)
                        else:
                            self.formats[pos][at] = a["args"][0]
            else:
                others.append(func)
        return others

    def sheet(self, name: str) -> dict[tuple[int, int], object]:
        return self.cells[self.names.index(name)]
