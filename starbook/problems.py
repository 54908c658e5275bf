"""What is wrong with a workbook, said in Chinese with sheet, cell and fix."""
from __future__ import annotations

from dataclasses import dataclass

ERROR = "错误"
WARNING = "提示"


@dataclass(frozen=True)
class Problem:
    sheet: str
    cell: str  # "E12", "E12:E30", or "" when the problem is the whole sheet or file
    message: str
    fix: str
    severity: str = ERROR

    def __str__(self) -> str:
        where = f"【{self.sheet}】" if self.sheet else ""
        if self.cell:
            where += f"{self.cell}："
        elif where:
            where += "："
        return f"{where}{self.message}。{self.fix}"


class BookError(Exception):
    """The file or command cannot be used at all (exit status 2)."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}。{self.fix}" if self.fix else self.message


class Checked:
    """What an outcome with a `problems` list answers: may it be written, and what is only a 提示."""

    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.severity == ERROR for p in self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]
