"""The catalog's value types: what is asked (:class:`Query`) and what comes back (:class:`Result`).

Frozen dataclasses inside the brain; pydantic only at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from storage.catalog.periods import AsOf, Period

Value = Decimal | float | int | str | bool | None
Compare = Literal["previous", "year", "week"]


@dataclass(frozen=True)
class Filter:
    """Keep rows whose ``dimension`` is (or, with ``exclude``, is not) one of ``values``."""

    dimension: str
    values: tuple[str, ...]
    exclude: bool = False


# Stock lists and alerts keep active products only (data-model.md: products.active).
ACTIVE_PRODUCTS = Filter("product_status", ("active",))


@dataclass(frozen=True)
class Order:
    """Sort rows by a metric (or dimension), largest first unless ``descending`` is false."""

    by: str
    descending: bool = True


@dataclass(frozen=True)
class Query:
    """A question in catalog terms.

    Attributes:
        metrics: catalog metric names, e.g. ("revenue",).
        period: the period asked; None means the metric's default (last 30 days for
            flows, ``as_of`` for stocks).
        dimensions: breakdowns, e.g. ("country",) or ("day",).
        filters: dimension filters, e.g. Filter("country", ("BR",)).
        order: sort of the rows; rankings set it with ``limit``.
        limit: keep the first N rows.
        compare: "previous" (the period before), "year" (same dates a year earlier) or
            "week" (the same days a week earlier: "yesterday vs the same day last week").
        min_count: rows need at least this many underlying records (the leaderboard's
            "at least 5 settled bets"); None means the metric's own default.
    """

    metrics: tuple[str, ...]
    period: Period | None = None
    dimensions: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    order: Order | None = None
    limit: int | None = None
    compare: Compare | None = None
    min_count: int | None = None


@dataclass(frozen=True)
class Comparison:
    """The same query over the comparison period, and the change."""

    period: Period
    values: dict[str, Value]
    change: dict[str, Value]
    change_rate: dict[str, float | None]  # None: change from 0 ("new")
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    """A catalog answer: totals, rows for breakdowns, the comparison, and how it was made."""

    query: Query
    period: Period | None  # None for a stock at as_of
    as_of: AsOf
    values: dict[str, Value]
    rows: list[dict[str, Any]] = field(default_factory=list)
    comparison: Comparison | None = None
    sql: tuple[str, ...] = ()

    @property
    def value(self) -> Value:
        """The first metric's total."""
        return self.values.get(self.query.metrics[0])
