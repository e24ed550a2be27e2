"""Every ecommerce metric on the hand-written shop fixture (tests/fixtures/shop).

Workspace: America/Sao_Paulo (UTC−3), USD. March 2025 local is
[2025-03-01T03:00Z, 2025-04-01T03:00Z). Counted orders in March:
o2 110 (Mar 1 00:30 local), o3 50 (refunded), o4 200 BRL at the Mar 31 rate 0.25 = 50
(partially refunded), o5 30 (02:59Z on Apr 1 = Mar 31 23:59 local). Not counted: o6
cancelled, o7 pending, o8 at 03:00Z on Apr 1 = Apr 1 00:00 local, o1 in February.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.catalog import Filter, Order, Query, resolve_period
from storage.errors import MissingFxRateError, UnsupportedDimensionError
from storage.workspaces import Workspace
from tests.conftest import make_engine


def run(engine, as_of, *metrics, period="March 2025", **kw):
    return engine.run(Query(tuple(metrics), resolve_period(period, as_of) if period else None, **kw),
                      as_of)


@pytest.mark.parametrize(("metric", "expected"), [
    ("revenue", Decimal("240")),            # 110 + 50 + 50 + 30
    ("refunds", Decimal("25")),             # r2: 100 BRL × 0.25 on Mar 31; r1 is in April
    ("net_revenue", Decimal("215")),        # 240 − 25
    ("orders", 4),
    ("aov", 60.0),                          # 240 / 4
    ("units_sold", Decimal("11")),          # 3 + 2 + 5 + 1
    ("product_revenue", Decimal("230")),    # 100 + 50 + 5×40 BRL×0.25 + 30
    ("customers", 3),                       # c1, c2, c3
    ("new_customers", 2),                   # c2 (first o3), c3 (first counted o4; o6 cancelled)
    ("returning_customers", 1),             # c1 (first o1 in February)
])
def test_march_in_sao_paulo(shop, shop_as_of, metric, expected):
    assert run(shop, shop_as_of, metric).value == pytest.approx(expected)


def test_repeat_rate_is_returning_over_customers(shop, shop_as_of):
    assert run(shop, shop_as_of, "repeat_rate").value == pytest.approx(1 / 3)


def test_gross_margin_counts_only_items_with_a_cost(shop, shop_as_of):
    # costed revenue: p1 in o2 80 + p3 in o4 50 + p3 in o5 30 = 160 (p2 has no cost)
    # cost: 2×10 + 5×12 + 1×12 = 92  →  (160 − 92) / 160
    assert run(shop, shop_as_of, "gross_margin").value == pytest.approx(68 / 160)


def test_period_edges_follow_the_workspace_timezone(shop, shop_as_of):
    # Apr 1 03:00Z is midnight in São Paulo: o8 (1000) opens April, o5 (30) closes March.
    april = run(shop, shop_as_of, "revenue", period="from 2025-04-01 to 2025-04-01")
    assert april.value == Decimal("1000")
    assert april.period.utc_bounds(shop.workspace.tz)[0].hour == 3


def test_refund_on_a_later_date_counts_when_refunded(shop, shop_as_of):
    # r1 refunds o3 (a March order) on Apr 2 local: April's refunds, not March's.
    assert run(shop, shop_as_of, "refunds", period="from 2025-04-01 to 2025-04-05").value == 50


def test_foreign_currency_uses_the_latest_rate_on_or_before_the_local_date(shop, shop_as_of):
    by_country = run(shop, shop_as_of, "revenue", dimensions=("country",))
    rows = {r["country"]: r["revenue"] for r in by_country.rows}
    assert rows == {"BR": Decimal("110"), "US": Decimal("80"), "MX": Decimal("50")}
    assert by_country.value == Decimal("240")


def test_missing_rate_names_currency_and_date(shop_as_of):
    shop = make_engine("shop", Workspace("shop", "USD", "America/Sao_Paulo"))
    shop.warehouse.con.execute("DELETE FROM fx_rates WHERE date = DATE '2025-03-31'")
    shop.warehouse.con.execute("UPDATE fx_rates SET date = DATE '2025-04-01'")
    shop.warehouse.recompute_rates()  # rates are stored with the rows (storage/derived.py)
    with pytest.raises(MissingFxRateError, match=r"BRL on or before 2025-03-31"):
        run(shop, shop_as_of, "revenue")


def test_breakdown_by_product_with_limit_and_ties_broken_by_name(shop, shop_as_of):
    top = run(shop, shop_as_of, "product_revenue", dimensions=("product",), limit=2)
    assert [r["product"] for r in top.rows] == ["Linen Shirt", "Wool Scarf"]
    assert [r["product_revenue"] for r in top.rows] == [Decimal("80"), Decimal("80")]


def test_filter_and_order_ascending(shop, shop_as_of):
    result = run(shop, shop_as_of, "revenue", dimensions=("country",),
                 filters=(Filter("country", ("BR",), exclude=True),), order=Order("revenue", False))
    assert [r["country"] for r in result.rows] == ["MX", "US"]
    assert result.value == Decimal("130")


def test_daily_series_in_local_days(shop, shop_as_of):
    days = run(shop, shop_as_of, "revenue", dimensions=("day",))
    assert [(str(r["day"]), r["revenue"]) for r in days.rows] == [
        ("2025-03-01", Decimal("110")), ("2025-03-10", Decimal("50")), ("2025-03-31", Decimal("80"))]


def test_compare_with_previous_month(shop, shop_as_of):
    result = run(shop, shop_as_of, "revenue", compare="previous")
    cmp = result.comparison
    assert (cmp.period.start.isoformat(), cmp.period.end.isoformat()) == ("2025-02-01", "2025-03-01")
    assert cmp.values["revenue"] == Decimal("80")
    assert cmp.change["revenue"] == Decimal("160")
    assert cmp.change_rate["revenue"] == pytest.approx(2.0)


def test_change_from_zero_is_new_not_infinite(shop, shop_as_of):
    result = run(shop, shop_as_of, "revenue", period="February 2025", compare="previous")
    assert result.comparison.values["revenue"] == 0
    assert result.comparison.change_rate["revenue"] is None


def test_no_period_means_the_last_30_days_for_flows(shop, shop_as_of):
    # as_of Apr 10: last 30 days = Mar 11 .. Apr 9 → o4, o5, o8
    result = run(shop, shop_as_of, "orders", period=None)
    assert (result.period.start.isoformat(), result.period.end.isoformat()) == ("2025-03-11", "2025-04-10")
    assert result.value == 3


def test_unsupported_breakdown_says_what_works(shop, shop_as_of):
    with pytest.raises(UnsupportedDimensionError, match="can by"):
        run(shop, shop_as_of, "revenue", dimensions=("product",))


def test_new_customers_are_split_by_their_first_orders_channel(shop, shop_as_of):
    # c2 orders on the marketplace (o3) then at the POS (o5), both in March: one new
    # customer, counted under the channel of the first order only, so rows add up.
    result = run(shop, shop_as_of, "new_customers", dimensions=("sales_channel",))
    assert {r["sales_channel"]: r["new_customers"] for r in result.rows} == {
        "marketplace": 1, "online_store": 1}
    assert result.value == 2


def test_a_distinct_counts_total_is_not_the_sum_of_its_rows(shop, shop_as_of):
    # Sums' totals are added up from the groups; a distinct count's cannot be: c2 buys
    # on the marketplace and at the POS, one customer in the total.
    result = run(shop, shop_as_of, "customers", dimensions=("sales_channel",))
    assert {r["sales_channel"]: r["customers"] for r in result.rows} == {
        "online_store": 2, "marketplace": 1, "pos": 1}
    assert result.value == 3
    revenue = run(shop, shop_as_of, "revenue", dimensions=("sales_channel",))
    assert revenue.value == sum(r["revenue"] for r in revenue.rows) == Decimal("240")


def test_guest_orders_count_in_the_total_but_are_no_customer(shop_as_of, tmp_path):
    from storage.importer import import_directory

    engine = make_engine("shop", Workspace("shop", "USD", "America/Sao_Paulo"))
    (tmp_path / "orders.csv").write_text(
        "order_id,created_at,status,currency,subtotal,discount,shipping,tax,total\n"
        "guest1,2025-03-05T12:00:00Z,paid,USD,500,0,0,0,500\n", encoding="utf-8")
    import_directory(engine.warehouse, tmp_path)
    top = run(engine, shop_as_of, "revenue", dimensions=("customer",),
              order=Order("revenue", True), limit=2)
    assert [r["customer"] for r in top.rows] == ["c1", "c2"]  # not the 500 of a guest checkout
    assert top.value == Decimal("740")  # 240 + the guest order


def test_a_first_order_without_a_country_keeps_the_new_customer_without_one(shop_as_of, tmp_path):
    from storage.importer import import_directory

    engine = make_engine("shop", Workspace("shop", "USD", "America/Sao_Paulo"))
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total,country\n"
        "n1,c9,2025-03-05T12:00:00Z,paid,USD,5,0,0,0,5,\n"      # c9's first order: no country
        "n2,c9,2025-03-06T12:00:00Z,paid,USD,5,0,0,0,5,US\n", encoding="utf-8")
    import_directory(engine.warehouse, tmp_path)
    result = run(engine, shop_as_of, "new_customers", dimensions=("country",))
    assert {r["country"]: r["new_customers"] for r in result.rows} == {"US": 1, "MX": 1, None: 1}
