"""Period edges for any day and any zone: "today" late in the evening, quarters all year.

The fixed-date tests (test_periods.py) ask on one Wednesday in November; these ask on
the days where a slip shows: 23:30 in São Paulo (already tomorrow in UTC), a March and
a December "today", and, as properties, every day of 2020-2040 in zones from UTC−10
to UTC+13:45.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.catalog.periods import AsOf, resolve_period

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
ZONES = ["UTC", "America/Sao_Paulo", "America/New_York", "Pacific/Honolulu", "America/St_Johns",
         "Europe/London", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo", "Australia/Lord_Howe",
         "Pacific/Auckland", "Pacific/Chatham"]
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))
INSTANTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 12, 31),
                        timezones=st.just(UTC))


def span(phrase: str, today: date) -> tuple[str, str]:
    period = resolve_period(phrase, AsOf.for_day(today, SAO_PAULO))
    return period.start.isoformat(), period.end.isoformat()


def test_half_past_eleven_at_night_in_sao_paulo_is_still_today():
    # 23:30 on Mar 31 in São Paulo is 02:30 UTC on Apr 1: "today" is still March 31.
    as_of = AsOf.now(SAO_PAULO, datetime(2025, 4, 1, 2, 30, tzinfo=UTC))
    assert as_of.day == date(2025, 3, 31)
    assert resolve_period("this month", as_of).start == date(2025, 3, 1)
    assert resolve_period("yesterday", as_of).start == date(2025, 3, 30)


def test_just_after_midnight_in_tokyo_is_already_tomorrow():
    # 00:15 on Jan 1 in Tokyo is 15:15 UTC on Dec 31: the new year has begun there.
    as_of = AsOf.now(ZoneInfo("Asia/Tokyo"), datetime(2025, 12, 31, 15, 15, tzinfo=UTC))
    assert as_of.day == date(2026, 1, 1)
    assert resolve_period("this year", as_of).start == date(2026, 1, 1)


@pytest.mark.parametrize(("today", "this_quarter", "last_quarter"), [
    (date(2026, 3, 15), ("2026-01-01", "2026-03-16"), ("2025-10-01", "2026-01-01")),
    (date(2025, 12, 10), ("2025-10-01", "2025-12-11"), ("2025-07-01", "2025-10-01")),
    (date(2025, 12, 31), ("2025-10-01", "2026-01-01"), ("2025-07-01", "2025-10-01")),
    (date(2025, 1, 1), ("2025-01-01", "2025-01-02"), ("2024-10-01", "2025-01-01")),
    (date(2025, 6, 30), ("2025-04-01", "2025-07-01"), ("2025-01-01", "2025-04-01")),
])
def test_quarters_asked_in_march_and_december(today, this_quarter, last_quarter):
    assert span("this quarter", today) == this_quarter
    assert span("QTD", today) == this_quarter
    assert span("last quarter", today) == last_quarter


@given(instant=INSTANTS, zone=st.sampled_from(ZONES))
def test_today_holds_the_instant_it_was_asked_in_any_zone(instant, zone):
    tz = ZoneInfo(zone)
    as_of = AsOf.now(tz, instant)
    start, end = resolve_period("today", as_of).utc_bounds(tz)
    assert start <= instant.replace(tzinfo=None) < end
    assert as_of.instant == instant


@given(today=DAYS)
def test_quarters_start_on_a_quarter_month_and_hold_today(today):
    this = resolve_period("this quarter", AsOf.for_day(today, SAO_PAULO))
    last = resolve_period("last quarter", AsOf.for_day(today, SAO_PAULO))
    assert this.start.day == 1 and this.start.month in (1, 4, 7, 10)
    assert this.start <= today < this.end == today + timedelta(days=1)
    assert (today - this.start).days < 92
    assert last.end == this.start and last.start.day == 1 and last.start.month in (1, 4, 7, 10)
    assert 89 <= last.days <= 92


@given(today=DAYS)
def test_months_and_weeks_tile_the_calendar_around_today(today):
    as_of = AsOf.for_day(today, SAO_PAULO)
    this_month, last_month = resolve_period("this month", as_of), resolve_period("last month", as_of)
    assert this_month.start == today.replace(day=1) and this_month.end == today + timedelta(days=1)
    assert last_month.end == this_month.start and last_month.start.day == 1
    assert (last_month.end - timedelta(days=1)).month == last_month.start.month
    this_week, last_week = resolve_period("this week", as_of), resolve_period("last week", as_of)
    assert this_week.start.weekday() == 0 and 0 <= (today - this_week.start).days < 7
    assert last_week.end == this_week.start and last_week.days == 7
    this_year, last_year = resolve_period("this year", as_of), resolve_period("last year", as_of)
    assert this_year.start == date(today.year, 1, 1) and last_year.end == this_year.start
    assert last_year.start == date(today.year - 1, 1, 1)


@given(today=DAYS, n=st.integers(min_value=1, max_value=400))
def test_last_n_days_are_the_n_full_days_before_today(today, n):
    period = resolve_period(f"last {n} days", AsOf.for_day(today, SAO_PAULO))
    assert period.end == today and period.days == n
