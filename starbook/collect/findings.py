"""A finding of collect: a Problem that also names the file it is about."""
from __future__ import annotations

from dataclasses import dataclass

from ..problems import ERROR, WARNING, Problem

COLUMNS = ("文件", "工作表", "单元格", "问题", "改法")


@dataclass(frozen=True)
class Finding:
    file: str  # the file's name as the cadre sees it in the folder
    sheet: str
    cell: str
    message: str
    fix: str
    severity: str = ERROR

    @classmethod
    def of(cls, file: str, problem: Problem) -> "Finding":
        return cls(file, problem.sheet, problem.cell, problem.message, problem.fix, problem.severity)

    def row(self) -> tuple[str, str, str, str, str]:
        return (self.file, self.sheet, self.cell, self.message, self.fix)

    def __str__(self) -> str:
        where = f"“{self.file}”" if self.file else ""
        if self.sheet:
            where += f"【{self.sheet}】"
        if self.cell:
            where += f"{self.cell}"
        return f"{where}：{self.message}。{self.fix}" if where else f"{self.message}。{self.fix}"


__all__ = ["COLUMNS", "ERROR", "WARNING", "Finding"]
