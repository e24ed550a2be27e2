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
from agents.parser.types import Refusal
from agents.parser.words import SPELLINGS

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
# orders" open PO units. Said alone it keeps its own entry ("cancelled last month"). Said
# with a metric that already means it ("MRR lost to cancellations") it adds nothing.
# phrase -> {the plain metric it narrows (or the metric it repeats): the metric both mean}
_CHURN = {name: name for name in ("churned_mrr", "churned_customers", "logo_churn_rate",
                                  "revenue_churn_rate", "cancelled_orders")}
_CANCELLED = {"orders": "cancelled_orders", "customers": "churned_customers",
              "active_customers": "churned_customers", **_CHURN}
_CHURNED = {"customers": "churned_customers", "active_customers": "churned_customers",
            "mrr": "churned_mrr", **_CHURN}
_OPEN = {"bets": "pending_bets", "pending_bets": "pending_bets"}
_ON_ORDER = {"units_sold": "open_po_units", "profit_units": "open_po_units",
             "on_hand": "open_po_units", "open_po_units": "open_po_units"}
_SOLD = {"on_hand": "units_sold"}
_CAME_BACK = {"mrr": "reactivation_mrr", "customers": "returning_customers",
              "reactivation_mrr": "reactivation_mrr"}
_STAKED = {"units_sold": "staked_units", "profit_units": "staked_units", "on_hand": "staked_units",
           "staked_units": "staked_units"}
# "how much mrr did we add" is the net new MRR; said with a metric of growth it is that one
_ADDED = {"mrr": "net_new_mrr", **{name: name for name in (
    "net_new_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "new_subscriptions",
    "new_customers")}}
_IN_STOCK = {"units_sold": "on_hand", "profit_units": "on_hand", "on_hand": "on_hand"}
_LEFT = {**_IN_STOCK, "customers": "churned_customers", "active_customers": "churned_customers"}
_CPA = {"ad_spend": "cpa", "cpa": "cpa"}
_CPC = {"ad_spend": "cpc", "cpc": "cpc"}
_CPM = {"ad_spend": "cpm", "cpm": "cpm"}
QUALIFIERS: dict[str, dict[str, str]] = {
    **dict.fromkeys(("cancelled", "canceled", "got cancelled", "got canceled", "were cancelled",
                     "were canceled", "cancellations", "cancellation"), _CANCELLED),
    "churned": _CHURNED,
    # "how much did we make per order" is the average order value
    "per order": {"revenue": "aov", "aov": "aov"},
    # "how much stock did we sell" is units sold
    **dict.fromkeys(("did we sell", "have we sold", "we sold", "sold", "did we move"), _SOLD),
    "churn": {"mrr": "churned_mrr"},  # "which plan lost the most mrr to churn"
    **dict.fromkeys(("open", "still open", "pending", "still pending", "unsettled",
                     "outstanding", "not settled", "not yet settled", "yet to settle", "still live"),
                    _OPEN),
    "won": {"bets": "record"},
    "win": {"bets": "record"},  # "how many bets did I win": the wins, in the record
    # "who has wagered the most units": the units staked
    **dict.fromkeys(("wagered", "staked", "risked", "risk", "put in"), _STAKED),
    # "how much did Hedgehog bet" is units staked, "how much skincare did we sell" money
    "how much": {"bets": "staked_units", "units_sold": "revenue"},
    **dict.fromkeys(("came back", "come back", "customers who returned",
                     "customers that returned"), _CAME_BACK),
    **dict.fromkeys(("add", "added", "did we add", "have we added", "book", "booked",
                     "did we book", "have we booked"), _ADDED),
    "net": {"revenue": "net_revenue", "new_mrr": "net_new_mrr", "net_revenue": "net_revenue",
            "mrr": "net_new_mrr", "net_new_mrr": "net_new_mrr"},
    **dict.fromkeys(("purchase orders", "open purchase orders", "on order", "open pos",
                     "open po", "inbound", "on purchase orders", "on po", "on pos",
                     "on open pos", "on open purchase orders", "waiting on", "still waiting on",
                     "waiting for", "still waiting for", "coming in", "arriving"), _ON_ORDER),
    **dict.fromkeys(("in stock", "on hand", "stock", "inventory", "on the shelves",
                     "on the shelf", "are left", "is left"), _IN_STOCK),
    # "how many customers left" are churned customers; "how many units left" stock held
    **dict.fromkeys(("left", "have left", "who left", "that left"), _LEFT),
    # "how many units do we have": the units held, not sold ("how many customers do we
    # have" keeps customers: a count of people is not narrowed)
    **dict.fromkeys(("do we have", "we have", "have we got", "we got", "do we got",
                     "do we hold", "we hold", "do we have left", "left in stock",
                     "sitting"), _IN_STOCK),
    # "how much did we spend to get each conversion": spend per unit is the unit's cost
    **dict.fromkeys(("per conversion", "each conversion", "for each conversion",
                     "every conversion", "to get each conversion", "to get a conversion",
                     "to get one conversion"), _CPA),
    **dict.fromkeys(("per click", "each click", "for each click", "every click",
                     "to get each click", "to get a click"), _CPC),
    **dict.fromkeys(("per 1000 impressions", "per thousand impressions"), _CPM),
}
# State words that are no metric beside another one: what they do go with.
BARE: dict[str, str] = {
    **dict.fromkeys(("cancelled", "canceled", "got cancelled", "got canceled", "were cancelled",
                     "were canceled", "cancellations", "cancellation"),
                    "orders (cancelled orders) or customers (churned customers)"),
    **dict.fromkeys(("open", "still open", "pending", "still pending", "unsettled", "outstanding",
                     "not settled", "not yet settled", "yet to settle", "still live"),
                    "bets (pending bets)"),
    "per order": "revenue (average order value)",
}
# Weak phrases name a metric only when the question names no other: "how many canvas
# sneakers do we have" is stock on hand, "how many customers do we have" is customers;
# "which countries did we sell to" is revenue, "how many units did we sell to them" units;
# "what did we make" is revenue in a shop and profit in a guild.
WEAK = frozenset({
    "up or down", "are we up or down", "am i up or down",  # "is my roi going up or down"
    "sell to", "sold to", "did we sell to", "do we have", "we have", "have left",
    "do we have left", "left in stock", "we got", "have we got", "do we got", "left", "are left",
    "is left", "sitting", "do we hold", "we hold", "make", "made", "pull in", "pulled in",
    "bring in", "brought in", "bring", "brought", "earn", "did we sell", "have we sold",
    "we sold", "were sold", "did we sold", "do we sell", "sold", "money", "how much money",
    "did we move", "have we moved", "we moved", "how much", "cost", "cost us", "costs", "costing",
    "did it cost", "did it cost us", "expensive", "add", "added", "did we add", "have we added", "book",
    "booked", "did we book", "have we booked", "selling", "is selling", "lose", "losing",
    "losses", "how much did we lose", "how much did i lose", "how much have i lost",
    "how much have we lost",
    "active"})
# Weaker still: "how much stuff is sitting in the warehouse" is stock, not money.
WEAKEST = frozenset({"how much", "money", "how much money"})
# The plain nouns a qualifier narrows ("units sold" is already narrow: never absorbed).
PLAIN = frozenset({"units", "unit", "how many units", "items", "how many items", "quantity",
                   "orders", "order", "how many orders", "number of orders", "order count",
                   "bets", "bet", "how many bets", "number of bets", "bet count", "picks",
                   "plays", "wagers", "customers", "customer", "how many customers",
                   "number of customers", "customer count", "stock", "inventory", "mrr",
                   "subscribers", "accounts", "how many subscribers", "how many accounts",
                   "revenue", "new mrr", "spend", "spent", "ad spend", "spending", "by spend",
                   "how much did we spend", "how much have we spent", "how much are we spending",
                   "cost", "costs", "cost us", "did it cost", "did it cost us"})
# What a qualifier may narrow, where it is not the plain nouns: "how much" narrows the
# generic verbs ("did we sell") and bets, never "units" ("how much units" is units sold).
_SCOPE = {"how much": WEAK | {"bet", "bets", "wager", "wagers"},
          "per order": WEAK | PLAIN | {"how much did we make", "how much have we made", "sales",
                                       "how much did we sell", "money", "how much money"},
          **dict.fromkeys(("did we sell", "have we sold", "we sold", "sold", "did we move"),
                          PLAIN | {"how much stock", "how much inventory"})}
# "units" is only the unit of a metric counted in units: "average daily sales units" is
# average daily units, "profit in units" profit.
UNIT_WORDS = frozenset({"units", "unit", "how many units", "quantity", "pieces", "pcs"})
UNIT_METRICS = frozenset({"units_sold", "on_hand", "avg_daily_units", "safety_stock",
                          "reorder_point", "open_po_units", "staked_units", "profit_units"})


def in_context(mentions: Sequence[MetricMention]) -> list[MetricMention]:
    """Each mention as the question's other words make it, aligned with ``mentions``.

    A weak phrase ("do we have") stands for the first other metric said, when there is
    one; a qualifier ("still open") and the plain noun it narrows ("bets") both become
    the narrower metric (pending bets); "units" said with a metric counted in units is
    that metric.
    """
    keys = [_key(m.phrase) for m in mentions]
    strong = ([i for i, key in enumerate(keys) if key not in WEAK]
              or [i for i, key in enumerate(keys) if key not in WEAKEST])
    # each weak mention stands for the first strong one (itself when it is strong)
    stands = [strong[0] if key in WEAK and strong and i not in strong else i
              for i, key in enumerate(keys)]
    narrowed = list(mentions)
    for i in range(len(mentions)):
        _narrow(i, mentions, keys, narrowed, [keys[s] for s in strong])
    _refuse_stray(mentions, keys, narrowed, strong)
    return _units([narrowed[s] for s in stands], keys)


def _refuse_stray(mentions: Sequence[MetricMention], keys: list[str],
                  narrowed: list[MetricMention], strong: list[int]) -> None:
    """Refuses a bare state word ("cancelled", "open") said beside a metric it cannot
    narrow: "cancelled subscriptions", "open orders", "pending refunds" have no metric, and
    answering the two words as two metrics would be a wrong number.

    Raises:
        Refusal: naming both, and what the state word does go with.
    """
    for i, key in enumerate(keys):
        if key not in BARE or narrowed[i] is not mentions[i]:
            continue
        other = next((mentions[j] for j in strong if j != i and keys[j] not in BARE), None)
        if other is not None:
            raise Refusal(f"'{mentions[i].said}' with '{other.said}' is not a number I have: "
                          f"'{key}' goes with {BARE[key]}; ask for '{other.said}' on its own")


def _narrow(i: int, mentions: Sequence[MetricMention], keys: list[str],
            narrowed: list[MetricMention], strong: list[str]) -> None:
    """Narrows mention ``i``, a qualifier, and the first other mention it narrows."""
    table = QUALIFIERS.get(keys[i])
    scope = _SCOPE.get(keys[i], PLAIN)
    if table is None or (keys[i] in WEAK and any(key not in scope for key in strong)):
        return  # a weak qualifier beside a metric it does not narrow: that metric
    for j, other in enumerate(mentions):
        plain = keys[j] in scope if keys[i] in _SCOPE else _plain(keys[j])
        target = next((table[e.name] for e in other.candidates if e.name in table
                       and (plain or table[e.name] == e.name)), None)
        if j != i and target is not None:
            narrowed[i] = replace(mentions[i], candidates=(BY_NAME[target],))
            narrowed[j] = replace(other, candidates=(BY_NAME[target],))
            return


def _units(mentions: list[MetricMention], keys: list[str]) -> list[MetricMention]:
    """ "units" said beside a metric counted in units is that metric."""
    counted = next((m for m, key in zip(mentions, keys, strict=True) if key not in UNIT_WORDS
                    and any(e.name in UNIT_METRICS for e in m.candidates)), None)
    if counted is None:
        return mentions
    return [counted if key in UNIT_WORDS else m for m, key in zip(mentions, keys, strict=True)]


def _key(phrase: str) -> str:
    """A phrase as the lexicon spells it ("qty" is quantity)."""
    return " ".join(SPELLINGS.get(word, word) for word in phrase.split())


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
