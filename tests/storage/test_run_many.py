"""Engine.run_many: the same results as run(), same-metric totals fetched by one statement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storage.catalog import Engine, Filter, Query, resolve_period
from storage.catalog.periods import Period
from storage.errors import MissingFxRateError
from storage.workspaces import Workspace
from tests.conftest import make_engine


class CountingWarehouse:
    """Counts the statements an engine sends (wraps the real warehouse)."""

    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        self._fetch = engine.warehouse.fetch_with_columns

        def counted(sql, params=None):
            self.statements += 1
            return self._fetch(sql, params)

        engine.warehouse.fetch_with_columns = counted  # type: ignore[method-assign]

    def close(self, engine: Engine) -> None:
        engine.warehouse.fetch_with_columns = self._fetch  # type: ignore[method-assign]


def _shop_queries(as_of):
    march = resolve_period("March 2025", as_of)
    return [
        Query(("revenue", "orders", "aov"), march, compare="previous"),
        Query(("revenue", "orders", "aov"), Period(date(2025, 3, 31), date(2025, 4, 1), "day"),
              compare="year"),
        Query(("revenue", "orders", "aov"), resolve_period("last 30 days", as_of)),
        Query(("refunds",), march, compare="previous"),
        Query(("revenue",), march, ("country",)),
    ]


def test_run_many_gives_what_run_gives(shop, shop_as_of):
    queries = _shop_queries(shop_as_of)
    alone = [shop.run(q, shop_as_of) for q in queries]
    together = shop.run_many(queries, shop_as_of)
    for one, many in zip(alone, together, strict=True):
        assert many.values == one.values
        assert many.rows == one.rows
        assert many.period == one.period
        assert (many.comparison is None) == (one.comparison is None)
        if one.comparison:
            assert many.comparison.values == one.comparison.values
            assert many.comparison.change == one.comparison.change
            assert many.comparison.period == one.comparison.period


def test_same_metric_totals_share_one_statement(shop, shop_as_of):
    counter = CountingWarehouse(shop)
    try:
        shop.run_many(_shop_queries(shop_as_of)[:3], shop_as_of)
        # 3 queries, 2 with a comparison: 5 periods of revenue/orders/aov in one statement.
        assert counter.statements == 1
        counter.statements = 0
        for query in _shop_queries(shop_as_of)[:3]:
            shop.run(query, shop_as_of)
        assert counter.statements == 5
    finally:
        counter.close(shop)


def test_stocks_and_movements_over_several_periods(multi, multi_as_of):
    day = multi_as_of.day - timedelta(days=1)
    metrics = ("mrr", "new_mrr", "churned_mrr")
    queries = [Query(metrics, Period(day, day + timedelta(days=1), "day"), compare="previous"),
               Query(metrics, resolve_period("this month", multi_as_of), compare="previous"),
               Query(("mrr",), None, filters=(Filter("plan", ("Pro",)),))]
    alone = [multi.run(q, multi_as_of) for q in queries]
    together = multi.run_many(queries, multi_as_of)
    assert [r.values for r in together] == [r.values for r in alone]
    assert [r.comparison.values for r in together[:2]] == [r.comparison.values for r in alone[:2]]


def test_a_missing_rate_is_still_reported(shop_as_of):
    shop = make_engine("shop", Workspace("shop", "USD", "America/Sao_Paulo"))
    shop.warehouse.con.execute("DELETE FROM fx_rates")
    shop.warehouse.recompute_rates()
    with pytest.raises(MissingFxRateError, match="BRL"):
        shop.run_many(_shop_queries(shop_as_of)[:3], shop_as_of)
