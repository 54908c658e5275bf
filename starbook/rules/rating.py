"""Rate every organization of a book: scores → grade → star → vetoes → quotas."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..numbers import percent_text
from ..scheme import PENDING, STAR_BY_DIMENSIONS, STARS, Scheme
from .grading import dimensions_reached, grade_for, star_for, star_for_dimension_count, veto_cap
from .movement import TargetReport, distribution_report, honor_eligible, movement, upgrade_report
from .quotas import Standing, apply_bottom_floor, apply_five_star_cap
from .scoring import final_scores


@dataclass(slots=True)
class OrgInput:
    name: str
    scores: Mapping[str, Decimal]  # evaluator name → score as shown (rounded)
    category: str | None = None
    last_star: str | None = None
    vetoes: tuple[str, ...] = ()
    dimension_scores: tuple[Decimal, ...] = ()  # only for 按维度达标
    satisfaction: Decimal | None = None
    notes: tuple[str, ...] = ()  # remarks found while reading (e.g. turnout)


@dataclass(slots=True)
class OrgResult:
    name: str
    final: Decimal
    grade: str | None
    base_star: str
    star: str
    notes: tuple[str, ...]
    approving: str
    movement: str
    honor: str
    reached: tuple[str, ...]
    rectify: tuple[str, ...]

    @property
    def note_text(self) -> str:
        return "；".join(self.notes)


@dataclass(frozen=True)
class Rating:
    results: tuple[OrgResult, ...]
    distribution: tuple[TargetReport, ...]
    upgrades: tuple[TargetReport, ...]
    counts: Mapping[str, int] = field(default_factory=dict)


def _base(org: OrgInput, final: Decimal, scheme: Scheme) -> tuple[str | None, str, tuple[str, ...]]:
    grade = grade_for(final, scheme)
    if scheme.star_mode == STAR_BY_DIMENSIONS:
        points = [d.points for d in scheme.dimensions]
        ratio = scheme.dimension_pass_ratio or Decimal(1)
        hit = dimensions_reached(org.dimension_scores, points, ratio)
        reached = tuple(scheme.dimensions[i].name for i in hit)
        return grade, star_for_dimension_count(len(hit)), reached
    return grade, star_for(final, grade, scheme), ()


def _rectify(grade: str | None, star: str, org: OrgInput, scheme: Scheme) -> tuple[str, ...]:
    reasons = []
    if scheme.grades and grade == scheme.lowest_grade:
        reasons.append(f"等次为{grade}")
    elif not scheme.grades and star == STARS[-1]:
        reasons.append("未定星")
    if org.satisfaction is not None and scheme.satisfaction_min is not None and org.satisfaction < scheme.satisfaction_min:
        reasons.append(f"满意率{percent_text(org.satisfaction)}低于{percent_text(scheme.satisfaction_min)}")
    return tuple(reasons)


def rate_organizations(scheme: Scheme, orgs: Sequence[OrgInput]) -> Rating:
    """The whole 定星 of DOMAIN.md for one committee's organizations.

    Per organization the rules are called as the UDFs call them; results that
    depend only on a few values (grade and star by final score, movement by the
    pair of stars) are remembered, since a committee's thousands of
    organizations share a few thousand distinct scores.
    """
    standings: list[Standing] = []
    bases: list[tuple[str, tuple[str, ...]]] = []
    by_final: dict[Decimal, tuple[str | None, str]] = {}
    tie_names = [e.name for e in scheme.tie_break]
    by_dimensions = scheme.star_mode == STAR_BY_DIMENSIONS
    finals = final_scores({e.name: [o.scores[e.name] for o in orgs] for e in scheme.evaluators}, scheme.evaluators, scheme)
    for org, final in zip(orgs, finals):
        scores = org.scores
        if by_dimensions:
            grade, star, reached = _base(org, final, scheme)
        else:
            hit = by_final.get(final)
            if hit is None:
                hit = by_final[final] = _base(org, final, scheme)[:2]
            (grade, star), reached = hit, ()
        bases.append((star, reached))
        tie = tuple([scores[n] for n in tie_names])
        standings.append(Standing(org.name, final, tie, grade, star, list(org.notes)))

    apply_bottom_floor(standings, scheme)
    for org, s in zip(orgs, standings):
        if s.star == PENDING or not org.vetoes:
            continue
        capped, lowered = veto_cap(s.star, org.vetoes, scheme)
        if lowered:
            names = "、".join(v.name for v in lowered)
            s.notes.append(f"存在否决事项（{names}），星级最高为{capped}，由{s.star}调整为{capped}")
            s.star = capped
    apply_five_star_cap(standings, scheme)

    approving = {star: scheme.approving_body(star) for star in STARS}
    honor = {star: honor_eligible(star, scheme) for star in (*STARS, PENDING)}
    moves: dict[tuple[str, str | None], str] = {}
    plain_rectify: dict[tuple[str | None, str], tuple[str, ...]] = {}
    results = []
    for org, s, (star0, reached) in zip(orgs, standings, bases):
        star = s.star
        move_key = (star, org.last_star)
        move = moves.get(move_key)
        if move is None:
            move = moves[move_key] = movement(star, org.last_star)
        if org.satisfaction is None:  # rectification then depends on grade and star alone
            rectify = plain_rectify.get((s.grade, star))
            if rectify is None:
                rectify = plain_rectify[(s.grade, star)] = _rectify(s.grade, star, org, scheme)
        else:
            rectify = _rectify(s.grade, star, org, scheme)
        results.append(
            OrgResult(org.name, s.final, s.grade, star0, star, tuple(s.notes), approving.get(star, ""), move, honor[star], reached, rectify)
        )
    stars = [r.star for r in results]
    counts = {star: stars.count(star) for star in (*STARS, PENDING)}
    return Rating(
        results=tuple(results),
        distribution=tuple(distribution_report(stars, scheme)),
        upgrades=tuple(upgrade_report([(o.last_star, star) for o, star in zip(orgs, stars)], scheme)),
        counts=counts,
    )
