"""Openers of follow-up conversations that were refused, so the chain lost its context.

Everyday verbs for a metric ("did we move", "blow on ads", "people bought") and "us" the
pronoun after a buying verb ("bought from us"), which is not the United States.
"""

from __future__ import annotations

from tests.agents.parser_cases import LAST_MONTH, LAST_WEEK, YESTERDAY, F, Q, assert_parses


def test_how_many_linen_shirts_did_we_move_is_units_sold():
    assert_parses("how many Linen Shirts did we move last week",
                  Q("units_sold", period=LAST_WEEK, filters=(F("product", "Linen Shirt"),)))


def test_how_much_did_we_blow_on_ads_is_ad_spend():
    assert_parses("how much did we blow on ads yesterday", Q("ad_spend", period=YESTERDAY))


def test_people_who_bought_from_us_are_customers_everywhere():
    assert_parses("how many people bought from us last month", Q("customers", period=LAST_MONTH))
    assert_parses("how many ppl bought from us last month", Q("customers", period=LAST_MONTH))


def test_from_the_us_is_still_the_united_states():
    assert_parses("revenue from the US last month",
                  Q("revenue", period=LAST_MONTH, filters=(F("country", "US"),)))
    assert_parses("how many customers bought from the US last month",
                  Q("customers", period=LAST_MONTH, filters=(F("country", "US"),)))
