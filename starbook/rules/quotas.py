"""Quotas applied by the committee across all its organizations (分类定级).

Two quotas exist: a floor on the lowest grade (at least 5% of all organizations
较差) and a cap on five stars (at most 20% of those graded 好, by default). Both cut a ranking; equal final scores are broken by
the scheme's tie order, and organizations still equal at a cut are all marked
待定 for the committee: a cut is never placed arbitrarily.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..numbers import ceil_count, floor_count, percent_text
from ..scheme import BASE_ALL, PENDING, Scheme
from .grading import star_for


@dataclass
class Standings:
    """Every organization as the quotas see it, column by column (index i is one
    organization); the quotas update grades, stars and notes in place."""

    names: list[str]
    finals: list[Decimal]
    ties: list[tuple[Decimal, ...]]  # the scheme's tie-break scores, in its order
    grades: list[str | None]
    stars: list[str]
    notes: dict[int, list[str]] = field(default_factory=dict)  # only organizations with remarks

    def key(self, i: int) -> tuple[Decimal, tuple[Decimal, ...]]:
        """The ranking: final score, then the tie-break scores."""
        return (self.finals[i], self.ties[i])

    def note(self, i: int, text: str) -> None:
        self.notes.setdefault(i, []).append(text)


Key = Callable[[int], object]


def _cut(ranked: Sequence[int], take: int, key: Key) -> tuple[list[int], list[int], list[int]]:
    """Split a best-first ranking after `take` places: (in, tied across the cut, out)."""
    if take <= 0:
        return [], [], list(ranked)
    if take >= len(ranked):
        return list(ranked), [], []
    boundary = key(ranked[take - 1])
    if key(ranked[take]) != boundary:
        return list(ranked[:take]), [], list(ranked[take:])
    first = take - 1
    while first > 0 and key(ranked[first - 1]) == boundary:
        first -= 1
    last = take
    while last + 1 < len(ranked) and key(ranked[last + 1]) == boundary:
        last += 1
    return list(ranked[:first]), list(ranked[first : last + 1]), list(ranked[last + 1 :])


def _lowest(items: list[int], take: int, key: Key) -> tuple[list[int], list[int]]:
    """_cut(sorted(items, key=key), take, key)[:2] without sorting them all: the floor takes a few percent."""
    if take <= 0:
        return [], []
    if take >= len(items):
        return sorted(items, key=key), []
    best = heapq.nsmallest(take, items, key=key)
    boundary = key(best[-1])
    inside = [i for i in best if key(i) != boundary]
    equal = [i for i in items if key(i) == boundary]  # in their order, as a stable sort leaves them
    if len(inside) + len(equal) == take:
        return inside + equal, []
    return inside, equal


def _tie_text(scheme: Scheme) -> str:
    names = "、".join(e.column for e in scheme.tie_break)
    return f"综合得分及{names}均相同" if names else "综合得分相同"


def _mark_pending(st: Standings, tied: list[int], places: int, what: str, scheme: Scheme) -> None:
    for i in tied:
        others = "、".join(st.names[j] for j in tied if j != i)  # its rivals, never itself
        st.stars[i] = PENDING
        st.note(i, f"与{others}{_tie_text(scheme)}，并列争{places}个{what}，无法按规则区分，待党委研究确定")


def apply_bottom_floor(st: Standings, scheme: Scheme) -> None:
    """At least ceil(floor × total) organizations graded 较差; the lowest scores fill it."""
    total = len(st.names)
    if scheme.bottom_floor is None or scheme.bottom_grade is None or not total:
        return
    bottom = scheme.bottom_grade
    need = ceil_count(scheme.bottom_floor, total)
    have = st.grades.count(bottom)
    if have >= need:
        return
    grades, stars = st.grades, st.stars
    candidates = [i for i in range(total) if grades[i] != bottom and stars[i] != PENDING]
    forced, tied = _lowest(candidates, need - have, st.key)
    ratio = percent_text(scheme.bottom_floor)
    for i in forced:
        grades[i] = bottom
        stars[i] = star_for(st.finals[i], bottom, scheme)
        st.note(i, f"{bottom}等次不少于{ratio}（至少{need}个），按综合得分由低到高调整为{bottom}，{stars[i]}")
    if tied:
        _mark_pending(st, tied, need - have - len(forced), f"{bottom}名额", scheme)


def apply_five_star_cap(st: Standings, scheme: Scheme) -> None:
    """At most floor(cap × base) 五星级, the base being those graded 好 (or all, a setting);
    the highest scores keep it, the rest drop one tier."""
    total = len(st.names)
    if scheme.five_star_cap is None or not total:
        return
    if scheme.five_star_base == BASE_ALL or scheme.top_grade is None:
        base = total
        base_text = f"{scheme.five_star_base}{base}个"
    else:
        base = st.grades.count(scheme.top_grade)
        base_text = f"评为{scheme.top_grade}的{base}个党组织"
    cap = floor_count(scheme.five_star_cap, base)
    stars = st.stars
    holders = sorted((i for i in range(total) if stars[i] == "五星级"), key=st.key, reverse=True)
    if len(holders) <= cap:
        return
    kept, tied, dropped = _cut(holders, cap, st.key)
    fallback = scheme.cap_fallback_star
    for i in dropped:
        stars[i] = fallback
        st.note(
            i,
            f"五星级名额已满（上限{cap}个，{base_text}的{percent_text(scheme.five_star_cap)}），按得分排序调整为{fallback}",
        )
    if tied:
        _mark_pending(st, tied, cap - len(kept), "五星级名额", scheme)
