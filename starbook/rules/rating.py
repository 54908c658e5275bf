"""Rate every organization of a book: scores → grade → star → vetoes → quotas."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import ne
from decimal import Decimal

from ..memo import Memo
from ..numbers import percent_text
from ..scheme import PENDING, STAR_BY_DIMENSIONS, STARS, Scheme
from .grading import class_bound, dimensions_reached, grade_for, star_for, star_for_dimension_count, veto_cap
from .movement import TargetReport, distribution_report, honor_eligible, movement, upgrade_report
from .quotas import Standings, apply_bottom_floor, apply_five_star_cap
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
    star_class: str | None = None  # the scheme's input class (服务型五星: 晋位升级等次), bounding the star


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


RESULT_FIELDS = tuple(OrgResult.__dataclass_fields__)


@dataclass(frozen=True)
class Rating:
    """The results of one rating, kept column by column (OrgResult field → one value
    per organization, in input order); `results` gives them as objects on demand."""

    columns: Mapping[str, Sequence]
    distribution: tuple[TargetReport, ...]
    upgrades: tuple[TargetReport, ...]
    counts: Mapping[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns["name"])

    def column(self, name: str) -> Sequence:
        return self.columns[name]

    @cached_property
    def results(self) -> tuple[OrgResult, ...]:
        return tuple(map(OrgResult, *(self.columns[f] for f in RESULT_FIELDS)))

    @property
    def changed(self) -> int:
        """How many organizations the quotas and vetoes moved from their first star."""
        return sum(map(ne, self.columns["base_star"], self.columns["star"]))


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


def apply_star_classes(st: Standings, orgs: Sequence[OrgInput], scheme: Scheme) -> None:
    """Each organization's input class bounds its score-based star (服务型五星: 先进 → 五/四/三星级,
    一般 → 二/一星级, 后进 → 无星); a star outside the range moves to the nearest allowed one.
    A blank class bounds nothing (ratebook gives the 提示); applied before vetoes and quotas."""
    classes = scheme.star_class_map
    if not classes:
        return
    for i, org in enumerate(orgs):
        allowed = classes.get(org.star_class or "")
        if allowed is None:
            continue
        star = st.stars[i]
        bounded = class_bound(star, allowed)
        if bounded != star:
            st.note(i, f"{scheme.class_input}为“{allowed.name}”（{allowed.rule}），由{star}调整为{bounded}")
            st.stars[i] = bounded


def rate_organizations(scheme: Scheme, orgs: Sequence[OrgInput]) -> Rating:
    """The whole 定星 of DOMAIN.md for one committee's organizations.

    Works column by column: the rules are the functions the UDFs call, applied
    through Memo to each distinct value (a committee's organizations share a few
    thousand scores and a handful of star pairs). Only the quotas look at
    organizations one by one, through the Standings they may change.
    """
    names = [o.name for o in orgs]
    columns = {e.name: [o.scores[e.name] for o in orgs] for e in scheme.evaluators}
    finals = final_scores(columns, scheme.evaluators, scheme)
    if scheme.star_mode == STAR_BY_DIMENSIONS:
        bases = [_base(o, f, scheme) for o, f in zip(orgs, finals)]
        grades, stars0, reached = (list(c) for c in zip(*bases)) if bases else ([], [], [])
    else:
        by_final = Memo(lambda f: _base(_NO_ORG, f, scheme)[:2])
        grades, stars0 = (list(c) for c in zip(*map(by_final.__getitem__, finals))) if orgs else ([], [])
        reached = [()] * len(orgs)
    ties = list(zip(*[columns[e.name] for e in scheme.tie_break])) if scheme.tie_break else [()] * len(orgs)
    st = Standings(names, finals, ties, grades, list(stars0), {i: list(o.notes) for i, o in enumerate(orgs) if o.notes})  # stars0 stays as it was

    apply_star_classes(st, orgs, scheme)
    apply_bottom_floor(st, scheme)
    for i, org in enumerate(orgs):
        if not org.vetoes or st.stars[i] == PENDING:
            continue
        capped, lowered = veto_cap(st.stars[i], org.vetoes, scheme)
        if lowered:
            names_lowered = "、".join(v.name for v in lowered)
            st.note(i, f"存在否决事项（{names_lowered}），星级最高为{capped}，由{st.stars[i]}调整为{capped}")
            st.stars[i] = capped
    apply_five_star_cap(st, scheme)

    stars, grades = st.stars, st.grades
    lasts = [o.last_star for o in orgs]
    approving = {star: scheme.approving_body(star) for star in STARS}
    honor = {star: honor_eligible(star, scheme) for star in (*STARS, PENDING)}
    moves = list(map(Memo(lambda pair: movement(*pair)).__getitem__, zip(stars, lasts)))
    plain = Memo(lambda pair: _rectify(pair[0], pair[1], _NO_ORG, scheme))  # without a satisfaction rate
    rectify = [
        plain[(g, star)] if o.satisfaction is None else _rectify(g, star, o, scheme) for o, g, star in zip(orgs, grades, stars)
    ]
    n = len(orgs)
    columns = {
        "name": names,
        "final": finals,
        "grade": grades,
        "base_star": stars0,
        "star": stars,
        "notes": [tuple(st.notes[i]) if i in st.notes else () for i in range(n)],
        "approving": [approving.get(star, "") for star in stars],
        "movement": moves,
        "honor": [honor[star] for star in stars],
        "reached": reached,
        "rectify": rectify,
    }
    assert tuple(columns) == RESULT_FIELDS
    counts = {star: stars.count(star) for star in (*STARS, PENDING)}
    return Rating(
        columns=columns,
        distribution=tuple(distribution_report(stars, scheme)),
        upgrades=tuple(upgrade_report(list(zip(lasts, stars)), scheme)),
        counts=counts,
    )


_NO_ORG = OrgInput("", {})  # for rules that do not depend on the organization in the mode used
