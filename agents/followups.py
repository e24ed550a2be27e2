"""Follow-ups: a message read in the light of the conversation's last answered question.

"and the month before?", "break that down by country", "only Mexico", "same for
orders", "vs last year?", "top 3 instead" change the last query; "why?" asks for the
drivers of its change; "how did you get that?" for its derivation.

Follow-ups only fill what is missing: a metric, period, breakdown or filter the message
says itself is never overridden by history. A message that is a question of its own — a
whole question ("how many orders did we get yesterday?") or an explicit comparison
("compare revenue last week with the week before") — is never bent by the conversation:
it keeps none of the last question's filters or breakdowns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from agents.followup_rules import (
    BEFORE,
    compared_to,
    compares,
    horizon,
    in_conversation_sense,
    inherit,
    merge,
    metric_said,
    moved_back,
    ranked,
    same_length,
    sibling,
    strip_fillers,
    widened,
    with_referent,
)
from agents.parser import Help, ParseContext, Parsed, Unanswerable, parse
from agents.parser.lexicon import BY_NAME
from storage.catalog.model import Order, Query

Kind = Literal["query", "why", "how"]

_WHY = re.compile(r"^\s*(why\b.*|what\s+(drove|caused|explains)\b.*|how\s+come\b.*|what\s+happened\b.*|"
                  r"what('?s|\s+is|\s+was)\s+(behind|driving)\s+(it|that|this)\b.*|"
                  r"(which|what)\s+\w+\s+drove\s+(it|that|this)\b.*|drivers\??)\s*\??\s*$", re.IGNORECASE)
_HOW = re.compile(r"^\s*(how\s*('d|\s+did|\s+do|\s+does)\s+(you|u|ya|tally)\s+(get|calculate|compute|count|"
                  r"work|figure|come|arrive|measure)\b.*|"
                  r"how\s+(is|was|are|were)\s+(that|it|this|those|these)\s+(calculated|computed|counted)\b.*|"
                  r"show\s+(me\s+)?the\s+(sql|query|math|maths).*|"
                  r"explain(\s+(that|it|this))?|where\s+does\s+(that|it|this)\s+(number\s+)?come\s+from.*|"
                  r"what('?s|\s+is)\s+the\s+(formula|definition|calculation)\b.*|"
                  r"how\s+(is|was|are)\s+(that|it|this)\s+defined\b.*)"
                  r"\s*\??\s*$", re.IGNORECASE)
_WHY_WORDS = re.compile(r"^\s*(why(\s+(is|was|were|did|does|do|has|have|are))?|what\s+(drove|caused|explains)|"
                        r"how\s+come|what\s+happened(\s+to)?|what'?s\s+behind)\b", re.IGNORECASE)
# How the asker judges the number ("why is aov so low"): says nothing about which number.
_JUDGED = re.compile(r"\b((so|that|this|too|really|very)\s+)?"
                     r"(low|high|bad|good|weak|strong|big|small|down|up)\b", re.IGNORECASE)
_MARKER = re.compile(r"^\W*(and|n|&|also|what\s+about|how\s+about|what\s+if|same\s+thing(\s+but)?|"
                     r"same(\s+but)?(?=\s+(for|with|in|on|at|by|from|over|during|but)\b))\b", re.IGNORECASE)
# Openers that carry no meaning ("ok, now by country"): read past, but they don't make a
# whole question ("ok, how many orders did we get yesterday?") a follow-up.
_OPENER = re.compile(r"^\W*(ok(ay)?|now|then|but|so|right|cool|great|thanks|thx|ty)\b\W*", re.IGNORECASE)
# Words of a question asked whole ("how many orders did we get yesterday?"), not a fragment.
_ASKED_WHOLE = re.compile(r"\b(what|whats|what's|how|hows|how's|which|who|show|give|tell|list|"
                          r"compare|did|does|do|was|were|is|are|can|could)\b", re.IGNORECASE)
# "atm", "right now", "still open": the asker means now, not the last question's period.
_PRESENT = re.compile(r"\b(atm|now|right\s+now|currently|at\s+the\s+moment|at\s+present|"
                      r"still|as\s+of\s+(now|today)|these\s+days)\b", re.IGNORECASE)
# "only meta", "just footwear": the last answer narrowed, its metric kept.
_NARROWED = re.compile(r"\b(only|just)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Resolution:
    """How a message continues the conversation."""

    kind: Kind
    query: Query
    intent: str = "metric"
    understood: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()  # what its parse read past or corrected ("Reading this as")


def resolve_followup(text: str, last: Query | None, last_intent: str,
                     ctx: ParseContext) -> Resolution | None:
    """The follow-up's meaning, or None when the message stands on its own.

    A message that names its own metric is never bent by the conversation: "why did
    revenue drop last week?" explains revenue last week whatever was asked before, and
    "refunds last week vs the week before" is a comparison of its own. A fragment
    naming a metric ("roi?", "win rate in april") takes what it does not say (period,
    filters, breakdown) from the last question.
    """
    if _WHY.match(text):
        return _why(text, last, last_intent, ctx)
    if last is None:
        return None
    if _HOW.match(text):
        return Resolution("how", last, last_intent)
    asked, text = text, with_referent(text, last)
    while (opener := _OPENER.match(text)) is not None and opener.end() < len(text):
        text = text[opener.end():]
    marked = _MARKER.match(text) is not None
    body = strip_fillers(_MARKER.sub("", text, count=1) if marked else text)
    alone = parse(body or text, ctx)
    if isinstance(alone, Help) or (not marked and _stands_alone(text, alone, last_intent, last)):
        # A question of its own: answered, or refused, as asked, never bent ("his" named).
        if text != asked and isinstance(alone, Parsed):
            return Resolution("query", alone.query, alone.intent, alone.understood, alone.assumed)
        return None
    if BEFORE.search(body) and not compares(body):
        # "the week before": the period before the last one, or nothing ("the 14 days
        # before" a week is no period this conversation has: refused, not guessed).
        moved = moved_back(body, last)
        return None if moved is None else Resolution(
            "query", moved, last_intent, ("period: the one before",))
    return (_reshaped(body, last, last_intent)
            or _with_metric(text, body, alone, last, last_intent)
            or _injected(body, last, last_intent, ctx))


def marked_same(text: str) -> bool:
    """ "same for orders", "same but for march": the asker wants the last answer's shape."""
    return re.match(r"^\W*(and\s+)?(the\s+)?same\b", text, re.IGNORECASE) is not None


def _why(text: str, last: Query | None, last_intent: str, ctx: ParseContext) -> Resolution | None:
    """ "why?" explains the last answer; "why did revenue drop last week?" its own question."""
    own = parse(_JUDGED.sub(" ", _WHY_WORDS.sub("", text, count=1)), ctx)
    if isinstance(own, Parsed) and metric_said(own, text):
        query = own.query if own.query.compare else replace(own.query, compare="previous")
        return Resolution("why", query, own.intent, own.understood)
    if isinstance(own, Unanswerable) and any(n.startswith("metric:") for n in own.understood):
        return None  # "why is aov so low ..." not understood: refused, never the last metric explained
    return Resolution("why", last, last_intent) if last is not None else None


def _stands_alone(text: str, alone: Parsed | Help | Unanswerable, last_intent: str,
                  last: Query | None = None) -> bool:
    """Whether an unmarked message is a question of its own rather than a fragment.

    It is when it names its metric and is asked whole with its own period ("how many
    orders did we get yesterday?"), compares explicitly or asks for another kind of
    answer (a leaderboard, a stock list); a refusal naming a metric ("compare revenue
    ... with X") is refused as asked. "what's the roi?" says no period: it is the last
    question's.
    """
    if isinstance(alone, Unanswerable):
        return any(note.startswith("metric:") for note in alone.understood)
    if not isinstance(alone, Parsed):
        return False
    if alone.intent != "metric":
        return alone.intent != last_intent  # "leaderboard last month" after "my profit"
    if not metric_said(alone, text):
        return False
    if alone.query.compare is not None:
        return True
    if alone.query.period is not None and _ASKED_WHOLE.search(text) and not _NARROWED.search(text):
        return True  # asked whole with its own period ("how many orders did we get yesterday?")
    if _PRESENT.search(text):
        return True  # "mrr atm", "bets still open": now, whatever the last period was
    return _other_vertical(alone.query, last)


def _other_vertical(said: Query, last: Query | None) -> bool:
    """Whether the new metric belongs to another part of the business than the last
    question's ("what's our mrr?" after shop revenue): then nothing of it carries over."""
    if last is None or not last.metrics:
        return False
    sources = {BY_NAME[m].source for m in (said.metrics[0], last.metrics[0]) if m in BY_NAME}
    return len(sources) == 2 and not sources <= {"ads", "web"}


def _reshaped(body: str, last: Query, last_intent: str) -> Resolution | None:
    """Changes with no metric of their own: the ranking's size, the stock list's
    horizon, a sibling metric ("and churned?" after new MRR)."""
    for change in (ranked(body, last), horizon(body, last, last_intent), widened(body, last, last_intent)):
        if change is not None:
            return Resolution("query", change, last_intent)
    other = sibling(body, last)
    if other is not None:
        return Resolution("query", inherit(Query((other,)), last), "metric",
                          (f"metric: {BY_NAME[other].label}",))
    return None


def _with_metric(text: str, body: str, alone: Parsed | Help | Unanswerable, last: Query,
                 last_intent: str) -> Resolution | None:
    """ "same for orders", "roi?": the new metric with what it leaves unsaid; "only bets on
    baseball" narrows the last answer and keeps its metric."""
    if not isinstance(alone, Parsed) or not metric_said(alone, body):
        return None
    said = in_conversation_sense(body, alone.query, last)
    if last_intent == "leaderboard" and len(said.metrics) == 1 and said.metrics[0] in last.metrics \
            and not said.filters:  # "by roi instead": the leaderboard ranked by another of its columns
        ranking = replace(said, order=Order(said.metrics[0], not BY_NAME[said.metrics[0]].lower_is_better))
        return Resolution("query", merge(last, ranking), last_intent, alone.understood, alone.assumed)
    if _NARROWED.search(text) and not _MARKER.match(text) and set(said.metrics) <= set(last.metrics):
        # "only bets on baseball" after a leaderboard: its own rows, narrowed
        return Resolution("query", merge(last, said), last_intent, alone.understood, alone.assumed)
    if said.period is not None and not marked_same(text):
        # "orders march 2025" after "revenue by country": its own metric and period, so
        # only the filters carry over ("win rate in april" after "my roi"), not the rows.
        last = replace(last, dimensions=(), order=None, limit=None, min_count=None, compare=None)
    return Resolution("query", inherit(said, last), alone.intent, alone.understood, alone.assumed)


def _injected(body: str, last: Query, last_intent: str, ctx: ParseContext) -> Resolution | None:
    """A fragment without a metric ("by channel?", "only Mexico", "vs last year?") read
    with the last question's metric, then applied to the last question."""
    phrase = BY_NAME[last.metrics[0]].phrases[0] if last.metrics and last.metrics[0] in BY_NAME else None
    if phrase is None:
        return None
    injected = parse(f"{phrase} {body}", ctx)
    if not isinstance(injected, Parsed):
        return None
    said = injected.query
    if not (said.period or said.dimensions or said.filters or said.compare or said.limit):
        return None
    if not set(said.metrics) <= set(last.metrics):
        return None  # the fragment named a metric of its own the parse alone refused
    if last_intent != "metric" and said.dimensions not in ((), last.dimensions):
        return None  # a leaderboard or stock list has its own rows: "by sport" is not one
    # "vs last year?", "wow?": the parser alone implies a period ("this week") to compare;
    # here the period is the last question's.
    implied = any(n.startswith("period:") and "(implied by" in n for n in injected.understood)
    changed = _compared(said, last) if compared_to(body) or implied else said
    if changed is None:
        return None
    return Resolution("query", merge(last, changed), last_intent, injected.understood,
                      injected.assumed)


def _compared(said: Query, last: Query) -> Query | None:
    """ "vs last year?" compares the last period (the parser alone would pick "this
    month"); "vs april?" after May is the previous period, "vs May 2024" after May its year."""
    if said.period is None or last.period is None:
        return replace(said, period=None)
    if said.compare == "previous" and last.period.kind == "day" and said.period.kind in ("week", "wtd"):
        return replace(said, period=None, compare="week")  # "wow?" after a day: that day a week earlier
    if said.compare is not None:  # "vs last month" after a week is no comparison of it
        fits = said.compare != "previous" or same_length(said.period, last.period)
        return replace(said, period=None) if fits else None
    span = (said.period.start, said.period.end)
    if span == (last.period.previous().start, last.period.previous().end):
        return replace(said, period=None, compare="previous")
    if span == (last.period.year_ago().start, last.period.year_ago().end):
        return replace(said, period=None, compare="year")
    return None
