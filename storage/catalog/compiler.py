"""Compiles catalog queries to SQL with sqlglot.

One aggregate subquery per source (its measures, grouped by the requested
dimensions, over the period or at the instant), joined on the dimensions; the
metric expressions are computed over the joined measures. The tree is built
and emitted with sqlglot, so another engine is a dialect away; divisions are
made safe (``x / NULLIF(y, 0)``) here, once, for every metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from storage.catalog.definitions import CatalogDefs, SourceDef
from storage.catalog.relations import (
    COUNTED,
    RELATIONS,
    RelationContext,
    sql_string,
    ts_literal,
)
from storage.errors import QueryError

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


def _tables_by_alias(from_sql: str) -> dict[str, str]:
    tree = sqlglot.parse_one(f"SELECT 1 FROM {from_sql}", read=DIALECT)
    return {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}


def _fill(template: str, ctx: RelationContext, fx: str = "1") -> str:
    return (template.replace("{counted}", COUNTED).replace("{fx}", fx)
            .replace("{start}", ts_literal(ctx.start)).replace("{end}", ts_literal(ctx.end))
            .replace("{t}", ts_literal(ctx.t)))


def _time_dimension(defs: CatalogDefs, source: SourceDef, dim: str, ctx: RelationContext) -> str:
    grain = defs.dimensions[dim].grain
    if source.time is None:
        raise QueryError(f"{source.name} has no time column to split by {dim}")
    local = source.time if source.time_type == "date" else ctx.local(source.time)
    return f"CAST(date_trunc('{grain}', {local}) AS DATE)"


def _source_query(defs: CatalogDefs, source: SourceDef, measures: list[str], plan: Plan
                  ) -> exp.Select:
    ctx = plan.context
    fx_rate, fx_missing, join = "1", None, ""
    if source.relation:
        builder, _internal = RELATIONS[source.relation]
        from_sql = builder(ctx)
        fx_missing = "m._fx_missing" if source.relation == "mrr_movements" else None
    else:
        assert source.from_sql is not None
        from_sql = _fill(source.from_sql, ctx)
        if source.currency:
            alias = source.currency.split(".")[0]
            table = _tables_by_alias(from_sql).get(alias, alias)
            join, fx_rate, fx_missing = ctx.fx(
                table, source.currency, source.fx_time or "NULL", source.time_type)
    tree = sqlglot.parse_one(f"SELECT 1 FROM {from_sql}{join}", read=DIALECT)
    assert isinstance(tree, exp.Select)
    selects: list[str] = []
    for dim in plan.dimensions:
        expr = (_time_dimension(defs, source, dim, ctx) if defs.dimensions[dim].grain
                else source.dimensions[dim])
        selects.append(f"{expr} AS {dim}")
    for name in measures:
        selects.append(f"{_fill(defs.measures[name].expr, ctx, fx_rate)} AS {name}")
    if fx_missing:
        selects.append(f"max({fx_missing}) AS _fx_missing")
    tree = tree.select(*selects, append=False, dialect=DIALECT)
    for condition in _conditions(source, plan):
        tree = tree.where(condition, dialect=DIALECT)
    if plan.dimensions:
        tree = tree.group_by(*[exp.Literal.number(i + 1) for i in range(len(plan.dimensions))])
    return tree


def _conditions(source: SourceDef, plan: Plan) -> list[str]:
    ctx = plan.context
    found: list[str] = []
    if source.where:
        found.append(_fill(source.where, ctx))
    if source.kind == "flow" and source.time:
        if source.time_type == "date":
            found.append(f"{source.time} >= DATE '{ctx.period_start_day}' "
                         f"AND {source.time} < DATE '{ctx.period_end_day}'")
        else:
            found.append(f"{source.time} >= {ts_literal(ctx.start)} "
                         f"AND {source.time} < {ts_literal(ctx.end)}")
    internal = RELATIONS[source.relation][1] if source.relation else frozenset()
    for dim, specs in plan.filters.items():
        if dim in internal or dim not in source.dimensions:
            continue
        column = source.dimensions[dim]
        for values, exclude in specs:
            listed = ", ".join(sql_string(v) for v in values)
            found.append(f"{column} {'NOT IN' if exclude else 'IN'} ({listed})")
    return found


def _safe_division(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Div):
        return exp.Div(this=node.this,
                       expression=exp.Nullif(this=node.expression, expression=exp.Literal.number(0)))
    return node


def compile_plan(defs: CatalogDefs, plan: Plan) -> str:
    """The SQL answering ``plan``: one row per combination of its dimensions."""
    by_source: dict[str, list[str]] = {}
    for metric in plan.metrics:
        for measure in defs.metrics[metric].measures:
            names = by_source.setdefault(defs.measures[measure].source, [])
            if measure not in names:
                names.append(measure)
    first = defs.sources[next(iter(by_source))]
    if plan.min_count is not None and first.count and first.count not in by_source[first.name]:
        by_source[first.name].append(first.count)
    aliases = {name: f"s{i}" for i, name in enumerate(by_source)}
    query = exp.select()
    for name, measures in by_source.items():
        query = query.with_(aliases[name], as_=_source_query(defs, defs.sources[name], measures, plan))
    query = _join_sources(query, list(aliases.values()), plan.dimensions)
    query = query.select(*_outer_columns(defs, plan, aliases, by_source), dialect=DIALECT)
    for condition in _outer_conditions(defs, plan, aliases, first):
        query = query.where(condition, dialect=DIALECT)
    if plan.order:
        column, descending = plan.order
        ties = [f"{d} ASC NULLS LAST" for d in plan.dimensions if d != column]
        query = query.order_by(f"{column} {'DESC' if descending else 'ASC'} NULLS LAST", *ties,
                               dialect=DIALECT)
    if plan.limit:
        query = query.limit(plan.limit)
    return query.sql(dialect=DIALECT)


def _join_sources(query: exp.Select, aliases: list[str], dims: tuple[str, ...]) -> exp.Select:
    query = query.from_(aliases[0])
    for alias in aliases[1:]:
        if dims:
            on = " AND ".join(
                f"{alias}.{d} IS NOT DISTINCT FROM coalesce("
                f"{', '.join(f'{a}.{d}' for a in aliases[:aliases.index(alias)])})"
                for d in dims
            )
            query = query.join(alias, on=on, join_type="FULL OUTER", dialect=DIALECT)
        else:
            query = query.join(alias, join_type="CROSS", dialect=DIALECT)
    return query


def _measure_ref(defs: CatalogDefs, aliases: dict[str, str], name: str) -> exp.Expression:
    measure = defs.measures[name]
    column = exp.column(name, table=aliases[measure.source])
    if measure.empty_zero:
        return exp.func("coalesce", column, exp.Literal.number(0))
    return column


def metric_expression(defs: CatalogDefs, metric: str, aliases: dict[str, str]) -> exp.Expression:
    """The metric's expression over the joined measures, divisions made safe."""
    tree = sqlglot.parse_one(defs.metrics[metric].expr, read=DIALECT)
    tree = tree.transform(_safe_division)
    return tree.transform(
        lambda node: _measure_ref(defs, aliases, node.name) if isinstance(node, exp.Column) else node
    )


def _outer_columns(defs: CatalogDefs, plan: Plan, aliases: dict[str, str],
                   by_source: dict[str, list[str]]) -> list[exp.Expression | str]:
    columns: list[exp.Expression | str] = []
    for dim in plan.dimensions:
        refs = [f"{a}.{dim}" for a in aliases.values()]
        columns.append(f"{'coalesce(' + ', '.join(refs) + ')' if len(refs) > 1 else refs[0]} "
                       f"AS {dim}")
    for metric in plan.metrics:
        columns.append(exp.alias_(metric_expression(defs, metric, aliases), metric))
    missing = [f"{aliases[name]}._fx_missing" for name in by_source
               if _has_fx_column(defs.sources[name], plan)]
    if missing:
        columns.append(f"coalesce({', '.join(missing)}) AS _fx_missing" if len(missing) > 1
                       else f"{missing[0]} AS _fx_missing")
    return columns


def _has_fx_column(source: SourceDef, plan: Plan) -> bool:
    ctx = plan.context
    if source.relation:
        return source.relation == "mrr_movements" and "subscription_mrr" in ctx.foreign
    if not source.currency or not source.from_sql:
        return False
    alias = source.currency.split(".")[0]
    return _tables_by_alias(_fill(source.from_sql, ctx)).get(alias, alias) in ctx.foreign


def _outer_conditions(defs: CatalogDefs, plan: Plan, aliases: dict[str, str],
                      first: SourceDef) -> list[str]:
    found: list[str] = []
    if plan.min_count is not None and first.count:
        found.append(f"coalesce({aliases[first.name]}.{first.count}, 0) >= {int(plan.min_count)}")
    for condition in plan.metric_filters:
        expr = metric_expression(defs, condition.metric, aliases).sql(dialect=DIALECT)
        found.append(f"({expr}) {condition.op} {float(condition.value)!r}")
    return found
