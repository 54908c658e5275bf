"""Which organization a column header (or a tally row) names: the longest name it contains."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .answers import normalize


@dataclass(frozen=True)
class Match:
    name: str | None  # the organization, or None
    rivals: tuple[str, ...] = ()  # names it could equally be: ambiguous when not empty


class OrgNames:
    def __init__(self, names: Iterable[str]) -> None:
        self._names = {normalize(n): n for n in names if normalize(n)}

    def match(self, header: object) -> Match:
        """The longest name inside the header; another contained name that is not part of it makes it ambiguous."""
        text = normalize(header)
        inside = [n for n in self._names if n in text]
        if not inside:
            return Match(None)
        best = max(inside, key=len)
        rivals = tuple(self._names[n] for n in inside if n != best and n not in best)
        return Match(self._names[best], rivals)
