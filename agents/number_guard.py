"""The LLM number guard: a phrased reply may only contain numbers the tools computed.

:class:`Allowed` collects the numbers of tool results, the question and the dates asked;
:func:`numbers_supported` lists the numbers of a reply that none of them supports, to
the decimals shown ("$48,210.90" is not 48,210.55; "7%" is 6.89%).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])[-−]?\$?€?£?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(%|k|m|bn|x)?(?![\w])",
                     re.IGNORECASE)
_SCALE = {"k": 1e3, "m": 1e6, "bn": 1e9}


@dataclass
class Allowed:
    """Numbers a reply may contain: from tool results, the question, and the dates asked."""

    values: set[float] = field(default_factory=set)

    def add(self, value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float) or hasattr(value, "as_tuple"):
            number = float(value)
            self.values.update({number, abs(number), number * 100, abs(number) * 100})
        elif isinstance(value, str):
            for match in _NUMBER.finditer(value):
                self.values.add(abs(_to_float(match)))
            for part in re.findall(r"\d+", value):
                self.values.add(float(part))
        elif isinstance(value, dict):
            for item in value.values():
                self.add(item)
        elif isinstance(value, list | tuple):
            for item in value:
                self.add(item)


def _to_float(match: re.Match[str]) -> float:
    number = float((match.group(1) + (match.group(2) or "")).replace(",", ""))
    suffix = (match.group(3) or "").lower()
    return number * _SCALE.get(suffix, 1.0)


def numbers_supported(text: str, allowed: Allowed) -> list[str]:
    """The numbers in ``text`` that no tool result supports (empty when the text is clean).

    A number is supported when some allowed value, rounded to the decimals shown (and
    scaled by k/M/bn or as a percentage), equals it.
    """
    unsupported = []
    for match in _NUMBER.finditer(text):
        shown = abs(_to_float(match))
        decimals = len(match.group(2) or ".")-1
        tolerance = 0.5 * 10 ** -decimals * _SCALE.get((match.group(3) or "").lower(), 1.0) + 1e-9
        if not any(abs(shown - a) <= tolerance for a in allowed.values):
            unsupported.append(match.group(0).strip())
    return unsupported
