"""An operations person's questions (issue #15): stock, cover, orders on the way, the lists.

as_of is Wednesday 2025-11-19 (tests/agents/parser_cases.py); the shop sells Linen Shirt,
Linen Pants, Canvas Tote, Wool Beanie and Leather Wallet from Main Warehouse and Sao
Paulo Store, bought from Acme Textiles and Globex.
"""

from __future__ import annotations

import pytest

from agents.parser import Parsed, Vocabulary
from storage.catalog.model import ACTIVE_PRODUCTS, Order
from tests.agents.parser_cases import LAST_MONTH, F, Q, ask, assert_parses, assert_refused

LOWEST_COVER = Order("days_of_stock", descending=False)
REORDER = Q("on_hand", "reorder_point", "days_of_stock", "open_po_units", by=("product",),
            order=LOWEST_COVER, filters=(F("stockout_risk", "true"), ACTIVE_PRODUCTS),
            intent="stock_alert_list")


def reorder(*filters):
    return Q(*REORDER.metrics, by=("product",), order=LOWEST_COVER,
             filters=(F("stockout_risk", "true"), *filters, ACTIVE_PRODUCTS),
             intent="stock_alert_list")


def test_a_date_later_this_year_is_the_future_not_last_year():
    assert_refused("stock of canvas tote on november 30", "future", "november 30 2024")


def test_a_date_earlier_this_year_is_this_year():
    assert_parses("stock of canvas tote on november 3",
                  Q("on_hand", period=("2025-11-03", "2025-11-04"),
                    filters=(F("product", "Canvas Tote"),)))


def test_since_a_date_later_this_year_is_the_future():
    assert_refused("revenue since december 5", "future")


@pytest.mark.parametrize("text", [
    "hey can you reorder the canvas tote for me",
    "please order 50 more wool beanies",
    "raise a PO for linen shirts",
    "could you place an order with Globex",
    "reorder the leather wallet",
])
def test_placing_an_order_is_an_action_refused(text):
    assert_refused(text, "can't place")


@pytest.mark.parametrize(("text", "expected"), [
    ("what should I reorder", REORDER),
    ("reorder suggestions", REORDER),
    ("what needs reordering", REORDER),
    ("which items need to be restocked", REORDER),
    ("stockout risk list pls", REORDER),
    ("low stock alerts", REORDER),
    ("what do we need to order from globex", reorder(F("supplier", "Globex"))),
    ("which apparel products are at risk of stocking out", reorder(F("category", "Apparel"))),
])
def test_the_reorder_list_however_it_is_asked(text, expected):
    assert_parses(text, expected)


def test_reorder_point_is_a_metric_not_the_list():
    assert_parses("reorder point for canvas tote",
                  Q("reorder_point", filters=(F("product", "Canvas Tote"),)))


def test_stockout_risk_of_one_product_is_its_metric():
    assert_parses("stockout risk for the wool beanie",
                  Q("stockout_risk", filters=(F("product", "Wool Beanie"),)))


@pytest.mark.parametrize(("text", "product"), [
    ("how long will our canvas tote stock last", "Canvas Tote"),
    ("how long will our tote stock last", "Canvas Tote"),
    ("how many days til we run out of wool beanies", "Wool Beanie"),
    ("when will we run out of the leather wallet", "Leather Wallet"),
])
def test_how_long_a_products_stock_lasts_is_its_days_of_stock(text, product):
    assert_parses(text, Q("days_of_stock", "on_hand", "avg_daily_units", by=("product",),
                          filters=(F("product", product), ACTIVE_PRODUCTS), order=LOWEST_COVER,
                          intent="stock_alert_list"))


def test_how_long_stock_lasts_with_no_product_is_the_cover_list():
    assert_parses("how long will our stock last",
                  Q("days_of_stock", "on_hand", "avg_daily_units", by=("product",),
                    filters=(ACTIVE_PRODUCTS,), order=LOWEST_COVER, intent="stock_alert_list"))


@pytest.mark.parametrize(("text", "expected"), [
    ("safety stock levels for acme textiles products",
     Q("safety_stock", filters=(F("supplier", "Acme Textiles"),))),
    ("days of inventory for globex items", Q("days_of_stock", filters=(F("supplier", "Globex"),))),
    ("stock of globex products, by product",
     Q("on_hand", by=("product",), filters=(F("supplier", "Globex"),))),
])
def test_a_suppliers_products_are_a_filter_not_a_breakdown(text, expected):
    assert_parses(text, expected)


def test_the_store_is_the_one_location_that_is_a_store():
    assert_parses("how many linen shirts in stock at the store",
                  Q("on_hand", filters=(F("product", "Linen Shirt"),
                                        F("location", "Sao Paulo Store"))))


def test_the_warehouse_vs_the_store_is_stock_by_location():
    assert_parses("total units in the warehouse vs the store", Q("on_hand", by=("location",)))


def test_store_sales_are_not_read_as_a_location():
    assert_refused("revenue at the store last week", "location")


@pytest.mark.parametrize(("text", "expected"), [
    ("how many wool beanies in the warehouse",
     Q("on_hand", filters=(F("product", "Wool Beanie"), F("location", "Main Warehouse")))),
    ("canvas tote count?", Q("on_hand", filters=(F("product", "Canvas Tote"),))),
    ("how many canvas totes last week",
     Q("units_sold", period=("2025-11-10", "2025-11-17"), filters=(F("product", "Canvas Tote"),))),
])
def test_counting_a_product_is_its_stock_or_its_sales_in_a_period(text, expected):
    assert_parses(text, expected)


def ranked(metric, by, descending, limit, *filters):
    return Q(metric, by=(by,), filters=filters, order=Order(metric, descending=descending),
             limit=limit)


@pytest.mark.parametrize(("text", "expected"), [
    ("which supplier has the longest lead time", ranked("lead_time_days", "supplier", True, 1)),
    ("fastest supplier by lead time", ranked("lead_time_days", "supplier", False, 1)),
    ("top 5 fastest movers", ranked("avg_daily_units", "product", True, 5)),
    ("slowest 3 sellers per day", ranked("avg_daily_units", "product", False, 3)),
    ("which 2 products have the fewest days of stock left?",
     ranked("days_of_stock", "product", False, 2)),
    ("3 products we have the least of at the warehouse",
     ranked("on_hand", "product", False, 3, F("location", "Main Warehouse"))),
    ("which product do we have the most of", ranked("on_hand", "product", True, 1)),
])
def test_ops_rankings_by_speed_length_and_stock(text, expected):
    assert_parses(text, expected)


def test_a_part_of_a_name_after_from_is_that_name_even_after_a_verb():
    assert_parses("whats on order from acme",
                  Q("open_po_units", filters=(F("supplier", "Acme Textiles"),)))


@pytest.mark.parametrize(("text", "expected"), [
    ("how long does globex take to deliver", Q("lead_time_days", filters=(F("supplier", "Globex"),))),
    ("how many days does it take to restock the canvas tote",
     Q("lead_time_days", filters=(F("product", "Canvas Tote"),))),
    ("at what level should i reorder wool beanies",
     Q("reorder_point", filters=(F("product", "Wool Beanie"),))),
    ("what % of our linen shirts did we sell last month",
     Q("sell_through", period=LAST_MONTH, filters=(F("product", "Linen Shirt"),))),
    ("how many units a day do we move of the leather wallet",
     Q("avg_daily_units", filters=(F("product", "Leather Wallet"),))),
    ("how many canvas totes do we sell a day on avg",
     Q("avg_daily_units", filters=(F("product", "Canvas Tote"),))),
])
def test_ops_idioms_around_a_name(text, expected):
    assert_parses(text, expected)


def test_a_long_name_said_by_its_first_and_last_word():
    vocabulary = Vocabulary(values={"product": ["Organic Cotton Tee", "Cotton Bath Towel"]},
                            verticals=frozenset({"shop", "ops"}))
    assert_parses("stock of the organic tee", Q("on_hand", filters=(F("product", "Organic Cotton Tee"),)),
                  vocabulary)


MUGS = Vocabulary(values={"product": ["Camping Mug", "Ceramic Mug", "Hoodie Classic",
                                      "Organic Cotton Tee"]},
                  verticals=frozenset({"shop", "ops"}))


@pytest.mark.parametrize("text", ["stock of the mug", "how long will our mug stock last"])
def test_a_short_word_two_names_share_is_a_choice_between_them(text):
    refused = assert_refused(text, "several names", vocabulary=MUGS)
    assert any("Ceramic Mug" in choice for choice in refused.choices)


def test_a_loosely_named_product_in_a_stock_list_is_that_product():
    assert_parses("how long will our hoodie stock last",
                  Q("days_of_stock", "on_hand", "avg_daily_units", by=("product",),
                    filters=(F("product", "Hoodie Classic"), ACTIVE_PRODUCTS),
                    order=LOWEST_COVER, intent="stock_alert_list"), MUGS)


def test_a_short_word_one_name_holds_is_not_that_name():
    assert_refused("stock of the tee", vocabulary=MUGS)


@pytest.mark.parametrize("text", ["average reorder point", "avg safety stock", "average lead time"])
def test_average_before_an_ops_metric_is_never_another_metric(text):
    answer = ask(text)
    assert not isinstance(answer, Parsed) or "aov" not in answer.query.metrics, answer


@pytest.mark.parametrize(("text", "expected"), [
    ("which supplier is slowest", ranked("lead_time_days", "supplier", True, 1)),
    ("our quickest vendor", ranked("lead_time_days", "supplier", False, 1)),
])
def test_a_suppliers_speed_is_its_lead_time(text, expected):
    assert_parses(text, expected)


@pytest.mark.parametrize("text", ["what will run out first", "which product will run out first",
                                  "what is next to run out"])
def test_what_runs_out_first_is_the_cover_list(text):
    assert_parses(text, Q("days_of_stock", "on_hand", "avg_daily_units", by=("product",),
                          filters=(ACTIVE_PRODUCTS,), order=LOWEST_COVER,
                          intent="stock_alert_list"))


@pytest.mark.parametrize(("text", "expected"), [
    ("po qty by supplier", Q("open_po_units", by=("supplier",))),
    ("qty on order for the canvas tote", Q("open_po_units", filters=(F("product", "Canvas Tote"),))),
    ("how many units incoming from globex", Q("open_po_units", filters=(F("supplier", "Globex"),))),
    ("units due in from acme textiles",
     Q("open_po_units", filters=(F("supplier", "Acme Textiles"),))),
])
def test_units_on_the_way_are_open_po_units(text, expected):
    assert_parses(text, expected)


def test_incoming_orders_are_not_read_as_purchase_orders_and_orders():
    answer = ask("how many incoming orders today")
    assert not isinstance(answer, Parsed) or len(answer.query.metrics) == 1, answer


@pytest.mark.parametrize("text", ["inventory turnover", "stock turns by category"])
def test_inventory_turnover_is_refused_not_read_as_revenue(text):
    assert_refused(text, "turnover is not a metric", "sell-through")


def test_products_below_their_reorder_point_are_the_reorder_list():
    assert_parses("how many products are below reorder point", REORDER)


@pytest.mark.parametrize(("text", "expected"), [
    ("how many units do we have", Q("on_hand")),
    ("how many items have we got left", Q("on_hand")),
    ("how many customers do we have", Q("customers")),
])
def test_units_we_have_are_on_hand_and_customers_stay_customers(text, expected):
    assert_parses(text, expected)


def test_how_fast_a_product_sells_is_its_daily_demand():
    assert_parses("how fast is the canvas tote selling",
                  Q("avg_daily_units", filters=(F("product", "Canvas Tote"),)))


@pytest.mark.parametrize("text", ["how fast are sales moving", "how fast is our stock moving"])
def test_how_fast_a_metric_moves_is_not_daily_demand(text):
    answer = ask(text)
    assert not isinstance(answer, Parsed) or "avg_daily_units" not in answer.query.metrics


def test_our_warehouse_is_the_one_warehouse():
    assert_parses("stock in our warehouse", Q("on_hand", filters=(F("location", "Main Warehouse"),)))


@pytest.mark.parametrize("text", ["sell through %", "% sell through", "pct sold"])
def test_sell_through_said_as_a_percent(text):
    assert_parses(text, Q("sell_through"))


@pytest.mark.parametrize(("text", "expected"), [
    ("stock lvl for apparel", Q("on_hand", filters=(F("category", "Apparel"),))),
    ("DOH by product", Q("days_of_stock", by=("product",))),
    ("DOS for apparel", Q("days_of_stock", filters=(F("category", "Apparel"),))),
    ("any OOS?", REORDER),
])
def test_ops_shorthand(text, expected):
    assert_parses(text, expected)
