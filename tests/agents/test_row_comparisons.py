"""Each row of a compared breakdown is set against the same row then (issue #15, found by
a stranger: every customer of "top customers this year vs last year" read "(new)")."""

from __future__ import annotations

from datetime import date

from agents.compose import compose
from storage.catalog import AsOf, Filter, Order, Query, resolve_period
from tests.agents.demo_workspaces import demo_engine

ENGINE = demo_engine("demo")
AS_OF = AsOf.for_day(date(2025, 6, 1), ENGINE.workspace.tz)


def test_a_ranked_customer_is_compared_with_its_own_revenue_a_year_earlier():
    query = Query(("revenue",), resolve_period("this year", AS_OF), ("customer",),
                  order=Order("revenue"), limit=5, compare="year")
    result = ENGINE.run(query, AS_OF)
    assert result.comparison is not None
    then = {r["customer"]: r["revenue"] for r in result.comparison.rows}
    assert set(then) <= {r["customer"] for r in result.rows}
    for row in result.rows:
        alone = ENGINE.run(Query(("revenue",), result.comparison.period,
                                 filters=(Filter("customer", (row["customer"],)),)), AS_OF)
        assert then.get(row["customer"], 0) == alone.value or (alone.value == 0 and row["customer"] not in then)
    # the comparison's total is still every customer's, not the five's
    everyone = ENGINE.run(Query(("revenue",), result.comparison.period), AS_OF)
    assert result.comparison.values["revenue"] == everyone.value


def test_days_of_this_month_are_compared_in_order_with_last_months():
    query = Query(("revenue",), resolve_period("from 2025-05-01 to 2025-05-05", AS_OF), ("day",),
                  compare="previous")
    result = ENGINE.run(query, AS_OF)
    table = compose(result, ENGINE.defs, "USD").table
    assert table is not None
    changes = [row[-1] for row in table.rows]
    assert len(changes) == 5 and not any("new" in c for c in changes), changes
