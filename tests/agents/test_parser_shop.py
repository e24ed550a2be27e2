"""Ecommerce questions, as people type them in chat, parsed to full catalog queries."""

from __future__ import annotations

import pytest

from storage.catalog.model import Order
from tests.agents.parser_cases import (
    ALL_TIME,
    LAST_7_DAYS,
    LAST_30_DAYS,
    LAST_MONTH,
    LAST_WEEK,
    MARCH_2025,
    Q3_2025,
    SHOP_ONLY,
    THIS_MONTH,
    THIS_QUARTER,
    THIS_WEEK,
    THIS_YEAR,
    TODAY,
    YESTERDAY,
    F,
    Q,
    assert_parses,
)

CASES = [
    ("revenue last month", Q("revenue", period=LAST_MONTH)),
    ("what were sales yesterday?", Q("revenue", period=YESTERDAY)),
    ("gross sales this week", Q("revenue", period=THIS_WEEK)),
    ("how much did we make so far this month", Q("revenue", period=THIS_MONTH)),
    ("how much did we sell last 7d", Q("revenue", period=LAST_7_DAYS)),
    ("turnover ytd", Q("revenue", period=THIS_YEAR)),
    ("revenue and orders last week", Q("revenue", "orders", period=LAST_WEEK)),
    ("orders by country last month", Q("orders", period=LAST_MONTH, by=("country",))),
    ("AOV last 30 days", Q("aov", period=LAST_30_DAYS)),
    ("average basket this month", Q("aov", period=THIS_MONTH)),
    ("units sold yesterday", Q("units_sold", period=YESTERDAY)),
    ("how many units did we sell last week", Q("units_sold", period=LAST_WEEK)),
    ("refunds in march", Q("refunds", period=MARCH_2025)),
    ("net revenue Q3", Q("net_revenue", period=Q3_2025)),
    ("new customers this month", Q("new_customers", period=THIS_MONTH)),
    ("returning customers last month", Q("returning_customers", period=LAST_MONTH)),
    ("repeat rate this year", Q("repeat_rate", period=THIS_YEAR)),
    ("margin last month", Q("gross_margin", period=LAST_MONTH)),
    ("gross margin by category", Q("gross_margin", by=("category",))),
    ("revenue by product last month",
     Q("product_revenue", period=LAST_MONTH, by=("product",))),
    ("top 5 products", Q("product_revenue", by=("product",), order=Order("product_revenue"),
                         limit=5)),
    ("best sellers this week", Q("product_revenue", period=THIS_WEEK, by=("product",),
                                 order=Order("product_revenue"))),
    ("what's the best selling product last month",
     Q("product_revenue", period=LAST_MONTH, by=("product",), order=Order("product_revenue"),
       limit=1)),
    ("revenue in Brazil last month", Q("revenue", period=LAST_MONTH, filters=(F("country", "BR"),))),
    ("revenue excluding Brazil", Q("revenue", filters=(F("country", "BR", exclude=True),))),
    ("sales in brazil and mexico this year",
     Q("revenue", period=THIS_YEAR, filters=(F("country", "BR", "MX"),))),
    ("revenue in the US yesterday", Q("revenue", period=YESTERDAY, filters=(F("country", "US"),))),
    ("orders from the UK", Q("orders", filters=(F("country", "GB"),))),
    ("revenue by sales channel", Q("revenue", by=("sales_channel",))),
    ("revenue by channel", Q("revenue", by=("sales_channel",))),
    ("daily revenue last 7 days", Q("revenue", period=LAST_7_DAYS, by=("day",))),
    ("revenue per week this quarter", Q("revenue", period=THIS_QUARTER, by=("week",))),
    ("monthly revenue trend this year", Q("revenue", period=THIS_YEAR, by=("month",))),
    ("revenue trend last 30 days", Q("revenue", period=LAST_30_DAYS, by=("day",))),
    ("revenue for Linen Shirt last month",
     Q("product_revenue", period=LAST_MONTH, filters=(F("product", "Linen Shirt"),))),
    ("units sold for SKU-0001", Q("units_sold", filters=(F("product", "Linen Shirt"),))),
    ("revenue this month vs last month", Q("revenue", period=THIS_MONTH, compare="previous")),
    ("revenue vs last month", Q("revenue", period=THIS_MONTH, compare="previous")),
    ("sales YoY this quarter", Q("revenue", period=THIS_QUARTER, compare="year")),
    ("revenue last week vs the week before", Q("revenue", period=LAST_WEEK, compare="previous")),
    ("revnue by contry this month", Q("revenue", period=THIS_MONTH, by=("country",))),
    ("hey tally what was revenue yesterday??", Q("revenue", period=YESTERDAY)),
    ("@tally orders today pls 🙏", Q("orders", period=TODAY)),
    ("which country had the most orders last month",
     Q("orders", period=LAST_MONTH, by=("country",), order=Order("orders"), limit=1)),
    ("top 3 countries by revenue", Q("revenue", by=("country",), order=Order("revenue"), limit=3)),
    ("worst category by margin", Q("gross_margin", by=("category",),
                                   order=Order("gross_margin", descending=False), limit=1)),
    ("customers by source last month", Q("customers", period=LAST_MONTH, by=("source",))),
    ("revenue growth this month", Q("revenue", period=THIS_MONTH, compare="previous")),
    ("is revenue up this week?", Q("revenue", period=THIS_WEEK, compare="previous")),
    ("what was our best day last month",
     Q("revenue", period=LAST_MONTH, by=("day",), order=Order("revenue"), limit=1)),
    ("REVENUE   LAST   MONTH!!!", Q("revenue", period=LAST_MONTH)),
    ("Revenue, last month, by country – please :)",
     Q("revenue", period=LAST_MONTH, by=("country",))),
    ("ordrs broken down by country mtd", Q("orders", period=THIS_MONTH, by=("country",))),
    ("revenue last month excluding refunds", Q("net_revenue", period=LAST_MONTH)),
    ("help me find revenue last week", Q("revenue", period=LAST_WEEK)),
    ("orders this time last year", Q("orders", compare="year")),
    ("highest revenue day last month",
     Q("revenue", period=LAST_MONTH, by=("day",), order=Order("revenue"), limit=1)),
    ("can you break revenue down by category pls",
     Q("product_revenue", by=("category",))),
    ("revenue through the online store", Q("revenue", filters=(F("sales_channel", "online_store"),))),
    ("pos orders yesterday", Q("orders", period=YESTERDAY, filters=(F("sales_channel", "pos"),))),
    ("what's the margin on linen shirts", Q("gross_margin", filters=(F("product", "Linen Shirt"),))),
    ("linen shrt revenue", Q("product_revenue", filters=(F("product", "Linen Shirt"),))),
    ("Revenue, orders and AOV by country last week",
     Q("revenue", "orders", "aov", period=LAST_WEEK, by=("country",))),
    ("yo how much did we make in méxico last wk",
     Q("revenue", period=LAST_WEEK, filters=(F("country", "MX"),))),
    # dogfooding: everyday verbs, "money", "all time"
    ("which product made the most money last month",
     Q("product_revenue", period=LAST_MONTH, by=("product",), order=Order("product_revenue", True),
       limit=1)),
    ("how many units of Leather Wallet did we sell last month",
     Q("units_sold", period=LAST_MONTH, filters=(F("product", "Leather Wallet"),))),
    ("how many customers bought last week", Q("customers", period=LAST_WEEK)),
    ("how much revenue have we made since we started", Q("revenue", period=ALL_TIME)),
    ("revenue all time", Q("revenue", period=ALL_TIME)),
    ("revenue per order last month", Q("aov", period=LAST_MONTH)),
    ("revenue outside the US last month",
     Q("revenue", period=LAST_MONTH, filters=(F("country", "US", exclude=True),))),
    ("ordres yesterday", Q("orders", period=YESTERDAY)),  # swapped letters
    ("hw many orders last month", Q("orders", period=LAST_MONTH)),
    # "A vs B" of one dimension: side by side, not blended into one number
    ("revenue US vs BR last month",
     Q("revenue", period=LAST_MONTH, by=("country",), filters=(F("country", "US", "BR"),))),
    ("revenue US and BR last month", Q("revenue", period=LAST_MONTH, filters=(F("country", "US", "BR"),))),
    ("who are our top customers this year",  # top 10 of possibly millions, not all of them
     Q("revenue", period=THIS_YEAR, by=("customer",), order=Order("revenue", True), limit=10)),
    ("top 5 products of all-time",
     Q("product_revenue", period=ALL_TIME, by=("product",), order=Order("product_revenue", True),
       limit=5)),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_shop_question_parses_to_full_query(text, expected):
    assert_parses(text, expected)


SHOP_ONLY_CASES = [
    ("customers last month", Q("customers", period=LAST_MONTH)),
    ("worst channel", Q("revenue", by=("sales_channel",),
                        order=Order("revenue", descending=False), limit=1)),
    ("top customers this year", Q("revenue", period=THIS_YEAR, by=("customer",),
                                  order=Order("revenue"), limit=10)),
    ("units last month", Q("units_sold", period=LAST_MONTH)),
]


@pytest.mark.parametrize(("text", "expected"), SHOP_ONLY_CASES,
                         ids=[c[0] for c in SHOP_ONLY_CASES])
def test_shop_only_workspace_reads_ambiguous_words_as_shop_metrics(text, expected):
    assert_parses(text, expected, vocabulary=SHOP_ONLY)


def test_notes_say_what_was_understood():
    parsed = assert_parses("top 5 products by revenue last month", Q(
        "product_revenue", period=LAST_MONTH, by=("product",), order=Order("product_revenue"),
        limit=5))
    assert parsed.understood[:2] == ("metric: product revenue",
                                     "period: last month (October 2025)")
    assert "limit: 5" in parsed.understood


def test_typo_corrections_are_reported():
    parsed = assert_parses("revnue last month", Q("revenue", period=LAST_MONTH))
    assert "read 'revnue' as 'revenue'" in parsed.understood
