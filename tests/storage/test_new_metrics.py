"""The spec's new metrics, worked out by hand on the fixtures (metrics.md, issue #15).

Shop fixture (America/Sao_Paulo, USD), March 2025 local: counted orders o2 110 (c1),
o3 50 (c2), o4 200 BRL × 0.25 = 50 (c3), o5 30 (c2) → revenue 240 from 3 customers;
refunds created in March: r2 100 BRL × 0.25 = 25 (r1 is April's); o6 (999, MX, Mar 15)
is the one cancelled order, o7 is pending (neither counted nor cancelled).

Multi fixture (UTC): on 2025-03-28 Linen Shirt has 10 at Warehouse and 2 at Store,
Canvas Tote 50 at Warehouse.
"""

from __future__ import annotations

import pytest

from storage.catalog import Filter, Order, Query, resolve_period
from storage.errors import UnsupportedDimensionError


def run(engine, as_of, *metrics, period="March 2025", **kw):
    return engine.run(Query(tuple(metrics), resolve_period(period, as_of) if period else None, **kw),
                      as_of)


def test_revenue_per_customer_is_revenue_over_distinct_customers(shop, shop_as_of):
    assert run(shop, shop_as_of, "revenue_per_customer").value == pytest.approx(240 / 3)


def test_revenue_per_customer_by_country(shop, shop_as_of):
    rows = run(shop, shop_as_of, "revenue_per_customer", dimensions=("country",)).rows
    # BR: o2 110 / c1; US: o3 50 + o5 30 / c2; MX: o4 50 / c3
    assert {r["country"]: r["revenue_per_customer"] for r in rows} == {
        "BR": pytest.approx(110), "US": pytest.approx(80), "MX": pytest.approx(50)}


def test_refund_rate_is_refunds_over_revenue_of_the_same_period(shop, shop_as_of):
    assert run(shop, shop_as_of, "refund_rate").value == pytest.approx(25 / 240)


def test_refund_rate_of_a_period_without_revenue_is_none(shop, shop_as_of):
    assert run(shop, shop_as_of, "refund_rate", period="January 2025").value is None


def test_cancelled_orders_count_only_cancelled_status_in_the_period(shop, shop_as_of):
    assert run(shop, shop_as_of, "cancelled_orders").value == 1
    assert run(shop, shop_as_of, "cancelled_orders", period="April 2025").value == 0


def test_cancelled_orders_by_country(shop, shop_as_of):
    rows = run(shop, shop_as_of, "cancelled_orders", "orders", dimensions=("country",)).rows
    assert {r["country"]: (r["cancelled_orders"], r["orders"]) for r in rows} == {
        "BR": (0, 1), "US": (0, 2), "MX": (1, 1)}


def test_stock_by_location(multi, multi_as_of):
    result = run(multi, multi_as_of, "on_hand", period=None, dimensions=("location",))
    assert {r["location"]: float(r["on_hand"]) for r in result.rows} == {"Warehouse": 60, "Store": 2}
    assert float(result.value) == 62


def test_stock_by_product_and_location(multi, multi_as_of):
    rows = run(multi, multi_as_of, "on_hand", period=None, dimensions=("product", "location")).rows
    assert {(r["product"], r["location"]): float(r["on_hand"]) for r in rows} == {
        ("Linen Shirt", "Warehouse"): 10, ("Linen Shirt", "Store"): 2,
        ("Canvas Tote", "Warehouse"): 50}


def test_stock_of_a_product_at_a_named_location(multi, multi_as_of):
    result = run(multi, multi_as_of, "on_hand", period=None, filters=(
        Filter("product", ("Linen Shirt",)), Filter("location", ("Warehouse",))))
    assert float(result.value) == 10


def test_location_is_a_dimension_of_on_hand_only(multi, multi_as_of):
    # demand, lead times and reorder points are per product: not split by location
    with pytest.raises(UnsupportedDimensionError):
        run(multi, multi_as_of, "days_of_stock", period=None, dimensions=("location",))


def test_stock_lists_still_join_on_hand_and_cover_by_product(multi, multi_as_of):
    result = run(multi, multi_as_of, "days_of_stock", "on_hand", period=None,
                 dimensions=("product",), order=Order("days_of_stock", False))
    assert [(r["product"], float(r["on_hand"])) for r in result.rows] == [
        ("Linen Shirt", 12), ("Canvas Tote", 50)]
