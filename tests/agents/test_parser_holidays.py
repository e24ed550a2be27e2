"""Holidays are one-day periods: the most recent one, or the year said (issue #15, the shop
owner's questions)."""

from __future__ import annotations

import pytest

from agents.parser import Parsed, Unanswerable
from tests.agents.parser_cases import SHOP_ONLY, Q, ask, assert_parses


@pytest.mark.parametrize(("question", "day"), [
    ("orders on mother's day", ("2025-05-11", "2025-05-12")),
    ("how much did we sell on memorial day", ("2025-05-26", "2025-05-27")),
    ("revenue on thanksgiving", ("2024-11-28", "2024-11-29")),  # this year's is to come
    ("black friday revenue last year", ("2024-11-29", "2024-11-30")),
    ("orders on christmas eve 2024", ("2024-12-24", "2024-12-25")),
    ("how much did we sell on new year's day", ("2025-01-01", "2025-01-02")),
])
def test_a_holiday_is_its_day(question: str, day: tuple[str, str]) -> None:
    metric = "orders" if question.startswith("orders") else "revenue"
    assert_parses(question, Q(metric, period=day), SHOP_ONLY)


def test_a_holiday_not_yet_come_this_year_is_refused() -> None:
    assert isinstance(ask("black friday sales this year", SHOP_ONLY), Unanswerable)


@pytest.mark.parametrize(("question", "period"), [
    ("revenue the day before yesterday", ("2025-11-17", "2025-11-18")),
    ("revenue in q4 last year", ("2024-10-01", "2025-01-01")),
    ("revenue jan through march", ("2025-01-01", "2025-04-01")),
    ("revenue sep through oct", ("2025-09-01", "2025-11-01")),
    ("revenue 5/20", ("2025-05-20", "2025-05-21")),
])
def test_named_days_and_spans_are_their_dates(question: str, period: tuple[str, str]) -> None:
    assert_parses(question, Q("revenue", period=period), SHOP_ONLY)


def test_a_slash_date_that_reads_both_ways_is_still_refused() -> None:
    assert isinstance(ask("revenue 3/4", SHOP_ONLY), Unanswerable)


def test_a_change_from_one_month_to_another_is_not_a_span() -> None:
    parsed = ask("how did revenue change from september to october", SHOP_ONLY)
    assert not (isinstance(parsed, Parsed) and parsed.query.period is not None
                and parsed.query.period.start.month == 9)
