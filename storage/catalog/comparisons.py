"""Comparisons and breakdowns over time: the period compared with, the day/week/month
buckets of a period, and the change between two values (metrics.md)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from storage.catalog.model import Comparison, Value
from storage.catalog.periods import AsOf, Period, add_months, local_midnight


def comparison_sql_marker(comparison: Comparison) -> tuple[str, ...]:
    """Comparison queries are the same SQL over another period; say which."""
    return (f"-- compared with {comparison.period.start} .. {comparison.period.end} (same SQL)",)


def comparison_period(period: Period, compare: str) -> Period:
    """The period a comparison runs over (metrics.md): the previous one of the same kind,
    the same dates a year earlier, or the same days a week earlier."""
    if compare == "year":
        return period.year_ago()
    if compare == "week":
        week = timedelta(days=7)
        return Period(period.start - week, period.end - week, period.kind, "", period.n)
    return period.previous()


def elapsed_as_of(period: Period, other: Period, as_of: AsOf, tz: ZoneInfo) -> AsOf:
    """The "now" of a comparison period: a period that runs up to now (today, MTD, this
    week) is compared up to the same elapsed time of the other period's last day, so a
    morning's partial day is never set against a whole day (metrics.md). Whole periods,
    and ``--as-of`` days (the end of the day), are compared whole."""
    today_ends = local_midnight(as_of.day + timedelta(days=1), tz)
    if period.end != as_of.day + timedelta(days=1) or as_of.instant >= today_ends:
        return as_of
    elapsed = as_of.instant - local_midnight(as_of.day, tz)
    last_day = other.end - timedelta(days=1)
    cutoff = local_midnight(last_day, tz) + elapsed
    return AsOf(last_day, min(cutoff, local_midnight(other.end, tz)), cuts_flows=True)


def buckets(period: Period, grain: str, as_of: AsOf) -> list[Period]:
    """The day/week/month sub-periods of a period (clipped to it and to as_of)."""
    last = min(period.end, as_of.day + timedelta(days=1))
    found: list[Period] = []
    cursor = _bucket_start(period.start, grain)
    while cursor < last:
        nxt = (cursor + timedelta(days=1) if grain == "day" else cursor + timedelta(days=7)
               if grain == "week" else add_months(cursor, 1))
        found.append(Period(max(cursor, period.start), min(nxt, period.end), grain))
        cursor = nxt
    return found


def _bucket_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def difference(current: Value, previous: Value) -> Value:
    """The change between two values; None when either is not a number."""
    if not isinstance(current, int | float | Decimal) or isinstance(current, bool):
        return None
    if not isinstance(previous, int | float | Decimal) or isinstance(previous, bool):
        return None
    if isinstance(current, Decimal) != isinstance(previous, Decimal):
        return float(current) - float(previous)
    return current - previous  # type: ignore[operator]


def change_rate(current: Value, previous: Value) -> float | None:
    """Relative change; None when the previous value is 0 or missing (reported as "new")."""
    diff = difference(current, previous)
    if diff is None or previous in (0, None) or isinstance(previous, str | bool):
        return None
    return float(diff) / abs(float(previous))  # type: ignore[arg-type]
