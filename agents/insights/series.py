"""Daily series and their weekday baselines: what the anomaly detector measures against.

Method (docs/proactive.md has the measured false-alarm rate): for day D the history
is the same weekday in the previous :data:`HISTORY_WEEKS` weeks. The expected value is
the history's median and the scale its median absolute deviation (× 1.4826, the
normal-consistent factor), so one odd day in the history (a promotion, an outage)
moves neither. The robust z-score ``(value − median) / scale`` is flagged when
``|z| ≥ Z_THRESHOLD`` and the value is also at least :data:`MIN_RELATIVE_CHANGE` away
from the median (a very steady series is not alarming for a 3% wobble). The scale has a
floor of :data:`SCALE_FLOOR` × |median|, and a mostly-zero history (sparse churn, a
quiet guild) needs the value to also exceed twice the history's largest day.

Every value comes from the catalog (``Engine.run``).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from storage.catalog import AsOf, Engine, Query
from storage.catalog.display import ADDITIVE_FORMATS
from storage.catalog.periods import Period

HISTORY_WEEKS = 8
MIN_HISTORY = 5
Z_THRESHOLD = 4.5
MIN_RELATIVE_CHANGE = 0.25
SCALE_FLOOR = 0.05
MAD_TO_SIGMA = 1.4826
MEAN_AD_TO_SIGMA = 1.2533
DRIVER_DIMENSIONS = 4
EVENT_FACTOR = 2.0


@dataclass(frozen=True)
class SeriesSpec:
    """A daily series watched for anomalies.

    Attributes:
        metric: the catalog metric.
        vertical: which data it needs (see :data:`VERTICAL_TABLES`).
        weight: business weight, used to rank insights (docs/proactive.md).
        bad_direction: −1 when a fall is bad news, +1 when a rise is, 0 when either.
    """

    metric: str
    vertical: str
    weight: float
    bad_direction: int


SERIES: tuple[SeriesSpec, ...] = (
    SeriesSpec("revenue", "shop", 1.0, -1),
    SeriesSpec("orders", "shop", 0.7, -1),
    SeriesSpec("aov", "shop", 0.5, -1),
    SeriesSpec("ad_spend", "ads", 0.8, 1),
    SeriesSpec("roas", "ads", 0.8, -1),
    SeriesSpec("cpa", "ads", 0.7, 1),
    SeriesSpec("new_mrr", "saas", 0.9, -1),
    SeriesSpec("churned_mrr", "saas", 1.0, 1),
    SeriesSpec("sessions", "web", 0.4, 0),
    SeriesSpec("profit_units", "betting", 1.0, 0),
)
SPECS = {s.metric: s for s in SERIES}
VERTICAL_TABLES = {"shop": "orders", "ads": "ad_performance_daily", "web": "web_traffic_daily",
                   "saas": "subscription_mrr", "ops": "inventory_levels", "betting": "bets"}


class WeekAgoDay(Period):
    """A day whose "previous" period is the same weekday a week earlier (not the day before).

    Drivers and comparisons of a day against this reference respect weekday seasonality.
    """

    def previous(self) -> Period:
        """The same weekday one week earlier."""
        week = timedelta(days=7)
        return replace(self, start=self.start - week, end=self.end - week, phrase="")


def week_ago_day(day: date) -> WeekAgoDay:
    """``day`` as a period compared with the same weekday a week earlier."""
    return WeekAgoDay(day, day + timedelta(days=1), "day")


def verticals(engine: Engine) -> frozenset[str]:
    """The verticals a workspace has data for (shop, ads, web, saas, ops, betting)."""
    counts = engine.warehouse.row_counts()
    return frozenset(v for v, table in VERTICAL_TABLES.items() if counts.get(table, 0) > 0)


def number(value: Any) -> float | None:
    """A catalog value as a float (None for missing and non-numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


@dataclass
class DailySeries:
    """Daily values of several metrics up to ``day``, as the catalog computed them."""

    day: date
    values: dict[str, dict[date, float | None]]

    def value(self, metric: str, day: date | None = None) -> float | None:
        """The metric on ``day`` (default: the series' last day)."""
        return self.values.get(metric, {}).get(day or self.day)

    def same_weekdays(self, metric: str, weeks: int = HISTORY_WEEKS) -> list[float]:
        """The metric on the same weekday in each of the previous ``weeks`` weeks."""
        found = [self.value(metric, self.day - timedelta(days=7 * k)) for k in range(1, weeks + 1)]
        return [v for v in found if v is not None]

    def window(self, metric: str, days: int) -> list[tuple[date, float | None]]:
        """The last ``days`` days ending with ``day``, oldest first."""
        start = self.day - timedelta(days=days - 1)
        return [(start + timedelta(days=i), self.value(metric, start + timedelta(days=i)))
                for i in range(days)]


def _is_flow_source(engine: Engine, metric: str) -> bool:
    return all(s.kind == "flow" for s in engine.defs.sources_of(metric))


def load_series(engine: Engine, as_of: AsOf, day: date, metrics: Sequence[str],
                days_back: int = 7 * HISTORY_WEEKS) -> DailySeries:
    """Daily values of the flow ``metrics`` from ``day − days_back`` to ``day``, in one query.

    Movements (new and churned MRR) are left out: the catalog evaluates them one day at a
    time, so :func:`movement_baselines` reads them in two queries instead.
    """
    values: dict[str, dict[date, float | None]] = {m: {} for m in metrics}
    flows = tuple(m for m in metrics if _is_flow_source(engine, m))
    if flows:
        period = Period(day - timedelta(days=days_back), day + timedelta(days=1), "range")
        result = engine.run(Query(flows, period, ("day",)), as_of)
        for metric in flows:
            additive = engine.defs.metrics[metric].format in ADDITIVE_FORMATS
            for offset in range(days_back + 1):  # a day with no rows is 0 for sums, unknown for ratios
                values[metric][period.start + timedelta(days=offset)] = 0.0 if additive else None
        for row in result.rows:
            for metric in flows:
                values[metric][row["day"]] = number(row.get(metric))
    return DailySeries(day, values)


def movement_baselines(engine: Engine, as_of: AsOf, day: date, metrics: Sequence[str],
                       day_values: dict[str, float | None] | None = None,
                       ) -> dict[str, tuple[float | None, Baseline | None]]:
    """Each movement's value on ``day`` and its event baseline (see :func:`event_baseline`).

    MRR movements are lumpy: most days nothing, then one customer's whole MRR. Their
    history is the :data:`HISTORY_WEEKS` weeks before ``day`` by customer (one query);
    ``day_values`` (already computed by the caller) saves the query of the day itself.
    """
    if not metrics:
        return {}
    if day_values is None:
        today = engine.run(Query(tuple(metrics), Period(day, day + timedelta(days=1), "day")), as_of)
        day_values = {m: number(today.values.get(m)) for m in metrics}
    days = 7 * HISTORY_WEEKS
    window = Period(day - timedelta(days=days), day, "range")
    history = engine.run(Query(tuple(metrics), window, ("customer",)), as_of)
    found: dict[str, tuple[float | None, Baseline | None]] = {}
    for metric in metrics:
        total = number(history.values.get(metric)) or 0.0
        largest = max((number(r.get(metric)) or 0.0 for r in history.rows), default=0.0)
        found[metric] = (day_values.get(metric), event_baseline(total / days, largest))
    return found


def event_baseline(daily_mean: float, largest_event: float) -> Baseline | None:
    """A lumpy series' baseline: alarming only above the mean plus twice its largest event.

    The scale is chosen so that ``z ≥ Z_THRESHOLD`` exactly when the value exceeds
    ``daily_mean + EVENT_FACTOR × largest_event``; a fall is never alarming (a day without
    churn is normal). None when the history holds no event at all.
    """
    if largest_event <= 0:
        return None
    return Baseline(daily_mean, EVENT_FACTOR * largest_event / Z_THRESHOLD, True, largest_event,
                    events=True)


@dataclass(frozen=True)
class Baseline:
    """What a weekday usually brings: the median of its history and a robust scale."""

    expected: float
    scale: float
    sparse: bool
    largest: float
    events: bool = False

    def z(self, value: float) -> float:
        """The robust z-score of ``value``."""
        return (value - self.expected) / self.scale

    def band(self, non_negative: bool = True) -> tuple[float, float]:
        """The range of values that raises no alert."""
        low = 0.0 if self.events else self.expected - Z_THRESHOLD * self.scale
        return (max(low, 0.0) if non_negative else low), self.expected + Z_THRESHOLD * self.scale


def robust_baseline(history: Sequence[float]) -> Baseline | None:
    """Median and MAD-based scale of ``history``; None when it is too short or flat at 0."""
    if len(history) < MIN_HISTORY:
        return None
    median = statistics.median(history)
    deviations = [abs(x - median) for x in history]
    scale = statistics.median(deviations) * MAD_TO_SIGMA
    if scale == 0:  # more than half the days equal: fall back to the mean absolute deviation
        scale = statistics.fmean(deviations) * MEAN_AD_TO_SIGMA
    scale = max(scale, SCALE_FLOOR * abs(median))
    if scale == 0:
        return None
    sparse = sum(1 for x in history if x == 0) * 2 > len(history)
    return Baseline(median, scale, sparse, max(history))


def is_anomalous(value: float, baseline: Baseline) -> bool:
    """The detector's rule (see the module docstring)."""
    z = baseline.z(value)
    if baseline.events:
        return z >= Z_THRESHOLD
    if abs(z) < Z_THRESHOLD:
        return False
    if baseline.expected and abs(value - baseline.expected) < MIN_RELATIVE_CHANGE * abs(baseline.expected):
        return False
    return not (baseline.sparse and value <= 2 * baseline.largest)


KEY_METRICS = {"shop": ("revenue", "orders", "aov"), "saas": ("mrr", "new_mrr", "churned_mrr"),
               "ads": ("ad_spend", "roas"), "betting": ("bets", "profit_units")}


def key_metrics_of(engine: Engine) -> tuple[str, ...]:
    """The key metrics of the workspace's verticals, in a fixed order (digest, weekly report)."""
    have = verticals(engine)
    return tuple(m for v, ms in KEY_METRICS.items() if v in have for m in ms)


def is_flow(engine: Engine, metric: str) -> bool:
    """Every source of the metric is a flow (summed over days), not a stock or a relation."""
    return all(s.kind == "flow" for s in engine.defs.sources_of(metric))
