"""Words that look like a breakdown or a metric but ask something else.

A time word that is the metric's own unit, not a breakdown: MRR is monthly by definition,
so "how much recurring revenue are we doing a month" and "what does the average account
pay us per month" ask for MRR and ARPA, not a row per month. With a period said ("MRR per
month this year") the month is a breakdown again, as it is after "by" ("MRR by month").

A bare word that names several metrics equally ("churn") is asked back, with each
metric as a choice; a period said as an instant ("at the end of 2024") reads a word that
may be a count over time or at an instant ("customers") as the instant one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from agents.parser.lexer import DimMention, MetricMention
from agents.parser.lexicon import MetricEntry
from agents.parser.resolve import available
from agents.parser.senses import in_context
from agents.parser.types import Refusal

MONTHLY = frozenset({"mrr", "arpa"})  # amounts per month by definition (metrics.md)
_UNIT_BEFORE = frozenset({"a", "an", "per", "each", "every"})
_WORD = re.compile(r"[a-z]+")


def own_units(breakdowns: list[DimMention], metrics: Sequence[MetricEntry], period_said: bool,
              raw: str, notes: list[str]) -> list[DimMention]:
    """``breakdowns`` without a month said as the unit of monthly metrics ("a month",
    "per month", "monthly"); ``notes`` receives what was read past."""
    if period_said or not metrics or not all(m.name in MONTHLY for m in metrics):
        return breakdowns
    kept = []
    for mention in breakdowns:
        before = _WORD.findall(raw[:mention.position].lower())[-1:]
        unit = mention.said.lower() == "monthly" or (before and before[0] in _UNIT_BEFORE)
        if mention.word.options == ("month",) and not mention.word.plural and unit:
            notes.append(f"'{' '.join([*before, mention.said])}' read as the unit: "
                         f"{metrics[0].label} is monthly")
            continue
        kept.append(mention)
    return kept


# A bare word that names several metrics equally: asked back, never picked ("churn" is
# customers lost, their share, or the MRR lost; metrics.md has all four).
AMBIGUOUS = {"churn": ("logo churn rate", "revenue churn rate", "churned mrr")}


def refuse_ambiguous(mentions: Sequence[MetricMention], sources: frozenset[str]) -> None:
    """Refuses a bare word of :data:`AMBIGUOUS` with its readings as choices, unless the
    question's other words narrow it ("lost the most MRR to churn" is churned MRR).

    Raises:
        Refusal: when such a word is a metric of the question and its data is here.
    """
    for mention, read in zip(mentions, in_context(mentions), strict=True):
        readings = AMBIGUOUS.get(mention.phrase)
        if readings and read.candidates == mention.candidates \
                and all(available(e, sources) for e in mention.candidates):
            names = ", ".join(readings[:-1]) + f" or {readings[-1]}"
            raise Refusal(f"'{mention.said}' could mean {names}; which one?",
                          tuple((mention.said, reading) for reading in readings))


# Counted at an instant (metrics.md: stocks), so "at the end of 2024" asks for one of them.
_AT_INSTANT = frozenset({"active_customers", "mrr", "arr", "arpa", "on_hand", "open_po_units",
                         "days_of_stock", "pending_bets"})
_INSTANT_WORDS = re.compile(r"\b(?:end|start|beginning) of\b|\bas of\b")


def at_an_instant(mentions: list[MetricMention], said: Sequence[str]) -> list[MetricMention]:
    """Mentions with their instant readings first when a period is said as an instant
    ("how many customers we had at the end of 2024": active customers then, not the shop's
    customers who ordered in 2024)."""
    if not any(_INSTANT_WORDS.search(words.lower()) for words in said):
        return mentions
    return [replace(m, candidates=tuple(sorted(m.candidates,
                                               key=lambda e: e.name not in _AT_INSTANT)))
            for m in mentions]
