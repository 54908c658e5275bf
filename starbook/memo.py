"""A dict that computes each missing value once: map(memo.__getitem__, column) runs at C speed.

A committee's thousands of organizations share a few thousand distinct scores
and a handful of star pairs, so most lookups are hits.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any


class Memo(dict):
    def __init__(self, compute: Callable[[Any], Any]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: Hashable) -> Any:
        self[key] = value = self.compute(key)
        return value
