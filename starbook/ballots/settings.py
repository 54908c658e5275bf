"""The 参数 settings of the import: the answer codes (测评答案对应) and the issued ballot numbers (已发票号).

Both tables are optional: a workbook made before them imports with the defaults
(A/1 the first option, B/2 the second …; numbers not checked).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..grid import Grid, cell_at, cell_name, find_header, is_blank, text
from ..problems import Problem
from ..scheme import Scheme
from ..sheets import params as P
from .answers import AnswerKey, normalize

_RANGE = re.compile(r"^(\d+)(?:[-—～~至到](\d+))?$")


@dataclass(frozen=True)
class ImportSettings:
    key: AnswerKey
    issued: tuple[tuple[int, int], ...] | None  # inclusive ranges; None: numbers are not checked
    issued_text: str = ""

    def was_issued(self, number: int) -> bool:
        return self.issued is None or any(lo <= number <= hi for lo, hi in self.issued)


def _rows_below(grid: Grid, header_row: int, col: int) -> list[int]:
    rows, r = [], header_row + 1
    while r < len(grid) and not is_blank(cell_at(grid, r, col)) and not text(cell_at(grid, r, col)).startswith("【"):
        rows.append(r)
        r += 1
    return rows


def read_settings(grid: Grid, scheme: Scheme) -> tuple[ImportSettings, list[Problem]]:
    problems: list[Problem] = []
    options = tuple(n for n, _ in scheme.vote_options)
    codes: dict[str, str] = {}
    found = find_header(grid, *P.T_ANSWERS[1])
    if found is None:
        codes = {k: v for k, v in P.default_answers(scheme)}
    else:
        hr, cols = found
        c_code, c_option = (cols[t] for t in P.T_ANSWERS[1])
        for r in _rows_below(grid, hr, c_code):
            code = normalize(cell_at(grid, r, c_code)).upper()
            option = text(cell_at(grid, r, c_option))
            if option not in options:
                problems.append(Problem(P.SHEET, cell_name(r, c_option), f"测评答案“{code}”计为「{option}」，不是测评选项",
                                        f"请填写测评计分表中的选项：{'、'.join(options)}"))
            elif code in codes and codes[code] != option:
                problems.append(Problem(P.SHEET, cell_name(r, c_code), f"测评答案“{code}”重复，且计为不同的选项",
                                        "每个答案只能对应一个选项，请删除多余的一行"))
            else:
                codes[code] = option
    issued, issued_text = None, ""
    found = find_header(grid, *P.T_ISSUED[1])
    if found is not None:
        hr, cols = found
        c = cols[P.T_ISSUED[1][0]]
        raw = text(cell_at(grid, hr + 1, c))
        if raw:
            issued_text = raw
            ranges = []
            for part in re.split(r"[、，,；;\s]+", normalize(raw).replace("，", ",")):
                if not part:
                    continue
                m = _RANGE.match(part)
                if m is None or (m.group(2) and int(m.group(2)) < int(m.group(1))):
                    problems.append(Problem(P.SHEET, cell_name(hr + 1, c), f"已发票号「{raw}」中的「{part}」不是票号或票号范围",
                                            "请填写如 1-120、201-250 的票号范围，用顿号分隔；留空为不核对票号"))
                    continue
                lo = int(m.group(1))
                ranges.append((lo, int(m.group(2) or lo)))
            issued = tuple(ranges)
    return ImportSettings(AnswerKey(options, codes), issued, issued_text), problems
