"""Marketing questions (ad platforms and web analytics) parsed to full catalog queries."""

from __future__ import annotations

import pytest

from storage.catalog.model import Order
from tests.agents.parser_cases import (
    LAST_7_DAYS,
    LAST_30_DAYS,
    LAST_MONTH,
    LAST_QUARTER,
    LAST_WEEK,
    THIS_MONTH,
    THIS_YEAR,
    WEB_ONLY,
    YESTERDAY,
    F,
    Q,
    assert_parses,
)

CASES = [
    ("ad spend last week", Q("ad_spend", period=LAST_WEEK)),
    ("how much did we spend on ads this month", Q("ad_spend", period=THIS_MONTH)),
    ("spend by channel last month", Q("ad_spend", period=LAST_MONTH, by=("channel",))),
    ("meta roas vs google roas last month",
     Q("roas", period=LAST_MONTH, by=("channel",), filters=(F("channel", "meta", "google"),))),
    ("ROAS by campaign", Q("roas", by=("campaign",))),
    ("bottom 3 campaigns by ROAS",
     Q("roas", by=("campaign",), order=Order("roas", descending=False), limit=3)),
    ("which campaign had the highest CPA", Q("cpa", by=("campaign",), order=Order("cpa"), limit=1)),
    ("best campaign by cpa last month",
     Q("cpa", period=LAST_MONTH, by=("campaign",), order=Order("cpa", descending=False),
       limit=1)),
    ("worst channel by roas", Q("roas", by=("channel",), order=Order("roas", descending=False),
                                limit=1)),
    ("CTR on meta", Q("ctr", filters=(F("channel", "meta"),))),
    ("click-through rate by channel", Q("ctr", by=("channel",))),
    ("cpc yesterday", Q("cpc", period=YESTERDAY)),
    ("cpm last 7 days", Q("cpm", period=LAST_7_DAYS)),
    ("cost per acquisition this month", Q("cpa", period=THIS_MONTH)),
    ("MER this month", Q("blended_roas", period=THIS_MONTH)),
    ("blended roas by week", Q("blended_roas", by=("week",))),
    ("CAC last quarter", Q("cac", period=LAST_QUARTER)),
    ("impressions and clicks on tiktok yesterday",
     Q("impressions", "clicks", period=YESTERDAY, filters=(F("channel", "tiktok"),))),
    ("conversions by campaign", Q("conversions", by=("campaign",))),
    ("conversion value last month", Q("conversion_value", period=LAST_MONTH)),
    ("sessions by source", Q("sessions", by=("source",))),
    ("traffic from google last week",
     Q("sessions", period=LAST_WEEK, filters=(F("source", "google"),))),
    ("users by medium", Q("users", by=("medium",))),
    ("web conversions this month", Q("web_conversions", period=THIS_MONTH)),
    ("conversion rate last 30 days", Q("conversion_rate", period=LAST_30_DAYS)),
    ("web revenue by source", Q("web_revenue", by=("source",))),
    ("spend on google", Q("ad_spend", filters=(F("channel", "google"),))),
    ("ROAS for the Summer Sale campaign", Q("roas", filters=(F("campaign", "Summer Sale"),))),
    ("spend excluding meta and tiktok",
     Q("ad_spend", filters=(F("channel", "meta", "tiktok", exclude=True),))),
    ("sessions from cpc", Q("sessions", filters=(F("medium", "cpc"),))),
    ("cpc", Q("cpc")),
    ("conversions by source", Q("web_conversions", by=("source",))),
    ("roas black friday 2025 campaign",
     Q("roas", filters=(F("campaign", "Black Friday 2025"),))),
    ("top 5 campaigns by spend this year",
     Q("ad_spend", period=THIS_YEAR, by=("campaign",), order=Order("ad_spend"), limit=5)),
    ("ctr vs previous period last month", Q("ctr", period=LAST_MONTH, compare="previous")),
    ("clicks daily last week", Q("clicks", period=LAST_WEEK, by=("day",))),
    ("lowest cpa campaign this month",
     Q("cpa", period=THIS_MONTH, by=("campaign",), order=Order("cpa", descending=False),
       limit=1)),
    ("top 3 roas campaigns", Q("roas", by=("campaign",), order=Order("roas"), limit=3)),
    ("total spend across all channels", Q("ad_spend")),
    ("how many visitors did the site get yesterday", Q("users", period=YESTERDAY)),
    ("which channel has the best roas", Q("roas", by=("channel",), order=Order("roas"), limit=1)),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_marketing_question_parses_to_full_query(text, expected):
    assert_parses(text, expected)


def test_web_only_workspace_reads_conversions_as_web_conversions():
    assert_parses("conversions last month", Q("web_conversions", period=LAST_MONTH),
                  vocabulary=WEB_ONLY)
