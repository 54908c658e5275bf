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
from .scoring import final_score


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
    """The whole 定星 of DOMAIN.md for one committee's organizations."""
    standings: list[Standing] = []
    bases: list[tuple[str | None, str, tuple[str, ...]]] = []
    for org in orgs:
        final = final_score(org.scores, scheme.evaluators, scheme)
        grade, star, reached = _base(org, final, scheme)
        bases.append((grade, star, reached))
        tie = tuple(org.scores[e.name] for e in scheme.tie_break)
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

    results = []
    for org, s, (_, star0, reached) in zip(orgs, standings, bases):
        results.append(
            OrgResult(
                name=org.name,
                final=s.final,
                grade=s.grade,
                base_star=star0,
                star=s.star,
                notes=tuple(s.notes),
                approving=scheme.approving_body(s.star) if s.star != PENDING else "",
                movement=movement(s.star, org.last_star),
                honor=honor_eligible(s.star, scheme),
                reached=reached,
                rectify=_rectify(s.grade, s.star, org, scheme),
            )
        )
    stars = [r.star for r in results]
    counts = {star: stars.count(star) for star in (*STARS, PENDING)}
    return Rating(
        results=tuple(results),
        distribution=tuple(distribution_report(stars, scheme)),
        upgrades=tuple(upgrade_report([(o.last_star, r.star) for o, r in zip(orgs, results)], scheme)),
        counts=counts,
    )
