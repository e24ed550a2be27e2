"""The period and comparison of a draft: one period, or two read as a comparison."""

from __future__ import annotations

import contextlib
from typing import cast

from agents.parser.draft import Draft
from agents.parser.periods import resolve
from agents.parser.types import Refusal
from storage.catalog.comparisons import comparison_period
from storage.catalog.model import Compare
from storage.catalog.periods import Period, outside_calendar
from storage.errors import PeriodError


def draft_period(draft: Draft) -> tuple[Period | None, Compare | None]:
    if len({hit.phrase for hit in draft.periods}) > 1:
        return _two_periods(draft)
    period = draft.periods[0].period if draft.periods else None
    hit = draft.compare
    if hit is None:
        return period, None
    if period is None and hit.implied:
        period = resolve(hit.implied, draft.as_of)
        draft.extra.append(f"period: {period.describe()} (implied by '{hit.words}')")
        draft.periods.clear()
    elif period is not None and hit.unit and not _same_unit(period, hit.unit):
        raise Refusal(f"'{hit.words}' does not match {period.describe()}; I compare with the "
                      "previous period of the same kind ('vs previous period') or the same "
                      "dates last year ('vs last year')")
    draft.extra.append(f"compare: {_COMPARE_WORDS[hit.kind]}")
    if period is not None and hit.kind not in dict(_earlier_candidates(period)):
        raise Refusal(f"'{hit.words}': {outside_calendar('the period to compare with')}")
    return period, hit.kind


_COMPARE_WORDS = {"previous": "previous period", "year": "same dates last year",
                  "week": "same day last week"}


def _two_periods(draft: Draft) -> tuple[Period, Compare]:
    """ "Q3 2025 vs Q3 2024", "october vs september": the later period, compared with the
    earlier one when it is the previous period or the same dates a year before."""
    if len(draft.periods) == 2 and draft.compare is None:
        earlier, later = sorted((hit.period for hit in draft.periods), key=lambda p: p.start)
        for kind, candidate in _earlier_candidates(later):
            if (candidate.start, candidate.end) == (earlier.start, earlier.end):
                draft.extra.append(f"compare: {_COMPARE_WORDS[kind]}")
                draft.periods[:] = [h for h in draft.periods if h.period is later]
                return later, cast(Compare, kind)
    said = " and ".join(f"'{hit.words}'" for hit in draft.periods[:2])
    raise Refusal(f"two periods ({said}); I can compare a period with the one before it or "
                  "with the same dates a year earlier ('vs previous period', 'vs last year')",
                  tuple((hit.words, "") for hit in reversed(draft.periods[:2])))  # each alone


def _earlier_candidates(later: Period) -> list[tuple[str, Period]]:
    """The previous period and the same dates a year before, where the calendar has them."""
    found = []
    for kind, shift in (("previous", later.previous), ("year", later.year_ago)):
        with contextlib.suppress(PeriodError):  # before the first day Tally answers for
            found.append((kind, shift()))
    if later.days == 1:  # "today vs last wednesday": the same day a week earlier
        with contextlib.suppress(PeriodError):
            found.append(("week", comparison_period(later, "week")))
    return found


def _same_unit(period: Period, unit: str) -> bool:
    """ "this month vs last month" matches; "this month vs last week" does not.

    A rolling or explicit range ("last 30 days") has a clear previous period of
    the same length, so any unit is accepted there.
    """
    if period.kind in ("days", "range"):
        return True
    base = {"mtd": "month", "wtd": "week", "qtd": "quarter", "ytd": "year"}
    return base.get(period.kind, period.kind).rstrip("s") == unit.rstrip("s")
