"""Anomalies in daily series: a value far from what that weekday usually brings.

Method (docs/proactive.md has the measured false-alarm rate): for day D the history
is the same weekday in the previous :data:`HISTORY_WEEKS` weeks. The expected value is
the history's median and the scale its median absolute deviation (× 1.4826, the
normal-consistent factor), so one odd day in the history (a promotion, an outage)
moves neither. The robust z-score ``(value − median) / scale`` is flagged when
``|z| ≥ Z_THRESHOLD`` and the value is also at least :data:`MIN_RELATIVE_CHANGE` away
from the median (a very steady series is not alarming for a 3% wobble). The scale has a
floor of :data:`SCALE_FLOOR` × |median|, and a mostly-zero history (sparse churn, a
quiet guild) needs the value to also exceed twice the history's largest day.

Every value comes from the catalog (``Engine.run``); an alert explains itself with the
expected range and the dimension values that drove the move (:func:`find_drivers`,
against the same weekday a week earlier).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from agents.insights.drivers import Driver, describe_driver, find_drivers
from storage.catalog import AsOf, Engine, Query
from storage.catalog.display import ADDITIVE_FORMATS, format_value
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


@dataclass(frozen=True)
class Anomaly:
    """A flagged value, explained.

    Attributes:
        metric: the catalog metric; day: the local day.
        value: what the catalog computed; expected: the weekday's median;
        low, high: the range that raises no alert; z: the robust z-score.
        change_rate: (value − expected) / |expected| (None when expected is 0).
        drivers: the dimension values that moved the most, vs the same weekday a week earlier.
        text: the one-sentence explanation for people.
    """

    metric: str
    day: date
    value: float
    expected: float
    low: float
    high: float
    z: float
    change_rate: float | None
    drivers: tuple[Driver, ...]
    text: str

    @property
    def direction(self) -> int:
        """+1 for a rise, −1 for a fall."""
        return 1 if self.value >= self.expected else -1

    @property
    def surprise(self) -> float:
        """How surprising, in units of the alert threshold (1.0 = just flagged)."""
        return abs(self.z) / Z_THRESHOLD

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (unrounded numbers)."""
        return {"metric": self.metric, "day": self.day.isoformat(), "value": self.value,
                "expected": self.expected, "low": self.low, "high": self.high, "z": self.z,
                "change_rate": self.change_rate, "text": self.text,
                "drivers": [{"dimension": d.dimension, "value": d.value, "change": d.change,
                             "share": d.share} for d in self.drivers]}


def watched_series(engine: Engine, present: Iterable[str] | None = None) -> list[SeriesSpec]:
    """The series of :data:`SERIES` this workspace has data for."""
    have = frozenset(present) if present is not None else verticals(engine)
    return [s for s in SERIES if s.vertical in have]


def detect_anomalies(engine: Engine, as_of: AsOf, day: date | None = None,
                     series: DailySeries | None = None, explain: bool = True,
                     movement_values: dict[str, float | None] | None = None) -> list[Anomaly]:
    """Anomalies of every watched daily series on ``day`` (default: the day before ``as_of``).

    Args:
        engine: the workspace's catalog engine.
        as_of: "now"; the history is read as of it.
        day: the local day to check.
        series: already loaded flow values (the digest shares one load); loaded when None.
        explain: look up the drivers of each anomaly (one catalog query per dimension).
        movement_values: the MRR movements of ``day``, when the caller already has them.

    Returns:
        The anomalies, most surprising first.
    """
    day = day or as_of.day - timedelta(days=1)
    specs = watched_series(engine)
    flows = [s.metric for s in specs if _is_flow_source(engine, s.metric)]
    if series is None or series.day != day:
        series = load_series(engine, as_of, day, flows)
    checks: dict[str, tuple[float | None, Baseline | None]] = {
        m: (series.value(m), robust_baseline(series.same_weekdays(m))) for m in flows}
    movements = [s.metric for s in specs if s.metric not in checks]
    checks.update(movement_baselines(engine, as_of, day, movements, movement_values))
    found = []
    for metric, (value, baseline) in checks.items():
        if value is None or baseline is None or not is_anomalous(value, baseline):
            continue
        found.append(_explain(engine, as_of, metric, day, value, baseline, explain))
    found.extend(_slice_anomalies(engine, as_of, day, series, {a.metric for a in found}, explain))
    found.sort(key=lambda a: -a.surprise)
    return found


def _slice_anomalies(engine: Engine, as_of: AsOf, day: date, series: DailySeries,
                     flagged: set[str], explain: bool) -> list[Anomaly]:
    """Totals inside their range whose segment collapsed or surged (agents.insights.slices)."""
    from agents.insights.slices import SLICES, slice_moves

    metrics = tuple(m for m in SLICES if m in series.values and m not in flagged)
    found = []
    for move in slice_moves(engine, as_of, day, series, metrics):
        total = robust_baseline(series.same_weekdays(move.metric))
        value = series.value(move.metric)
        if total is None or value is None:
            continue
        anomaly = _explain(engine, as_of, move.metric, day, value, total, explain)
        rate = (move.value - move.baseline.expected) / abs(move.baseline.expected)
        label = " and ".join(engine.defs.dimensions[d].label.lower() for d in move.dimensions)
        segment = (f"; the {label} {move.name} segment alone is {'+' if rate > 0 else '−'}"
                   f"{abs(rate) * 100:.0f}% vs its usual {day:%A}")
        found.append(replace(anomaly, z=move.baseline.z(move.value),
                             text=anomaly.text[:-1] + segment + "."))
    return found


def _explain(engine: Engine, as_of: AsOf, metric: str, day: date, value: float,
             baseline: Baseline, explain: bool) -> Anomaly:
    low, high = baseline.band()
    rate = (value - baseline.expected) / abs(baseline.expected) if baseline.expected else None
    drivers: tuple[Driver, ...] = ()
    if explain:
        query = Query((metric,), week_ago_day(day), compare="previous")
        drivers = find_drivers(engine, query, as_of, limit=2,
                               max_dimensions=DRIVER_DIMENSIONS).drivers
    anomaly = Anomaly(metric, day, value, baseline.expected, low, high, baseline.z(value), rate,
                      drivers, "")
    return replace(anomaly, text=anomaly_sentence(engine, anomaly))


def anomaly_sentence(engine: Engine, anomaly: Anomaly) -> str:
    """"Revenue −58% vs expected on Mon May 26: $21,003.20 (expected $45,100.00–$55,200.00);
    country BR accounts for 71% of the drop vs the Monday before."""
    definition = engine.defs.metrics[anomaly.metric]
    currency = engine.workspace.currency

    def show(v: float) -> str:
        return format_value(v, definition.format, currency)

    rate = anomaly.change_rate
    moved = (f"{'+' if rate > 0 else '−'}{abs(rate) * 100:.0f}% vs expected" if rate is not None
             else "up from nothing")
    text = (f"{definition.label} {moved} on {anomaly.day:%a %b} {anomaly.day.day}: "
            f"{show(anomaly.value)} (expected {show(anomaly.low)}–{show(anomaly.high)})")
    reasons = [_driver_words(engine, anomaly, d) for d in anomaly.drivers]
    if reasons:
        text += "; " + ", ".join(reasons) + f" vs the {anomaly.day:%A} before"
    return text + "."


def _driver_words(engine: Engine, anomaly: Anomaly, driver: Driver) -> str:
    if driver.share is None:
        return describe_driver(engine, anomaly.metric, driver)
    label = engine.defs.dimensions[driver.dimension].label.lower()
    noun = "rise" if driver.change > 0 else "drop"
    return f"{label} {driver.value} accounts for {driver.share * 100:.0f}% of the {noun}"
