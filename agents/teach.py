"""What admins teach Tally, and picking one of the readings Tally offered.

Three small jobs of the brain that the runtime calls:

- :func:`apply_synonyms` rewrites a question with the workspace's synonyms before it is
  parsed ("takings yesterday" → "revenue yesterday"): whole words, any case, the
  longest phrase first, in one pass (a meaning is never rewritten again).
- :func:`read_meaning` checks what a synonym would stand for before it is stored: a
  metric, a value of the workspace's data, or a period; anything else is refused.
- :func:`picked_choice` reads "2", "#2" or "the second one" typed right after a reply
  that offered choices.
- :func:`unknown_words` names the words of a question Tally does not understand (today,
  with what it has been taught), for ``tally unanswered``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from agents.parser import ParseContext, Parsed, Unanswerable, parse
from storage.catalog import Query

#: Metrics per vertical that the probes of :func:`read_meaning` hang a value or period on
#: (between them they reach every dimension of the vertical).
PROBE_METRICS = {"shop": ("orders", "units sold"), "saas": ("mrr", "customers"),
                 "marketing": ("ad spend", "sessions"), "ops": ("on hand",), "betting": ("bets",)}
_ORDINALS = {"1": 1, "one": 1, "first": 1, "1st": 1, "2": 2, "two": 2, "second": 2, "2nd": 2,
             "3": 3, "three": 3, "third": 3, "3rd": 3, "4": 4, "four": 4, "fourth": 4, "4th": 4,
             "5": 5, "five": 5, "fifth": 5, "5th": 5}
_PICK = re.compile(
    r"^(?:(?:i\s+meant?|i'?d\s+like|i\s+want|go\s+with|pick|take|choose|let'?s\s+(?:go|do))\s+)?"
    r"(?:(?:the|number|no\.?|option|choice|#)\s*)?(?P<which>\w+|last)(?:\s+(?:one|option|choice))?"
    r"(?:\s*,?\s*(?:please|pls|thanks))?$")


def apply_synonyms(text: str, synonyms: Mapping[str, str]) -> str:
    """``text`` with every taught phrase replaced by its meaning (whole words, any case)."""
    if not synonyms or not text:
        return text
    pattern, meanings = _compiled(tuple(sorted(synonyms.items())))
    return pattern.sub(lambda match: meanings[" ".join(match.group(0).lower().split())], text)


@lru_cache(maxsize=256)
def _compiled(items: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    # Longest first, so "net takings" wins over "takings"; \s+ between words of a phrase.
    phrases = sorted((phrase for phrase, _ in items), key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in phrases)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), dict(items)


def picked_choice(text: str, choices: Sequence[str]) -> str | None:
    """The choice a short reply picks ("2", "#2", "the second one", "last"), or None."""
    if not choices:
        return None
    match = _PICK.match(" ".join(text.lower().strip(" .!?").split()))
    if match is None:
        return None
    which = match.group("which")
    number = len(choices) if which == "last" else _ORDINALS.get(which)
    if number is None or not 1 <= number <= len(choices):
        return None
    return choices[number - 1]


@dataclass(frozen=True)
class Meaning:
    """What a synonym stands for, once understood.

    Attributes:
        kind: ``metric``, ``value`` or ``period``.
        text: the words the synonym is replaced with (the meaning as said, article off).
        reading: how Tally reads them, for the confirmation ("revenue", "location = Store").
    """

    kind: str
    text: str
    reading: str


def read_meaning(meaning: str, ctx: ParseContext) -> Meaning | None:
    """What ``meaning`` is on this workspace: a metric, a value, a period; None if none.

    A metric is words that parse on their own to a metric and nothing else; a value
    or a period is words that, after a metric of one of the workspace's verticals,
    add exactly one filter or exactly a period.
    """
    text = re.sub(r"^(?:the|a|an|our|my)\s+", "", " ".join(meaning.strip(" '\"‘’“”.").split()),
                  flags=re.IGNORECASE)
    if not text:
        return None
    alone = parse(text, ctx)
    if isinstance(alone, Parsed) and _bare(alone.query) and alone.query.period is None:
        return Meaning("metric", text, " and ".join(alone.query.metrics).replace("_", " "))
    probes = (p for v in sorted(ctx.vocabulary.verticals) for p in PROBE_METRICS.get(v, ()))
    for probe in probes:
        plain, probed = parse(probe, ctx), parse(f"{probe} {text}", ctx)
        if not isinstance(probed, Parsed) or not isinstance(plain, Parsed):
            continue
        found = _added(plain.query, probed.query, text)
        if found is not None:
            return found
    return None


def unknown_words(question: str, ctx: ParseContext,
                  synonyms: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The words of ``question`` not understood now (lower case); () when it parses.

    The parser's own list when its refusal names them (:attr:`Unanswerable.unknown`),
    else the words its refusal quotes ("I don't understand 'atm pls' ...").
    """
    plan = parse(apply_synonyms(question, synonyms or {}), ctx)
    if not isinstance(plan, Unanswerable):
        return ()
    if plan.unknown:
        return tuple(dict.fromkeys(w.lower() for said in plan.unknown for w in said.split()))
    quoted = _QUOTED.findall(plan.missing) or _NOT_A.findall(plan.missing)
    return tuple(dict.fromkeys(w.lower() for said in quoted for w in said.split()))


_QUOTED = re.compile(r"'([^']+)'")
_NOT_A = re.compile(r"^(.+?) is not an? \w+ in your data")


def _bare(query: Query) -> bool:
    return bool(query.metrics) and not query.dimensions and not query.filters \
        and query.compare is None and query.order is None


def _added(plain: Query, probed: Query, text: str) -> Meaning | None:
    """The one filter or the period the meaning added to a probe metric, if that is all."""
    if probed.metrics != plain.metrics or probed.dimensions or probed.compare or probed.order:
        return None
    if len(probed.filters) == 1 and probed.period == plain.period:
        found = probed.filters[0]
        if not found.exclude and len(found.values) == 1:
            return Meaning("value", text, f"{found.dimension} = {found.values[0]}")
    if not probed.filters and probed.period is not None and probed.period != plain.period:
        return Meaning("period", text, probed.period.phrase or text)
    return None
