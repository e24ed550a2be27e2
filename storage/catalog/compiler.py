"""Compiles catalog queries to SQL with sqlglot.

One aggregate subquery per source (its measures, grouped by the requested
dimensions, over the period or at the instant), joined on the dimensions; the
metric expressions are computed over the joined measures. The tree is built
and emitted with sqlglot, so another engine is a dialect away; divisions are
made safe (``x / NULLIF(y, 0)``) here, once, for every metric.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

import sqlglot
from sqlglot import exp

from storage.catalog.definitions import CatalogDefs, SourceDef
from storage.catalog.relations import (
    COUNTED,
    RELATIONS,
    RelationContext,
    sql_string,
    ts_literal,
    utc_offsets,
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
    with_totals: bool = False  # also the row of totals (``_total``) in the same scan


@functools.lru_cache(maxsize=256)
def _tables_by_alias(from_sql: str) -> dict[str, str]:
    tree = sqlglot.parse_one(f"SELECT 1 FROM {from_sql}", read=DIALECT)
    return {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}


def _fill(template: str, fx: str = "1") -> str:
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


def _time_dimension(defs: CatalogDefs, source: SourceDef, dim: str, ctx: RelationContext) -> str:
    grain = defs.dimensions[dim].grain
    if source.time is None:
        raise QueryError(f"{source.name} has no time column to split by {dim}")
    local = (source.time if source.time_type == "date"
             else ctx.local_within(source.time, ctx.start, ctx.end))  # rows are in the period
    return f"CAST(date_trunc('{grain}', {local}) AS DATE)"


def _source_query(defs: CatalogDefs, source: SourceDef, measures: list[str], plan: Plan,
                  exprs: dict[str, str] | None = None) -> exp.Expression:
    ctx = plan.context
    fx_rate, fx_missing, join = "1", source.missing, ""
    exprs = exprs or {name: defs.measures[name].expr for name in measures}
    if source.relation:
        builder, _internal = RELATIONS[source.relation]
        from_sql = builder(ctx)
        fx_missing = "m._fx_missing" if source.relation == "mrr_movements" else None
    else:
        assert source.from_sql is not None
        from_sql = _fill(source.from_sql)
        if source.currency:
            alias = source.currency.split(".")[0]
            table = _tables_by_alias(from_sql).get(alias, alias)
            fx_time = source.fx_time or "NULL"
            spelled = f"{table} AS {alias}"
            if source.rate:
                fx_rate, fx_missing = ctx.stored_fx(table, source.currency, source.rate, fx_time,
                                                    source.time_type)
            elif table in ctx.foreign and fx_time.split(".")[0] == alias and spelled in from_sql:
                derived, fx_rate, fx_missing = ctx.fx_table(
                    table, alias, source.currency, fx_time, source.time_type)
                from_sql = from_sql.replace(spelled, f"{derived} AS {alias}", 1)
            elif table in ctx.foreign:  # the rate's date is another table's (refunds): join
                join, fx_rate, fx_missing = ctx.fx(table, source.currency, fx_time, source.time_type)
    tree = sqlglot.parse_one(f"SELECT 1 FROM {from_sql}{join}", read=DIALECT)
    assert isinstance(tree, exp.Select)
    selects: list[str] = []
    dim_exprs: list[str] = []
    for dim in plan.dimensions:
        expr = (_time_dimension(defs, source, dim, ctx) if defs.dimensions[dim].grain
                else source.dimensions[dim])
        dim_exprs.append(expr)
        selects.append(f"{expr} AS {dim}")
    for name in measures:
        selects.append(f"{_fill(exprs[name], fx_rate)} AS {name}")
    if fx_missing:
        selects.append(f"max({fx_missing}) AS _fx_missing")
    tree = tree.select(*selects, append=False, dialect=DIALECT, copy=False)
    for condition in _conditions(source, plan):
        tree = tree.where(condition, dialect=DIALECT, copy=False)
    totals = bool(plan.dimensions) and plan.with_totals
    combine = [_reaggregate(exprs[name]) for name in measures]
    if totals and all(combine):
        tree = tree.group_by(*[exp.Literal.number(i + 1) for i in range(len(plan.dimensions))],
                             copy=False)
        _drop_unused_left_joins(tree)
        return _with_total_row(tree, plan.dimensions, [
            f"{function}({name}) AS {name}" for function, name in zip(combine, measures, strict=True)
        ] + (["max(_fx_missing) AS _fx_missing"] if fx_missing else []))
    if totals:
        # One scan gives the breakdown and its total: GROUPING SETS ((dims), ()).
        listed = ", ".join(dim_exprs)
        tree = tree.select(f"grouping({listed}) <> 0 AS _total", dialect=DIALECT, copy=False)
        tree = tree.group_by(f"GROUPING SETS (({listed}), ())", dialect=DIALECT, copy=False)
    elif plan.dimensions:
        tree = tree.group_by(*[exp.Literal.number(i + 1) for i in range(len(plan.dimensions))],
                             copy=False)
    _drop_unused_left_joins(tree)
    return tree


@functools.lru_cache(maxsize=512)
def _reaggregate(measure_expr: str) -> str | None:
    """How a measure's per-group values combine into the total (None: they don't).

    Sums and counts add up and extremes take their extreme; a distinct count does not.
    """
    tree = sqlglot.parse_one(_fill(measure_expr), read=DIALECT)
    if isinstance(tree, exp.Sum | exp.Count) and not tree.find(exp.Distinct):
        return "sum"
    if isinstance(tree, exp.Max | exp.Min) and not tree.find(exp.Distinct):
        return tree.key
    return None


def _with_total_row(grouped: exp.Select, dims: tuple[str, ...], totals: list[str]) -> exp.Expression:
    """The groups and, computed from them, the row of totals (``_total``).

    GROUPING SETS would also do it in one statement, but DuckDB then materializes every
    input row (eight million order lines for a year by category); adding up the groups
    reads the input once and the (few) groups twice.
    """
    nulls = ", ".join(f"NULL AS {d}" for d in dims)
    sql = (f"WITH _groups AS MATERIALIZED ({grouped.sql(dialect=DIALECT)}) "
           f"SELECT *, FALSE AS _total FROM _groups "
           f"UNION ALL SELECT {nulls}, {', '.join(totals)}, TRUE AS _total FROM _groups")
    tree = sqlglot.parse_one(sql, read=DIALECT)
    assert isinstance(tree, exp.Expression)
    return tree


def _drop_unused_left_joins(tree: exp.Select) -> None:
    """Removes the plain LEFT JOINs that no column of the statement refers to.

    A source's LEFT JOINs match at most one row (they are on the joined table's key and
    only bring dimension columns, definitions.yaml), so one that no dimension, filter or
    other join uses changes no row: MRR with no breakdown skips subscriptions, plans and
    customers. Repeated until stable, since a dropped join may have been the only user of
    another (plans are reached through subscriptions).
    """
    while True:
        for join in tree.args.get("joins") or []:
            if join.side != "LEFT" or join.kind:
                continue
            alias = join.this.alias_or_name
            if not any(column.table == alias and column.find_ancestor(exp.Join) is not join
                       for column in tree.find_all(exp.Column)):
                join.pop()
                break
        else:
            return


def _conditions(source: SourceDef, plan: Plan) -> list[str]:
    found: list[str] = []
    if source.where:
        found.append(_fill(source.where))
    if source.kind == "flow" and source.time:
        low, high = ("$p_start", "$p_end") if source.time_type == "date" else ("$start", "$end")
        found.append(f"{source.time} >= {low} AND {source.time} < {high}")
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
    by_source: dict[str, list[str]] = {}
    for metric in plan.metrics + tuple(f.metric for f in plan.metric_filters):
        for measure in defs.metrics[metric].measures:
            names = by_source.setdefault(defs.measures[measure].source, [])
            if measure not in names:
                names.append(measure)
    first = defs.sources[next(iter(by_source))]
    if plan.min_count is not None and first.count and first.count not in by_source[first.name]:
        by_source[first.name].append(first.count)
    aliases = {name: f"s{i}" for i, name in enumerate(by_source)}
    chosen = {name: _rollup_or_source(defs, defs.sources[name], measures, plan)
              for name, measures in by_source.items()}
    query = exp.select()
    for name, measures in by_source.items():
        source, exprs = chosen[name]
        query = query.with_(aliases[name], as_=_source_query(defs, source, measures, plan, exprs),
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
    ordering: list[str] = []
    if plan.order:
        column, descending = plan.order
        ordering = [f"{column} {'DESC' if descending else 'ASC'} NULLS LAST",
                    *[f"{d} ASC NULLS LAST" for d in plan.dimensions if d != column]]
    if totals:
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
    return query.sql(dialect=DIALECT)


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
    return _tables_by_alias(_fill(source.from_sql)).get(alias, alias) in ctx.foreign


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
