"""Senses per workspace and the metric a nearby word names (issue #15, classes 3 and 5).

The same word means what the workspace has: "units" and "money" are profit in a betting
guild and units sold and revenue in a shop. A question about data the workspace lacks is
refused with a pointer to what it has, never answered from another vertical. The spec's
new metrics (revenue_per_customer, refund_rate, cancelled_orders, stock by location) are
reached by the words people use for them.
"""

from __future__ import annotations

import pytest

from agents.parser import Parsed, Vocabulary
from agents.parser.senses import POINTERS
from storage.catalog.model import Order
from tests.agents.parser_cases import (
    ALL,
    LAST_MONTH,
    LAST_WEEK,
    SAAS_ONLY,
    SHOP_ONLY,
    THIS_YEAR,
    F,
    Q,
    ask,
    assert_parses,
    assert_refused,
)

GUILD = Vocabulary(
    values={"bettor": ["Sharpie", "LockSmith"], "sport": ["soccer", "basketball"],
            "league": ["EPL", "NBA"], "market": ["moneyline", "spread"]},
    verticals=frozenset({"betting"}))
STORE = Vocabulary(
    values={"country": ["BR", "US", "MX"], "product": ["Canvas Sneaker", "Linen Shirt"],
            "category": ["Footwear", "Apparel"], "location": ["Main Warehouse", "SoHo Store"],
            "supplier": ["Acme Textiles"]},
    verticals=frozenset({"shop", "ops"}))
SHOP_AND_SAAS = Vocabulary(values={"country": ["US"], "plan": ["Pro"]},
                           verticals=frozenset({"shop", "saas"}))


# --- the same word, by what the workspace has --------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("how many bets are still open", Q("pending_bets")),
    ("how many bets are pending", Q("pending_bets")),
    ("which sport earned the most",
     Q("profit_units", by=("sport",), order=Order("profit_units", True), limit=1)),
    ("money by sport", Q("profit_units", by=("sport",))),
    ("how much money did we make last week", Q("profit_units", period=LAST_WEEK)),
    ("units last week", Q("profit_units", period=LAST_WEEK)),
    ("are we up last month", Q("profit_units", period=LAST_MONTH)),
    ("how many wins last month", Q("record", period=LAST_MONTH)),
    ("how much did LockSmith bet last week",
     Q("staked_units", period=LAST_WEEK, filters=(F("bettor", "LockSmith"),))),
    ("how much is LockSmith up", Q("profit_units", filters=(F("bettor", "LockSmith"),))),
    ("what did we make last week", Q("profit_units", period=LAST_WEEK)),
])
def test_betting_words_in_a_guild(text, expected):
    assert_parses(text, expected, vocabulary=GUILD)


@pytest.mark.parametrize(("text", "expected"), [
    ("units last week", Q("units_sold", period=LAST_WEEK)),
    ("money last week", Q("revenue", period=LAST_WEEK)),
    ("how much money did we make last month", Q("revenue", period=LAST_MONTH)),
])
def test_the_same_words_in_a_shop(text, expected):
    assert_parses(text, expected, vocabulary=STORE)


@pytest.mark.parametrize(("text", "missing", "pointer"), [
    ("revenue last month", "no order data", "profit"),
    ("how many orders were cancelled", "no order data", "profit by sport"),
    ("mrr", "no subscription data", "profit by sport"),
    ("stock by location", "no inventory data", "profit by sport"),
])
def test_a_guild_is_never_answered_from_another_vertical(text, missing, pointer):
    refusal = assert_refused(text, missing, pointer, vocabulary=GUILD)
    assert "web revenue" not in refusal.missing  # a pointer only names what the guild has


@pytest.mark.parametrize(("text", "pointer"), [
    ("pending bets", "revenue last month"),
    ("profit last month", "gross margin"),  # the store's own sense of profit
])
def test_a_shop_is_never_answered_with_bets(text, pointer):
    assert_refused(text, "bets", pointer, vocabulary=STORE)


def test_a_sport_ranking_in_a_shop_is_refused_with_what_the_shop_has():
    assert_refused("which sport earned the most", "no bets", "revenue last month",
                   vocabulary=STORE)


def test_a_product_ranking_in_a_guild_is_refused_with_what_the_guild_has():
    assert_refused("top 5 products", "no order data", "profit by sport", vocabulary=GUILD)


def test_a_pointer_names_only_data_the_workspace_has():
    refusal = assert_refused("revenue last month", vocabulary=SAAS_ONLY)
    assert "MRR" in refusal.missing
    assert "profit" not in refusal.missing and "web revenue" not in refusal.missing


def test_every_pointer_example_works_where_its_data_is():
    alone = {"shop": STORE, "ops": STORE, "betting": GUILD, "saas": SAAS_ONLY, "ads": ALL,
             "web": ALL}
    for source, (_, example) in POINTERS.items():
        assert isinstance(ask(example, alone[source]), Parsed), example


# --- the metric a nearby word names ----------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("average revenue per customer last month", Q("revenue_per_customer", period=LAST_MONTH)),
    ("spend per customer last month", Q("revenue_per_customer", period=LAST_MONTH)),
    ("refund rate this year", Q("refund_rate", period=THIS_YEAR)),
    ("how many orders were cancelled last month", Q("cancelled_orders", period=LAST_MONTH)),
    ("cancelled orders by country", Q("cancelled_orders", by=("country",))),
    ("stock by location", Q("on_hand", by=("location",))),
    ("how many canvas sneakers do we have", Q("on_hand", filters=(F("product", "Canvas Sneaker"),))),
    ("stock at soho store", Q("on_hand", filters=(F("location", "SoHo Store"),))),
    ("units on purchase orders", Q("open_po_units")),
    ("units in stock", Q("on_hand")),
    ("which countries did we sell to and how much", Q("revenue", by=("country",))),
    ("how many customers do we have", Q("customers")),
    ("what did we make last week", Q("revenue", period=LAST_WEEK)),
    ("how much money did we refund last week", Q("refunds", period=LAST_WEEK)),
    ("how many sales did we have last week", Q("orders", period=LAST_WEEK)),
    ("how much footwear did we sell last month",
     Q("product_revenue", period=LAST_MONTH, filters=(F("category", "Footwear"),))),
    ("how many canvas sneakers did we sell last month",
     Q("units_sold", period=LAST_MONTH, filters=(F("product", "Canvas Sneaker"),))),
    ("how much have we got coming in from acme textiles",
     Q("open_po_units", filters=(F("supplier", "Acme Textiles"),))),
    ("total units at the soho store", Q("on_hand", filters=(F("location", "SoHo Store"),))),
    ("cancellations last month", Q("cancelled_orders", period=LAST_MONTH)),
])
def test_the_metric_the_words_name(text, expected):
    assert_parses(text, expected, vocabulary=STORE)


def test_a_narrow_phrase_is_never_absorbed():
    assert_parses("orders and cancelled orders", Q("orders", "cancelled_orders"), vocabulary=STORE)
    assert_parses("units sold and stock", Q("units_sold", "on_hand"), vocabulary=STORE)


def test_arpa_is_asked_per_account_or_subscriber():
    assert_parses("average revenue per subscriber", Q("arpa"), vocabulary=SHOP_AND_SAAS)
    assert_parses("arpa", Q("arpa"), vocabulary=SHOP_AND_SAAS)
    assert_parses("average revenue per customer last month",
                  Q("revenue_per_customer", period=LAST_MONTH), vocabulary=SHOP_AND_SAAS)


def test_revenue_per_customer_without_a_store_points_to_arpa():
    assert_refused("average revenue per customer", "no order data", "ARPA", vocabulary=SAAS_ONLY)


def test_a_qualifier_beside_its_own_metric_adds_nothing():
    assert_parses("how much mrr did we lose to cancellations last month",
                  Q("churned_mrr", period=LAST_MONTH), vocabulary=SHOP_AND_SAAS)
    assert_parses("how much units did we sell last month", Q("units_sold", period=LAST_MONTH),
                  vocabulary=STORE)


def test_the_weakest_words_yield_to_any_other():
    assert_parses("how much stuff is sitting at the soho store",
                  Q("on_hand", filters=(F("location", "SoHo Store"),)), vocabulary=STORE)
    assert_parses("how much did downgrades cost us last month",
                  Q("contraction_mrr", period=LAST_MONTH), vocabulary=SHOP_AND_SAAS)
    assert_parses("how much did meta cost us last month",
                  Q("ad_spend", period=LAST_MONTH, filters=(F("channel", "meta"),)))


def test_on_orders_is_not_on_order():
    assert_parses("how did last week compare to the week before on orders",
                  Q("orders", period=LAST_WEEK, compare="previous"), vocabulary=STORE)


SAAS = Vocabulary(values={"plan": ["Pro", "Pro (EUR)"], "country": ["US"]},
                 verticals=frozenset({"shop", "saas"}))


@pytest.mark.parametrize(("text", "expected"), [
    ("how many active subs do we have", Q("active_customers")),
    ("how much did upgrades add last month", Q("expansion_mrr", period=LAST_MONTH)),
    ("how much mrr did we add last month", Q("net_new_mrr", period=LAST_MONTH)),
    ("how much new mrr did we book last month", Q("new_mrr", period=LAST_MONTH)),
    ("how many new paying subs did we add last month", Q("new_subscriptions", period=LAST_MONTH)),
    ("how much mrr came back from customers who returned last month",
     Q("reactivation_mrr", period=LAST_MONTH)),
    ("what % of customers churned last month", Q("logo_churn_rate", period=LAST_MONTH)),
    ("what % of mrr did we lose last month", Q("revenue_churn_rate", period=LAST_MONTH)),
    ("% repeat customers last month", Q("repeat_rate", period=LAST_MONTH)),
    ("gross vs net revenue last month", Q("revenue", "net_revenue", period=LAST_MONTH)),
])
def test_a_founders_words(text, expected):
    assert_parses(text, expected, vocabulary=SAAS)


@pytest.mark.parametrize(("text", "expected"), [
    ("how much money did the ads make us last month according to the platforms",
     Q("conversion_value", period=LAST_MONTH)),
    ("for every dollar we put into meta how much did we get back last month",
     Q("roas", period=LAST_MONTH, filters=(F("channel", "meta"),))),
])
def test_a_marketers_words(text, expected):
    assert_parses(text, expected)


@pytest.mark.parametrize(("text", "said"), [
    ("cancelled subscriptions last month", "subscriptions"),
    ("open orders", "orders"),
    ("pending refunds last week", "refunds"),
])
def test_a_state_word_beside_a_metric_it_does_not_go_with_is_refused(text, said):
    assert_refused(text, "not a number I have", said, vocabulary=ALL)


@pytest.mark.parametrize(("text", "expected"), [
    ("how many customers left last month", Q("churned_customers", period=LAST_MONTH)),
    ("how many subscribers have left last month", Q("churned_customers", period=LAST_MONTH)),
    ("how many units left", Q("on_hand")),
])
def test_left_is_churn_for_customers_and_stock_for_units(text, expected):
    assert_parses(text, expected)


def test_per_order_money_is_the_average_order_value():
    assert_parses("how much did we make per order last month", Q("aov", period=LAST_MONTH))
    assert_refused("units sold per order", "not a number I have")
    assert_refused("cost per order last month", "cost per order is not a metric")


def test_a_stronger_word_wins_over_a_weak_verb():
    assert_parses("how much money did we lose on refunds last week",
                  Q("refunds", period=LAST_WEEK))
    assert_parses("how much stock did we sell last week", Q("units_sold", period=LAST_WEEK))


def test_a_word_that_only_sounds_like_a_metric_is_not_read_as_one():
    assert_refused("what are we paying for ads", "paying", vocabulary=SAAS)


def test_customers_cancelled_are_churned_where_there_are_subscriptions():
    assert_parses("how many customers cancelled last month",
                  Q("churned_customers", period=LAST_MONTH), vocabulary=SHOP_AND_SAAS)
    assert_refused("how many customers cancelled", "no subscription data", vocabulary=SHOP_ONLY)


# --- the same metric on every surface --------------------------------------------------------
@pytest.mark.parametrize(("rule", "metric", "dimension"), [
    ("alert me when revenue per customer drops below 50", "revenue_per_customer", None),
    ("alert me when revenue per customer by country drops below 50", "revenue_per_customer",
     "country"),
    ("alert me when the refund rate goes above 10%", "refund_rate", None),
    ("alert me when cancelled orders go above 20", "cancelled_orders", None),
    ("alert me when aov per channel drops below 30", "aov", "sales_channel"),
])
def test_alert_rules_read_the_new_metrics_as_chat_does(rule, metric, dimension):
    from agents.insights.rules_parse import parse_rule
    from storage.catalog import load_definitions

    spec = parse_rule(rule, load_definitions(), currency="USD", verticals={"shop"})
    assert (spec.metric, spec.dimension) == (metric, dimension)
