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
from storage.catalog.periods import AsOf
from tests.agents.parser_cases import ALL, LAST_MONTH, Q, assert_parses

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
