"""A township collects its branches' own workbooks into the matching forms of its workbook."""
from __future__ import annotations


def branch_edits(grids, scheme, books):
    return [], []
