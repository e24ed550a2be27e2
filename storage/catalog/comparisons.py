"""Comparisons and breakdowns over time: the period compared with, the day/week/month
buckets of a period, and the change between two values (metrics.md)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from storage.catalog.model import Comparison, Value
from storage.catalog.periods import AsOf, Period, add_months


def comparison_sql_marker(comparison: Comparison) -> tuple[str, ...]:
    """Comparison queries are the same SQL over another period; say which."""
    return (f"-- compared with {comparison.period.start} .. {comparison.period.end} (same SQL)",)


def comparison_period(period: Period, compare: str) -> Period:
    """The period a comparison runs over (metrics.md: previous of the same kind, or a year ago)."""
    return period.year_ago() if compare == "year" else period.previous()


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
