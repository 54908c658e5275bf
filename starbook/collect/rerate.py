"""--rerate: the collector's scheme and quotas applied across every collected organization."""
from __future__ import annotations


def rerate_edits(grids, edits):
    return [], []
