"""GA4 and Google Ads against local fakes of Google's OAuth, Data API and Ads API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.app import App
from connectors.errors import CredentialError
from connectors.service import Connections
from tests.connectors.conftest import make_settings
from tests.fakes.google import (
    CLIENT_ID,
    CLIENT_SECRET,
    CUSTOMER,
    DEVELOPER_TOKEN,
    PROPERTY,
    REFRESH_TOKEN,
    FakeGoogle,
)
from tests.fakes.server import serve

D = Decimal
OAUTH = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}


def seeded() -> FakeGoogle:
    fake = FakeGoogle()
    fake.traffic = [
        ("20250301", "google", "cpc", "spring", ["10", "8", "3", "1", "50.5"]),
        ("20250301", "(direct)", "(none)", "(direct)", ["5", "5", "1", "0", "0"]),
        ("20250302", "(direct)", "(none)", "(not set)", ["2", "2", "0", "0", "0"]),
        ("20250302", "newsletter", "email", "(not set)", ["4", "3", "1", "1.5", "20"]),
        ("20250303", "google", "organic", "(organic)", ["7", "6", "2", "0", "0"]),
    ]
    fake.campaigns = [{"resourceName": f"customers/{CUSTOMER}/campaigns/{n}", "id": str(n),
                       "name": f"Campaign {n}", "status": "ENABLED" if n != 3 else "PAUSED",
                       "advertisingChannelType": "SEARCH"} for n in (1, 2, 3)]
    fake.ads_results = [
        {"campaign": {"resourceName": f"customers/{CUSTOMER}/campaigns/1", "id": "1"},
         "metrics": {"clicks": "12", "costMicros": "4560000", "impressions": "300", "conversions": 2.0,
                     "conversionsValue": 99.9}, "segments": {"date": "2025-03-01"}},
        {"campaign": {"resourceName": f"customers/{CUSTOMER}/campaigns/1", "id": "1"},
         "metrics": {"impressions": "50"}, "segments": {"date": "2025-03-02"}},  # zeros omitted
        {"campaign": {"resourceName": f"customers/{CUSTOMER}/campaigns/2", "id": "2"},
         "metrics": {"clicks": "3", "costMicros": "1000000", "impressions": "80", "conversions": 0.5,
                     "conversionsValue": 10.0}, "segments": {"date": "2025-03-02"}},
    ]
    return fake


@pytest.fixture
def google(tmp_path, retry):
    fake = seeded()
    now = [datetime(2025, 3, 5, 12, 0, tzinfo=UTC)]
    with serve(fake.app()) as url:
        app = App(make_settings(tmp_path / "data", GA4_API_URL=url, GOOGLE_ADS_API_URL=url,
                                GOOGLE_OAUTH_URL=url))
        app.workspaces.create("acme", "BRL")
        connections = Connections(app, retry=retry, clock=lambda: now[0])
        asyncio.run(connections.connect("acme", "ga4", {"property_id": PROPERTY, "start_date": "2025-03-01",
                                                        **OAUTH}))
        asyncio.run(connections.connect("acme", "google-ads", {
            "customer_id": "123-456-7890", "developer_token": DEVELOPER_TOKEN, "start_date": "2025-03-01",
            **OAUTH}))
        yield connections, fake, now
        app.close()


def _sync(connections, name):
    return asyncio.run(connections.sync("acme", name))


def test_ga4_pages_through_the_report_into_web_traffic_daily(google):
    connections, _, _ = google

    report = _sync(connections, "ga4")

    wh = connections.app.workspaces.warehouse("acme")
    assert report.rows == {"web_traffic_daily": 5}
    assert wh.fetch("SELECT date::VARCHAR, source, medium, campaign, sessions, users, new_users, "
                    "conversions, revenue FROM web_traffic_daily ORDER BY 1, 2, 3") == [
        ("2025-03-01", "(direct)", "(none)", "", 5, 5, 1, D("0.0000"), D("0.0000")),
        ("2025-03-01", "google", "cpc", "spring", 10, 8, 3, D("1.0000"), D("50.5000")),
        ("2025-03-02", "(direct)", "(none)", "", 2, 2, 0, D("0.0000"), D("0.0000")),
        ("2025-03-02", "newsletter", "email", "", 4, 3, 1, D("1.5000"), D("20.0000")),
        ("2025-03-03", "google", "organic", "", 7, 6, 2, D("0.0000"), D("0.0000"))]


def test_ga4_next_sync_rereads_the_last_three_days(google):
    connections, fake, now = google
    _sync(connections, "ga4")
    now[0] = datetime(2025, 3, 6, 12, 0, tzinfo=UTC)

    _sync(connections, "ga4")

    assert fake.ranges[-1] == ("2025-03-03", "2025-03-06")


def test_ga4_waits_out_429_and_500_then_succeeds(google, sleeps):
    connections, fake, _ = google
    fake.fail_next(429, {"Retry-After": "2"})
    fake.fail_next(500)

    report = _sync(connections, "ga4")

    assert sleeps[0] == 2.0 and len(sleeps) == 2
    assert report.rows == {"web_traffic_daily": 5}


def test_a_revoked_refresh_token_says_how_to_reconnect(google):
    connections, fake, _ = google
    fake.refresh_token = "1//rotated"

    with pytest.raises(CredentialError, match="tally connect ga4 --workspace acme"):
        _sync(connections, "ga4")
    with pytest.raises(CredentialError, match="tally connect google-ads --workspace acme"):
        _sync(connections, "google-ads")

    assert connections.app.workspaces.warehouse("acme").row_counts()["web_traffic_daily"] == 0


def test_an_access_token_expired_mid_sync_is_refreshed_once(google):
    connections, fake, _ = google
    fake.valid_tokens.clear()  # every token issued so far has expired
    issued_before = len(fake.issued)

    report = _sync(connections, "ga4")

    assert report.rows == {"web_traffic_daily": 5}
    assert len(fake.issued) == issued_before + 1


def test_google_ads_streams_campaigns_and_daily_metrics_in_the_account_currency(google):
    connections, _, _ = google

    report = _sync(connections, "google-ads")

    wh = connections.app.workspaces.warehouse("acme")
    assert report.rows == {"ad_campaigns": 3, "ad_performance_daily": 3}
    assert wh.fetch("SELECT campaign_id, channel, name, objective, status FROM ad_campaigns ORDER BY 1") == [
        ("1", "google", "Campaign 1", "search", "enabled"), ("2", "google", "Campaign 2", "search", "enabled"),
        ("3", "google", "Campaign 3", "search", "paused")]
    assert wh.fetch("SELECT date::VARCHAR, campaign_id, impressions, clicks, spend, conversions, "
                    "conversion_value, currency FROM ad_performance_daily ORDER BY 1, 2") == [
        ("2025-03-01", "1", 300, 12, D("4.5600"), D("2.0000"), D("99.9000"), "BRL"),
        ("2025-03-02", "1", 50, 0, D("0.0000"), D("0.0000"), D("0.0000"), "BRL"),
        ("2025-03-02", "2", 80, 3, D("1.0000"), D("0.5000"), D("10.0000"), "BRL")]


def test_google_ads_retries_429_with_retry_after_and_500(google, sleeps):
    connections, fake, _ = google
    fake.fail_next(429, {"Retry-After": "5"})
    fake.fail_next(503)

    report = _sync(connections, "google-ads")

    assert sleeps[0] == 5.0 and len(sleeps) == 2
    assert report.rows == {"ad_campaigns": 3, "ad_performance_daily": 3}
