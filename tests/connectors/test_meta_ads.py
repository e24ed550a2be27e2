"""Meta Ads against a local fake of the Graph API."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.app import App
from connectors.errors import CredentialError
from connectors.service import Connections
from tests.connectors.conftest import make_settings
from tests.fakes.meta import ACCOUNT, TOKEN, FakeMeta
from tests.fakes.server import serve

D = Decimal
NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def insight(day: str, campaign: str, spend: str, actions: dict[str, str], values: dict[str, str]) -> dict:
    return {"campaign_id": campaign, "date_start": day, "date_stop": day, "impressions": "1000",
            "clicks": "25", "spend": spend,
            "actions": [{"action_type": k, "value": v} for k, v in actions.items()],
            "action_values": [{"action_type": k, "value": v} for k, v in values.items()]}


@pytest.fixture
def meta(tmp_path, retry):
    fake = FakeMeta()
    fake.campaigns = [{"id": f"2385000{n}", "name": f"Spring {n}", "objective": "OUTCOME_SALES",
                       "effective_status": "ACTIVE"} for n in (1, 2, 3)]
    fake.insights = [
        insight("2025-03-01", "23850001", "12.34", {"link_click": "25", "purchase": "2", "omni_purchase": "3"},
                {"purchase": "80.00", "omni_purchase": "120.00"}),
        insight("2025-03-01", "23850002", "5.00", {"offsite_conversion.fb_pixel_purchase": "1"},
                {"offsite_conversion.fb_pixel_purchase": "19.90"}),
        insight("2025-03-02", "23850001", "7.50", {}, {}),
    ]
    with serve(fake.app()) as url:
        app = App(make_settings(tmp_path / "data", META_API_URL=url))
        app.workspaces.create("acme")
        connections = Connections(app, retry=retry, clock=lambda: NOW)
        options = {"ad_account": f"act_{ACCOUNT}", "access_token": TOKEN, "start_date": "2025-03-01"}
        asyncio.run(connections.connect("acme", "meta-ads", options))
        yield connections, fake
        app.close()


def _sync(connections):
    return asyncio.run(connections.sync("acme", "meta-ads"))


def test_campaigns_and_daily_insights_with_purchases_in_the_account_currency(meta):
    connections, _ = meta

    report = _sync(connections)

    wh = connections.app.workspaces.warehouse("acme")
    assert report.rows == {"ad_campaigns": 3, "ad_performance_daily": 3}
    assert wh.fetch("SELECT campaign_id, channel, objective, status FROM ad_campaigns ORDER BY 1")[0] == (
        "23850001", "meta", "outcome_sales", "active")
    assert wh.fetch("SELECT date::VARCHAR, campaign_id, impressions, clicks, spend, conversions, "
                    "conversion_value, currency FROM ad_performance_daily ORDER BY 1, 2") == [
        ("2025-03-01", "23850001", 1000, 25, D("12.3400"), D("3.0000"), D("120.0000"), "EUR"),
        ("2025-03-01", "23850002", 1000, 25, D("5.0000"), D("1.0000"), D("19.9000"), "EUR"),
        ("2025-03-02", "23850001", 1000, 25, D("7.5000"), D("0.0000"), D("0.0000"), "EUR")]


def test_meta_throttling_waits_the_time_meta_announces(meta, sleeps):
    connections, fake = meta
    usage = {ACCOUNT: [{"type": "ads_insights", "call_count": 100, "total_cputime": 40,
                        "total_time": 60, "estimated_time_to_regain_access": 2}]}
    fake.fail_next(400, {"message": "User request limit reached", "type": "OAuthException", "code": 17,
                         "error_subcode": 2446079}, {"x-business-use-case-usage": json.dumps(usage)})
    fake.fail_next(429, {"message": "Too many calls", "code": 80004}, {"Retry-After": "1"})
    fake.fail_next(500, {"message": "An unknown error has occurred.", "type": "OAuthException", "code": 1})

    report = _sync(connections)

    # 2 minutes to regain access, then the 429's Retry-After, then a short backoff after the 500.
    assert sleeps[:2] == [120.0, 1.0] and len(sleeps) == 3
    assert report.rows == {"ad_campaigns": 3, "ad_performance_daily": 3}


def test_an_expired_meta_token_is_error_190_and_asks_to_reconnect(meta):
    connections, fake = meta
    fake.token = "EAArotated"

    with pytest.raises(CredentialError, match=r"190.*tally connect meta-ads --workspace acme"):
        _sync(connections)

    assert connections.app.workspaces.warehouse("acme").row_counts()["ad_campaigns"] == 0
