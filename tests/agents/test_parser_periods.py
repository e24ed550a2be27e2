"""Every period phrase of metrics.md, its colloquial forms, and comparisons.

as_of is Wednesday 2025-11-19 (America/Sao_Paulo); each expected range is the
half-open [start, end) of local days, worked out by hand.
"""

from __future__ import annotations

import pytest

from tests.agents.parser_cases import (
    LAST_7_DAYS,
    LAST_30_DAYS,
    LAST_MONTH,
    LAST_QUARTER,
    LAST_WEEK,
    LAST_YEAR,
    MARCH_2025,
    THIS_MONTH,
    THIS_QUARTER,
    THIS_WEEK,
    THIS_YEAR,
    TODAY,
    YESTERDAY,
    Q,
    assert_parses,
)

PERIODS = [
    ("revenue for the week of nov 5", ("2025-11-03", "2025-11-10")),  # Mon–Sun holding Wed 5
    ("revenue the week of 2025-11-09", ("2025-11-03", "2025-11-10")),  # a Sunday: its week
    ("revenue the week starting nov 5", ("2025-11-05", "2025-11-12")),  # seven days from it
    ("revenue of all time", ("2000-01-01", "2025-11-20")),
    ("revenue last weekend", ("2025-11-15", "2025-11-17")),  # the Sat-Sun that is over
    ("revenue H1 2025", ("2025-01-01", "2025-07-01")),
    ("revenue in the second half of 2024", ("2024-07-01", "2025-01-01")),
    ("revenue today", TODAY),
    ("yesterday's revenue", YESTERDAY),
    ("revenue yday", YESTERDAY),
    ("revenue this week", THIS_WEEK),
    ("revenue week to date", THIS_WEEK),
    ("revenue wtd", THIS_WEEK),
    ("revenue this wk", THIS_WEEK),
    ("revenue since monday", THIS_WEEK),
    ("revenue last week", LAST_WEEK),
    ("revenue previous week", LAST_WEEK),
    ("revenue this month", THIS_MONTH),
    ("revenue MTD", THIS_MONTH),
    ("revenue month-to-date", THIS_MONTH),
    ("revenue so far this month", THIS_MONTH),
    ("revenue since the start of the month", THIS_MONTH),
    ("revenue last month", LAST_MONTH),
    ("revenue prev month", LAST_MONTH),
    ("revenue this quarter", THIS_QUARTER),
    ("revenue QTD", THIS_QUARTER),
    ("revenue last quarter", LAST_QUARTER),
    ("revenue this year", THIS_YEAR),
    ("revenue YTD", THIS_YEAR),
    ("revenue year to date", THIS_YEAR),
    ("revenue since the start of the year", THIS_YEAR),
    ("revenue last year", LAST_YEAR),
    ("revenue last 7 days", LAST_7_DAYS),
    ("revenue past 7 days", LAST_7_DAYS),
    ("revenue last 7d", LAST_7_DAYS),
    ("revenue past week", LAST_7_DAYS),
    ("revenue l7d", LAST_7_DAYS),
    ("revenue last 30", LAST_30_DAYS),
    ("revenue over the trailing 30 days", LAST_30_DAYS),
    ("revenue past month", LAST_30_DAYS),
    ("revenue last two weeks", ("2025-11-03", "2025-11-17")),
    ("revenue last 3 months", ("2025-08-01", "2025-11-01")),
    ("revenue last 12 months", ("2024-11-01", "2025-11-01")),
    ("revenue ttm", ("2024-11-01", "2025-11-01")),
    ("revenue in march", MARCH_2025),
    ("revenue march 2025", MARCH_2025),
    ("revenue Mar 2025", MARCH_2025),
    ("revenue in november", ("2025-11-01", "2025-12-01")),
    ("revenue last december", ("2024-12-01", "2025-01-01")),
    ("revenue Q1 2025", ("2025-01-01", "2025-04-01")),
    ("revenue 2025 q1", ("2025-01-01", "2025-04-01")),
    ("revenue q4", ("2025-10-01", "2026-01-01")),
    ("revenue first quarter of 2024", ("2024-01-01", "2024-04-01")),
    ("revenue in 2024", LAST_YEAR),
    ("revenue on 2025-03-04", ("2025-03-04", "2025-03-05")),
    ("revenue on march 4th", ("2025-03-04", "2025-03-05")),
    ("revenue 4 march 2025", ("2025-03-04", "2025-03-05")),
    ("revenue 25/03/2025", ("2025-03-25", "2025-03-26")),
    ("revenue from 2025-03-01 to 2025-03-15", ("2025-03-01", "2025-03-16")),
    ("revenue between 2025-03-01 and 2025-03-15", ("2025-03-01", "2025-03-16")),
    ("revenue from march 1 to march 15 2025", ("2025-03-01", "2025-03-16")),
    ("revenue march 1-15", ("2025-03-01", "2025-03-16")),
    ("revenue dec 20 to jan 5", ("2024-12-20", "2025-01-06")),
    ("revenue since march", ("2025-03-01", "2025-11-20")),
    ("revenue last friday", ("2025-11-14", "2025-11-15")),
]


@pytest.mark.parametrize(("text", "span"), PERIODS, ids=[c[0] for c in PERIODS])
def test_period_phrase_resolves_to_local_days(text, span):
    assert_parses(text, Q("revenue", period=span))


COMPARISONS = [
    ("revenue this month vs last year", Q("revenue", period=THIS_MONTH, compare="year")),
    ("revenue vs last year", Q("revenue", compare="year")),
    ("revenue yoy", Q("revenue", compare="year")),
    ("revenue year over year last month", Q("revenue", period=LAST_MONTH, compare="year")),
    ("revenue this quarter compared to last year", Q("revenue", period=THIS_QUARTER,
                                                     compare="year")),
    ("revenue this year vs same period last year", Q("revenue", period=THIS_YEAR,
                                                     compare="year")),
    ("revenue last month compared to the month before", Q("revenue", period=LAST_MONTH,
                                                          compare="previous")),
    ("revenue mtd vs previous period", Q("revenue", period=THIS_MONTH, compare="previous")),
    ("revenue this week vs last week", Q("revenue", period=THIS_WEEK, compare="previous")),
    ("revenue last 30 days vs prior 30 days", Q("revenue", period=LAST_30_DAYS,
                                                 compare="previous")),
    ("revenue change last month", Q("revenue", period=LAST_MONTH, compare="previous")),
    ("revenue trend vs prior", Q("revenue", compare="previous")),
    ("MoM revenue", Q("revenue", period=THIS_MONTH, compare="previous")),
    ("revenue today vs yesterday", Q("revenue", period=TODAY, compare="previous")),
    ("did revenue drop last week", Q("revenue", period=LAST_WEEK, compare="previous")),
    ("revenue Q3 2025 vs Q3 2024", Q("revenue", period=("2025-07-01", "2025-10-01"),
                                      compare="year")),
    ("revenue in march vs april", Q("revenue", period=("2025-04-01", "2025-05-01"),
                                    compare="previous")),
]


@pytest.mark.parametrize(("text", "expected"), COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparison_is_previous_period_or_year(text, expected):
    assert_parses(text, expected)


def test_last_year_alone_is_a_period_not_a_comparison():
    parsed = assert_parses("revenue last year", Q("revenue", period=LAST_YEAR))
    assert parsed.query.compare is None


def test_implied_period_is_reported():
    parsed = assert_parses("revenue vs last month", Q("revenue", period=THIS_MONTH,
                                                      compare="previous"))
    assert any("implied by 'vs last month'" in note for note in parsed.understood)


def test_no_period_said_leaves_the_catalog_default():
    parsed = assert_parses("revenue by country", Q("revenue", by=("country",)))
    assert parsed.query.period is None
