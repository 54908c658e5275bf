"""A ballot's answer → one of the scheme's vote options, by text, prefix letter or number."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..grid import Value

# "A.好", "A、好", "1. 好", "(A)好": a choice letter or number before the option text
# (after normalize: full-width marks are plain and blanks are gone)
_PREFIXED = re.compile(r"^\(?([A-Za-z]|\d+)\)?([.、:]?)(.+)$")


def normalize(value: Value) -> str:
    """Full-width letters and digits made plain, blanks removed, 1.0 read as 1."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split())


@dataclass(frozen=True)
class AnswerKey:
    options: tuple[str, ...]  # the vote options (参数 测评计分), e.g. 好 较好 一般 较差
    codes: dict[str, str]  # 参数 测评答案对应: "A" → "好", "1" → "好" (upper-cased keys)

    def option(self, value: Value) -> str | None:
        """The option an answer means, or None when it fits none (never a guess)."""
        text = normalize(value)
        if text in self.options:
            return text
        if text.upper() in self.codes:
            return self.codes[text.upper()]
        m = _PREFIXED.match(text)
        # "10" is not "1" and "0", and "3.5" (a number, typed or exported) is not choice 3 of "5"
        if m and (m.group(2) or not m.group(3)[0].isascii()) and not m.group(3).isdigit():
            code, rest = m.group(1).upper(), m.group(3)
            if rest in self.options:  # the text says it; the letter is only its position
                return rest
            return self.codes.get(code)
        return None
