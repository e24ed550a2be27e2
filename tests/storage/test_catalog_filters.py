"""A filter applies to every metric asked, or the engine refuses the question.

Shop fixture (tests/fixtures/shop), March 2025 in São Paulo: counted orders o2 (p1 ×2,
p2 ×1), o3 (p2 ×2), o4 (p3 ×5), o5 (p3 ×1). Orders have no product: an order count
"for Linen Shirt" would be every order of the month under that product's name.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.catalog import Filter, Query, resolve_period
from storage.errors import UnsupportedDimensionError


def run(engine, as_of, *metrics, filters=(), period="March 2025", dimensions=()):
    return engine.run(Query(tuple(metrics), resolve_period(period, as_of), tuple(dimensions),
                            tuple(filters)), as_of)


LINEN = Filter("product", ("Linen Shirt",))


def test_orders_and_units_for_one_product_is_refused_naming_orders(shop, shop_as_of):
    with pytest.raises(UnsupportedDimensionError, match=r"^Orders can't be filtered by product"):
        run(shop, shop_as_of, "orders", "units_sold", filters=(LINEN,))


def test_the_refusal_does_not_depend_on_the_order_the_metrics_are_asked(shop, shop_as_of):
    with pytest.raises(UnsupportedDimensionError, match=r"^Orders can't be filtered by product"):
        run(shop, shop_as_of, "units_sold", "orders", filters=(LINEN,))


def test_the_refusal_says_what_the_metric_can_be_filtered_by(shop, shop_as_of):
    with pytest.raises(UnsupportedDimensionError,
                       match=r"filtered by country, customer, sales_channel, source\)"):
        run(shop, shop_as_of, "orders", "units_sold", filters=(LINEN,))


def test_an_excluding_filter_is_refused_the_same_way(shop, shop_as_of):
    with pytest.raises(UnsupportedDimensionError, match="Orders can't be filtered by product"):
        run(shop, shop_as_of, "units_sold", "orders", filters=(Filter("product", ("Linen Shirt",), True),))


def test_units_of_one_product_alone_are_answered(shop, shop_as_of):
    assert run(shop, shop_as_of, "units_sold", filters=(LINEN,)).value == Decimal("2")  # o2


def test_a_run_many_digest_refuses_the_same_query(shop, shop_as_of):
    query = Query(("orders", "units_sold"), resolve_period("March 2025", shop_as_of),
                  filters=(LINEN,))
    with pytest.raises(UnsupportedDimensionError, match="Orders can't be filtered"):
        shop.run_many([query, query], shop_as_of)


def test_a_metric_from_two_sources_needs_the_filter_in_both(multi, multi_as_of):
    # Blended ROAS is revenue over ad spend: revenue knows the buyer's country, ad spend
    # doesn't. "Blended ROAS in Brazil" would divide Brazil's revenue by all the spend.
    with pytest.raises(UnsupportedDimensionError, match=r"^Blended ROAS \(MER\) can't be filtered by country"):
        run(multi, multi_as_of, "blended_roas", filters=(Filter("country", ("BR",)),))


def test_a_filter_every_metric_supports_still_answers(shop, shop_as_of):
    result = run(shop, shop_as_of, "orders", "revenue", filters=(Filter("country", ("US",)),))
    assert result.values == {"orders": 2, "revenue": Decimal("80")}  # o3 50, o5 30 (Mar 31 local)
