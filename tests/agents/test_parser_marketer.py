"""A marketer's and a SaaS founder's words: values matched in the asked metric's own data.

The ad platforms name a campaign "Meta — Retargeting"; the web analytics tag the same
traffic "retargeting". Both sit in one vocabulary, so a value is matched among the
values the metric's source has (Vocabulary.by_source), never across sources.
"""

from __future__ import annotations

import pytest

from agents.parser import Parsed, Vocabulary
from storage.catalog.model import Order
from tests.agents.demo_workspaces import demo_engine
from tests.agents.parser_cases import (
    LAST_MONTH,
    LAST_WEEK,
    LAST_YEAR,
    F,
    Q,
    ask,
    assert_parses,
    assert_refused,
)

AD_CAMPAIGNS = ["Google — Search Brand", "Google — Search Non-Brand", "Google — Shopping PMax",
                "Meta — Prospecting BR", "Meta — Prospecting US", "Meta — Retargeting",
                "TikTok — Prospecting MX", "TikTok — Spark Ads US"]
WEB_CAMPAIGNS = ["pmax_shopping", "prospecting_us", "retargeting", "search_brand", "spark_ads"]
MARKETING = Vocabulary(
    values={"channel": ["google", "meta", "tiktok"], "campaign": AD_CAMPAIGNS + WEB_CAMPAIGNS,
            "source": ["google", "meta", "newsletter"], "medium": ["cpc", "organic", "email"],
            "country": ["BR", "MX", "US"], "product": ["Organic Cotton Tee", "Linen Shirt"]},
    verticals=frozenset({"marketing", "shop"}),
    by_source={"ads": {"campaign": AD_CAMPAIGNS}, "web": {"campaign": WEB_CAMPAIGNS}},
)


def test_spend_on_retargeting_is_the_ad_campaign_not_the_web_tag():
    parsed = assert_parses("spend on retargeting last week", Q(
        "ad_spend", period=LAST_WEEK, filters=(F("campaign", "Meta — Retargeting"),)),
        MARKETING)
    notes = (*parsed.understood, *parsed.assumed)
    assert any("read 'retargeting' as campaign Meta — Retargeting" in note for note in notes)


def test_sessions_from_retargeting_is_the_web_tag():
    assert_parses("sessions from retargeting last week", Q(
        "sessions", period=LAST_WEEK, filters=(F("campaign", "retargeting"),)), MARKETING)


def test_a_web_tag_asked_of_an_ad_metric_is_the_ad_campaign_with_its_words():
    assert_parses("spark ads ctr last week", Q(
        "ctr", period=LAST_WEEK, filters=(F("campaign", "TikTok — Spark Ads US"),)), MARKETING)


def test_excluding_retargeting_excludes_the_ad_campaign():
    assert_parses("roas for meta excluding retargeting last month", Q(
        "roas", period=LAST_MONTH, filters=(F("channel", "meta"),
                                            F("campaign", "Meta — Retargeting", exclude=True))),
        MARKETING)


def test_part_of_a_campaign_name_is_that_campaign_in_the_metrics_data():
    assert_parses("pmax roas last month", Q(
        "roas", period=LAST_MONTH, filters=(F("campaign", "Google — Shopping PMax"),)),
        MARKETING)


def test_brand_search_is_not_non_brand_search():
    assert_parses("brand search cpc last month", Q(
        "cpc", period=LAST_MONTH, filters=(F("campaign", "Google — Search Brand"),)), MARKETING)
    assert_parses("non brand search cpc last month", Q(
        "cpc", period=LAST_MONTH, filters=(F("campaign", "Google — Search Non-Brand"),)),
        MARKETING)


def test_values_said_together_name_one_campaign():
    assert_parses("tiktok mx prospecting cpa last month", Q(
        "cpa", period=LAST_MONTH, filters=(F("campaign", "TikTok — Prospecting MX"),)),
        MARKETING)
    assert_parses("prospecting BR roas last month", Q(
        "roas", period=LAST_MONTH, filters=(F("campaign", "Meta — Prospecting BR"),)),
        MARKETING)


def test_prospecting_fits_several_campaigns_so_the_asker_picks():
    refused = assert_refused("meta prospecting spend last month", "several names",
                             "Meta — Prospecting BR", "Meta — Prospecting US",
                             vocabulary=MARKETING)
    assert any("Meta — Prospecting BR" in choice for choice in refused.choices)
    assert not any("TikTok" in choice for choice in refused.choices)


def test_each_choice_offered_for_a_loose_name_parses():
    refused = assert_refused("prospecting roas last month", "several names",
                             "TikTok — Prospecting MX", vocabulary=MARKETING)
    assert len(refused.choices) == 3
    for choice in refused.choices:
        assert isinstance(ask(choice, MARKETING), Parsed), choice


def test_organic_sessions_are_the_organic_medium_not_a_product():
    assert_parses("organic sessions last month", Q(
        "sessions", period=LAST_MONTH, filters=(F("medium", "organic"),)), MARKETING)


def test_two_campaign_names_filter_both():
    assert_parses("ad spend for pmax and brand search last month", Q(
        "ad_spend", period=LAST_MONTH,
        filters=(F("campaign", "Google — Shopping PMax", "Google — Search Brand"),)), MARKETING)


def test_a_value_no_source_lists_apart_stands_as_typed():
    assert_parses("sessions from google last month", Q(
        "sessions", period=LAST_MONTH, filters=(F("source", "google"),)), MARKETING)


@pytest.fixture(scope="module")
def demo_vocabulary() -> Vocabulary:
    from agents.vocabulary import build_vocabulary
    return build_vocabulary(demo_engine("demo"))


def test_the_demo_vocabulary_lists_ad_and_web_campaigns_apart(demo_vocabulary):
    ads = demo_vocabulary.by_source["ads"]["campaign"]
    web = demo_vocabulary.by_source["web"]["campaign"]
    assert "Meta — Retargeting" in ads and "retargeting" not in ads
    assert "retargeting" in web and "Meta — Retargeting" not in web
    assert set(ads) | set(web) <= set(demo_vocabulary.values["campaign"])


# --- a marketer's phrasing -------------------------------------------------------------


def test_spend_to_get_each_conversion_is_cpa():
    assert_parses("how much did we spend to get each conversion on meta last week", Q(
        "cpa", period=LAST_WEEK, filters=(F("channel", "meta"),)), MARKETING)


def test_spend_per_click_is_cpc_not_spend_and_clicks():
    assert_parses("spend per click last month", Q("cpc", period=LAST_MONTH), MARKETING)


def test_campaigns_ranked_by_spend_per_conversion_are_ranked_by_cpa():
    parsed = assert_parses("top campaigns by spend per conversion last month", Q(
        "cpa", period=LAST_MONTH, by=("campaign",), order=Order("cpa", descending=True)),
        MARKETING)
    assert parsed.query.metrics == ("cpa",)


def test_worst_converting_medium_is_the_lowest_conversion_rate():
    assert_parses("worst converting medium last month", Q(
        "conversion_rate", period=LAST_MONTH, by=("medium",),
        order=Order("conversion_rate", descending=False), limit=1), MARKETING)


def test_which_source_converts_best_is_the_highest_conversion_rate():
    assert_parses("which source converts best last month", Q(
        "conversion_rate", period=LAST_MONTH, by=("source",),
        order=Order("conversion_rate", descending=True), limit=1), MARKETING)


def test_spend_on_all_the_google_campaigns_is_one_total():
    assert_parses("spend on all the google campaigns last month", Q(
        "ad_spend", period=LAST_MONTH, filters=(F("channel", "google"),)), MARKETING)


# --- a SaaS founder's phrasing ---------------------------------------------------------


def test_an_mrr_trend_over_a_year_is_mrr_by_month_not_a_comparison():
    assert_parses("mrr trend over the last 12 months", Q(
        "mrr", period=("2024-11-01", "2025-11-01"), by=("month",)))


def test_recurring_revenue_a_month_is_mrr_not_mrr_by_month():
    assert_parses("how much recurring revenue are we doing a month", Q("mrr"))
    assert_parses("what does the average account pay us per month", Q("arpa"))


def test_mrr_by_month_is_still_a_breakdown():
    assert_parses("mrr by month", Q("mrr", by=("month",)))
    assert_parses("mrr per month last year", Q("mrr", period=LAST_YEAR, by=("month",)))


def test_bare_churn_is_asked_back_with_each_churn_metric():
    refused = assert_refused("churn?", "could mean")
    assert len(refused.choices) == 3
    for choice in refused.choices:
        assert isinstance(ask(choice), Parsed), choice


def test_churn_rate_is_the_logo_churn_rate():
    assert_parses("churn rate last month", Q("logo_churn_rate", period=LAST_MONTH))


def test_customers_we_had_at_the_end_of_a_year_are_active_customers():
    assert_parses("how many customers we had at the end of 2024", Q(
        "active_customers", period=LAST_YEAR))
    assert_parses("how many customers in 2024", Q("customers", period=LAST_YEAR))


def test_a_plan_that_is_not_stored_is_refused_not_read_past():
    assert_refused("Team plan arr last month", "Team")


# --- periods and comparisons as marketers and founders type them ------------------------


def test_may_alone_is_the_month_unless_a_verb_follows():
    assert_parses("roas may vs april", Q("roas", period=("2025-05-01", "2025-06-01"),
                                         compare="previous"), MARKETING)
    assert_refused("revenue may be down", "may")


def test_the_first_half_of_a_month_is_its_first_fifteen_days():
    assert_parses("roas first half of may", Q("roas", period=("2025-05-01", "2025-05-16")),
                  MARKETING)
    assert_parses("roas second half of april", Q("roas", period=("2025-04-16", "2025-05-01")),
                  MARKETING)


def test_h1_last_year_is_one_period():
    assert_parses("sessions in h1 last year", Q("sessions", period=("2024-01-01", "2024-07-01")),
                  MARKETING)


def test_over_the_weekend_midweek_is_the_last_weekend():
    assert_parses("cpa over the weekend", Q("cpa", period=("2025-11-15", "2025-11-17")), MARKETING)


@pytest.mark.parametrize(("text", "metric", "period", "compare"), [
    ("impressions this week vs last", "impressions", ("2025-11-17", "2025-11-20"), "previous"),
    ("churned customers this quarter vs last", "churned_customers", ("2025-10-01", "2025-11-20"),
     "previous"),
    ("logo churn this year vs last", "logo_churn_rate", ("2025-01-01", "2025-11-20"), "year"),
    ("cpa mtd vs same period last month", "cpa", ("2025-11-01", "2025-11-20"), "previous"),
    ("users last 30 days compared to the 30 before", "users", ("2025-10-20", "2025-11-19"),
     "previous"),
])
def test_vs_last_compares_with_the_period_before(text, metric, period, compare):
    assert_parses(text, Q(metric, period=period, compare=compare))


def test_a_misspelt_name_must_be_a_typo_of_it_word_by_word():
    socks = Vocabulary(values={"product": ["Running Sock 3-Pack", "Linen Shirt"]},
                       verticals=frozenset({"shop"}))
    refused = assert_refused("running shoes revenue last month", "not a product",
                             vocabulary=socks)
    assert "Running Sock 3-Pack" in refused.missing
    assert_parses("linen shrt revenue last month", Q(
        "product_revenue", period=LAST_MONTH, filters=(F("product", "Linen Shirt"),)), socks)


# --- part of several names, then their plural label: all of them ----------------------

SAAS_PLANS = Vocabulary(values={"plan": ["Starter", "Pro", "Pro (EUR)", "Starter (EUR)",
                                         "Pro (yearly)", "Business (yearly)"]},
                        verticals=frozenset({"saas"}))


def test_the_eur_plans_are_every_eur_plan():
    assert_parses("mrr from the EUR plans", Q(
        "mrr", filters=(F("plan", "Pro (EUR)", "Starter (EUR)"),)), SAAS_PLANS)


def test_euro_and_annual_are_the_stored_eur_and_yearly():
    assert_parses("mrr excluding the euro plans", Q(
        "mrr", filters=(F("plan", "Pro (EUR)", "Starter (EUR)", exclude=True),)), SAAS_PLANS)
    assert_parses("net new mrr on annual plans this year", Q(
        "net_new_mrr", period=("2025-01-01", "2025-11-20"),
        filters=(F("plan", "Pro (yearly)", "Business (yearly)"),)), SAAS_PLANS)


def test_prospecting_campaigns_are_all_of_them_and_prospecting_alone_asks():
    assert_parses("meta prospecting campaigns spend last month", Q(
        "ad_spend", period=LAST_MONTH,
        filters=(F("campaign", "Meta — Prospecting BR", "Meta — Prospecting US"),)), MARKETING)
    assert_refused("the EUR plan mrr", "several names", vocabulary=SAAS_PLANS)


def test_losing_the_most_mrr_to_churn_is_the_most_churned_mrr():
    assert_parses("which plan lost the most mrr to churn this year", Q(
        "churned_mrr", period=("2025-01-01", "2025-11-20"), by=("plan",),
        order=Order("churned_mrr", descending=True), limit=1))


# --- a metric word that is also a value, and the ad platforms' everyday names ----------


def test_a_metric_listed_after_metrics_is_a_metric_not_the_medium():
    assert_parses("spend, clicks and cpc by channel last week", Q(
        "ad_spend", "clicks", "cpc", period=LAST_WEEK, by=("channel",)), MARKETING)


def test_cpc_right_after_a_source_said_as_a_filter_is_the_medium():
    assert_parses("users from google cpc last week", Q(
        "users", period=LAST_WEEK, filters=(F("source", "google"), F("medium", "cpc"))),
        MARKETING)
    assert_parses("google cpc last week", Q(
        "cpc", period=LAST_WEEK, filters=(F("channel", "google"),)), MARKETING)


def test_fb_and_adwords_are_the_meta_and_google_channels():
    assert_parses("fb spend last week", Q(
        "ad_spend", period=LAST_WEEK, filters=(F("channel", "meta"),)), MARKETING)
    assert_parses("adwords spend last week", Q(
        "ad_spend", period=LAST_WEEK, filters=(F("channel", "google"),)), MARKETING)
    assert_parses("sessions from facebook last week", Q(
        "sessions", period=LAST_WEEK, filters=(F("source", "meta"),)), MARKETING)


def test_a_change_from_one_month_to_the_next_compares_the_later_one():
    assert_parses("how did roas change from april to may", Q(
        "roas", period=("2025-05-01", "2025-06-01"), compare="previous"), MARKETING)


# --- lists, superlatives and names as marketers type them ------------------------------


def test_cheapest_and_busiest_rank_low_and_high():
    assert_parses("cheapest cpc campaign last month", Q(
        "cpc", period=LAST_MONTH, by=("campaign",), order=Order("cpc", descending=False),
        limit=1), MARKETING)
    assert_parses("busiest day for site traffic last month", Q(
        "sessions", period=LAST_MONTH, by=("day",), order=Order("sessions", descending=True),
        limit=1), MARKETING)


def test_utm_campaign_is_the_campaign_dimension():
    assert_parses("conversion rate by utm campaign last month", Q(
        "conversion_rate", period=LAST_MONTH, by=("campaign",)), MARKETING)


def test_people_who_visited_are_users():
    assert_parses("how many people visited the site last week", Q("users", period=LAST_WEEK),
                  MARKETING)


def test_today_vs_last_sunday_is_the_same_day_a_week_earlier():
    assert_parses("sessions today vs last wednesday", Q(
        "sessions", period=("2025-11-19", "2025-11-20"), compare="week"), MARKETING)


def test_the_most_expensive_day_for_ads_is_the_top_day_by_spend():
    assert_parses("what was our most expensive day for ads last month", Q(
        "ad_spend", period=LAST_MONTH, by=("day",), order=Order("ad_spend", descending=True),
        limit=1), MARKETING)


def test_a_slash_date_range_reads_both_days_in_the_order_one_of_them_shows():
    assert_parses("roas 5/1-5/15", Q("roas", period=("2025-05-01", "2025-05-16")), MARKETING)
    assert_refused("roas 3/4", "ambiguous", vocabulary=MARKETING)


def test_a_web_campaign_typed_whole_makes_conversions_the_web_analytics_ones():
    assert_parses("how many conversions did the prospecting_us campaign drive last week", Q(
        "web_conversions", period=LAST_WEEK, filters=(F("campaign", "prospecting_us"),)),
        MARKETING)
    assert_parses("conversions on google last week", Q(
        "conversions", period=LAST_WEEK, filters=(F("channel", "google"),)), MARKETING)


def test_a_country_without_orders_still_reads_customers_as_the_shops():
    both = Vocabulary(values={"country": ["BR", "FR"]}, verticals=frozenset({"shop", "saas"}),
                      by_source={"shop": {"country": ["BR"]}})
    assert_parses("customers in france last month", Q(
        "customers", period=LAST_MONTH, filters=(F("country", "FR"),)), both)
