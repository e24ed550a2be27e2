"""Dates at the ends of the calendar are refused in words, never with a traceback.

Tally answers for 1900-01-01 to 2299-12-31 (storage/catalog/periods.py). Before that
bound existed, "revenue on 9999-12-31" overflowed computing the period's exclusive end,
"revenue next year" as of 9999 overflowed in the parser, and a comparison before year 1
overflowed in the engine. The property test throws any period phrase, at any as-of
day from year 1 to 9999, through the parser, the period resolver and the engine.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.parser import ParseContext, Parsed, Unanswerable, parse
from storage.catalog import AsOf, Engine
from storage.catalog.periods import FIRST_DAY, LAST_DAY, Period, resolve_period
from storage.errors import PeriodError, TallyError
from tests.agents.parser_cases import ALL

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
REFUSAL = "I can only answer for dates between 1900-01-01 and 2299-12-31"


def refusal_of(text: str, day: date = date(2025, 11, 19)) -> str:
    parsed = parse(text, ParseContext(AsOf.for_day(day, SAO_PAULO), ALL, None))
    assert isinstance(parsed, Unanswerable), f"{text!r} -> {parsed}"
    return parsed.missing


@pytest.mark.parametrize("text", [
    "revenue on 9999-12-31",
    "revenue 9999-12-31",
    "revenue from 9999-12-01 to 9999-12-31",
    "revenue since 0001-01-01",
    "revenue on 0001-01-01",
    "revenue the week of 0001-01-01",
    "revenue 31/12/9999",
    "revenue from 1899-12-01 to 1900-01-31",
    "revenue last 9999 months",
    "revenue from 1900-01-01 to 1900-01-31 vs last year",
    "revenue on 1900-01-01 vs previous period",
])
def test_dates_outside_the_calendar_are_refused_with_its_bounds(text):
    assert REFUSAL in refusal_of(text)


@pytest.mark.parametrize(("text", "day"), [
    ("revenue yesterday", date(1900, 1, 1)),
    ("revenue last year", date(1900, 6, 1)),
    ("revenue last month vs last year", date(1900, 3, 1)),
])
def test_relative_periods_that_leave_the_calendar_are_refused(text, day):
    assert REFUSAL in refusal_of(text, day)


def test_the_last_day_of_the_calendar_is_still_answered():
    parsed = parse("revenue today vs last year",
                   ParseContext(AsOf.for_day(LAST_DAY, SAO_PAULO), ALL, None))
    assert isinstance(parsed, Parsed)
    assert parsed.query.period is not None and parsed.query.period.end == date(2300, 1, 1)


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1899, 12, 31), date(2300, 1, 1),
                                 date(9999, 12, 31)])
def test_an_as_of_day_outside_the_calendar_is_a_period_error(day):
    with pytest.raises(PeriodError, match=f"as of {day.isoformat()} falls outside"):
        AsOf.for_day(day, SAO_PAULO)


def test_a_period_cannot_be_built_outside_the_calendar():
    with pytest.raises(PeriodError, match="1899-12-31 falls outside"):
        Period(date(1899, 12, 31), FIRST_DAY, "day")
    with pytest.raises(PeriodError, match=REFUSAL):
        Period(LAST_DAY, date(2300, 1, 2), "range").previous()
    with pytest.raises(PeriodError, match=REFUSAL):
        Period(FIRST_DAY, date(1900, 2, 1), "month").year_ago()


# --- the property: any phrase, any day ---------------------------------------------------

ANY_DAY = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
EDGE_DAY = st.sampled_from([date(1, 1, 1), date(1, 1, 2), FIRST_DAY, date(1900, 1, 2),
                            LAST_DAY, date(2299, 12, 30), date(9999, 12, 31), date(9999, 12, 30)])
DAY = st.one_of(ANY_DAY, EDGE_DAY)
WORD_YEAR = st.integers(min_value=1900, max_value=2099)  # the years the parser reads in words
MONTH = st.sampled_from(["january", "feb", "march", "sept", "december"])
NUMBER = st.one_of(st.integers(0, 40), st.integers(0, 10**6), st.just(99999999999999999999))
UNIT = st.sampled_from(["days", "weeks", "months", "quarters", "years", "d", "w", "m"])
FIXED = st.sampled_from([
    "today", "yesterday", "this week", "last week", "this month", "last month", "this quarter",
    "last quarter", "this year", "last year", "ytd", "mtd", "all time", "ever", "next year",
    "last weekend", "h1", "h2", "the first half", "q1", "q4", "last march", "since march",
    "on friday", "since monday", "at the end of last month", "at the start of the year",
    "the end of the year", "past week", "past year", "ttm", "l12m", "last 30",
])


def _iso(day: date) -> str:
    return day.isoformat()


PHRASE = st.one_of(
    FIXED,
    DAY.map(_iso),
    DAY.map(lambda d: f"on {d.isoformat()}"),
    DAY.map(lambda d: f"since {d.isoformat()}"),
    DAY.map(lambda d: f"the week of {d.isoformat()}"),
    DAY.map(lambda d: f"the week starting {d.isoformat()}"),
    DAY.map(lambda d: f"{d.day:02d}/{d.month:02d}/{d.year:04d}"),
    DAY.map(lambda d: f"{d.year:04d}/{d.month:02d}/{d.day:02d}"),
    st.tuples(DAY, DAY).map(lambda p: f"from {p[0].isoformat()} to {p[1].isoformat()}"),
    st.tuples(MONTH, WORD_YEAR).map(lambda p: f"{p[0]} {p[1]}"),
    st.tuples(MONTH, st.integers(1, 31), WORD_YEAR).map(lambda p: f"{p[0]} {p[1]} {p[2]}"),
    st.tuples(MONTH, st.integers(1, 31)).map(lambda p: f"since {p[0]} {p[1]}"),
    st.tuples(st.integers(1, 4), WORD_YEAR).map(lambda p: f"q{p[0]} {p[1]}"),
    WORD_YEAR.map(lambda y: f"in {y}"),
    WORD_YEAR.map(lambda y: f"h2 {y}"),
    WORD_YEAR.map(lambda y: f"at the end of {y}"),
    WORD_YEAR.map(lambda y: f"at the start of q1 {y}"),
    st.integers(1, 9999).map(lambda y: f"in {y:04d}"),
    st.tuples(NUMBER, UNIT).map(lambda p: f"last {p[0]} {p[1]}"),
)
SUFFIX = st.sampled_from(["", " vs previous period", " vs last year", " vs the year before",
                          " by day", " by week", " by month"])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(day=DAY, phrase=PHRASE, second=st.one_of(st.none(), PHRASE), suffix=SUFFIX)
def test_any_period_phrase_on_any_day_is_answered_or_refused_in_words(shop: Engine, day, phrase,
                                                                       second, suffix):
    try:
        as_of = AsOf.for_day(day, shop.workspace.tz)
    except PeriodError as error:
        assert REFUSAL in str(error)
        return
    try:
        resolve_period(phrase, as_of)
    except PeriodError as error:
        assert str(error)
    text = f"revenue {phrase}" + (f" vs {second}" if second else "") + suffix
    parsed = parse(text, ParseContext(as_of, ALL, None))
    if isinstance(parsed, Unanswerable):
        assert parsed.missing and "Error" not in parsed.missing
        return
    assert isinstance(parsed, Parsed), parsed
    period = parsed.query.period
    if "by day" in suffix and period is not None and period.days > 3700:
        return  # a decade of daily rows is slow to check, not wrong
    try:
        shop.run(parsed.query, as_of)
    except TallyError as error:
        assert str(error)
