"""The small rules follow-ups are read with: what a fragment changes in the last query.

Each takes the last answered :class:`Query` and the follow-up's words (its "and" or
"what about" already removed) and returns the changed query, or None when the rule does
not apply. :mod:`agents.followups` decides which rule a message gets.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from agents.parser import Parsed
from agents.parser.lexicon import BY_NAME, phrase_table
from agents.parser.words import CARD_WORDS
from storage.catalog.model import Filter, Order, Query
from storage.catalog.periods import Period, add_months

# "the week before", "the 7 days before that", "before that", "the previous one".
BEFORE = re.compile(r"\b(the\s+)?((?P<n>\d{1,3})\s+)?(?P<unit>day|week|wk|month|mo|mth|quarter|qtr|year|yr|"
                    r"period)s?\s+(before|prior|earlier)\b|\bbefore\s+that\b|\b(previous|prior)\s+one\b|"
                    r"\bthe\s+one\s+before\b|\bthe\s+(previous|prior|preceding)\s+((?P<n2>\d{1,3})\s+)?"
                    r"(?P<unit2>day|week|wk|month|mo|mth|quarter|qtr|year|yr|period)s?\b", re.IGNORECASE)
_COMPARED = re.compile(r"^\W*((and|but|ok|okay|now)\s+)?(vs\.?|versus|compared?\s+(to|with)|against|"
                       r"relative\s+to|how\s+(does|did|do|is|was)\s+(that|it|this)\s+compare\s+(to|with)|"
                       r"compare\s+(that|it|this)\s+(to|with))\b", re.IGNORECASE)
_VERSUS = re.compile(r"\b(vs|versus|compared?|against|relative\s+to)\b", re.IGNORECASE)
# Words a follow-up adds that change nothing: "by league instead", "ctr then?", "only ones from X".
_FILLERS = re.compile(r"\b(instead|rather|then|too|as\s+well|again|pls|plz|please|ones)\b", re.IGNORECASE)
_RANKED = re.compile(r"^\W*((just|only|show)\s+)?(me\s+)?((which|who|what)(\s+(one|was|is|were|are|did))*\s+)?"
                     r"(the\s+)?(?P<word>top|best|highest|bottom|worst|lowest)(\s+"
                     r"(?P<n>\d{1,3}|one|two|three|four|five|ten))?(\s+(only|please|one))?\W*$", re.IGNORECASE)
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}
_HORIZON = re.compile(r"^\W*((in|within|next|the|over|for)\s+)*(?P<n>\d{1,3})\s*"
                      r"((?P<weeks>weeks?|wks?)|days?|d)?\W*$", re.IGNORECASE)
_WIDER = re.compile(r"^\W*((for|in|across)\s+)?(overall|in\s+total|all\s+up|everyone|everybody|"
                    r"everything|everywhere|the\s+whole\s+(guild|server|group|business|company|shop|store)|"
                    r"whole\s+guild|(the\s+)?guild(\s+|-)?wide|all\s+bettors|(with)?out\s+(the\s+|that\s+|any\s+)?"
                    r"filters?|no\s+filters?|unfiltered)\W*$", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(his|her|their)\b", re.IGNORECASE)
_UNIT_DAYS = {"day": 1, "week": 7}
_UNITS = {"wk": "week", "mo": "month", "mth": "month", "qtr": "quarter", "yr": "year"}
_CARD = ("profit_units", "roi", "record", "bets")
_DEFAULTED = "the default metric for this ranking"
_LIST_FILTERS = frozenset({"days_of_stock_below", "stockout_risk"})
_TO_DATE = {"wtd": ("week", 0), "mtd": ("month", 1), "qtd": ("quarter", 3), "ytd": ("year", 12)}
_FAMILIES = {"day": ("day",), "week": ("week", "wtd"), "month": ("month", "mtd"),
             "quarter": ("quarter", "qtd"), "year": ("year", "ytd")}


def same_length(said: Period, last: Period) -> bool:
    """Whether "vs last month" (this month vs the one before) fits the last period: a
    month compares with a month, a week with a week, 7 days with 7 days."""
    return _length(said) == _length(last)


def _length(period: Period) -> tuple[str, int]:
    for family, kinds in _FAMILIES.items():
        if period.kind in kinds:
            return family, 1
    return period.kind, period.days if period.kind == "range" else period.n


def strip_fillers(text: str) -> str:
    return " ".join(_FILLERS.sub(" ", text).split())


def compared_to(text: str) -> bool:
    """Whether the message is only a comparison ("vs last year?", "compared to april")."""
    return _COMPARED.match(text) is not None


def compares(text: str) -> bool:
    """Whether the message says a comparison anywhere ("last week vs the week before")."""
    return _VERSUS.search(text) is not None


def metric_said(plan: Parsed, text: str) -> bool:
    """Whether the parse's metric was said, not a default: a ranking's default metric
    ("top 5 countries") or a bettor's card for a bare name ("and The Closer's?") was not."""
    if plan.intent == "stock_alert_list":
        return True
    if any(note.endswith(_DEFAULTED) for note in plan.understood):
        return False
    if plan.query.metrics == _CARD:
        return bool(set(re.findall(r"[a-z]+", text.lower())) & CARD_WORDS)
    return True


def with_referent(text: str, last: Query) -> str:
    """ "what's his record" after a question about one bettor: that bettor's record."""
    bettors = [f.values for f in last.filters if f.dimension == "bettor" and not f.exclude]
    if len(bettors) != 1 or len(bettors[0]) != 1:
        return text
    return _PRONOUN.sub(f"{bettors[0][0]}'s", text)


def moved_back(body: str, last: Query) -> Query | None:
    """ "the week before": the last question over the period before its own; a length
    said ("the 7 days before") must be the last period's."""
    found = BEFORE.search(body)
    if found is None or last.period is None:
        return None
    n, unit = found.group("n") or found.group("n2"), (found.group("unit") or found.group("unit2") or "").lower()
    unit = _UNITS.get(unit, unit)
    if n is not None:
        if int(n) * _UNIT_DAYS.get(unit, 0) != last.period.days:
            return None
    elif unit and unit != "period" and not _unit_fits(unit, last.period):
        return None  # "the week before" after a month: which week? refused, not guessed
    return replace(last, period=_before(last.period), compare=None)


def _unit_fits(unit: str, period: Period) -> bool:
    """Whether "the <unit> before" can follow the period: a month a month (or the last 30
    days), a week a week (or 7 days), a day a day."""
    if period.kind in _FAMILIES.get(unit, ()) or (period.kind == unit + "s" and period.n == 1):
        return True
    if unit == "month" and period.kind in ("days", "range"):
        return 28 <= period.days <= 31
    return _UNIT_DAYS.get(unit, 0) == period.days and period.kind in ("days", "range", "day", "week")


def _before(period: Period) -> Period:
    """The period before: a whole week, month, quarter or year before one running to
    date ("this month so far" -> all of last month), else :meth:`Period.previous`."""
    if period.kind not in _TO_DATE:
        return period.previous()
    kind, months = _TO_DATE[period.kind]
    start = period.start - timedelta(days=7) if kind == "week" else add_months(period.start, -months)
    return Period(start, period.start, kind)


def ranked(body: str, last: Query) -> Query | None:
    """ "top 3 instead", "worst 3", "and the best 3?": the last ranking's size and side."""
    found = _RANKED.match(body)
    if found is None or not last.dimensions:
        return None
    by = last.order.by if last.order is not None else last.metrics[0]
    word = found.group("word").lower()
    lower_better = BY_NAME[by].lower_is_better if by in BY_NAME else False
    descending = {"top": True, "highest": True, "bottom": False, "lowest": False,
                  "best": not lower_better, "worst": lower_better}[word]
    n = (found.group("n") or "one").lower()  # "which was best?": the one best row
    return replace(last, order=Order(by, descending), limit=_NUMBERS.get(n) or int(n))


def horizon(body: str, last: Query, last_intent: str) -> Query | None:
    """ "and 30 days?" after a stock list: the same list over another horizon."""
    found = _HORIZON.match(body)
    days = [f for f in last.filters if f.dimension == "days_of_stock_below"]
    if found is None or last_intent != "stock_alert_list" or not days:
        return None
    horizon_days = str(int(found.group("n")) * (7 if found.group("weeks") else 1))
    filters = tuple(Filter(f.dimension, (horizon_days,)) if f in days else f for f in last.filters)
    return replace(last, filters=filters)


def widened(body: str, last: Query, last_intent: str) -> Query | None:
    """ "and overall?", "for the whole guild?": the last number without its filters and
    breakdown (a stock list keeps its own horizon)."""
    if _WIDER.match(body) is None or last_intent != "metric" or not (last.filters or last.dimensions):
        return None
    return replace(last, filters=(), dimensions=(), order=None, limit=None)


def in_conversation_sense(body: str, said: Query, last: Query) -> Query:
    """A word with several metrics reads in the last question's sense: "cancellations"
    after new subscriptions are churned customers, after orders cancelled orders."""
    words = tuple(w for w in re.findall(r"[a-z0-9%]+", body.lower()) if w not in ("the", "our", "of"))
    names = [entry.name for entry in phrase_table().get(words, [])]
    if len(said.metrics) != 1 or said.metrics[0] not in names or not last.metrics:
        return said
    source = BY_NAME[last.metrics[0]].source if last.metrics[0] in BY_NAME else None
    same = [name for name in names if BY_NAME[name].source == source]
    if not same or same[0] == said.metrics[0] or BY_NAME[said.metrics[0]].source == source:
        return said
    order = Order(same[0], said.order.descending) if said.order is not None else None
    return replace(said, metrics=(same[0],), order=order)


def sibling(body: str, last: Query) -> str | None:
    """ "and churned?" after new MRR is churned MRR; "and returning?" after new customers
    is returning customers: one word of the last metric's name replaced."""
    words = re.findall(r"[a-z]+", body.lower())
    if len(words) != 1 or not last.metrics:
        return None
    parts = last.metrics[0].split("_")
    if len(parts) < 2:
        return None
    source = BY_NAME[last.metrics[0]].source if last.metrics[0] in BY_NAME else None
    for name in ("_".join([words[0], *parts[1:]]), "_".join([*parts[:-1], words[0]])):
        if name in BY_NAME and name != last.metrics[0] and BY_NAME[name].source == source:
            return name
    return None


def inherit(new: Query, last: Query) -> Query:
    """A new metric with what it leaves unsaid taken from the last question ("same for
    orders"): period, breakdown, filters, comparison; parts the metric can't take are left."""
    fits = BY_NAME[new.metrics[0]].dimensions if new.metrics[0] in BY_NAME else frozenset()
    inherits_breakdown = not new.dimensions and bool(last.dimensions)
    pinned = {f.dimension for f in new.filters if not f.exclude}  # "my roi": not by bettor
    dimensions = new.dimensions or tuple(d for d in last.dimensions if d in fits and d not in pinned)
    order = new.order
    if inherits_breakdown and dimensions and last.order is not None:
        order = Order(new.metrics[0], last.order.descending)
    filters = carried_filters(last, new, fits)  # "and my units there": mine, still in the NFL
    return replace(
        new,
        period=new.period or last.period,
        dimensions=dimensions,
        filters=filters,
        compare=new.compare or last.compare,
        order=order,
        limit=last.limit if inherits_breakdown and dimensions else new.limit,
        min_count=new.min_count if new.min_count is not None else last.min_count,
    )


def carried_filters(last: Query, said: Query, fits: frozenset[str] | None = None) -> tuple[Filter, ...]:
    """The last question's filters the follow-up keeps, then its own: a dimension it
    filters again is replaced, one it opens to a breakdown ("by country" / "all countries"
    after "in Mexico") drops its one value, and with ``fits`` (a new metric's dimensions)
    only those it can take carry over."""
    said_dims = {f.dimension for f in said.filters}
    opened = {d for d in said.dimensions if d not in last.dimensions}
    kept = tuple(f for f in last.filters
                 if f.dimension not in said_dims
                 and (fits is None or (f.dimension in fits and f.dimension not in _LIST_FILTERS))
                 and not (f.dimension in opened and len(f.values) == 1 and not f.exclude))
    return kept + said.filters


def merge(last: Query, said: Query) -> Query:
    """The last query changed by what the follow-up said (its filters win per dimension)."""
    filters = carried_filters(last, said)
    dimensions = said.dimensions or last.dimensions
    keep_ranking = not said.dimensions or said.dimensions == last.dimensions
    said_order = said.order if said.order is not None and said.order.by in last.metrics else None
    return replace(
        last,
        period=said.period or last.period,
        dimensions=dimensions,
        filters=filters,
        compare=said.compare or last.compare,
        order=said_order or (last.order if keep_ranking else None),
        limit=said.limit or (last.limit if keep_ranking else None),
    )
