"""The scheme in force: every rule the documents fix, and every reading they leave open.

A ``Scheme`` is what the 参数 sheet says. Presets (``starbook/presets/*.toml``) are
only the starting values written into a new workbook; rating always reads the
workbook's own 参数 sheet, because the workbook is the system of record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

STARS: tuple[str, ...] = ("五星级", "四星级", "三星级", "二星级", "一星级", "无星")
PENDING = "待定"

METHOD_ITEMS = "逐项评分"
METHOD_VOTE = "票决"
METHOD_DIRECT = "直接录入"
METHODS = (METHOD_ITEMS, METHOD_VOTE, METHOD_DIRECT)

STAR_BY_SCORE = "按分数"
STAR_BY_DIMENSIONS = "按维度达标"
STAR_MODES = (STAR_BY_SCORE, STAR_BY_DIMENSIONS)

BASE_ALL = "所辖党组织总数"
BASE_TOP_GRADE = "最高等次党组织数"
CAP_BASES = (BASE_ALL, BASE_TOP_GRADE)

ROUND_HALF_UP = "四舍五入"
ROUND_HALF_EVEN = "四舍六入五成双"
ROUNDINGS = (ROUND_HALF_UP, ROUND_HALF_EVEN)

TURNOUT_WARN = "提示"
TURNOUT_ERROR = "报错"
TURNOUT_ACTIONS = (TURNOUT_WARN, TURNOUT_ERROR)

# Who fills an evaluator's part (DOMAIN.md "who does what"): a branch's own workbook
# (支部填报) must hold the branch's parts; the committee's parts are not due there, and a
# ballot is filled by whoever ran it. Not a rule of the rating: outside equality and digests.
FILLED_BY_BRANCH = "支部"
FILLED_BY_COMMITTEE = "党委"
FILLED_BY_EITHER = "支部或党委"
FILLERS = (FILLED_BY_BRANCH, FILLED_BY_COMMITTEE, FILLED_BY_EITHER)


_RANK = {star: len(STARS) - 1 - i for i, star in enumerate(STARS)}


def star_rank(star: str) -> int:
    """5 for 五星级 … 0 for 无星; higher is better."""
    return _RANK[star]


def star_of_rank(rank: int) -> str:
    return STARS[len(STARS) - 1 - rank]


@dataclass(frozen=True)
class Evaluator:
    name: str
    weight: Decimal
    method: str
    tie_order: int | None = None  # 平局比较顺序: 1 is compared first
    turnout_min: Decimal | None = None  # this vote's own 参与率下限; None: the scheme's
    # 填写方: who fills this part (FILLERS); "" (a book without the column) counts as the branch's
    filled_by: str = field(default="", compare=False, metadata={"digest": False})

    @property
    def due_in_branch_book(self) -> bool:
        """Whether a 支部填报 workbook must hold this part (else it waits for the committee)."""
        return self.filled_by in ("", FILLED_BY_BRANCH)

    def required_share(self, scheme: "Scheme") -> Decimal:
        """The share of the roll that must vote for this evaluator."""
        return scheme.turnout_min if self.turnout_min is None else self.turnout_min

    @property
    def column(self) -> str:
        """The 汇总表 column title, as CONTRACT.md fixes it."""
        return f"{self.name}得分"


@dataclass(frozen=True)
class Grade:
    name: str
    min_score: Decimal


@dataclass(frozen=True)
class StarRule:
    star: str
    min_score: Decimal
    grade: str | None = None  # the star is only reachable with this grade


@dataclass(frozen=True)
class Veto:
    name: str
    max_star: str
    code: str = ""  # the short form a cadre may type or pick instead of the name (参数 “代码”)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every text that names this veto in a cell: its name and its code."""
        return (self.name, self.code) if self.code and self.code != self.name else (self.name,)


# Several vetoes in one cell are separated by "；" (or ";" or a new line). A listed
# name may itself hold "、" or "，" (三档星级: "参加率100%、完成重点任务"), so a cell is
# read by matching listed names and codes first, longest first; "、" and "，" still
# separate vetoes whose names do not contain them, as older workbooks wrote.
VETO_SEPARATOR = "；"
VETO_SEPARATORS = ("；", ";", "\n")
_WEAK_SEPARATORS = "、，,"
NO_VETO_WORDS = ("无", "否")


def veto_rule(example: str = "") -> str:
    """The rule for typing vetoes, as the veto cells' input message and the fixes state it."""
    code = f"（如 {example}）" if example else ""
    return f"多个否决事项用“；”分隔，每项填参数表“否决事项”表中的代码{code}或全称，也可从下拉列表选一项"


def _starts_with_whole(text: str, label: str) -> bool:
    """`text` begins with `label` as a whole item: "五星标准1" does not begin "五星标准10"."""
    if not text.startswith(label):
        return False
    after = text[len(label):len(label) + 1]
    return not after or after in _WEAK_SEPARATORS or after.isspace()


def join_vetoes(names) -> str:
    """The text of a 否决事项 cell holding these vetoes; split_vetoes reads it back."""
    return VETO_SEPARATOR.join(names)


def split_vetoes(raw: str, vetoes) -> tuple[tuple[str, ...], list[str]]:
    """The listed vetoes a cell names (by name or code) and the pieces that match none."""
    by_label = {label: v.name for v in vetoes for label in v.labels}
    labels = sorted(by_label, key=len, reverse=True)
    hits: list[str] = []
    unknown: list[str] = []
    for part in re.split("|".join(map(re.escape, VETO_SEPARATORS)), raw):
        rest = part.strip()
        while rest:
            found = next((label for label in labels if _starts_with_whole(rest, label)), None)
            if found is None:
                cut = min((i for i in (rest.find(ch) for ch in _WEAK_SEPARATORS) if i >= 0), default=len(rest))
                piece, rest = rest[:cut].strip(), rest[cut:]
                if piece and piece not in NO_VETO_WORDS:
                    unknown.append(piece)
            else:
                name = by_label[found]
                if name not in hits:
                    hits.append(name)
                rest = rest[len(found):]
            rest = rest.lstrip(_WEAK_SEPARATORS).strip()
    return tuple(hits), unknown


@dataclass(frozen=True)
class StarClass:
    """One word of a scheme's input class and the stars it allows (服务型五星: the branch's
    earlier 晋位升级 result, “‘先进’的可分为五星级、四星级和三星级”): an input, not a band of the score."""

    name: str
    stars: tuple[str, ...]

    @property
    def rule(self) -> str:
        return f"可定{'、'.join(self.stars)}"


def class_fix(scheme: "Scheme") -> str:
    """How to fill the scheme's input class (晋位升级等次), naming the allowed words."""
    words = "、".join(c.name for c in scheme.star_classes)
    return f"请填写{words}之一（参数表“{scheme.class_input}”表），没有请留空"


@dataclass(frozen=True)
class DistributionTarget:
    label: str
    stars: tuple[str, ...]
    at_least: bool  # True: ≥ ratio; False: ≤ ratio
    ratio: Decimal


@dataclass(frozen=True)
class UpgradeTarget:
    label: str  # the group's name, e.g. 较好
    stars: tuple[str, ...]  # last year's stars forming the group
    ratio: Decimal


@dataclass(frozen=True)
class Item:
    content: str
    standard: str
    points: Decimal


@dataclass(frozen=True)
class Dimension:
    name: str
    points: Decimal
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Scheme:
    preset: str
    preset_id: str
    evaluators: tuple[Evaluator, ...]
    grades: tuple[Grade, ...]
    star_mode: str
    star_rules: tuple[StarRule, ...]
    vote_options: tuple[tuple[str, Decimal], ...]
    approving: tuple[tuple[str, str], ...]
    vetoes: tuple[Veto, ...] = ()
    decimals: int = 2
    rounding: str = ROUND_HALF_UP
    five_star_cap: Decimal | None = None
    five_star_base: str = BASE_TOP_GRADE  # “从中确定出五星级党组织”: of those graded 好
    cap_fallback_star: str = "四星级"
    bottom_grade: str | None = None
    bottom_floor: Decimal | None = None
    turnout_min: Decimal = Decimal("0.30")
    full_roll_below: int = 20
    turnout_action: str = TURNOUT_WARN
    satisfied_options: tuple[str, ...] = ("好", "较好")
    satisfaction_min: Decimal | None = None  # the 80% poll follows rectification: not the annual ballot
    honor_min_star: str | None = None
    dimension_pass_ratio: Decimal | None = None
    distribution_targets: tuple[DistributionTarget, ...] = ()
    upgrade_targets: tuple[UpgradeTarget, ...] = ()
    dimensions: tuple[Dimension, ...] = field(default=(), compare=False)
    # An input that bounds the star (参数 table “<class_input> | 可定星级”); none by default.
    # Left out of the digests' scheme text while unset, so books without one keep their digests.
    class_input: str = field(default="", metadata={"digest": "when set"})
    star_classes: tuple[StarClass, ...] = field(default=(), metadata={"digest": "when set"})

    @cached_property
    def grades_by_score(self) -> tuple[Grade, ...]:
        """Best grade first, for lookups by threshold."""
        return tuple(sorted(self.grades, key=lambda g: g.min_score, reverse=True))

    @cached_property
    def star_rules_by_rank(self) -> tuple[StarRule, ...]:
        """Best star first, and within a star the highest threshold first."""
        return tuple(sorted(self.star_rules, key=lambda r: (star_rank(r.star), r.min_score), reverse=True))

    def evaluator(self, name: str) -> Evaluator:
        for e in self.evaluators:
            if e.name == name:
                return e
        raise KeyError(name)

    @cached_property
    def tie_break(self) -> tuple[Evaluator, ...]:
        ordered = [e for e in self.evaluators if e.tie_order is not None]
        return tuple(sorted(ordered, key=lambda e: e.tie_order))

    @cached_property
    def lowest_grade(self) -> str | None:
        return min(self.grades, key=lambda g: g.min_score).name if self.grades else None

    @cached_property
    def top_grade(self) -> str | None:
        return max(self.grades, key=lambda g: g.min_score).name if self.grades else None

    @cached_property
    def _approving_map(self) -> dict[str, str]:
        return dict(self.approving)

    def approving_body(self, star: str) -> str:
        return self._approving_map.get(star, "")

    @cached_property
    def star_class_map(self) -> dict[str, StarClass]:
        """The input class's words → their star ranges; empty when the scheme has no such input."""
        return {c.name: c for c in self.star_classes} if self.class_input else {}
