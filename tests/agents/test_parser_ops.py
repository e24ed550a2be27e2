"""Inventory questions: stock-out lists, the reorder list, and per-product stock metrics."""

from __future__ import annotations

import pytest

from storage.catalog.model import ACTIVE_PRODUCTS, Order
from tests.agents.parser_cases import LAST_MONTH, F, Q, assert_parses

ALERT = ("days_of_stock", "on_hand", "avg_daily_units")
LOWEST_COVER = Order("days_of_stock", descending=False)


def alert(days: int, *filters, by=("product",)):
    return Q(*ALERT, by=by, filters=(F("days_of_stock_below", str(days)), *filters, ACTIVE_PRODUCTS),
             order=LOWEST_COVER, intent="stock_alert_list")


def reorder(*filters):
    return Q("on_hand", "reorder_point", "days_of_stock", "open_po_units", by=("product",),
             order=LOWEST_COVER,
             filters=(F("stockout_risk", "true"), *filters, ACTIVE_PRODUCTS), intent="stock_alert_list")


def cover(*filters):
    return Q(*ALERT, by=("product",), filters=(*filters, ACTIVE_PRODUCTS), order=LOWEST_COVER,
             intent="stock_alert_list")


CASES = [
    ("what runs out of stock in 14 days?", alert(14)),
    ("which products will run out in the next 2 weeks", alert(14)),
    ("what will stock out within 10 days", alert(10)),
    ("products with less than 7 days of cover", alert(7)),
    ("anything running out in the next 30 days??", alert(30)),
    ("what runs out in a week in Apparel", alert(7, F("category", "Apparel"))),
    ("which items at Main Warehouse run out within 3 weeks",
     alert(21, F("location", "Main Warehouse"))),
    ("what should I reorder", reorder()),
    ("what's running low", reorder()),
    ("which products are at risk of stockout", reorder()),
    ("what do we need to restock from Acme Textiles", reorder(F("supplier", "Acme Textiles"))),
    ("days of cover for linen shirt", Q("days_of_stock", filters=(F("product", "Linen Shirt"),))),
    ("days of stock by product", Q("days_of_stock", by=("product",))),
    ("on hand at main warehouse", Q("on_hand", filters=(F("location", "Main Warehouse"),))),
    ("stock levels by location", Q("on_hand", by=("location",))),
    ("open POs by supplier", Q("open_po_units", by=("supplier",))),
    ("lead time for Canvas Tote", Q("lead_time_days", filters=(F("product", "Canvas Tote"),))),
    ("safety stock for wool beanie", Q("safety_stock", filters=(F("product", "Wool Beanie"),))),
    ("reorder point by product", Q("reorder_point", by=("product",))),
    ("stockout risk for leather wallet",
     Q("stockout_risk", filters=(F("product", "Leather Wallet"),))),
    ("sell-through last month by category",
     Q("sell_through", period=LAST_MONTH, by=("category",))),
    ("average daily units for linen pants",
     Q("avg_daily_units", filters=(F("product", "Linen Pants"),))),
    # "Globex products" names what Globex supplies (a filter); "by product" would split it
    ("inventory of Globex products", Q("on_hand", filters=(F("supplier", "Globex"),))),
    ("how many linen shirts in stock", Q("on_hand", filters=(F("product", "Linen Shirt"),))),
    # how long stock lasts: days of stock now, not a forecast
    ("when will we run out of linen shirts", cover(F("product", "Linen Shirt"))),
    ("how long will our Canvas Tote stock last?", cover(F("product", "Canvas Tote"))),
    ("when do we run out", cover()),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_inventory_question_parses_to_full_query(text, expected):
    assert_parses(text, expected)


def test_stock_alert_notes_name_the_horizon():
    parsed = assert_parses("what runs out of stock in 14 days?", alert(14))
    assert "list: products running out within 14 days" in parsed.understood
