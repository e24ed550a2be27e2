"""Follow-ups: a message read in the light of the conversation's last answered question.

"and the month before?", "break that down by country", "only Mexico", "same for
orders", "vs last year?" change the last query; "why?" asks for the drivers of its
change; "how did you get that?" for its derivation. A message that is a question of its
own is never bent by the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from agents.parser import Help, ParseContext, Parsed, Unanswerable, parse
from agents.parser.lexicon import BY_NAME
from storage.catalog.model import Order, Query

Kind = Literal["query", "why", "how"]

_WHY = re.compile(r"^\s*(why|why\s+(is|was|did|has|are)\b.*|what\s+(drove|caused|explains)\b.*|"
                  r"what'?s\s+behind\s+(it|that|this)\b.*|drivers\??)\s*\??\s*$", re.IGNORECASE)
_HOW = re.compile(r"^\s*(how\s+did\s+you\s+(get|calculate|compute|work\s+out)\b.*|"
                  r"how\s+(is|was)\s+(that|it|this)\s+(calculated|computed)\b.*|show\s+(me\s+)?the\s+sql.*|"
                  r"explain(\s+(that|it|this))?|where\s+does\s+(that|it)\s+come\s+from.*)\s*\??\s*$",
                  re.IGNORECASE)
_WHY_WORDS = re.compile(r"^\s*(why(\s+(is|was|were|did|does|do|has|have|are))?|what\s+(drove|caused|explains)|"
                        r"what'?s\s+behind)\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(the\s+)?(month|week|quarter|year|day|period)\s+before\b|"
                     r"\bbefore\s+that\b|\bprevious\s+one\b", re.IGNORECASE)
_ONLY_COMPARE = re.compile(r"^\s*(vs\.?|versus|compared\s+(to|with)|compare(d)?\s+(to|with))\b",
                           re.IGNORECASE)
_MARKER = re.compile(r"^\s*(and|also|what\s+about|how\s+about|same\s+(for|with|but)|now|ok(ay)?|"
                     r"then)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Resolution:
    """How a message continues the conversation."""

    kind: Kind
    query: Query
    intent: str = "metric"
    understood: tuple[str, ...] = ()


def resolve_followup(text: str, last: Query | None, last_intent: str,
                     ctx: ParseContext) -> Resolution | None:
    """The follow-up's meaning, or None when the message stands on its own.

    A message that names its own metric is never bent by the conversation: "why did
    revenue drop last week?" explains revenue last week whatever was asked before, and
    "refunds last week vs the week before" is a comparison of its own.
    """
    if _WHY.match(text):
        own = parse(_WHY_WORDS.sub("", text, count=1), ctx)
        if isinstance(own, Parsed):
            query = own.query if own.query.compare else replace(own.query, compare="previous")
            return Resolution("why", query, own.intent, own.understood)
        return Resolution("why", last, last_intent) if last is not None else None
    if last is None:
        return None
    if _HOW.match(text):
        return Resolution("how", last, last_intent)
    marked = _MARKER.match(text) is not None
    alone = parse(_strip_marker(text) if marked else text, ctx)
    if not marked and (isinstance(alone, Parsed) or _names_a_metric(alone)):
        return None  # a question of its own: answered, or refused, as asked, never bent
    if _BEFORE.search(text) and last.period is not None:
        moved = replace(last, period=last.period.previous(), compare=None)
        return Resolution("query", moved, last_intent, ("period: the one before",))
    if isinstance(alone, Parsed):
        return Resolution("query", _inherit(alone.query, last), alone.intent, alone.understood)
    phrase = BY_NAME[last.metrics[0]].phrases[0] if last.metrics[0] in BY_NAME else None
    if phrase is None:
        return None
    injected = parse(f"{phrase} {_strip_marker(text)}", ctx)
    if not isinstance(injected, Parsed):
        return None
    said = injected.query
    if not (said.period or said.dimensions or said.filters or said.compare or said.limit):
        return None
    if _ONLY_COMPARE.match(_strip_marker(text)):
        # "vs last year?" compares the last period; the parser alone would pick "this month".
        said = replace(said, period=None)
    return Resolution("query", _merge(last, said), last_intent, injected.understood)


def _names_a_metric(plan: Parsed | Help | Unanswerable) -> bool:
    """Whether a refused message named its own metric ("compare revenue ... with X"): the
    conversation must not turn it into a variation of the last question."""
    return isinstance(plan, Unanswerable) and any(note.startswith("metric:")
                                                  for note in plan.understood)


def _strip_marker(text: str) -> str:
    return _MARKER.sub("", text, count=1).strip()


def _inherit(new: Query, last: Query) -> Query:
    """A new metric with the last question's period, breakdown and filters ("same for orders")."""
    inherits_breakdown = not new.dimensions and bool(last.dimensions)
    order = new.order
    if inherits_breakdown and last.order is not None:
        order = Order(new.metrics[0], last.order.descending)
    return replace(
        new,
        period=new.period or last.period,
        dimensions=new.dimensions or last.dimensions,
        filters=new.filters or last.filters,
        compare=new.compare or last.compare,
        order=order,
        limit=last.limit if inherits_breakdown else new.limit,
        min_count=new.min_count if new.min_count is not None else last.min_count,
    )


def _merge(last: Query, said: Query) -> Query:
    """The last query changed by what the follow-up said (its filters win per dimension)."""
    said_dims = {f.dimension for f in said.filters}
    filters = tuple(f for f in last.filters if f.dimension not in said_dims) + said.filters
    dimensions = said.dimensions or last.dimensions
    keep_ranking = not said.dimensions or said.dimensions == last.dimensions
    return replace(
        last,
        period=said.period or last.period,
        dimensions=dimensions,
        filters=filters,
        compare=said.compare or last.compare,
        order=said.order or (last.order if keep_ranking else None),
        limit=said.limit or (last.limit if keep_ranking else None),
    )

