"""Daily reports (GA4, ad platforms): date windows from a cursor, with a look-back.

Providers keep revising recent days (late conversions, attribution windows), so
each sync re-reads the last ``lookback_days`` before the cursor; the rows are
upserted by date, so re-reading never duplicates. One window is one batch, and
the cursor (the last day read) commits with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from connectors.base import Batch, Row, dump_cursor, load_cursor, tables_of
from connectors.errors import ConnectorConfigError

Fetch = Callable[[date, date], Awaitable[Mapping[str, Sequence[Row]]]]


@dataclass(frozen=True)
class DailyPlan:
    """How a daily stream walks time.

    Attributes:
        lookback_days: days before the cursor read again each sync.
        window_days: days per request (and per batch).
        history_days: how far back the first sync starts without a ``start_date`` option.
    """

    lookback_days: int = 3
    window_days: int = 30
    history_days: int = 90


def first_day(options: Mapping[str, Any], today: date, plan: DailyPlan) -> date:
    """The ``start_date`` option, else ``history_days`` before today."""
    value = options.get("start_date")
    if not value:
        return today - timedelta(days=plan.history_days)
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConnectorConfigError(f"--start-date must be YYYY-MM-DD (got {value!r})") from None


def windows(cursor: str | None, start: date, today: date, plan: DailyPlan) -> list[tuple[date, date]]:
    """The [first, last] day windows (inclusive) to read, oldest first, through today."""
    through = load_cursor(cursor).get("through")
    if through:
        start = max(start, date.fromisoformat(through) - timedelta(days=plan.lookback_days - 1))
    found = []
    while start <= today:
        end = min(start + timedelta(days=plan.window_days - 1), today)
        found.append((start, end))
        start = end + timedelta(days=1)
    return found


async def daily_batches(stream: str, cursor: str | None, start: date, today: date, plan: DailyPlan,
                        fetch: Fetch) -> AsyncIterator[Batch]:
    """One batch per window, each carrying the cursor "read through the window's last day"."""
    for first, last in windows(cursor, start, today, plan):
        rows = await fetch(first, last)
        yield Batch(stream, tables_of(rows), dump_cursor({"through": last.isoformat()}))
