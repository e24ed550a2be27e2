"""What the compiler is given (:class:`Plan`) and the SQL-text helpers its stages share.

The plan is one SQL statement's worth of a query; instants stay query parameters
(``$start`` ...) in the statement, filled in here for execution or for display.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

import sqlglot
from sqlglot import exp

from storage.catalog.relations import COUNTED, RelationContext, ts_literal

DIALECT = "duckdb"


@dataclass(frozen=True)
class MetricFilter:
    """A condition on a metric's value per row: ``days_of_stock < 14``."""

    metric: str
    op: str  # "<", ">", "<=", ">="
    value: float


@dataclass(frozen=True)
class Plan:
    """Everything the compiler needs for one SQL statement."""

    metrics: tuple[str, ...]
    dimensions: tuple[str, ...]
    filters: dict[str, list[tuple[tuple[str, ...], bool]]]
    metric_filters: tuple[MetricFilter, ...]
    order: tuple[str, bool] | None  # (column, descending)
    limit: int | None
    min_count: int | None
    context: RelationContext
    with_totals: bool = False  # also the row of totals (``_total``) in the same scan


@functools.lru_cache(maxsize=256)
def tables_by_alias(from_sql: str) -> dict[str, str]:
    """The table each alias of a FROM clause names."""
    tree = sqlglot.parse_one(f"SELECT 1 FROM {from_sql}", read=DIALECT)
    return {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}


def fill(template: str, fx: str = "1") -> str:
    """Fills a definition's placeholders; instants become query parameters ($start ...)."""
    return (template.replace("{counted}", COUNTED).replace("{fx}", fx)
            .replace("{start}", "$start").replace("{end}", "$end").replace("{t}", "$t"))


_PARAMETER = re.compile(r"\$(start|end|t|p_start|p_end)\b")


def parameters(sql: str, ctx: RelationContext) -> dict[str, object]:
    """The values of the parameters a compiled statement uses."""
    values: dict[str, object] = {"start": ctx.start, "end": ctx.end, "t": ctx.t,
                                 "p_start": ctx.period_start_day, "p_end": ctx.period_end_day}
    return {name: values[name] for name in set(_PARAMETER.findall(sql))}


def numbered_parameters(sql: str, index: int) -> str:
    """The statement with its parameters renamed ``$start_<index>`` (one of several in a union)."""
    return _PARAMETER.sub(lambda match: f"${match.group(1)}_{index}", sql)


def display_sql(sql: str, ctx: RelationContext) -> str:
    """The statement with its parameters written in, as shown to a person."""
    params = parameters(sql, ctx)

    def literal(match: re.Match[str]) -> str:
        value = params[match.group(1)]
        return ts_literal(value) if isinstance(value, datetime) else f"DATE '{value}'"

    return _PARAMETER.sub(literal, sql)
