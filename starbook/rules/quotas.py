"""Quotas applied by the committee across all its organizations (seed 001).

Two quotas exist: a floor on the lowest grade (at least 5% 较差) and a cap on
five stars (at most 20%). Both cut a ranking; equal final scores are broken by
the scheme's tie order, and organizations still equal at a cut are all marked
待定 for the committee: a cut is never placed arbitrarily.
"""
from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from decimal import Decimal

from ..numbers import ceil_count, floor_count, percent_text
from ..scheme import BASE_ALL, PENDING, Scheme
from .grading import star_for


@dataclass(eq=False, slots=True)
class Standing:
    """One organization as the quotas see it; the quotas update it in place."""

    name: str
    final: Decimal
    tie_values: tuple[Decimal, ...]
    grade: str | None
    star: str
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[Decimal, ...]:
        return (self.final, *self.tie_values)


_RANKING = attrgetter("final", "tie_values")  # orders like Standing.key, without building it


def _cut(ranked: Sequence[Standing], take: int) -> tuple[list[Standing], list[Standing], list[Standing]]:
    """Split a best-first ranking after `take` places: (in, tied across the cut, out)."""
    if take <= 0:
        return [], [], list(ranked)
    if take >= len(ranked):
        return list(ranked), [], []
    boundary = ranked[take - 1].key
    if ranked[take].key != boundary:
        return list(ranked[:take]), [], list(ranked[take:])
    first = take - 1
    while first > 0 and ranked[first - 1].key == boundary:
        first -= 1
    last = take
    while last + 1 < len(ranked) and ranked[last + 1].key == boundary:
        last += 1
    return list(ranked[:first]), list(ranked[first : last + 1]), list(ranked[last + 1 :])


def _lowest(items: list[Standing], take: int) -> tuple[list[Standing], list[Standing]]:
    """_cut(sorted(items), take)[:2] without sorting them all: the floor takes a few percent."""
    if take <= 0:
        return [], []
    if take >= len(items):
        return sorted(items, key=_RANKING), []
    best = heapq.nsmallest(take, items, key=_RANKING)
    boundary = _RANKING(best[-1])
    inside = [s for s in best if _RANKING(s) != boundary]
    equal = [s for s in items if _RANKING(s) == boundary]  # in their order, as a stable sort leaves them
    if len(inside) + len(equal) == take:
        return inside + equal, []
    return inside, equal


def _tie_text(scheme: Scheme) -> str:
    names = "、".join(e.column for e in scheme.tie_break)
    return f"综合得分及{names}均相同" if names else "综合得分相同"


def _mark_pending(tied: list[Standing], places: int, what: str, scheme: Scheme) -> None:
    others = "、".join(s.name for s in tied)
    for s in tied:
        s.star = PENDING
        s.notes.append(
            f"与{others}{_tie_text(scheme)}，并列争{places}个{what}，无法按规则区分，待党委研究确定"
        )


def apply_bottom_floor(standings: list[Standing], scheme: Scheme) -> None:
    """At least ceil(floor × total) organizations graded 较差; the lowest scores fill it."""
    if scheme.bottom_floor is None or scheme.bottom_grade is None or not standings:
        return
    need = ceil_count(scheme.bottom_floor, len(standings))
    have = sum(1 for s in standings if s.grade == scheme.bottom_grade)
    if have >= need:
        return
    candidates = [s for s in standings if s.grade != scheme.bottom_grade and s.star != PENDING]
    forced, tied = _lowest(candidates, need - have)
    ratio = percent_text(scheme.bottom_floor)
    for s in forced:
        s.grade = scheme.bottom_grade
        s.star = star_for(s.final, s.grade, scheme)
        s.notes.append(
            f"{scheme.bottom_grade}等次不少于{ratio}（至少{need}个），按综合得分由低到高调整为"
            f"{scheme.bottom_grade}，{s.star}"
        )
    if tied:
        _mark_pending(tied, need - have - len(forced), f"{scheme.bottom_grade}名额", scheme)


def apply_five_star_cap(standings: list[Standing], scheme: Scheme) -> None:
    """At most floor(cap × base) 五星级; the highest scores keep it, the rest drop one tier."""
    if scheme.five_star_cap is None or not standings:
        return
    if scheme.five_star_base == BASE_ALL or scheme.top_grade is None:
        base = len(standings)
    else:
        base = sum(1 for s in standings if s.grade == scheme.top_grade)
    cap = floor_count(scheme.five_star_cap, base)
    holders = sorted((s for s in standings if s.star == "五星级"), key=_RANKING, reverse=True)
    if len(holders) <= cap:
        return
    kept, tied, dropped = _cut(holders, cap)
    for s in dropped:
        s.star = scheme.cap_fallback_star
        s.notes.append(
            f"五星级名额已满（上限{cap}个，{scheme.five_star_base}{base}个的"
            f"{percent_text(scheme.five_star_cap)}），按得分排序调整为{scheme.cap_fallback_star}"
        )
    if tied:
        _mark_pending(tied, cap - len(kept), "五星级名额", scheme)
