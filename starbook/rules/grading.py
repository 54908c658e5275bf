"""Grades and stars from a final score, a grade, dimensions or vetoes."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from ..scheme import STARS, Scheme, StarClass, Veto, star_of_rank, star_rank


def grade_for(score: Decimal, scheme: Scheme) -> str | None:
    """Thresholds are inclusive lower bounds: 90 ≤ score is 好."""
    for grade in scheme.grades_by_score:
        if score >= grade.min_score:
            return grade.name
    return None


def star_for(score: Decimal, grade: str | None, scheme: Scheme) -> str:
    """The first rule (best star first) whose score and grade both fit."""
    for rule in scheme.star_rules_by_rank:
        if score >= rule.min_score and (rule.grade is None or rule.grade == grade):
            return rule.star
    return STARS[-1]


def dimensions_reached(subtotals: Sequence[Decimal], points: Sequence[Decimal], ratio: Decimal) -> list[int]:
    """Indexes of the dimensions whose subtotal reaches ratio × points."""
    return [i for i, (s, p) in enumerate(zip(subtotals, points)) if s >= ratio * p]


def star_for_dimension_count(count: int) -> str:
    """One star per dimension reached (五星创建): five dimensions → 五星级."""
    return star_of_rank(max(0, min(count, len(STARS) - 1)))


def veto_cap(star: str, hits: Iterable[str], scheme: Scheme) -> tuple[str, list[Veto]]:
    """The star after every veto that applies, and the vetoes that lowered it."""
    by_name = {v.name: v for v in scheme.vetoes}
    lowered: list[Veto] = []
    for name in hits:
        veto = by_name[name]
        if star_rank(veto.max_star) < star_rank(star):
            star = veto.max_star
            lowered.append(veto)
    return star, lowered


def class_bound(star: str, allowed: StarClass) -> str:
    """The star itself when its class allows it, else the allowed star nearest to it
    (the lower of two equally near): “‘一般’的为二星级和一星级” moves a 四星级 to 二星级."""
    if star in allowed.stars or not allowed.stars:
        return star
    rank = star_rank(star)
    return min(allowed.stars, key=lambda s: (abs(star_rank(s) - rank), star_rank(s)))
