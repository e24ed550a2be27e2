"""The compiler's first stage: one aggregate subquery per source.

Its measures, grouped by the requested dimensions, over the period or at the instant,
with the source's currency converted and its filters applied; with totals asked, the
row of totals (``_total``) comes out of the same scan.
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

from storage.catalog.definitions import CatalogDefs, SourceDef
from storage.catalog.plan import DIALECT, Plan, fill, tables_by_alias
from storage.catalog.relations import RELATIONS, RelationContext, sql_string
from storage.errors import QueryError


def _time_dimension(defs: CatalogDefs, source: SourceDef, dim: str, ctx: RelationContext) -> str:
    grain = defs.dimensions[dim].grain
    if source.time is None:
        raise QueryError(f"{source.name} has no time column to split by {dim}")
    local = (source.time if source.time_type == "date"
             else ctx.local_within(source.time, ctx.start, ctx.end))  # rows are in the period
    return f"CAST(date_trunc('{grain}', {local}) AS DATE)"


def _from_clause(source: SourceDef, ctx: RelationContext) -> tuple[str, str, str | None]:
    """(FROM clause with any rate join, the fx rate expression, the missing-rate flag)."""
    fx_rate, fx_missing, join = "1", source.missing, ""
    if source.relation:
        builder, _internal = RELATIONS[source.relation]
        fx_missing = "m._fx_missing" if source.relation == "mrr_movements" else None
        return builder(ctx), fx_rate, fx_missing
    assert source.from_sql is not None
    from_sql = fill(source.from_sql)
    if source.currency:
        alias = source.currency.split(".")[0]
        table = tables_by_alias(from_sql).get(alias, alias)
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
    return f"{from_sql}{join}", fx_rate, fx_missing


def source_query(defs: CatalogDefs, source: SourceDef, measures: list[str], plan: Plan,
                 exprs: dict[str, str] | None = None) -> exp.Expression:
    """The source's aggregate subquery (``exprs``: a rollup's measure expressions)."""
    ctx = plan.context
    exprs = exprs or {name: defs.measures[name].expr for name in measures}
    from_sql, fx_rate, fx_missing = _from_clause(source, ctx)
    tree = sqlglot.parse_one(f"SELECT 1 FROM {from_sql}", read=DIALECT)
    assert isinstance(tree, exp.Select)
    selects: list[str] = []
    dim_exprs: list[str] = []
    for dim in plan.dimensions:
        expr = (_time_dimension(defs, source, dim, ctx) if defs.dimensions[dim].grain
                else source.dimensions[dim])
        dim_exprs.append(expr)
        selects.append(f"{expr} AS {dim}")
    for name in measures:
        selects.append(f"{fill(exprs[name], fx_rate)} AS {name}")
    if fx_missing:
        selects.append(f"max({fx_missing}) AS _fx_missing")
    tree = tree.select(*selects, append=False, dialect=DIALECT, copy=False)
    for condition in _conditions(source, plan):
        tree = tree.where(condition, dialect=DIALECT, copy=False)
    return _grouped(tree, plan, [exprs[name] for name in measures], measures, dim_exprs,
                    bool(fx_missing))


def _grouped(tree: exp.Select, plan: Plan, measure_exprs: list[str], measures: list[str],
             dim_exprs: list[str], fx_missing: bool) -> exp.Expression:
    """The subquery grouped by the dimensions, with its row of totals when asked."""
    totals = bool(plan.dimensions) and plan.with_totals
    combine = [_reaggregate(expr) for expr in measure_exprs]
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
    tree = sqlglot.parse_one(fill(measure_expr), read=DIALECT)
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
        found.append(fill(source.where))
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
