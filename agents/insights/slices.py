"""Slice checks: a big move of one segment that the total's own noise hides.

A revenue total is noisy, so a 75% collapse of one marketplace in one country can leave
it inside its usual range while being plainly visible in the segment itself. For the
metrics of :data:`SLICES`, the segments' daily values come from one catalog query (by
day and the slice dimensions); each segment with at least :data:`MIN_SHARE` of the
metric is checked against its own same-weekday history with the detector's rule, and
it counts only when its move is material to the total: at least :data:`MATERIAL` of
the total's expected value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from agents.insights.series import (
    HISTORY_WEEKS,
    Baseline,
    DailySeries,
    is_anomalous,
    number,
    robust_baseline,
)
from storage.catalog import AsOf, Engine, Query
from storage.catalog.periods import Period

#: metric → the dimensions whose combinations are checked
SLICES: dict[str, tuple[str, ...]] = {"revenue": ("country", "sales_channel")}
MIN_SHARE = 0.10
MATERIAL = 0.15


@dataclass(frozen=True)
class SliceMove:
    """One segment's anomalous day: ``segment`` like "BR · marketplace"."""

    metric: str
    dimensions: tuple[str, ...]
    segment: tuple[str, ...]
    value: float
    baseline: Baseline

    @property
    def name(self) -> str:
        """"BR · marketplace"."""
        return " · ".join(self.segment)


def slice_moves(engine: Engine, as_of: AsOf, day: date, totals: DailySeries,
                metrics: tuple[str, ...]) -> list[SliceMove]:
    """The most surprising material segment move of each metric in :data:`SLICES`."""
    found = []
    for metric in metrics:
        dims = SLICES.get(metric)
        total = robust_baseline(totals.same_weekdays(metric))
        if not dims or total is None or not total.expected:
            continue
        moves = _moves(engine, as_of, day, metric, dims, total)
        if moves:
            found.append(max(moves, key=lambda m: abs(m.baseline.z(m.value))))
    return found


def _moves(engine: Engine, as_of: AsOf, day: date, metric: str, dims: tuple[str, ...],
           total: Baseline) -> list[SliceMove]:
    start = day - timedelta(days=7 * HISTORY_WEEKS)
    result = engine.run(Query((metric,), Period(start, day + timedelta(days=1), "range"),
                              ("day", *dims)), as_of)
    by_segment: dict[tuple[str, ...], dict[date, float]] = defaultdict(dict)
    for row in result.rows:
        by_segment[tuple(str(row.get(d)) for d in dims)][row["day"]] = number(row.get(metric)) or 0.0
    moves = []
    for segment, values in by_segment.items():
        history = [values.get(day - timedelta(days=7 * k), 0.0) for k in range(1, HISTORY_WEEKS + 1)]
        baseline = robust_baseline(history)
        value = values.get(day, 0.0)
        if baseline is None or baseline.expected < MIN_SHARE * total.expected:
            continue
        material = abs(value - baseline.expected) >= MATERIAL * abs(total.expected)
        if material and is_anomalous(value, baseline):
            moves.append(SliceMove(metric, dims, segment, value, baseline))
    return moves
