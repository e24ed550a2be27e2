"""Anomalies in daily series: a value far from what that weekday usually brings.

The detector's rule and baselines are in :mod:`agents.insights.series`. An alert
explains itself with the expected range and the dimension values that drove the move
(:func:`find_drivers`, against the same weekday a week earlier), and a total inside its
range whose segment collapsed or surged is flagged too (:mod:`agents.insights.slices`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from agents.insights.drivers import Driver, describe_driver, find_drivers
from agents.insights.series import (
    DRIVER_DIMENSIONS,
    SERIES,
    Z_THRESHOLD,
    Baseline,
    DailySeries,
    SeriesSpec,
    _is_flow_source,
    is_anomalous,
    load_series,
    movement_baselines,
    robust_baseline,
    verticals,
    week_ago_day,
)
from agents.insights.slices import SLICES, slice_moves
from storage.catalog import AsOf, Engine, Query
from storage.catalog.display import format_value


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
        segment: for a segment's move inside a steady total, the segment ("country and sales
            channel BR · marketplace"): value, expected, low, high, z and change_rate are then
            the segment's, so the range printed is the one the alert was raised against.
        total: the whole metric's value that day, when ``segment`` is set.
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
    segment: str = ""
    total: float | None = None

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
                "segment": self.segment or None, "total": self.total,
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
    metrics = tuple(m for m in SLICES if m in series.values and m not in flagged)
    found = []
    for move in slice_moves(engine, as_of, day, series, metrics):
        value = series.value(move.metric)
        if value is None:
            continue
        # The alert is the segment's: its value against its own range (the total's range
        # holds the total, so printing it beside "−23% vs expected" read as a false alarm).
        anomaly = _explain(engine, as_of, move.metric, day, move.value, move.baseline, explain)
        label = " and ".join(engine.defs.dimensions[d].label.lower() for d in move.dimensions)
        anomaly = replace(anomaly, segment=f"{label} {move.name}", total=value)
        found.append(replace(anomaly, text=anomaly_sentence(engine, anomaly)))
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
    whose = f" of the {anomaly.segment} segment" if anomaly.segment else ""
    text = (f"{definition.label}{whose} {moved} on {anomaly.day:%a %b} {anomaly.day.day}: "
            f"{show(anomaly.value)} (expected {show(anomaly.low)}–{show(anomaly.high)})")
    if anomaly.total is not None:
        text += f", while the total, {show(anomaly.total)}, stayed within its usual range"
    reasons = [_driver_words(engine, anomaly, d) for d in anomaly.drivers]
    if reasons:
        text += "; " + ", ".join(reasons) + f" vs the {anomaly.day:%A} before"
    return text + "."


def _driver_words(engine: Engine, anomaly: Anomaly, driver: Driver) -> str:
    if driver.share is None:
        return describe_driver(engine, anomaly.metric, driver)
    label = engine.defs.dimensions[driver.dimension].label.lower()
    noun = "rise" if driver.change > 0 else "drop"
    percent = f"{abs(driver.share) * 100:.0f}%"
    if driver.share > 1:  # mixed signs: one part moved more than the whole
        return (f"{label} {driver.value} accounts for {percent} of the {noun} "
                "(other values moved the other way)")
    if driver.share < 0:
        return f"{label} {driver.value} moved against the {noun} ({percent} of its size)"
    return f"{label} {driver.value} accounts for {percent} of the {noun}"
