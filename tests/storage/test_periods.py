"""Every period phrase of metrics.md, resolved in the workspace's calendar."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from storage.catalog.periods import AsOf, resolve_period
from storage.errors import PeriodError

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
AS_OF = AsOf.for_day(date(2025, 11, 19), SAO_PAULO)  # a Wednesday


@pytest.mark.parametrize(("phrase", "start", "end"), [
    ("today", "2025-11-19", "2025-11-20"),
    ("yesterday", "2025-11-18", "2025-11-19"),
    ("this week", "2025-11-17", "2025-11-20"),
    ("week to date", "2025-11-17", "2025-11-20"),
    ("last week", "2025-11-10", "2025-11-17"),
    ("this month", "2025-11-01", "2025-11-20"),
    ("MTD", "2025-11-01", "2025-11-20"),
    ("this quarter", "2025-10-01", "2025-11-20"),
    ("QTD", "2025-10-01", "2025-11-20"),
    ("this year", "2025-01-01", "2025-11-20"),
    ("YTD", "2025-01-01", "2025-11-20"),
    ("last month", "2025-10-01", "2025-11-01"),
    ("last quarter", "2025-07-01", "2025-10-01"),
    ("last year", "2024-01-01", "2025-01-01"),
    ("last 7 days", "2025-11-12", "2025-11-19"),
    ("past 30 days", "2025-10-20", "2025-11-19"),
    ("last 2 weeks", "2025-11-03", "2025-11-17"),
    ("last 3 months", "2025-08-01", "2025-11-01"),
    ("March 2025", "2025-03-01", "2025-04-01"),
    ("Q1 2025", "2025-01-01", "2025-04-01"),
    ("2025", "2025-01-01", "2026-01-01"),
    ("2025-03-04", "2025-03-04", "2025-03-05"),
    ("from 2025-03-01 to 2025-03-15", "2025-03-01", "2025-03-16"),
])
def test_phrases(phrase, start, end):
    period = resolve_period(phrase, AS_OF)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize(("phrase", "start", "end"), [
    ("last month", "2025-09-01", "2025-10-01"),      # the month before a calendar month
    ("last quarter", "2025-04-01", "2025-07-01"),
    ("last week", "2025-11-03", "2025-11-10"),
    ("last 7 days", "2025-11-05", "2025-11-12"),     # the N days before
    ("this month", "2025-10-01", "2025-10-20"),      # MTD: same number of days of last month
    ("this week", "2025-11-10", "2025-11-13"),       # WTD: Monday to Wednesday a week earlier
    ("this year", "2024-01-01", "2024-11-19"),       # YTD: 323 days from Jan 1 (2024 is leap)
])
def test_previous_period(phrase, start, end):
    previous = resolve_period(phrase, AS_OF).previous()
    assert (previous.start.isoformat(), previous.end.isoformat()) == (start, end)


def test_mtd_on_the_31st_compares_with_the_whole_shorter_month():
    as_of = AsOf.for_day(date(2025, 3, 31), SAO_PAULO)
    previous = resolve_period("this month", as_of).previous()
    assert (previous.start.isoformat(), previous.end.isoformat()) == ("2025-02-01", "2025-03-01")


def test_year_over_year_handles_leap_day():
    period = resolve_period("2024-02-29", AS_OF).year_ago()
    assert period.start.isoformat() == "2023-02-28"


def test_last_week_in_sao_paulo_starts_monday_0300_utc():
    start, end = resolve_period("last week", AS_OF).utc_bounds(SAO_PAULO)
    assert (start.isoformat(), end.isoformat()) == ("2025-11-10T03:00:00", "2025-11-17T03:00:00")


def test_as_of_is_the_end_of_the_day():
    assert AS_OF.instant.isoformat() == "2025-11-20T03:00:00+00:00"


def test_describe_names_the_period_in_words():
    assert resolve_period("last month", AS_OF).describe() == "last month (October 2025)"


@pytest.mark.parametrize("phrase", ["next month", "from 2025-03-10 to 2025-03-01", "2025-02-30",
                                    "last 0 days", "fortnight"])
def test_nonsense_is_refused(phrase):
    with pytest.raises(PeriodError):
        resolve_period(phrase, AS_OF)
