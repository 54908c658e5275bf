"""The presets of DOMAIN.md, read from the TOML files beside this module."""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from decimal import Decimal

from .numbers import parse_percent, to_decimal
from .scheme import (
    Dimension,
    DistributionTarget,
    Evaluator,
    Grade,
    Item,
    Scheme,
    StarClass,
    StarRule,
    UpgradeTarget,
    Veto,
)

PRESET_DIR = Path(__file__).with_name("presets")
ORDER = ("fenlei", "qiannan", "wujiwuping", "fuwuxing", "sandang", "wuxing")


@lru_cache(maxsize=None)
def _raw(preset_id: str) -> dict[str, Any]:
    common = tomllib.loads((PRESET_DIR / "_common.toml").read_text("utf-8"))
    own = tomllib.loads((PRESET_DIR / f"{preset_id}.toml").read_text("utf-8"))
    return {**common, **own}


def _opt_percent(value: Any) -> Decimal | None:
    return None if value in (None, "") else parse_percent(value)


def _evaluator(filled_by: dict[str, str], name: str, weight: Any, method: str, tie: Any, turnout: Any = "") -> Evaluator:
    return Evaluator(name, parse_percent(weight), method, int(tie) if tie != "" else None, _opt_percent(turnout), filled_by.get(name, ""))


def _star_list(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split("、") if s.strip())


def scheme_from_data(data: dict[str, Any]) -> Scheme:
    """A Scheme from a preset's plain data (TOML shape)."""
    return Scheme(
        preset=data["name"],
        preset_id=data["id"],
        evaluators=tuple(_evaluator(data.get("filled_by", {}), *row) for row in data["evaluators"]),
        grades=tuple(Grade(n, to_decimal(m)) for n, m in data["grades"]),
        star_mode=data["star_mode"],
        star_rules=tuple(StarRule(s, to_decimal(m), g or None) for s, m, g in data["stars"]),
        vote_options=tuple((n, to_decimal(p)) for n, p in data["vote_options"]),
        approving=tuple((s, b) for s, b in data["approving"]),
        vetoes=tuple(Veto(*v) for v in data["vetoes"]),  # [name, max_star] or [name, max_star, code]
        decimals=int(data["decimals"]),
        rounding=data["rounding"],
        five_star_cap=_opt_percent(data.get("five_star_cap")),
        five_star_base=data["five_star_base"],
        cap_fallback_star=data["cap_fallback_star"],
        bottom_grade=(min(data["grades"], key=lambda g: g[1])[0] if data.get("bottom_floor") else None),
        bottom_floor=_opt_percent(data.get("bottom_floor")),
        turnout_min=parse_percent(data["turnout_min"]),
        full_roll_below=int(data["full_roll_below"]),
        turnout_action=data["turnout_action"],
        satisfied_options=tuple(data["satisfied_options"]),
        satisfaction_min=_opt_percent(data.get("satisfaction_min")),
        honor_min_star=data.get("honor_min_star") or None,
        dimension_pass_ratio=_opt_percent(data.get("dimension_pass_ratio")),
        distribution_targets=tuple(
            DistributionTarget(label, tuple(stars), op == "不低于", parse_percent(r))
            for label, stars, op, r in data["distribution_targets"]
        ),
        upgrade_targets=tuple(
            UpgradeTarget(label, tuple(stars), parse_percent(r)) for label, stars, r in data["upgrade_targets"]
        ),
        class_input=data["class_input"],
        star_classes=tuple(StarClass(name, _star_list(stars)) for name, stars in data["class_stars"]),
        dimensions=tuple(
            Dimension(
                d["name"],
                to_decimal(d["points"]),
                tuple(Item(c, s, to_decimal(p)) for c, s, p in d["items"]),
            )
            for d in data.get("dimensions", [])
        ),
    )


@lru_cache(maxsize=None)
def preset(preset_id: str) -> Scheme:
    return scheme_from_data(_raw(preset_id))


def preset_title(preset_id: str) -> str:
    return _raw(preset_id)["title"]


def preset_source(preset_id: str) -> str:
    return _raw(preset_id)["source"]


def preset_basis(preset_id: str) -> list[tuple[str, str]]:
    """(项目, 依据或解读) pairs: the document's words behind each default, and each reading."""
    raw = _raw(preset_id)
    return [(what, why) for what, why in (*raw["basis"], *raw["common_basis"])]


def all_presets() -> list[Scheme]:
    return [preset(i) for i in ORDER]


def find_preset(name: str) -> Scheme | None:
    """By Chinese name or ASCII id, as CONTRACT.md promises."""
    key = name.strip()
    for scheme in all_presets():
        if key in (scheme.preset, scheme.preset_id) or key.lower() == scheme.preset_id:
            return scheme
    return None
