"""Drivers: which dimension values explain a metric's change ("why?").

For each dimension the metric can be split by, the change of every value between the
period and its comparison period is computed through the catalog; the values that
moved the most in the direction of the total, with their share of the total change,
are the drivers. Anomaly alerts reuse this to say what caused a drop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from storage.catalog import AsOf, Engine, Query, Result
from storage.catalog.display import ADDITIVE_FORMATS, fixed, format_change, format_value

# Dimensions worth explaining with, most telling first; time grains and ids are not causes.
CANDIDATES = ("country", "sales_channel", "source", "channel", "campaign", "category", "product",
              "plan", "segment", "medium", "sport", "league", "market", "bettor")


@dataclass(frozen=True)
class Driver:
    """One dimension value's part in a change."""

    dimension: str
    value: str
    current: float
    previous: float
    change: float
    share: float | None  # of the total change; None for rates, where shares don't add up


@dataclass(frozen=True)
class Drivers:
    """A metric's change and what drove it."""

    metric: str
    total: Result
    drivers: tuple[Driver, ...]


def _number(value: Any) -> float:
    if value is None or isinstance(value, str | bool):
        return 0.0
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def find_drivers(engine: Engine, query: Query, as_of: AsOf, limit: int = 3,
                 max_dimensions: int = 6) -> Drivers:
    """The top ``limit`` drivers of the first metric's change over the query's period."""
    metric = query.metrics[0]
    compare = query.compare or "previous"
    base = replace(query, metrics=(metric,), dimensions=(), order=None, limit=None, compare=compare)
    total = engine.run(base, as_of)
    cmp = total.comparison
    total_change = _number(cmp.change.get(metric)) if cmp else 0.0
    additive = engine.defs.metrics[metric].format in ADDITIVE_FORMATS
    filtered = {f.dimension for f in query.filters if len(f.values) == 1 and not f.exclude}
    allowed = set(engine.defs.dimensions_of(metric))
    dims = [d for d in CANDIDATES if d in allowed and d not in filtered][:max_dimensions]
    found: list[Driver] = []
    for dim in dims:
        found.extend(_dimension_drivers(engine, base, dim, as_of, total_change, additive))
    if total_change:
        found = [d for d in found if d.change * total_change > 0]
    found.sort(key=lambda d: abs(d.share) if d.share is not None else abs(d.change), reverse=True)
    return Drivers(metric, total, tuple(_one_per_dimension(found)[:limit]))


def _dimension_drivers(engine: Engine, base: Query, dim: str, as_of: AsOf, total_change: float,
                       additive: bool) -> list[Driver]:
    result = engine.run(replace(base, dimensions=(dim,)), as_of)
    before = {row.get(dim): row for row in (result.comparison.rows if result.comparison else [])}
    metric = base.metrics[0]
    drivers = []
    for key in {row.get(dim) for row in result.rows} | set(before):
        now = _number(next((r.get(metric) for r in result.rows if r.get(dim) == key), None))
        then = _number(before.get(key, {}).get(metric))
        change = now - then
        share = change / total_change if additive and total_change else None
        drivers.append(Driver(dim, "(none)" if key is None else str(key), now, then, change, share))
    return drivers


def _one_per_dimension(found: list[Driver]) -> list[Driver]:
    seen: set[str] = set()
    kept = []
    for driver in found:
        if driver.dimension not in seen:
            seen.add(driver.dimension)
            kept.append(driver)
    return kept


def share_words(share: float) -> str:
    """A driver's share of a change, explained when the parts moved both ways: one part can
    be more than all of the change ("130% of the change, others moved the other way"), or
    move against it."""
    percent = f"{fixed(abs(share) * 100, 0)}%"
    if share > 1:
        return f"{percent} of the change; others moved the other way"
    if share < 0:
        return f"moved against the change, {percent} of its size"
    return f"{percent} of the change"


def describe_driver(engine: Engine, metric: str, driver: Driver) -> str:
    """"country BR +$2,400.00 (77% of the change)"."""
    defs = engine.defs
    fmt = defs.metrics[metric].format
    currency = engine.workspace.currency
    label = defs.dimensions[driver.dimension].label.lower()
    moved = format_change(driver.change, None, fmt, currency).replace(" (new)", "")
    if driver.share is not None:
        return f"{label} {driver.value} {moved} ({share_words(driver.share)})"
    return (f"{label} {driver.value} {moved} (from {format_value(driver.previous, fmt, currency)} "
            f"to {format_value(driver.current, fmt, currency)})")
