"""The demo shop's ad campaigns and web-traffic sources, with their typical economics."""

from __future__ import annotations

from dataclasses import dataclass

CHANNELS = ("meta", "google", "tiktok")


@dataclass(frozen=True)
class Campaign:
    """An ad campaign and its typical funnel.

    Attributes:
        campaign_id: the platform's id.
        channel: ``meta``, ``google`` or ``tiktok``.
        name: as shown in the ad manager.
        objective: the campaign objective.
        budget: typical daily spend at scale 1, USD.
        cpm: cost per thousand impressions, USD.
        ctr: clicks per impression.
        cvr: conversions per click.
        aov: conversion value per conversion, USD.
    """

    campaign_id: str
    channel: str
    name: str
    objective: str
    budget: float
    cpm: float
    ctr: float
    cvr: float
    aov: float


CAMPAIGNS = (
    Campaign("cmp-01", "meta", "Meta — Prospecting US", "conversions", 420, 11, .011, .022, 88),
    Campaign("cmp-02", "meta", "Meta — Retargeting", "conversions", 160, 16, .018, .045, 92),
    Campaign("cmp-03", "meta", "Meta — Prospecting BR", "conversions", 220, 5, .013, .018, 70),
    Campaign("cmp-04", "meta", "Meta — Advantage+ Shopping", "sales", 300, 10, .012, .03, 90),
    Campaign("cmp-05", "google", "Google — Search Brand", "conversions", 90, 45, .09, .05, 95),
    Campaign("cmp-06", "google", "Google — Search Non-Brand", "conversions", 350, 38, .045,
             .03, 90),
    Campaign("cmp-07", "google", "Google — Shopping PMax", "sales", 380, 14, .016, .035, 85),
    Campaign("cmp-08", "google", "Google — YouTube Awareness", "awareness", 120, 8, .004, .01,
             80),
    Campaign("cmp-09", "tiktok", "TikTok — Spark Ads US", "conversions", 200, 7, .009, .014, 65),
    Campaign("cmp-10", "tiktok", "TikTok — Prospecting MX", "traffic", 110, 4, .010, .010, 55),
)


@dataclass(frozen=True)
class TrafficSource:
    """A (source, medium, campaign) row of web analytics and its typical day.

    Attributes:
        source: utm source.
        medium: utm medium.
        campaign: utm campaign, "" where none.
        sessions: typical daily sessions at scale 1.
        new_share: share of users that are new.
        cvr: conversions per session.
    """

    source: str
    medium: str
    campaign: str
    sessions: float
    new_share: float
    cvr: float


TRAFFIC = (
    TrafficSource("google", "organic", "", 620, 0.62, 0.021),
    TrafficSource("bing", "organic", "", 45, 0.60, 0.018),
    TrafficSource("(direct)", "(none)", "", 410, 0.35, 0.032),
    TrafficSource("google", "cpc", "search_brand", 95, 0.30, 0.050),
    TrafficSource("google", "cpc", "search_nonbrand", 230, 0.70, 0.024),
    TrafficSource("google", "cpc", "pmax_shopping", 260, 0.66, 0.027),
    TrafficSource("meta", "paid_social", "prospecting_us", 330, 0.78, 0.012),
    TrafficSource("meta", "paid_social", "retargeting", 140, 0.20, 0.030),
    TrafficSource("instagram", "social", "", 150, 0.55, 0.010),
    TrafficSource("tiktok", "paid_social", "spark_ads", 190, 0.82, 0.008),
    TrafficSource("newsletter", "email", "weekly_digest", 120, 0.05, 0.040),
    TrafficSource("reddit.com", "referral", "", 55, 0.80, 0.012),
    TrafficSource("chatgpt.com", "referral", "", 30, 0.75, 0.025),
)
WEB_AOV = 96.0
