"""Senses: what a metric word means given the rest of the question and the workspace.

The lexicon lists every phrase a metric may go by; these tables say which one a phrase
means here. A qualifier narrows a plain noun said with it ("bets ... still open" are
pending bets); a weak phrase only names a metric when nothing else is asked ("how many
canvas sneakers do we have" is stock on hand); and when the workspace lacks a phrase's
data, the refusal points at what it does have (:data:`HINTS`, :data:`POINTERS`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace

from rapidfuzz import fuzz, process

from agents.parser.lexer import MetricMention
from agents.parser.lexicon import BY_NAME, HINTS, phrase_table

# What each kind of data is called, and a question that works with it alone.
POINTERS: dict[str, tuple[str, str]] = {
    "shop": ("orders", "revenue last month"),
    "saas": ("subscriptions", "MRR by plan"),
    "ads": ("ad platform data", "ROAS by channel last month"),
    "web": ("web analytics", "sessions by source last week"),
    "ops": ("inventory", "stock by location"),
    "betting": ("bets", "profit by sport"),
}


# Senses that depend on the other words of the question.
#
# A qualifier is a word that, next to a plain count, names a narrower metric: "orders ...
# cancelled" are cancelled orders, "bets ... still open" pending bets, "units on purchase
# orders" open PO units. Said alone it keeps its own entry ("cancelled last month").
# phrase -> {the plain metric it narrows: the metric both then mean}
_CANCELLED = {"orders": "cancelled_orders", "customers": "churned_customers",
              "active_customers": "churned_customers"}
_OPEN = {"bets": "pending_bets"}
_ON_ORDER = {"units_sold": "open_po_units", "profit_units": "open_po_units",
             "on_hand": "open_po_units"}
_IN_STOCK = {"units_sold": "on_hand", "profit_units": "on_hand"}
QUALIFIERS: dict[str, dict[str, str]] = {
    **dict.fromkeys(("cancelled", "canceled", "got cancelled", "got canceled", "were cancelled",
                     "were canceled"), _CANCELLED),
    **dict.fromkeys(("open", "still open", "pending", "still pending", "unsettled",
                     "outstanding", "not settled", "not yet settled", "yet to settle"), _OPEN),
    "won": {"bets": "record"},
    **dict.fromkeys(("purchase orders", "open purchase orders", "on order", "open pos",
                     "open po", "inbound", "incoming", "on purchase orders", "on po", "on pos",
                     "on open pos", "on open purchase orders"), _ON_ORDER),
    **dict.fromkeys(("in stock", "on hand", "stock", "inventory"), _IN_STOCK),
}
# Weak phrases name a metric only when the question names no other: "how many canvas
# sneakers do we have" is stock on hand, "how many customers do we have" is customers;
# "which countries did we sell to" is revenue, "how many units did we sell to them" units.
WEAK = frozenset({"sell to", "sold to", "do we have", "we have", "have left", "do we have left",
                  "left in stock"})
# The plain nouns a qualifier narrows ("units sold" is already narrow: never absorbed).
PLAIN = frozenset({"units", "unit", "how many units", "items", "how many items", "quantity",
                   "orders", "order", "how many orders", "number of orders", "order count",
                   "bets", "bet", "how many bets", "number of bets", "bet count", "picks",
                   "plays", "wagers", "customers", "customer", "how many customers",
                   "number of customers", "customer count", "stock", "inventory"})


def in_context(mentions: Sequence[MetricMention]) -> list[MetricMention]:
    """Each mention as the question's other words make it, aligned with ``mentions``.

    A weak phrase ("do we have") stands for the first other metric said, when there is
    one; a qualifier ("still open") and the plain noun it narrows ("bets") both become
    the narrower metric (pending bets).
    """
    strong = [m for m in mentions if m.phrase not in WEAK]
    found = [m if m.phrase not in WEAK or not strong else strong[0] for m in mentions]
    narrowed = list(found)
    for i, qualifier in enumerate(found):
        table = QUALIFIERS.get(qualifier.phrase)
        for j, plain in enumerate(found):
            if table is None or j == i or not _plain(plain.phrase):
                continue
            target = next((table[e.name] for e in plain.candidates if e.name in table), None)
            if target is not None:
                narrowed[i] = replace(qualifier, candidates=(BY_NAME[target],))
                narrowed[j] = replace(plain, candidates=(BY_NAME[target],))
                break
    return narrowed


def _plain(phrase: str) -> bool:
    """A plain noun as typed, typos included ("ordres", corrected to orders, is plain)."""
    if phrase in PLAIN:
        return True
    return phrase not in _phrases() and process.extractOne(
        phrase, PLAIN, scorer=fuzz.ratio, score_cutoff=80) is not None


@functools.cache
def _phrases() -> frozenset[str]:
    """Every lexicon phrase: a phrase said as listed is no typo of a plain noun."""
    return frozenset(" ".join(key) for key in phrase_table())


def pointer(phrase: str, sources: frozenset[str]) -> str:
    """What to ask instead, in this workspace: the phrase's hint for data it has, or else
    what data it has, with a question that works there."""
    hints = HINTS.get(phrase, {})
    said = [hint for source, hint in hints.items() if source in sources]
    if said:
        return "; ".join(said)
    have = [POINTERS[s] for s in ("shop", "saas", "ads", "web", "ops", "betting") if s in sources]
    if not have:
        return "no data has been imported into this workspace yet"
    what = ", ".join(kind for kind, _ in have)
    examples = " or ".join(f"'{example}'" for _, example in have[:2])
    return f"this workspace has {what}: try {examples}"
