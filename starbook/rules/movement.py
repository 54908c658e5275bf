"""Year-on-year movement (晋位升级), approving bodies and the reported targets."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..numbers import percent_text, quantize
from ..scheme import PENDING, STARS, Scheme, star_rank


def movement(star: str, last_star: str | None) -> str:
    """升N级 / 持平 / 降N级; empty without last year's star or while 待定."""
    if not last_star or star == PENDING:
        return ""
    delta = star_rank(star) - star_rank(last_star)
    if delta > 0:
        return f"升{delta}级"
    if delta < 0:
        return f"降{-delta}级"
    return "持平"


def honor_eligible(star: str, scheme: Scheme) -> str:
    """“三星级以下不得评为各类先进”: 是/否, empty when the scheme has no such rule."""
    if scheme.honor_min_star is None or star == PENDING:
        return ""
    return "是" if star_rank(star) >= star_rank(scheme.honor_min_star) else "否"


@dataclass(frozen=True)
class TargetReport:
    label: str
    requirement: str
    count: int
    base: int
    met: bool

    @property
    def ratio_text(self) -> str:
        if not self.base:
            return "—"
        return percent_text(quantize(Decimal(self.count) / self.base, 4, "四舍五入"))


def distribution_report(stars: Sequence[str], scheme: Scheme) -> list[TargetReport]:
    """Share of each star group against the scheme's targets (黔南's document sets some); reported, not enforced."""
    base = len(stars)
    tally = Counter(stars)
    out = []
    for t in scheme.distribution_targets:
        count = sum(n for star, n in tally.items() if star in t.stars)
        share = Decimal(count) / base if base else Decimal(0)
        met = share >= t.ratio if t.at_least else share <= t.ratio
        word = "不低于" if t.at_least else "不高于"
        out.append(TargetReport(t.label, f"{word}{percent_text(t.ratio)}", count, base, bool(base) and met))
    return out


def upgrade_report(pairs: Sequence[tuple[str | None, str]], scheme: Scheme) -> list[TargetReport]:
    """Of last year's group (较好, 一般, 较差), the share that moved up (the one-time 晋位升级 goal, off by default)."""
    out = []
    tally = Counter(pairs)
    for t in scheme.upgrade_targets:
        group = {pair: n for pair, n in tally.items() if pair[0] in t.stars}
        moved = sum(n for (last, now), n in group.items() if now in STARS and star_rank(now) > star_rank(last))
        size = sum(group.values())
        share = Decimal(moved) / size if size else Decimal(0)
        out.append(
            TargetReport(
                f"上年{t.label}（{'、'.join(t.stars)}）晋位升级",
                f"不低于{percent_text(t.ratio)}",
                moved,
                size,
                bool(size) and share >= t.ratio,
            )
        )
    return out
