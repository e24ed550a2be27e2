"""The daily product rollup (storage/rollups.py) stays exact, and answers as the lines do.

Every write path is checked against the rollup recomputed from scratch; the catalog's
answers through the rollup are checked against the same questions answered from the
order lines (a country filter that keeps every row makes the rollup unusable).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.catalog import AsOf, Engine, Filter, Query, resolve_period
from storage.errors import MissingFxRateError
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace
from tests.conftest import FIXTURES, write_batch

FROM_SCRATCH = """
SELECT CAST(timezone(?, timezone('UTC', created_at)) AS DATE) AS day, product_id, sum(quantity),
       sum((quantity * unit_price - discount) * rate)
FROM _order_lines WHERE status IN ('paid', 'refunded', 'partially_refunded') GROUP BY ALL
ORDER BY 1, 2"""
STORED = "SELECT day, product_id, units, item_revenue FROM _product_days ORDER BY 1, 2"
ORDERS = "order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total,country"
ITEMS = "order_id,line_no,product_id,quantity,unit_price,discount"


def _assert_exact(warehouse: Warehouse, timezone: str) -> None:
    assert warehouse.fetch(STORED) == warehouse.fetch(FROM_SCRATCH, [timezone])


@pytest.fixture
def shop() -> Engine:
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / "shop")
    return Engine(Workspace("shop", "USD", "America/Sao_Paulo"), warehouse)


def test_the_rollup_follows_every_kind_of_write(shop, tmp_path):
    warehouse, tz = shop.warehouse, "America/Sao_Paulo"
    _assert_exact(warehouse, tz)
    assert warehouse.fetch("SELECT count(*) FROM _product_days")[0][0] > 0
    # o2 is cancelled (its units leave), o3 moves to another day, o9 is new and in BRL.
    import_directory(warehouse, write_batch(tmp_path, {
        "orders.csv": f"{ORDERS}\n"
                      "o2,c1,2025-03-01T00:30:00-03:00,cancelled,USD,100,0,10,0,110,BR\n"
                      "o3,c2,2025-03-20T15:00:00Z,refunded,USD,50,0,0,0,50,US\n"
                      "o9,c2,2025-03-21T01:00:00Z,paid,BRL,40,0,0,0,40,US\n",
        "order_items.csv": f"{ITEMS}\no9,1,p1,2,20,0\n"}))
    _assert_exact(warehouse, tz)
    # New rates re-price the BRL lines.
    rates = {"fx_rates.csv": "date,currency,rate\n2025-03-15,BRL,0.3\n"}
    import_directory(warehouse, write_batch(tmp_path, rates))
    _assert_exact(warehouse, tz)
    # Another timezone moves lines to other local days.
    Engine(Workspace("shop", "USD", "Asia/Tokyo"), warehouse)
    _assert_exact(warehouse, "Asia/Tokyo")


def test_missing_rate_is_reported_through_the_rollup(tmp_path):
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / "shop")
    warehouse.con.execute("DELETE FROM fx_rates")
    warehouse.recompute_rates()
    engine = Engine(Workspace("shop", "USD", "America/Sao_Paulo"), warehouse)
    as_of = AsOf.for_day(date(2025, 4, 10), engine.workspace.tz)
    query = Query(("product_revenue",), resolve_period("March 2025", as_of), ("category",))
    with pytest.raises(MissingFxRateError, match=r"BRL on or before 2025-03-31"):
        engine.run(query, as_of)


def _via_lines(query: Query) -> Query:
    # Every generated order has a country: excluding one nobody has keeps every row but
    # filters on an order-level dimension, which the rollup cannot answer.
    return Query(query.metrics, query.period, query.dimensions,
                 filters=(*query.filters, Filter("country", ("ZZ",), exclude=True)))


LINE = st.tuples(st.integers(0, 60 * 24 * 90),  # minutes after Feb 1 (across the DST change)
                 st.sampled_from(["paid", "refunded", "cancelled", "partially_refunded"]),
                 st.sampled_from(["USD", "EUR"]), st.sampled_from(["p1", "p2", "p3"]),
                 st.integers(1, 9), st.decimals("0.01", "99.99", places=2))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(LINE, min_size=1, max_size=40),
       st.sampled_from(["America/New_York", "Europe/Berlin", "UTC"]))
def test_answers_through_the_rollup_equal_answers_from_the_lines(tmp_path, lines, timezone):
    start = datetime(2025, 2, 1)
    orders, items = [ORDERS], [ITEMS]
    for n, (minutes, status, currency, product, quantity, price) in enumerate(lines):
        at = (start + timedelta(minutes=minutes)).isoformat() + "Z"
        orders.append(f"o{n},c{n % 5},{at},{status},{currency},1,0,0,0,1,US")
        items.append(f"o{n},1,{product},{quantity},{price},0")
    folder = write_batch(tmp_path, {
        "orders.csv": "\n".join(orders) + "\n", "order_items.csv": "\n".join(items) + "\n",
        "products.csv": "product_id,sku,title,category,price,cost\n"
                        "p1,S1,Mug,Kitchen,10,4\np2,S2,Scarf,Apparel,20,\np3,S3,Lamp,Kitchen,30,12\n",
        "fx_rates.csv": "date,currency,rate\n2025-01-01,EUR,1.1\n2025-03-09,EUR,1.2\n"})
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, folder)
    engine = Engine(Workspace("w", "USD", timezone), warehouse)
    _assert_exact(warehouse, timezone)
    as_of = AsOf.for_day(date(2025, 5, 10), engine.workspace.tz)
    period = resolve_period("from 2025-02-01 to 2025-04-30", as_of)
    for metrics, dims in [(("units_sold", "product_revenue"), ("category",)),
                          (("gross_margin",), ("product",)), (("units_sold",), ("day",)),
                          (("product_revenue",), ("week", "sku"))]:
        query = Query(metrics, period, dims)
        rolled, lined = engine.run(query, as_of), engine.run(_via_lines(query), as_of)
        assert "_product_days" in rolled.sql[0] and "_product_days" not in lined.sql[0]
        assert rolled.values == lined.values  # the same exact sums, in another order

        def by_key(result, dims=dims):
            return {tuple(row[d] for d in dims): row for row in result.rows}

        assert by_key(rolled) == by_key(lined)
    warehouse.close()


def test_a_product_filter_still_uses_the_rollup(shop):
    as_of = AsOf.for_day(date(2025, 4, 10), shop.workspace.tz)
    query = Query(("units_sold",), resolve_period("March 2025", as_of),
                  filters=(Filter("category", ("Apparel",)),))
    rolled = shop.run(query, as_of)
    assert "_product_days" in rolled.sql[0]
    assert rolled.value == shop.run(_via_lines(query), as_of).value
    assert rolled.value > Decimal(0)
