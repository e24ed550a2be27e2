"""Shared fixtures for the parser tests: vocabularies, the as-of day, expected queries.

as_of is the end of Wednesday 2025-11-19 in America/Sao_Paulo. The periods below
are worked out by hand from that day (half-open ``[start, end)`` local days), not
with ``resolve_period``, so the tests check the parser against the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from agents.parser import Help, ParseContext, Parsed, Unanswerable, Vocabulary, parse
from storage.catalog.model import Filter, Order
from storage.catalog.periods import AsOf

AS_OF = AsOf.for_day(date(2025, 11, 19), ZoneInfo("America/Sao_Paulo"))

Span = tuple[str, str]
TODAY: Span = ("2025-11-19", "2025-11-20")
YESTERDAY: Span = ("2025-11-18", "2025-11-19")
THIS_WEEK: Span = ("2025-11-17", "2025-11-20")   # Monday 17 to today
LAST_WEEK: Span = ("2025-11-10", "2025-11-17")
THIS_MONTH: Span = ("2025-11-01", "2025-11-20")
LAST_MONTH: Span = ("2025-10-01", "2025-11-01")
THIS_QUARTER: Span = ("2025-10-01", "2025-11-20")
LAST_QUARTER: Span = ("2025-07-01", "2025-10-01")
THIS_YEAR: Span = ("2025-01-01", "2025-11-20")
LAST_YEAR: Span = ("2024-01-01", "2025-01-01")
LAST_7_DAYS: Span = ("2025-11-12", "2025-11-19")  # 7 full days ending yesterday
LAST_30_DAYS: Span = ("2025-10-20", "2025-11-19")
MARCH_2025: Span = ("2025-03-01", "2025-04-01")
Q3_2025: Span = ("2025-07-01", "2025-10-01")
ALL_TIME: Span = ("2000-01-01", "2025-11-20")  # everything up to and including today

ALL = Vocabulary(
    values={
        "country": ["BR", "US", "MX", "GB", "CA"],
        "sales_channel": ["online_store", "marketplace", "pos"],
        "source": ["google", "instagram", "newsletter", "direct"],
        "product": ["Linen Shirt", "Linen Pants", "Canvas Tote", "Wool Beanie", "Leather Wallet"],
        "category": ["Apparel", "Accessories"],
        "plan": ["Starter", "Pro", "Enterprise"],
        "segment": ["SMB", "Mid-Market"],
        "channel": ["meta", "google", "tiktok"],
        "campaign": ["Summer Sale", "Black Friday 2025", "Retargeting"],
        "medium": ["cpc", "organic", "email"],
        "location": ["Main Warehouse", "Sao Paulo Store"],
        "supplier": ["Acme Textiles", "Globex"],
        "bettor": ["Sharpie", "LuckyLou", "Max"],
        "sport": ["basketball", "football", "tennis"],
        "league": ["NBA", "NFL", "Premier League"],
        "market": ["moneyline", "spread", "total", "prop", "parlay"],
    },
    verticals=frozenset({"shop", "saas", "marketing", "ops", "betting"}),
    aliases={"product": {"SKU-0001": "Linen Shirt"}},
)
SHOP_ONLY = Vocabulary(
    values={"country": ["BR", "US"], "product": ["Linen Shirt", "Canvas Tote"],
            "sales_channel": ["online_store", "pos"], "category": ["Apparel"]},
    verticals=frozenset({"shop"}),
)
SAAS_ONLY = Vocabulary(values={"plan": ["Starter", "Pro"], "country": ["US"]},
                       verticals=frozenset({"saas"}))
WEB_ONLY = Vocabulary(values={"source": ["google"], "medium": ["organic", "cpc"]},
                      verticals=frozenset({"marketing"}))


@dataclass(frozen=True)
class Expect:
    """The full query a question must parse to."""

    metrics: tuple[str, ...]
    period: Span | None = None
    by: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    order: Order | None = None
    limit: int | None = None
    compare: str | None = None
    min_count: int | None = None
    intent: str = "metric"


def Q(*metrics: str, **fields: object) -> Expect:
    return Expect(tuple(metrics), **fields)  # type: ignore[arg-type]


def F(dimension: str, *values: str, exclude: bool = False) -> Filter:
    return Filter(dimension, tuple(values), exclude)


def ask(text: str, vocabulary: Vocabulary = ALL,
        user: str | None = "Sharpie") -> Parsed | Help | Unanswerable:
    return parse(text, ParseContext(AS_OF, vocabulary, user))


def assert_parses(text: str, expected: Expect, vocabulary: Vocabulary = ALL,
                  user: str | None = "Sharpie") -> Parsed:
    parsed = ask(text, vocabulary, user)
    assert isinstance(parsed, Parsed), f"{text!r} -> {parsed}"
    query = parsed.query
    span = None if query.period is None else (query.period.start.isoformat(),
                                              query.period.end.isoformat())
    got = Expect(query.metrics, span, query.dimensions, query.filters, query.order,
                 query.limit, query.compare, query.min_count, parsed.intent)
    assert got == expected, f"{text!r}"
    assert parsed.understood, f"{text!r} has no notes"
    return parsed


def assert_refused(text: str, *fragments: str, vocabulary: Vocabulary = ALL,
                   user: str | None = "Sharpie") -> Unanswerable:
    answer = ask(text, vocabulary, user)
    assert isinstance(answer, Unanswerable), f"{text!r} -> {answer}"
    for fragment in fragments:
        assert fragment.lower() in answer.missing.lower(), f"{text!r}: {answer.missing}"
    return answer
