"""Compiles catalog queries to SQL with sqlglot.

One aggregate subquery per source (its measures, grouped by the requested
dimensions, over the period or at the instant: source_query.py), joined on the
dimensions; the metric expressions are computed over the joined measures. The tree
is built and emitted with sqlglot, so another engine is a dialect away; divisions
are made safe (``x / NULLIF(y, 0)``) here, once, for every metric. The plan and the
parameter helpers live in plan.py.
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

from storage.catalog.definitions import CatalogDefs, SourceDef
from storage.catalog.plan import (
    DIALECT,
    MetricFilter,
    Plan,
    display_sql,
    fill,
    numbered_parameters,
    parameters,
    tables_by_alias,
)
from storage.catalog.relations import utc_offsets
from storage.catalog.source_query import source_query

__all__ = ["DIALECT", "MetricFilter", "Plan", "compile_plan", "display_sql", "metric_expression",
           "numbered_parameters", "parameters"]


def _safe_division(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Div):
        return exp.Div(this=node.this,
                       expression=exp.Nullif(this=node.expression, expression=exp.Literal.number(0)))
    return node


_CACHE: dict[tuple[object, ...], str] = {}


def _cache_key(defs: CatalogDefs, plan: Plan) -> tuple[object, ...]:
    """The shape of a plan: plans of one shape compile to the same SQL.

    Plans over plain sources differ only in their parameters. Relations (MRR movements,
    stock, streaks) write their dates into the SQL, so their key also holds the context's
    instants and days: every workspace asked about the same day shares one compilation
    (the digest of a thousand workspaces compiles each statement once).
    """
    sources = {defs.measures[m].source for metric in plan.metrics + tuple(
        f.metric for f in plan.metric_filters) for m in defs.metrics[metric].measures}
    ctx = plan.context
    filters = tuple(sorted((d, tuple(specs)) for d, specs in plan.filters.items()))
    key: tuple[object, ...] = (
        id(defs), plan.metrics, plan.dimensions, filters, plan.metric_filters, plan.order,
        plan.limit, plan.min_count, ctx.timezone, ctx.currency, ctx.foreign, plan.with_totals)
    if any(defs.dimensions[d].grain for d in plan.dimensions):
        key += (utc_offsets(ctx.timezone, ctx.start, ctx.end),)  # written into the SQL
    if any(defs.sources[s].relation for s in sources):
        inside = tuple(sorted((d, tuple(specs)) for d, specs in ctx.filters.items()))
        key += (ctx.start, ctx.end, ctx.t, ctx.as_of_day, ctx.period_start_day,
                ctx.period_end_day, ctx.by_bettor, inside, ctx.asked_days)
    return key


def compile_plan(defs: CatalogDefs, plan: Plan) -> str:
    """The SQL answering ``plan`` (cached by shape; instants are parameters)."""
    key = _cache_key(defs, plan)
    if key in _CACHE:
        return _CACHE[key]
    sql = _compile(defs, plan)
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[key] = sql
    return sql


def _compile(defs: CatalogDefs, plan: Plan) -> str:
    """One row per combination of the plan's dimensions."""
    by_source = _measures_by_source(defs, plan)
    first = defs.sources[next(iter(by_source))]
    aliases = {name: f"s{i}" for i, name in enumerate(by_source)}
    chosen = {name: _rollup_or_source(defs, defs.sources[name], measures, plan)
              for name, measures in by_source.items()}
    query = exp.select()
    for name, measures in by_source.items():
        source, exprs = chosen[name]
        query = query.with_(aliases[name], as_=source_query(defs, source, measures, plan, exprs),
                            copy=False)
    totals = plan.with_totals and bool(plan.dimensions)
    total = "coalesce(" + ", ".join(f"{a}._total" for a in aliases.values()) + ")"
    query = _join_sources(query, list(aliases.values()), plan.dimensions, totals)
    query = query.select(*_outer_columns(defs, plan, aliases, {n: c[0] for n, c in chosen.items()}),
                         dialect=DIALECT, copy=False)
    if totals:
        query = query.select(f"{total} AS _total", dialect=DIALECT, copy=False)
    for condition in _outer_conditions(defs, plan, aliases, first):
        condition = f"({total} OR ({condition}))" if totals else condition
        query = query.where(condition, dialect=DIALECT, copy=False)
    return _ordered(query, plan, total if totals else None).sql(dialect=DIALECT)


def _measures_by_source(defs: CatalogDefs, plan: Plan) -> dict[str, list[str]]:
    """The measures the plan needs, by source (the first source's count when rows need one)."""
    by_source: dict[str, list[str]] = {}
    for metric in plan.metrics + tuple(f.metric for f in plan.metric_filters):
        for measure in defs.metrics[metric].measures:
            names = by_source.setdefault(defs.measures[measure].source, [])
            if measure not in names:
                names.append(measure)
    first = defs.sources[next(iter(by_source))]
    if plan.min_count is not None and first.count and first.count not in by_source[first.name]:
        by_source[first.name].append(first.count)
    return by_source


def _ordered(query: exp.Select, plan: Plan, total: str | None) -> exp.Select:
    """The statement sorted and cut to the plan's limit (``total``: its totals flag, if any)."""
    ordering: list[str] = []
    if plan.order:
        column, descending = plan.order
        ordering = [f"{column} {'DESC' if descending else 'ASC'} NULLS LAST",
                    *[f"{d} ASC NULLS LAST" for d in plan.dimensions if d != column]]
    if total is not None:
        # The grand-total grouping set is exactly one row, sorted first: a plain top-N
        # (LIMIT n + 1) keeps it and the n best rows. A window over every group would
        # sort all of them (3M customers at 10M orders: seconds instead of milliseconds).
        query = query.order_by(f"{total} DESC", *ordering, dialect=DIALECT, copy=False)
        if plan.limit:
            query = query.limit(int(plan.limit) + 1, copy=False)
    else:
        if ordering:
            query = query.order_by(*ordering, dialect=DIALECT, copy=False)
        if plan.limit:
            query = query.limit(plan.limit, copy=False)
    return query


def _rollup_or_source(defs: CatalogDefs, source: SourceDef, measures: list[str], plan: Plan
                      ) -> tuple[SourceDef, dict[str, str] | None]:
    """The source's rollup when the plan fits it (see Rollup), else the source itself."""
    rollup = source.rollup
    if rollup is None or plan.min_count is not None or not set(measures) <= set(rollup.exprs):
        return source, None
    dims = rollup.source.dimensions
    fits = (all(d in dims or defs.dimensions[d].grain for d in plan.dimensions)
            and all(d in dims for d in plan.filters if d in source.dimensions))
    return (rollup.source, rollup.exprs) if fits else (source, None)


def _join_sources(query: exp.Select, aliases: list[str], dims: tuple[str, ...],
                  totals: bool = False) -> exp.Select:
    query = query.from_(aliases[0], copy=False)
    for alias in aliases[1:]:
        if dims:
            before = aliases[:aliases.index(alias)]
            keys = [*dims, "_total"] if totals else list(dims)
            on = " AND ".join(
                f"{alias}.{d} IS NOT DISTINCT FROM coalesce({', '.join(f'{a}.{d}' for a in before)})"
                for d in keys
            )
            query = query.join(alias, on=on, join_type="FULL OUTER", dialect=DIALECT, copy=False)
        else:
            query = query.join(alias, join_type="CROSS", dialect=DIALECT, copy=False)
    return query


def _measure_ref(defs: CatalogDefs, aliases: dict[str, str], name: str) -> exp.Expression:
    measure = defs.measures[name]
    column = exp.column(name, table=aliases[measure.source])
    if measure.empty_zero:
        return exp.Coalesce(this=column, expressions=[exp.Literal.number(0)])
    return column


@functools.lru_cache(maxsize=512)
def _safe_metric_tree(expr: str) -> exp.Expression:
    return sqlglot.parse_one(expr, read=DIALECT).transform(_safe_division)


def metric_expression(defs: CatalogDefs, metric: str, aliases: dict[str, str]) -> exp.Expression:
    """The metric's expression over the joined measures, divisions made safe."""
    tree = _safe_metric_tree(defs.metrics[metric].expr).copy()
    return tree.transform(
        lambda node: _measure_ref(defs, aliases, node.name) if isinstance(node, exp.Column) else node
    )


def _outer_columns(defs: CatalogDefs, plan: Plan, aliases: dict[str, str],
                   sources: dict[str, SourceDef]) -> list[exp.Expression | str]:
    columns: list[exp.Expression | str] = []
    for dim in plan.dimensions:
        refs = [f"{a}.{dim}" for a in aliases.values()]
        columns.append(f"{'coalesce(' + ', '.join(refs) + ')' if len(refs) > 1 else refs[0]} "
                       f"AS {dim}")
    for metric in plan.metrics:
        column = exp.alias_(metric_expression(defs, metric, aliases), metric)
        assert isinstance(column, exp.Expression)
        columns.append(column)
    missing = [f"{aliases[name]}._fx_missing" for name, source in sources.items()
               if _has_fx_column(source, plan)]
    if missing:
        columns.append(f"coalesce({', '.join(missing)}) AS _fx_missing" if len(missing) > 1
                       else f"{missing[0]} AS _fx_missing")
    return columns


def _has_fx_column(source: SourceDef, plan: Plan) -> bool:
    ctx = plan.context
    if source.missing:
        return True
    if source.relation:
        return source.relation == "mrr_movements" and "subscription_mrr" in ctx.foreign
    if not source.currency or not source.from_sql:
        return False
    alias = source.currency.split(".")[0]
    return tables_by_alias(fill(source.from_sql)).get(alias, alias) in ctx.foreign


def _outer_conditions(defs: CatalogDefs, plan: Plan, aliases: dict[str, str],
                      first: SourceDef) -> list[str]:
    found: list[str] = []
    for dim in plan.dimensions:
        if defs.dimensions[dim].entities_only:
            refs = [f"{a}.{dim}" for a in aliases.values()]
            found.append(f"coalesce({', '.join(refs)}) IS NOT NULL")
    if plan.min_count is not None and first.count:
        found.append(f"coalesce({aliases[first.name]}.{first.count}, 0) >= {int(plan.min_count)}")
    for condition in plan.metric_filters:
        expr = metric_expression(defs, condition.metric, aliases).sql(dialect=DIALECT)
        found.append(f"({expr}) {condition.op} {float(condition.value)!r}")
    return found
