"""Names in questions: multi-word dimension names, regions and groups of values, everyday
names of stored values, and words that are only part of a name (issue #15, classes 4 and 6)."""

from __future__ import annotations

import pytest

from agents.parser import Help, Parsed, Vocabulary
from storage.catalog.model import Order
from tests.agents.parser_cases import (
    LAST_MONTH,
    LAST_WEEK,
    THIS_MONTH,
    THIS_WEEK,
    THIS_YEAR,
    YESTERDAY,
    Expect,
    F,
    Q,
    ask,
    assert_parses,
)

SHOP = Vocabulary(
    values={
        "country": ["US", "GB", "DE", "FR", "BR", "NO"],
        "sales_channel": ["online_store", "marketplace", "pos", "other"],
        "product": ["Camping Mug", "Ceramic Mug", "Vintage Enamel Mug", "Running Sock 3-Pack",
                    "Slip-On Loafer", "Body Wash", "Hand Cream", "Watch Strap", "Beard Oil",
                    "Canvas Sneaker", "High-Top Sneaker", "Hammock"],
        "category": ["Apparel", "Beauty", "Outdoor", "Footwear"],
        "plan": ["Starter", "Pro"],
        "segment": ["smb", "enterprise"],
    },
    verticals=frozenset({"shop", "saas", "marketing"}),
)


def test_revenue_by_product_category_is_one_breakdown_by_category() -> None:
    assert_parses("revenue by product category this year",
                  Q("product_revenue", period=THIS_YEAR, by=("category",)), SHOP)


def test_for_each_product_category_units_sold_is_by_category() -> None:
    assert_parses("for each product category, how many units did we sell last week",
                  Q("units_sold", period=LAST_WEEK, by=("category",)), SHOP)


def test_customer_segment_is_the_segment_breakdown() -> None:
    assert_parses("mrr by customer segment", Q("mrr", by=("segment",)), SHOP)


def test_two_dimension_words_joined_by_and_stay_two_breakdowns() -> None:
    parsed = ask("units sold by product and country last month", SHOP)
    assert isinstance(parsed, Parsed)
    assert sorted(parsed.query.dimensions) == ["country", "product"]


def test_daily_product_revenue_stays_per_day() -> None:
    assert_parses("daily product revenue last week",
                  Q("product_revenue", period=LAST_WEEK, by=("day",)), SHOP)


def test_rev_by_cat_is_revenue_by_category() -> None:
    assert_parses("revenue by cat last month",
                  Q("product_revenue", period=LAST_MONTH, by=("category",)), SHOP)


def test_revenue_in_europe_filters_every_stored_european_country() -> None:
    assert_parses("revenue in europe last month",
                  Q("revenue", period=LAST_MONTH, filters=(F("country", "DE", "FR", "GB", "NO"),)),
                  SHOP)


def test_the_eu_leaves_out_the_uk_and_norway() -> None:
    assert_parses("orders from the EU this month",
                  Q("orders", period=THIS_MONTH, filters=(F("country", "DE", "FR"),)), SHOP)


def test_aussie_is_australia_when_australia_is_in_the_data() -> None:
    shop = Vocabulary(values={"country": ["AU", "US"]}, verticals=frozenset({"shop"}))
    assert_parses("aussie revenue last month",
                  Q("revenue", period=LAST_MONTH, filters=(F("country", "AU"),)), shop)


def test_all_our_mugs_are_every_mug() -> None:
    assert_parses("units sold across all our mugs last month",
                  Q("units_sold", period=LAST_MONTH,
                    filters=(F("product", "Camping Mug", "Ceramic Mug", "Vintage Enamel Mug"),)),
                  SHOP)


def test_canvas_sneakers_plural_is_the_canvas_sneaker() -> None:
    assert_parses("canvas sneakers units sold last week",
                  Q("units_sold", period=LAST_WEEK, filters=(F("product", "Canvas Sneaker"),)),
                  SHOP)


@pytest.mark.parametrize(("said", "category"), [
    ("clothing", "Apparel"), ("skincare", "Beauty"), ("outdoor gear", "Outdoor")])
def test_everyday_category_names_are_the_stored_category(said: str, category: str) -> None:
    assert_parses(f"{said} sales last week",
                  Q("product_revenue", period=LAST_WEEK, filters=(F("category", category),)),
                  SHOP)


def test_orders_on_the_website_are_the_online_store() -> None:
    assert_parses("cancelled orders on the website last week",
                  Q("cancelled_orders", period=LAST_WEEK,
                    filters=(F("sales_channel", "online_store"),)), SHOP)


def test_in_store_sales_are_point_of_sale_revenue() -> None:
    assert_parses("in-store sales last week",
                  Q("revenue", period=LAST_WEEK, filters=(F("sales_channel", "pos"),)), SHOP)


def test_an_everyday_name_is_read_past_where_it_cannot_filter() -> None:
    assert_parses("sessions on our website last week", Q("sessions", period=LAST_WEEK), SHOP)


def test_mother_is_not_a_typo_of_the_other_channel() -> None:
    parsed = ask("orders on mother's day", SHOP)
    assert not (isinstance(parsed, Parsed) and parsed.query.filters)


@pytest.mark.parametrize(("question", "dimension", "descending", "period"), [
    ("best selling product this week", "product", True, THIS_WEEK),
    ("worst selling product last month", "product", False, LAST_MONTH),
    ("top selling category last month", "category", True, LAST_MONTH),
])
def test_best_and_worst_selling_rank_by_product_revenue(question: str, dimension: str,
                                                        descending: bool, period: tuple[str, str]
                                                        ) -> None:
    assert_parses(question, Q("product_revenue", period=period, by=(dimension,),
                              order=Order("product_revenue", descending), limit=1), SHOP)


def test_best_selling_country_ranks_by_revenue() -> None:
    assert_parses("best selling country this year",
                  Q("revenue", period=THIS_YEAR, by=("country",), order=Order("revenue"), limit=1),
                  SHOP)


def test_revenue_from_aussie_customers_is_revenue_in_australia() -> None:
    shop = Vocabulary(values={"country": ["AU", "US"]}, verticals=frozenset({"shop"}))
    assert_parses("revenue from aussie customers last month",
                  Q("revenue", period=LAST_MONTH, filters=(F("country", "AU"),)), shop)


def test_how_many_us_customers_is_still_customers() -> None:
    assert_parses("how many US customers last month",
                  Q("customers", period=LAST_MONTH, filters=(F("country", "US"),)), SHOP)


@pytest.mark.parametrize(("question", "expected"), [
    ("give me a hand, orders yesterday", Q("orders", period=YESTERDAY)),
    ("was last week a wash? sales vs the week before",
     Q("revenue", period=LAST_WEEK, compare="previous")),
    ("whats the running total on revenue this month", Q("revenue", period=THIS_MONTH)),
    ("heads up on refunds, how much last week", Q("refunds", period=LAST_WEEK)),
])
def test_an_idiom_is_not_the_product_that_shares_its_word(question: str, expected: Expect
                                                          ) -> None:
    assert_parses(question, expected, SHOP)


@pytest.mark.parametrize("question", [
    "did revenue slip last week",
    "should i watch the refund rate this month",
    "how are we running on orders this week",
])
def test_a_word_of_a_product_name_in_another_sense_filters_nothing(question: str) -> None:
    parsed = ask(question, SHOP)
    assert not (isinstance(parsed, Parsed) and parsed.query.filters), parsed


def test_a_distinctive_first_word_still_names_its_product() -> None:
    assert_parses("beard revenue this month",
                  Q("product_revenue", period=THIS_MONTH, filters=(F("product", "Beard Oil"),)),
                  SHOP)


def test_a_running_total_per_day_is_not_read_as_a_plain_total() -> None:
    parsed = ask("running total of orders by day last month", SHOP)
    assert not isinstance(parsed, Parsed), parsed


@pytest.mark.parametrize("question", [
    "what kinds of questions can i ask you", "what kind of stuff can i ask you",
    "hi there, first time here - what is this?", "what data do you have?"])
def test_a_newcomer_asking_what_tally_does_gets_help(question: str) -> None:
    assert isinstance(ask(question, SHOP), Help)


def test_our_google_ads_are_the_channel_not_a_campaign_named_ads() -> None:
    ads = Vocabulary(values={"channel": ["google", "tiktok"],
                             "campaign": ["TikTok — Spark Ads US", "Google — Search Brand"]},
                     verticals=frozenset({"marketing"}))
    assert_parses("how are our google ads doing on roas",
                  Q("roas", filters=(F("channel", "google"),)), ads)


def test_a_value_right_after_a_filter_value_describes_it_where_it_cannot_filter() -> None:
    web = Vocabulary(values={"source": ["chatgpt.com", "google"], "medium": ["referral", "cpc"]},
                     verticals=frozenset({"shop", "marketing"}))
    assert_parses("revenue from chatgpt referrals last month",
                  Q("revenue", period=LAST_MONTH, filters=(F("source", "chatgpt.com"),)), web)
    assert_parses("sessions from chatgpt referrals last month",
                  Q("sessions", period=LAST_MONTH,
                    filters=(F("source", "chatgpt.com"), F("medium", "referral"))), web)


def test_least_popular_product_by_units_is_the_bottom_one() -> None:
    assert_parses("least popular product by units last month",
                  Q("units_sold", period=LAST_MONTH, by=("product",),
                    order=Order("units_sold", False), limit=1), SHOP)


def test_the_front_runner_among_products_is_the_top_seller_not_a_runner() -> None:
    runners = Vocabulary(values={"product": ["Trail Runner", "Table Runner", "Hammock"]},
                         verticals=frozenset({"shop"}))
    assert_parses("who's the front runner among products this month?",
                  Q("product_revenue", period=THIS_MONTH, by=("product",),
                    order=Order("product_revenue"), limit=1), runners)


def test_not_counting_a_channel_excludes_it() -> None:
    assert_parses("revenue not counting marketplace last week",
                  Q("revenue", period=LAST_WEEK,
                    filters=(F("sales_channel", "marketplace", exclude=True),)), SHOP)


def test_a_metric_after_the_excluded_values_is_not_excluded() -> None:
    assert_parses("everything except marketplace, revenue last month",
                  Q("revenue", period=LAST_MONTH,
                    filters=(F("sales_channel", "marketplace", exclude=True),)), SHOP)


def test_new_vs_returning_customers_are_both_metrics() -> None:
    assert_parses("new vs returning customers this month",
                  Q("new_customers", "returning_customers", period=THIS_MONTH), SHOP)


def test_a_list_of_mrr_kinds_shares_the_noun() -> None:
    assert_parses("new / expansion / churned mrr last month",
                  Q("new_mrr", "expansion_mrr", "churned_mrr", period=LAST_MONTH), SHOP)


def test_how_did_a_product_do_is_its_sales() -> None:
    assert_parses("how did the hammock do last week",
                  Q("product_revenue", period=LAST_WEEK, filters=(F("product", "Hammock"),)),
                  SHOP)


def test_a_word_of_a_name_before_me_is_a_verb() -> None:
    sets = Vocabulary(values={"product": ["Picnic Set", "Stoneware Bowl Set"]},
                      verticals=frozenset({"shop"}))
    parsed = ask("set me up with revenue last week", sets)
    assert not (isinstance(parsed, Parsed) and parsed.query.filters), parsed


def test_running_ahead_of_last_month_is_this_month_against_last() -> None:
    assert_parses("are we running ahead of last month on revenue?",
                  Q("revenue", period=THIS_MONTH, compare="previous"), SHOP)


def test_the_best_seller_is_the_top_product_by_sales() -> None:
    assert_parses("best seller in europe last month",
                  Q("product_revenue", period=LAST_MONTH, by=("product",),
                    filters=(F("country", "DE", "FR", "GB", "NO"),),
                    order=Order("product_revenue"), limit=1), SHOP)
