"""The one entry point to every number: :meth:`Engine.run` answers a :class:`Query`.

It checks the query against the catalog, applies the period rules of
``metrics.md`` (defaults, stocks at an instant, comparisons), compiles SQL,
runs it on the workspace's warehouse and returns a typed :class:`Result`.
Currency conversion and the workspace timezone are handled here, not by callers.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from storage.catalog.comparisons import (
    buckets,
    change_rate,
    comparison_period,
    comparison_sql_marker,
    difference,
    elapsed_as_of,
)
from storage.catalog.compiler import (
    MetricFilter,
    Plan,
    compile_plan,
    display_sql,
    numbered_parameters,
    parameters,
)
from storage.catalog.definitions import CatalogDefs, load_definitions
from storage.catalog.model import Comparison, Filter, Query, Result, Value
from storage.catalog.periods import AsOf, Period, add_months, all_time, default_flow_period
from storage.catalog.relations import RELATIONS, RelationContext
from storage.errors import (
    MissingFxRateError,
    QueryError,
    UnknownMetricError,
    UnsupportedDimensionError,
)
from storage.warehouse import Warehouse
from storage.workspaces import Workspace

EPOCH = datetime(1970, 1, 1)
CURRENCY_TABLES = ("orders", "_order_lines", "_refunds", "subscription_mrr", "ad_performance_daily")
# Dimensions that only a relation knows (the stock relation filters locations inside and
# names each product's supplier): their values come from their own tables.
RELATION_DIMENSION_VALUES = {
    "location": "SELECT DISTINCT CAST(name AS VARCHAR) FROM locations WHERE name IS NOT NULL",
    "supplier": "SELECT DISTINCT CAST(name AS VARCHAR) FROM suppliers WHERE name IS NOT NULL",
}
_METRIC_FILTER = re.compile(r"(?P<metric>[a-z_]+)_(?P<op>below|above|at_most|at_least)")
_OPS = {"below": "<", "above": ">", "at_most": "<=", "at_least": ">="}

# Sources of betting metrics: with no period asked they cover all time, not 30 days.
BETTING_SOURCES = frozenset({"bets", "pending_bets", "streaks"})


class Engine:
    """Answers catalog queries for one workspace.

    Args:
        workspace: the workspace (its currency and timezone apply to every number).
        warehouse: its DuckDB warehouse.
        defs: the catalog definitions (default: ``definitions.yaml``).
    """

    def __init__(self, workspace: Workspace, warehouse: Warehouse,
                 defs: CatalogDefs | None = None) -> None:
        self.workspace = workspace
        self.warehouse = warehouse
        self.defs = defs or load_definitions()
        self._foreign: tuple[int, frozenset[str]] | None = None
        self._local = threading.local()  # rows fetched ahead by run_many, per thread
        warehouse.configure(workspace.currency, workspace.timezone)

    # --- public ------------------------------------------------------------------------
    def run(self, query: Query, as_of: AsOf) -> Result:
        """Computes the query's metrics (totals, rows, comparison).

        Raises:
            QueryError: unknown metric, unsupported breakdown or filter, missing fx rate.
        """
        self._validate(query)
        period = self._period(query, as_of)
        values, rows, sql = self._evaluate(query, period, as_of)
        comparison = None
        if query.compare:
            comparison = self._compare(query, period, as_of, values, rows)
            sql = sql + comparison_sql_marker(comparison)
        shown_period = period if self._has_flow(query) or query.period else None
        return Result(query, shown_period, as_of, values, rows, comparison, sql)

    def run_many(self, queries: Sequence[Query], as_of: AsOf) -> list[Result]:
        """:meth:`run` for each query, the totals of same-metric queries in one statement.

        A digest asks the same metrics over several periods (a day and the same weekday a
        week earlier, 28 days, month to date and last month to date). Planning a statement
        costs more than scanning a small workspace, so the totals of queries without a
        breakdown (and of their comparisons) that ask the same metrics are fetched by one
        ``UNION ALL``; :meth:`run` then finds its statements' rows already there.
        """
        groups: dict[tuple[str, ...], list[Plan]] = {}
        for query in queries:
            if not query.dimensions:
                self._validate(query)
                for plan in self._totals_plans(query, as_of):
                    groups.setdefault(plan.metrics, []).append(plan)
        fetched: dict[tuple[object, ...], tuple[list[str], list[tuple[Any, ...]]]] = {}
        for plans in groups.values():
            if len(plans) > 1:
                fetched.update(self._fetch_together(plans))
        self._local.fetched = fetched
        try:
            return [self.run(query, as_of) for query in queries]
        finally:
            self._local.fetched = {}

    def dimension_values(self, dimension: str, limit: int = 5000) -> list[str]:
        """Distinct stored values of a dimension across the sources that have it."""
        found: dict[str, None] = {}
        for values in self.dimension_values_by_source(dimension, limit).values():
            found.update(dict.fromkeys(values))
        if dimension in RELATION_DIMENSION_VALUES:
            sql = f"{RELATION_DIMENSION_VALUES[dimension]} LIMIT {limit}"
            found.update((row[0], None) for row in self.warehouse.fetch(sql) if row[0])
        return sorted(found)

    def dimension_values_by_source(self, dimension: str, limit: int = 5000) -> dict[str, list[str]]:
        """Distinct stored values of a dimension in each SQL source that has it, by source
        name: the campaigns of ``ads`` are not those of ``web``. Python relations (stock,
        MRR movements) are left out: their values are not listed here."""
        found: dict[str, list[str]] = {}
        for name, source in self.defs.sources.items():
            expr = source.dimensions.get(dimension)
            if not expr or source.relation or not source.from_sql or "{" in source.from_sql:
                continue
            sql = (f"SELECT DISTINCT CAST({expr} AS VARCHAR) FROM {source.from_sql} "
                   f"WHERE {expr} IS NOT NULL LIMIT {limit}")
            found[name] = sorted(row[0] for row in self.warehouse.fetch(sql) if row[0] != "")
        return found

    def foreign_tables(self) -> frozenset[str]:
        """Tables with rows in another currency than the workspace's (cached per data version)."""
        version = self.warehouse.data_version
        if self._foreign is None or self._foreign[0] != version:
            union = " UNION ALL ".join(
                f"SELECT '{t}' FROM (SELECT 1 FROM {t} WHERE currency <> ? LIMIT 1)"
                for t in CURRENCY_TABLES)
            rows = self.warehouse.fetch(union, [self.workspace.currency] * len(CURRENCY_TABLES))
            self._foreign = (version, frozenset(r[0] for r in rows))
        return self._foreign[1]

    # --- checks ------------------------------------------------------------------------
    def _validate(self, query: Query) -> None:
        if not query.metrics:
            raise QueryError("the query names no metric")
        for metric in query.metrics:
            if metric not in self.defs.metrics:
                raise UnknownMetricError(
                    f"{metric!r} is not a metric; `tally metrics` lists the ones you can ask for")
        for dim in query.dimensions:
            for metric in query.metrics:
                if dim not in self.defs.dimensions_of(metric):
                    raise UnsupportedDimensionError(
                        f"{self.defs.metrics[metric].label} can't be broken down by {dim}; "
                        f"it can by {', '.join(self.defs.dimensions_of(metric))}")
        for flt in query.filters:
            if _METRIC_FILTER.fullmatch(flt.dimension) or flt.dimension in self.defs.metrics:
                continue
            # Every asked metric must honour the filter: one that can't would be answered
            # unfiltered under the filtered label (orders of every product "for Sharpie").
            for metric in query.metrics:
                if not self._filterable(metric, flt.dimension):
                    can = ", ".join(self._filter_dimensions(metric))
                    raise UnsupportedDimensionError(
                        f"{self.defs.metrics[metric].label} can't be filtered by {flt.dimension}; "
                        f"ask for it separately without that filter"
                        + (f" (it can be filtered by {can})" if can else ""))

    def _filterable(self, metric: str, dimension: str) -> bool:
        """Whether every source of ``metric`` applies a filter on ``dimension``."""
        return all(dimension in source.dimensions
                   or (source.relation and dimension in RELATIONS[source.relation][1])
                   for source in self.defs.sources_of(metric))

    def _filter_dimensions(self, metric: str) -> list[str]:
        named = {d for s in self.defs.sources_of(metric) for d in s.dimensions}
        named |= {d for s in self.defs.sources_of(metric) if s.relation for d in RELATIONS[s.relation][1]}
        return sorted(d for d in named if self._filterable(metric, d))

    def _only_bets(self, query: Query) -> bool:
        """Whether every asked metric is a betting one (bets are counted all time by default)."""
        return all(source.name in BETTING_SOURCES
                   for m in query.metrics for source in self.defs.sources_of(m))

    def _has_flow(self, query: Query) -> bool:
        return any(self.defs.metrics[m].kind == "flow" for m in query.metrics)

    def _period(self, query: Query, as_of: AsOf) -> Period:
        if query.period is not None:
            return query.period
        if self._has_flow(query):
            if self._only_bets(query):
                return all_time(as_of)  # metrics.md: a bettor's record with no period is all time
            return default_flow_period(as_of)
        return Period(as_of.day, as_of.day + timedelta(days=1), "instant", "now")

    # --- evaluation --------------------------------------------------------------------
    def _context(self, query: Query, period: Period, as_of: AsOf) -> RelationContext:
        tz = self.workspace.tz
        start, end = period.utc_bounds(tz)
        as_of_instant = as_of.instant.replace(tzinfo=None)
        t = min(end, as_of_instant)
        if period.kind == "instant":
            start, end = EPOCH, t
        elif as_of.cuts_flows:
            end = t  # the earlier period of a to-date comparison stops at the same elapsed time
        filters: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
        for flt in query.filters:
            if not (_METRIC_FILTER.fullmatch(flt.dimension) or flt.dimension in self.defs.metrics):
                filters.setdefault(flt.dimension, []).append((flt.values, flt.exclude))
        as_of_day = min(as_of.day, period.end - timedelta(days=1)) if query.period else as_of.day
        # Daily demand over a period the question named: its days up to today (as its flows).
        asked_end = min(period.end, as_of.day + timedelta(days=1))
        asked_days = ((period.start, asked_end) if query.period and period.kind != "instant"
                      and asked_end > period.start else None)
        return RelationContext(
            start=start, end=end, t=t, as_of_day=as_of_day,
            period_start_day=period.start, period_end_day=period.end,
            timezone=self.workspace.timezone, currency=self.workspace.currency,
            foreign=self.foreign_tables(), filters=filters,
            by_bettor="bettor" in query.dimensions, asked_days=asked_days,
        )

    def _metric_filters(self, query: Query) -> tuple[MetricFilter, ...]:
        found: list[MetricFilter] = []
        for flt in query.filters:
            if m := _METRIC_FILTER.fullmatch(flt.dimension):
                if m["metric"] not in self.defs.metrics:
                    raise UnknownMetricError(f"can't filter on unknown metric {m['metric']!r}")
                try:
                    value = float(flt.values[0])
                except (ValueError, IndexError):
                    raise QueryError(f"{flt.dimension} needs a number, got {flt.values}") from None
                found.append(MetricFilter(m["metric"], _OPS[m["op"]], value))
            elif flt.dimension in self.defs.metrics:
                truthy = flt.values[:1] != ("false",)
                found.append(MetricFilter(flt.dimension, ">" if truthy else "<=", 0.0))
        return tuple(found)

    def _evaluate(self, query: Query, period: Period, as_of: AsOf
                  ) -> tuple[dict[str, Value], list[dict[str, Any]], tuple[str, ...]]:
        if query.dimensions and not self._needs_buckets(query):
            plan = replace(self._plan(query, period, as_of), with_totals=True)
            found, statement = self._execute(plan)
            total = next((r for r in found if r.get("_total")), {})
            listed = [{k: v for k, v in r.items() if k != "_total"} for r in found if not r.get("_total")]
            listed = listed[:query.limit] if query.limit else listed
            return {m: total.get(m) for m in query.metrics}, listed, (statement,)
        totals_query = replace(query, dimensions=(), order=None, limit=None)
        values, sql = self._totals(totals_query, period, as_of)
        rows: list[dict[str, Any]] = []
        if query.dimensions:
            rows, row_sql = self._rows(query, period, as_of)
            sql = sql + row_sql
        return values, rows, sql

    def _needs_buckets(self, query: Query) -> bool:
        """Stocks and movements by day/week/month are evaluated bucket by bucket."""
        grains = [d for d in query.dimensions if self.defs.dimensions[d].grain]
        return bool(grains) and any(
            s.kind != "flow" for m in query.metrics for s in self.defs.sources_of(m))

    def _totals(self, query: Query, period: Period, as_of: AsOf
                ) -> tuple[dict[str, Value], tuple[str, ...]]:
        plan = self._plan(query, period, as_of)
        rows, sql = self._execute(plan)
        values = {m: rows[0].get(m) if rows else None for m in query.metrics}
        return values, (sql,)

    def _plan(self, query: Query, period: Period, as_of: AsOf) -> Plan:
        order = None
        if query.dimensions:
            time_dims = [d for d in query.dimensions if self.defs.dimensions[d].grain]
            if query.order:
                order = (query.order.by, query.order.descending)
            elif time_dims:
                order = (time_dims[0], False)
            else:
                order = (query.metrics[0], True)
        context = self._context(query, period, as_of)
        return Plan(
            metrics=query.metrics, dimensions=query.dimensions, filters=context.filters,
            metric_filters=self._metric_filters(query) if query.dimensions else (),
            order=order, limit=query.limit,
            min_count=query.min_count if query.dimensions else None,
            context=context,
        )

    def _rows(self, query: Query, period: Period, as_of: AsOf
              ) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
        grains = [d for d in query.dimensions if self.defs.dimensions[d].grain]
        needs_buckets = grains and any(
            s.kind != "flow" for m in query.metrics for s in self.defs.sources_of(m))
        if not needs_buckets:
            rows, sql = self._execute(self._plan(query, period, as_of))
            return rows, (sql,)
        return self._bucketed_rows(query, period, as_of, grains[0])

    def _bucketed_rows(self, query: Query, period: Period, as_of: AsOf, grain: str
                       ) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
        """Stocks and movements by day/week/month: one evaluation per bucket."""
        inner = replace(query, dimensions=tuple(d for d in query.dimensions if d != grain),
                        order=None, limit=None)
        rows: list[dict[str, Any]] = []
        sql: list[str] = []
        for bucket in buckets(period, grain, as_of):
            if inner.dimensions:
                part, part_sql = self._execute(self._plan(inner, bucket, as_of))
            else:
                values, (part_sql,) = self._totals(inner, bucket, as_of)
                part = [dict(values)]
            rows.extend({grain: bucket.start, **row} for row in part)
            sql.append(part_sql)
        if query.limit:
            rows = rows[: query.limit]
        return rows, tuple(sql[:1])

    def _totals_plans(self, query: Query, as_of: AsOf) -> list[Plan]:
        """The plans :meth:`run` executes for a query without a breakdown."""
        period = self._period(query, as_of)
        plans = [self._plan(replace(query, order=None, limit=None), period, as_of)]
        if query.compare:
            other_query, other, other_as_of = self._comparison_target(query, period, as_of)
            plans.append(self._plan(replace(other_query, order=None, limit=None), other, other_as_of))
        return plans

    def _fetch_together(self, plans: list[Plan]
                        ) -> dict[tuple[object, ...], tuple[list[str], list[tuple[Any, ...]]]]:
        """Runs same-metric totals plans as one statement; rows keyed like :meth:`_execute`."""
        parts, params, keys = [], {}, []
        for index, plan in enumerate(plans):
            sql = compile_plan(self.defs, plan)
            own = parameters(sql, plan.context)
            keys.append(_statement_key(sql, own))
            parts.append(f"SELECT {index} AS _part, * FROM ({numbered_parameters(sql, index)})")
            params.update({f"{name}_{index}": value for name, value in own.items()})
        names, raw = self.warehouse.fetch_with_columns(" UNION ALL ".join(parts), params)
        found: dict[tuple[object, ...], tuple[list[str], list[tuple[Any, ...]]]] = {
            key: (names[1:], []) for key in keys}
        for row in raw:
            found[keys[row[0]]][1].append(row[1:])
        return found

    def _execute(self, plan: Plan) -> tuple[list[dict[str, Any]], str]:
        sql = compile_plan(self.defs, plan)
        params = parameters(sql, plan.context)
        ahead = getattr(self._local, "fetched", None)
        hit = ahead.get(_statement_key(sql, params)) if ahead else None
        names, raw = hit if hit is not None else self.warehouse.fetch_with_columns(sql, params)
        rows = [dict(zip(names, row, strict=True)) for row in raw]
        for row in rows:
            missing = row.pop("_fx_missing", None)
            if missing:
                currency, _, day = str(missing).partition(" on ")
                raise MissingFxRateError(
                    f"no exchange rate for {currency} on or before {day}: add a row for "
                    f"{currency} to fx_rates (units of {self.workspace.currency} per 1 {currency})")
        return rows, display_sql(sql, plan.context)

    # --- comparison ----------------------------------------------------------------------
    def _compare(self, query: Query, period: Period, as_of: AsOf, values: dict[str, Value],
                 rows: list[dict[str, Any]]) -> Comparison:
        other_query, other, other_as_of = self._comparison_target(query, period, as_of)
        other_values, other_rows, _ = self._evaluate(other_query, other, other_as_of)
        if query.limit and rows and not self._grain_dimensions(query):
            # A ranking's rows are compared with the same rows then, not with that period's
            # own top N (a customer outside last year's top 10 is not "new").
            _, other_rows, _ = self._evaluate(_same_rows(other_query, rows), other, other_as_of)
        change = {m: difference(values.get(m), other_values.get(m)) for m in query.metrics}
        rate = {m: change_rate(values.get(m), other_values.get(m)) for m in query.metrics}
        return Comparison(other, other_values, change, rate, other_rows)

    def _grain_dimensions(self, query: Query) -> list[str]:
        return [d for d in query.dimensions if self.defs.dimensions[d].grain]

    def _comparison_target(self, query: Query, period: Period, as_of: AsOf
                           ) -> tuple[Query, Period, AsOf]:
        """The query, period and "now" of a query's comparison."""
        other = comparison_period(period, query.compare or "previous")
        other_as_of = elapsed_as_of(period, other, as_of, self.workspace.tz)
        if period.kind == "instant":
            # A stock "now" compares with the same instant a month (or a year) earlier.
            months = 12 if query.compare == "year" else 1
            day = add_months(as_of.day, -months)
            other_as_of = AsOf.for_day(day, self.workspace.tz)
            other = Period(day, day + timedelta(days=1), "instant", "")
        return replace(query, period=other if period.kind != "instant" else None), other, other_as_of


def _same_rows(query: Query, rows: list[dict[str, Any]]) -> Query:
    """``query`` restricted to the dimension values of ``rows``, unranked and uncut."""
    pinned = tuple(Filter(d, tuple(dict.fromkeys(str(r[d]) for r in rows if r.get(d) is not None)))
                   for d in query.dimensions)
    return replace(query, filters=query.filters + pinned, order=None, limit=None)


def _statement_key(sql: str, params: dict[str, object]) -> tuple[object, ...]:
    return (sql, *sorted(params.items()))


__all__ = ["Engine", "Filter", "Query", "Result", "buckets", "comparison_period"]
