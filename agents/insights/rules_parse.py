"""Alert rules in words: "alert me when daily revenue drops below 1000" → :class:`RuleSpec`.

Deterministic, like the question parser, and strict in the same way: every word must
be understood or the rule is refused with what *was* understood, because a rule that
silently watches the wrong thing is worse than none. The metric words come from the
question parser's lexicon (:mod:`agents.parser.lexicon`), so "MRR churn", "days of
cover" and "ROAS" mean here what they mean in a question.

A rule is: a metric, a comparator and a threshold; a period phrase (resolved against
``as_of`` each time the rule is checked, so "yesterday" moves with the calendar); and
optionally a dimension ("by channel", "any product": checked per value) and filters
("for channel google").
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from agents.parser.dimensions import DIM_WORDS, GRAINS
from agents.parser.lexicon import NOT_METRICS, SOURCE_VERTICAL, MetricEntry, phrase_table
from agents.parser.words import FILLER, SPELLINGS
from storage.catalog.definitions import CatalogDefs
from storage.catalog.display import SYMBOLS, format_value
from storage.catalog.model import ACTIVE_PRODUCTS, Filter, Query
from storage.catalog.periods import AsOf, resolve_period
from storage.errors import PeriodError, TallyError

Op = Literal["<", "<=", ">", ">="]
OP_WORDS: dict[str, str] = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}
EXAMPLE = "try 'alert me when daily revenue drops below 1000'"
# Ops metrics are per product by nature: the shop-wide days of cover is no one's warning.
PER_PRODUCT_BY_DEFAULT = frozenset({"days_of_stock", "on_hand", "stockout_risk"})

_TRIGGER = re.compile(
    r"^\s*(?:please\s+)?(?:(?:(?:create|add|set(?:\s+up)?|make|new)\s+(?:an?\s+)?(?:alert|rule)s?)"
    r"|(?:alert|notify|ping|tell|warn|message|remind|text)(?:\s+(?:me|us|the\s+team|everyone|here))?"
    r"|let\s+(?:me|us)\s+know|rule)\b\s*[:,-]?\s*"
    r"(?:(?:when(?:ever)?|if|once|as\s+soon\s+as|in\s+case)\b)?\s*",
    re.IGNORECASE)
_VERB = (r"(?<![a-z])(?:(?:drops?|dropped|dropping|falls?|fell|falling|goes|went|going|dips?|dipped|gets?|got|"
         r"is|are|was|becomes?|rises?|rose|rising|climbs?|climbed|jumps?|jumped|has|have|hits?|"
         r"reaches?)\s+)?")
_COMPARATORS: tuple[tuple[str, Op], ...] = (
    (r"less\s+than\s+or\s+equal\s+to|at\s+most|no\s+more\s+than|<=|=<|≤", "<="),
    (r"more\s+than\s+or\s+equal\s+to|at\s+least|no\s+less\s+than|>=|=>|≥", ">="),
    (r"below|under|less\s+than|lower\s+than|fewer\s+than|beneath|<", "<"),
    (r"above|over|more\s+than|greater\s+than|higher\s+than|exceeds?|exceeding|tops|>", ">"),
)
_CURRENCY_CODES = ("usd", "eur", "gbp", "brl", "jpy", "inr", "cad", "aud", "mxn", "chf")
_SYMBOL = r"r\$|ca\$|a\$|mx\$|us\$|[$€£¥₹]"
_NUMBER = (rf"(?P<symbol>{_SYMBOL})?\s*(?P<number>[-−]?\d[\d,]*(?:\.\d+)?|[-−]?\.\d+)"
           rf"(?:\s*(?P<suffix>k|m|%|x)(?![a-z]))?(?:\s*(?P<code>{'|'.join(_CURRENCY_CODES)})\b)?"
           r"(?:\s*(?:units?|pieces|pcs)\b)?")
_THRESHOLD = re.compile(
    _VERB + r"(?<![a-z])(?P<op>" + "|".join(f"(?:{words})" for words, _ in _COMPARATORS) + r")\s*" + _NUMBER,
    re.IGNORECASE)
_PERIODS: tuple[tuple[str, str | None], ...] = (
    (r"today\s+so\s+far|so\s+far\s+today|today", "today"),
    (r"yesterday|daily|a\s+day|per\s+day|in\s+a\s+day|any\s+day|each\s+day|every\s+day", "yesterday"),
    (r"(?:last|past|previous|trailing)\s+\d{1,3}\s+(?:days?|weeks?|months?)", None),
    (r"(?:last|previous|past)\s+week|weekly|a\s+week|per\s+week|in\s+a\s+week", "last week"),
    (r"this\s+week|week\s+to\s+date|wtd", "this week"),
    (r"(?:last|previous|past)\s+month|monthly|a\s+month|per\s+month", "last month"),
    (r"this\s+month|month\s+to\s+date|mtd", "this month"),
)
_GRAIN_WORDS = {"yesterday": "daily", "last week": "weekly", "last month": "monthly"}
_DIM_PHRASES = sorted((w for w, d in DIM_WORDS.items() if not set(d.options) & set(GRAINS)),
                      key=len, reverse=True)
_DIM_RE = "|".join(re.escape(w) for w in _DIM_PHRASES)
_SCOPE = re.compile(rf"\b(?:by|per|for\s+(?:each|every|any)|each|every|any|in\s+any|on\s+any|across"
                    rf"|of\s+any|any\s+of\s+(?:my|our|the))\s+(?:(?:one|single)\s+)?(?:of\s+)?"
                    rf"(?:my\s+|our\s+|the\s+)?(?P<dim>{_DIM_RE})\b")
# Metric phrases that hold a scope word ("revenue per customer", "revenue per account").
_PER_METRIC = re.compile(r"\b(?:" + "|".join(sorted(
    (r"\s+".join(map(re.escape, key)) for key in phrase_table()
     if len(key) > 1 and set(key) & {"per", "by", "each"}), key=len, reverse=True)) + r")\b")
_FILTER = re.compile(rf"\b(?:for|in|on|from|at|where)\s+(?:the\s+)?(?P<dim>{_DIM_RE})\s+(?:is\s+|=\s*)?"
                     r"(?P<value>\"[^\"]+\"|'[^']+'|[\w.\-]+)")
_RULE_FILLER = frozenset({
    "when", "whenever", "if", "once", "soon", "drops", "drop", "falls", "fall", "goes", "gets",
    "is", "are", "has", "have", "hits", "reaches", "becomes", "rises", "climbs", "jumps", "the",
    "level", "levels", "our", "my", "any", "alert", "alerts", "notify", "ping", "ever", "value",
    "number", "figure", "total", "amount", "currently", "below", "under", "above", "over",
})


class RuleParseError(TallyError):
    """Words that make no rule; the message says what was understood and what was not."""

    def __init__(self, missing: str, understood: tuple[str, ...] = ()) -> None:
        said = f" I understood {', '.join(understood)}." if understood else ""
        super().__init__(f"I couldn't make an alert rule from that: {missing}.{said} ({EXAMPLE})")
        self.missing = missing
        self.understood = understood


@dataclass(frozen=True)
class RuleSpec:
    """A stored alert condition, in catalog terms.

    Attributes:
        metric: the catalog metric watched.
        op: "<", "<=", ">" or ">=": the condition that fires.
        threshold: in the metric's own unit (rates as fractions, money in the workspace currency).
        period: a period phrase of metrics.md resolved at each check ("yesterday", "last week");
            None for a stock measured at ``as_of`` (MRR, days of cover).
        dimension: checked per value of this dimension ("channel"), firing per value crossing.
        filters: (dimension, value) pairs the metric is restricted to.
        text: the words the rule was made from.
    """

    metric: str
    op: Op
    threshold: float
    period: str | None = "yesterday"
    dimension: str | None = None
    filters: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    text: str = ""

    def crosses(self, value: float) -> bool:
        """Whether ``value`` meets the condition."""
        return {"<": value < self.threshold, "<=": value <= self.threshold,
                ">": value > self.threshold, ">=": value >= self.threshold}[self.op]

    def describe(self, defs: CatalogDefs, currency: str) -> str:
        """Words for lists and alerts: "daily revenue below $1,000.00", "ROAS by channel ..."."""
        metric = defs.metrics[self.metric]
        words = [metric.label]
        if self.filters:
            words.append("for " + ", ".join(f"{d} {v}" for d, v in self.filters))
        if self.dimension:
            words.append(f"for any {self.dimension}")
        if self.period:
            words.append(_GRAIN_WORDS.get(self.period, self.period))
        words.append(f"{OP_WORDS[self.op]} {format_value(self.threshold, metric.format, currency)}")
        return " ".join(words)

    def query(self, as_of: AsOf) -> Query:
        """The catalog query that measures the rule at ``as_of``.

        Raises:
            PeriodError: the stored period phrase no longer resolves.
        """
        period = resolve_period(self.period, as_of) if self.period else None
        dimensions = (self.dimension,) if self.dimension else ()
        filters = tuple(Filter(dim, (value,)) for dim, value in self.filters)
        if self.metric in PER_PRODUCT_BY_DEFAULT and self.dimension == "product":
            filters += (ACTIVE_PRODUCTS,)  # no stock alert for a discontinued product
        return Query((self.metric,), period, dimensions, filters)

    def to_json(self) -> str:
        return json.dumps({"metric": self.metric, "op": self.op, "threshold": self.threshold,
                           "period": self.period, "dimension": self.dimension,
                           "filters": [list(f) for f in self.filters], "text": self.text})

    @classmethod
    def from_json(cls, raw: str) -> RuleSpec:
        data: dict[str, Any] = json.loads(raw)
        return cls(data["metric"], cast(Op, data["op"]), float(data["threshold"]), data.get("period"),
                   data.get("dimension"), tuple((str(d), str(v)) for d, v in data.get("filters", ())),
                   data.get("text", ""))


@dataclass
class _Reading:
    """What has been understood so far (for the refusal's "I understood ...")."""

    rest: str
    notes: list[str] = field(default_factory=list)


def parse_rule(text: str, defs: CatalogDefs, *, currency: str | None = None,
               verticals: Collection[str] | None = None) -> RuleSpec:
    """Reads an alert rule.

    Args:
        text: the words, with or without "alert me when" ("revenue below 1000" works too).
        defs: the catalog definitions (metric formats and kinds, dimensions per metric).
        currency: the workspace currency; a threshold in another currency is refused.
        verticals: the workspace's verticals with data (shop, saas, ...), to pick between
            metrics a word may name ("customers"); None: the lexicon's preference.

    Raises:
        RuleParseError: naming what was understood and what was not.
    """
    reading = _Reading(_TRIGGER.sub("", text.strip().lower().replace("’", "'"), count=1))
    if not reading.rest.strip():
        raise RuleParseError("there is no condition after the trigger words")
    op, number, match = _take_threshold(reading)
    period = _take_period(reading)
    scope = _take_scope(reading)
    filters = _take_filters(reading)
    entry = _take_metric(reading, defs, verticals)
    metric = defs.metrics[entry.name]
    _refuse_leftovers(reading, metric.format)
    threshold = _threshold(number, match, metric.format, currency, reading.notes)
    dimension = _dimension(scope, entry, defs, reading.notes)
    if dimension is None and entry.name in PER_PRODUCT_BY_DEFAULT:
        dimension = "product"
    resolved_filters = tuple((_dimension(dim, entry, defs, reading.notes) or dim, value)
                             for dim, value in filters)
    if metric.kind == "stock" and period in _GRAIN_WORDS:
        period = None  # "daily" on a stock says how often to look, not what to measure
    elif metric.kind == "flow" and period is None:
        period = "yesterday"  # the last complete day: today's is still filling up
    return RuleSpec(entry.name, op, threshold, period, dimension, resolved_filters, text.strip())


def _take_threshold(reading: _Reading) -> tuple[Op, float, re.Match[str]]:
    found = list(_THRESHOLD.finditer(reading.rest))
    if not found:
        raise RuleParseError("I found no condition such as 'below 1000' or 'over 2'", tuple(reading.notes))
    if len(found) > 1:
        raise RuleParseError("a rule has one condition, and I found " + " and ".join(
            repr(m.group(0).strip()) for m in found))
    match = found[0]
    op = next(o for words, o in _COMPARATORS if re.fullmatch(words, match.group("op"), re.IGNORECASE))
    number = float(match.group("number").replace(",", "").replace("−", "-"))
    reading.rest = reading.rest[:match.start()] + " " + reading.rest[match.end():]
    reading.notes.append(f"'{OP_WORDS[op]} {match.group(0).split()[-1]}'")
    return op, number, match


def _take_period(reading: _Reading) -> str | None:
    found: list[str] = []
    for pattern, phrase in _PERIODS:
        for m in list(re.finditer(rf"\b(?:{pattern})\b", reading.rest)):
            found.append(phrase or re.sub(r"\s+", " ", m.group(0)))
        reading.rest = re.sub(rf"\b(?:{pattern})\b", " ", reading.rest)
    if len(set(found)) > 1:
        raise RuleParseError(f"a rule watches one period, and I found {' and '.join(found)}",
                             tuple(reading.notes))
    if not found:
        return None
    try:  # checked now so a bad phrase is refused when the rule is made, not when it runs
        resolve_period(found[0], AsOf.for_day(date(2025, 1, 15), ZoneInfo("UTC")))
    except PeriodError as exc:
        raise RuleParseError(str(exc), tuple(reading.notes)) from exc
    reading.notes.append(f"period {found[0]}")
    return found[0]


def _take_scope(reading: _Reading) -> str | None:
    # "revenue per customer" is a metric of its own (revenue_per_customer), not a scope.
    named = [m.span() for m in _PER_METRIC.finditer(reading.rest)]
    found = [m for m in _SCOPE.finditer(reading.rest)
             if not any(a <= m.start() < b for a, b in named)]
    if len(found) > 1:
        raise RuleParseError("a rule can be checked per one dimension, not several",
                             tuple(reading.notes))
    if not found:
        return None
    start, end = found[0].span()
    reading.rest = f"{reading.rest[:start]} {reading.rest[end:]}"
    reading.notes.append(f"per {found[0].group('dim')}")
    return found[0].group("dim")


def _take_filters(reading: _Reading) -> list[tuple[str, str]]:
    filters = [(m.group("dim"), m.group("value").strip("'\"")) for m in _FILTER.finditer(reading.rest)]
    reading.rest = _FILTER.sub(" ", reading.rest)
    reading.notes.extend(f"{dim} {value}" for dim, value in filters)
    return filters


def _words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9&%]+", text.replace("'s", ""))
    return [SPELLINGS.get(w, w) for w in words]


def _take_metric(reading: _Reading, defs: CatalogDefs, verticals: Collection[str] | None) -> MetricEntry:
    words, table = _words(reading.rest), _phrases()
    longest = max((len(k) for k in table), default=1)
    mentions: list[tuple[int, int, list[MetricEntry]]] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            key = tuple(words[i:i + size])
            if " ".join(key) in NOT_METRICS:
                raise RuleParseError(NOT_METRICS[" ".join(key)], tuple(reading.notes))
            if key in table and not (size == 1 and key[0] in _RULE_FILLER):
                mentions.append((i, size, table[key]))
                i += size
                break
        else:
            i += 1
    if not mentions:
        raise RuleParseError("I found no metric to watch", tuple(reading.notes))
    if len(mentions) > 1:
        said = [" ".join(words[i:i + n]) for i, n, _ in mentions]
        raise RuleParseError(f"a rule watches one metric, and I found {' and '.join(said)}",
                             tuple(reading.notes))
    start, size, candidates = mentions[0]
    entry = _prefer(candidates, defs, verticals)
    reading.rest = " ".join(words[:start] + words[start + size:])
    reading.notes.insert(0, f"metric {defs.metrics[entry.name].label}")
    return entry


def _phrases() -> dict[tuple[str, ...], list[MetricEntry]]:
    global _PHRASE_TABLE
    if _PHRASE_TABLE is None:
        _PHRASE_TABLE = phrase_table()
    return _PHRASE_TABLE


_PHRASE_TABLE: dict[tuple[str, ...], list[MetricEntry]] | None = None


def _prefer(candidates: list[MetricEntry], defs: CatalogDefs,
            verticals: Collection[str] | None) -> MetricEntry:
    known = [c for c in candidates if c.name in defs.metrics]
    if verticals is not None:
        with_data = [c for c in known if SOURCE_VERTICAL[c.source] in verticals]
        known = with_data or known
    if not known:
        raise RuleParseError(f"{candidates[0].label} is not in the metric catalog")
    return known[0]


def _refuse_leftovers(reading: _Reading, fmt: str) -> None:
    allowed = FILLER | _RULE_FILLER | ({"days", "day"} if fmt == "days" else set()) | (
        {"units", "unit", "u"} if fmt in ("units", "bet_units", "bet_profit") else set())
    unknown = [w for w in _words(reading.rest) if w not in allowed]
    if unknown:
        raise RuleParseError(f"I don't know what {' '.join(repr(w) for w in unknown)} means here",
                             tuple(reading.notes))


def _threshold(number: float, match: re.Match[str], fmt: str, currency: str | None,
               notes: list[str]) -> float:
    """The threshold in the metric's unit: 5% of a rate is 0.05, 1.5k is 1500."""
    suffix = (match.group("suffix") or "").lower()
    symbol, code = match.group("symbol"), match.group("code")
    if fmt == "text":
        raise RuleParseError("that metric is words (a record or a streak), not a number to compare",
                             tuple(notes))
    if (symbol or code) and fmt != "money":
        raise RuleParseError("the threshold is an amount of money but the metric is not", tuple(notes))
    if symbol or code:
        _check_currency(symbol, code, currency, notes)
    if suffix in ("k", "m"):
        return number * (1_000 if suffix == "k" else 1_000_000)
    if suffix == "%":
        if fmt not in ("rate", "ratio"):
            raise RuleParseError("a percent threshold needs a rate (conversion rate, churn rate, ROI)",
                                 tuple(notes))
        return number / 100
    if fmt == "rate" and abs(number) >= 1:
        return number / 100  # "churn rate above 5" means 5%, never 500%
    return number


def _check_currency(symbol: str | None, code: str | None, currency: str | None,
                    notes: list[str]) -> None:
    if currency is None:
        return
    said = (code or "").upper()
    expected = SYMBOLS.get(currency, currency).lower()
    symbol_ok = symbol is None or symbol.lower() == expected or (
        symbol == "$" and expected.endswith("$")) or (symbol.lower() == "us$" and currency == "USD")
    if (said and said != currency) or not symbol_ok:
        raise RuleParseError(f"this workspace reports in {currency}, so give the threshold in "
                             f"{currency}", tuple(notes))


def _dimension(said: str | None, entry: MetricEntry, defs: CatalogDefs,
               notes: list[str]) -> str | None:
    if said is None:
        return None
    options = DIM_WORDS[said].options
    supported = defs.dimensions_of(entry.name)
    chosen = next((o for o in options if o in supported), None)
    if chosen is None:
        raise RuleParseError(f"{defs.metrics[entry.name].label} can't be split by {said}; it can by "
                             f"{', '.join(d for d in supported if d not in GRAINS)}", tuple(notes))
    return chosen


def has_threshold(text: str) -> bool:
    """Whether the words hold a condition such as "below 1000" (routing typed messages)."""
    return _THRESHOLD.search(text.lower()) is not None


def metric_in(text: str, defs: CatalogDefs, verticals: Collection[str] | None = None) -> str | None:
    """The one catalog metric a few words name ("revenue" in "snooze revenue alerts"), if any."""
    try:
        return _take_metric(_Reading(text.lower()), defs, verticals).name
    except RuleParseError:
        return None
