"""Scores: item sums, dimension caps, vote scores, turnout and weighted totals.

Every value the workbook shows is rounded before the next step uses it, so a
hand check with a calculator agrees with starbook (DOMAIN.md, Reading: rounding).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat
from operator import add

from ..numbers import ceil_count, quantize, quantizer
from ..scheme import Evaluator, Scheme


def dimension_subtotal(item_scores: Iterable[Decimal], points: Decimal, scheme: Scheme) -> Decimal:
    """Sum of a dimension's items, never above the dimension's points."""
    return quantize(min(sum(item_scores, Decimal(0)), points), scheme.decimals, scheme.rounding)


def evaluator_total(subtotals: Iterable[Decimal], scheme: Scheme) -> Decimal:
    return quantize(sum(subtotals, Decimal(0)), scheme.decimals, scheme.rounding)


def shown(value: Decimal, scheme: Scheme) -> Decimal:
    """A typed score as the cadre sees it in a two-decimal cell."""
    return quantize(value, scheme.decimals, scheme.rounding)


@dataclass(frozen=True)
class Turnout:
    roll: int
    voted: int
    required: int

    @property
    def ok(self) -> bool:
        return self.voted >= self.required


def required_turnout(roll: int, scheme: Scheme, evaluator: Evaluator | None = None) -> int:
    """≥30% of the roll, everyone when fewer than 20 are on it (张纪镇/盖德乡); an
    evaluator may have its own share (五级五评: 党员 100%, 群众 10%)."""
    if roll < scheme.full_roll_below:
        return roll
    share = scheme.turnout_min if evaluator is None else evaluator.required_share(scheme)
    return ceil_count(share, roll)


def vote_score(counts: Mapping[str, int], scheme: Scheme) -> Decimal:
    """100×好票率 + 60×较好票率 + 30×一般票率 + 10×较差票率, on valid ballots."""
    valid = sum(counts.get(name, 0) for name, _ in scheme.vote_options)
    if valid <= 0:
        raise ValueError("no valid ballots")
    points = sum((p * counts.get(name, 0) for name, p in scheme.vote_options), Decimal(0))
    return quantize(points / valid, scheme.decimals, scheme.rounding)


def satisfaction(counts: Mapping[str, int], scheme: Scheme) -> Decimal:
    """Share of valid ballots for the satisfied options, as a fraction (4 decimals)."""
    valid = sum(counts.get(name, 0) for name, _ in scheme.vote_options)
    happy = sum(counts.get(name, 0) for name in scheme.satisfied_options)
    return quantize(Decimal(happy) / valid, 4, scheme.rounding)


def final_score(scores: Mapping[str, Decimal], evaluators: Sequence[Evaluator], scheme: Scheme) -> Decimal:
    """Σ weight × evaluator score, rounded like every shown score."""
    return final_scores({e.name: [scores[e.name]] for e in evaluators}, evaluators, scheme)[0]


def final_scores(columns: Mapping[str, Sequence[Decimal]], evaluators: Sequence[Evaluator], scheme: Scheme) -> list[Decimal]:
    """final_score for whole columns at once (one list per evaluator), in exact decimals.

    The per-organization arithmetic runs inside Decimal's own methods, which is
    what lets a 100,000-organization 汇总表 rate in seconds.
    """
    totals: list[Decimal] | None = None
    for e in evaluators:
        weighted = map(e.weight.__mul__, columns[e.name])
        totals = list(weighted) if totals is None else list(map(add, totals, weighted))
    if totals is None:
        return []
    exponent, mode = quantizer(scheme.decimals, scheme.rounding)
    return list(map(Decimal.quantize, totals, repeat(exponent), repeat(mode)))
