"""Parser answers that depend on the day asked, and words two metrics share.

The other parser tests ask on Wednesday 2025-11-19; "last november" asked that very
month, and "this quarter" asked in March or December, need other days. "Repeat
customers" is a count; "repeat rate" is the rate.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from agents.parser import ParseContext, Parsed, parse
from storage.catalog.model import ACTIVE_PRODUCTS, Order
from storage.catalog.periods import AsOf
from tests.agents.parser_cases import ALL, LAST_MONTH, F, Q, assert_parses, assert_refused

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def span_on(text: str, today: date) -> tuple[str, str]:
    parsed = parse(text, ParseContext(AsOf.for_day(today, SAO_PAULO), ALL, "Sharpie"))
    assert isinstance(parsed, Parsed), f"{text!r} -> {parsed}"
    assert parsed.query.period is not None
    return parsed.query.period.start.isoformat(), parsed.query.period.end.isoformat()


@pytest.mark.parametrize(("text", "today", "expected"), [
    # Asked in November, "last november" is the one that is over: a year ago.
    ("revenue last november", date(2025, 11, 19), ("2024-11-01", "2024-12-01")),
    ("revenue last november", date(2025, 11, 30), ("2024-11-01", "2024-12-01")),
    ("revenue last november", date(2025, 12, 1), ("2025-11-01", "2025-12-01")),
    ("revenue last november", date(2025, 10, 31), ("2024-11-01", "2024-12-01")),
    ("orders last march", date(2026, 3, 2), ("2025-03-01", "2025-04-01")),
    ("orders last march", date(2026, 4, 1), ("2026-03-01", "2026-04-01")),
    ("orders last jan", date(2026, 1, 15), ("2025-01-01", "2025-02-01")),
])
def test_last_month_name_is_the_most_recent_one_that_is_over(text, today, expected):
    assert span_on(text, today) == expected


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("revenue this quarter", date(2026, 3, 15), ("2026-01-01", "2026-03-16")),
    ("revenue last quarter", date(2026, 3, 15), ("2025-10-01", "2026-01-01")),
    ("revenue this quarter", date(2025, 12, 10), ("2025-10-01", "2025-12-11")),
    ("revenue last quarter", date(2025, 12, 10), ("2025-07-01", "2025-10-01")),
    ("revenue today", date(2025, 12, 31), ("2025-12-31", "2026-01-01")),
])
def test_quarters_asked_in_march_and_december(text, today, expected):
    assert span_on(text, today) == expected


@pytest.mark.parametrize(("text", "metric"), [
    ("repeat customers last month", "returning_customers"),
    ("how many repeat customers last month", "returning_customers"),
    ("repeat buyers last month", "returning_customers"),
    ("repeat rate last month", "repeat_rate"),
    ("repeat customer rate last month", "repeat_rate"),
    ("repeat purchase rate last month", "repeat_rate"),
])
def test_repeat_customers_is_a_count_and_repeat_rate_a_rate(text, metric):
    assert_parses(text, Q(metric, period=LAST_MONTH))


@pytest.mark.parametrize(("text", "today", "expected"), [
    # A half without a year is the most recent one that has begun.
    ("revenue H1", date(2025, 11, 19), ("2025-01-01", "2025-07-01")),
    ("revenue H2", date(2025, 11, 19), ("2025-07-01", "2026-01-01")),
    ("revenue H1", date(2026, 3, 10), ("2026-01-01", "2026-07-01")),
    ("revenue H2", date(2026, 3, 10), ("2025-07-01", "2026-01-01")),
    ("revenue second half", date(2026, 6, 30), ("2025-07-01", "2026-01-01")),
    ("revenue second half", date(2026, 7, 1), ("2026-07-01", "2027-01-01")),
    ("revenue 2nd half of 2024", date(2025, 11, 19), ("2024-07-01", "2025-01-01")),
    ("revenue first half of 2024", date(2025, 11, 19), ("2024-01-01", "2024-07-01")),
    # A range written with one year, or none (the most recent such dates).
    ("revenue march 1 to march 15 2024", date(2025, 11, 19), ("2024-03-01", "2024-03-16")),
    ("revenue march 1-15", date(2025, 11, 19), ("2025-03-01", "2025-03-16")),
    ("revenue march 1-15", date(2026, 2, 10), ("2025-03-01", "2025-03-16")),
    ("revenue from dec 20 to jan 5", date(2026, 2, 10), ("2025-12-20", "2026-01-06")),
    # "since <month>": from the first of the most recent one to today.
    ("revenue since march", date(2025, 11, 19), ("2025-03-01", "2025-11-20")),
    ("revenue since march", date(2026, 2, 10), ("2025-03-01", "2026-02-11")),
    ("revenue since november", date(2025, 11, 19), ("2025-11-01", "2025-11-20")),
    # A weekday is the most recent one before today (Nov 19, 2025 is a Wednesday).
    ("revenue on friday", date(2025, 11, 19), ("2025-11-14", "2025-11-15")),
    ("revenue last wednesday", date(2025, 11, 19), ("2025-11-12", "2025-11-13")),
    ("revenue on tuesday", date(2025, 11, 19), ("2025-11-18", "2025-11-19")),
    ("revenue on thurs", date(2025, 11, 19), ("2025-11-13", "2025-11-14")),
    ("revenue since monday", date(2025, 11, 19), ("2025-11-17", "2025-11-20")),
])
def test_colloquial_periods_on_the_day_asked(text, today, expected):
    assert span_on(text, today) == expected


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("mrr at the end of q2 2025", date(2025, 11, 19), ("2025-04-01", "2025-07-01")),
    ("mrr at the end of 2024", date(2025, 11, 19), ("2024-01-01", "2025-01-01")),
    ("mrr at the end of last quarter", date(2025, 11, 19), ("2025-07-01", "2025-10-01")),
    ("mrr at the end of last year", date(2025, 11, 19), ("2024-01-01", "2025-01-01")),
    ("mrr at the end of september", date(2025, 11, 19), ("2025-09-01", "2025-10-01")),
])
def test_a_stock_at_the_end_of_a_period_that_is_over(text, today, expected):
    assert span_on(text, today) == expected


@pytest.mark.parametrize("text", ["mrr at the end of the month", "mrr at the end of this quarter",
                                  "mrr at the end of 2026", "mrr at the end of december 2025"])
def test_the_end_of_a_period_not_yet_over_is_a_refused_forecast(text):
    parsed = parse(text, ParseContext(AsOf.for_day(date(2025, 11, 19), SAO_PAULO), ALL, "Sharpie"))
    assert not isinstance(parsed, Parsed) and "no forecasts" in parsed.missing


def test_two_periods_that_are_not_a_comparison_are_refused_with_both_named():
    parsed = parse("revenue march 2025 and july 2025", ParseContext(
        AsOf.for_day(date(2025, 11, 19), SAO_PAULO), ALL, "Sharpie"))
    assert not isinstance(parsed, Parsed)
    assert parsed.missing == (
        "two periods ('march 2025' and 'july 2025'); I can compare a period with the one before "
        "it or with the same dates a year earlier ('vs previous period', 'vs last year')")


@pytest.mark.parametrize(("text", "expected", "compare"), [
    ("revenue october 2025 vs september 2025", ("2025-10-01", "2025-11-01"), "previous"),
    ("revenue september 2025 vs october 2025", ("2025-10-01", "2025-11-01"), "previous"),
    ("revenue q3 2025 vs q3 2024", ("2025-07-01", "2025-10-01"), "year"),
])
def test_two_periods_a_comparison_apart_are_the_later_one_compared(text, expected, compare):
    parsed = parse(text, ParseContext(AsOf.for_day(date(2025, 11, 19), SAO_PAULO), ALL, "Sharpie"))
    assert isinstance(parsed, Parsed)
    period = parsed.query.period
    assert period is not None and (period.start.isoformat(), period.end.isoformat()) == expected
    assert parsed.query.compare == compare
    assert any(note.startswith("compare: ") for note in parsed.understood)


STOCK_ALERT = ("days_of_stock", "on_hand", "avg_daily_units")


@pytest.mark.parametrize(("text", "days"), [
    ("what runs out in the next week", 7),
    ("what will run out over the coming fortnight", 14),
    ("what runs out within the next month", 30),
    ("what runs out in a month", 30),
    ("what runs out in 10d", 10),
    ("what runs out within 3 wks", 21),
])
def test_a_stock_out_horizon_in_words_is_counted_in_days(text, days):
    assert_parses(text, Q(*STOCK_ALERT, by=("product",),
                          filters=(F("days_of_stock_below", str(days)), ACTIVE_PRODUCTS),
                          order=Order("days_of_stock", descending=False), intent="stock_alert_list"))


def test_part_of_one_name_is_that_name():
    assert_parses("units sold wallet last month",
                  Q("units_sold", period=LAST_MONTH, filters=(F("product", "Leather Wallet"),)))


def test_part_of_several_names_asks_which_one():
    assert_refused("units sold linen last month",
                   "'linen' matches several names: Linen Pants, Linen Shirt; which one?")
