"""Google Ads: campaigns and their daily metrics, via the REST ``googleAds:searchStream``.

A search stream answers with a JSON array of result chunks; proto3 JSON leaves
out zero values, so a missing metric is 0. Costs come in micros of the
account's currency.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from connectors.base import Batch, ConnectorContext, Option, Row, dump_cursor, tables_of
from connectors.daily import DailyPlan, daily_batches, first_day
from connectors.errors import ConnectorConfigError
from connectors.google_auth import GoogleAuth

API_VERSION = "v19"
CAMPAIGNS = ("SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type "
             "FROM campaign")
PERFORMANCE = ("SELECT campaign.id, segments.date, metrics.impressions, metrics.clicks, "
               "metrics.cost_micros, metrics.conversions, metrics.conversions_value FROM campaign "
               "WHERE segments.date BETWEEN '{first}' AND '{last}'")
CURRENCY = "SELECT customer.currency_code FROM customer"


class GoogleAdsConnector:
    """A Google Ads customer account.

    Options:
        customer_id: the account's id (``123-456-7890`` or digits).
        login_customer_id: the manager account's id, when access goes through one.
        developer_token (secret), client_id, client_secret (secret), refresh_token (secret).
        start_date: the first day of the first sync (default 90 days ago).
    """

    name: ClassVar[str] = "google-ads"
    streams: ClassVar[tuple[str, ...]] = ("campaigns", "performance")
    options: ClassVar[tuple[Option, ...]] = (
        Option("customer_id", "Google Ads customer id, e.g. 123-456-7890"),
        Option("login_customer_id", "manager account id, if any", required=False),
        Option("developer_token", "Google Ads developer token", secret=True),
        Option("client_id", "OAuth client id"), Option("client_secret", "OAuth client secret", secret=True),
        Option("refresh_token", "OAuth refresh token", secret=True),
        Option("start_date", "first day to load (YYYY-MM-DD)", required=False),
    )
    # Conversions keep arriving for days after a click: re-read the last week each sync.
    plan: ClassVar[DailyPlan] = DailyPlan(lookback_days=7, window_days=30)

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        customer = str(context.options.get("customer_id") or "").replace("-", "")
        if not customer.isdigit():
            raise ConnectorConfigError(f"--customer-id must be digits like 123-456-7890 (got {customer!r})")
        base = context.settings.google_ads_api_url.rstrip("/")
        self.url = f"{base}/{API_VERSION}/customers/{customer}/googleAds:searchStream"
        self.hint = (f"authorize Tally again and run `tally connect google-ads --workspace "
                     f"{context.workspace} --customer-id {customer} ...`")
        self.auth = GoogleAuth(context, self.hint)
        self.headers = {"developer-token": context.secrets.get("developer_token", "")}
        if login := str(context.options.get("login_customer_id") or "").replace("-", ""):
            self.headers["login-customer-id"] = login
        self._currency: str | None = None

    async def check(self) -> str:
        """Reads the account's currency."""
        return f"Google Ads account ({await self._account_currency()})"

    async def sync(self, stream: str, cursor: str | None) -> AsyncIterator[Batch]:
        """Campaigns: one batch. Performance: one batch per 30-day window."""
        if stream == "campaigns":
            rows = [_campaign_row(r["campaign"]) for r in await self._search(CAMPAIGNS)]
            yield Batch(stream, tables_of({"ad_campaigns": rows}), dump_cursor({}))
            return
        today = self.context.clock().date()
        start = first_day(self.context.options, today, self.plan)
        async for batch in daily_batches(stream, cursor, start, today, self.plan, self._performance):
            yield batch

    async def _performance(self, first: date, last: date) -> Mapping[str, Sequence[Row]]:
        currency = await self._account_currency()
        results = await self._search(PERFORMANCE.format(first=first.isoformat(), last=last.isoformat()))
        return {"ad_performance_daily": [_performance_row(r, currency) for r in results]}

    async def _account_currency(self) -> str:
        if self._currency is None:
            results = await self._search(CURRENCY)
            self._currency = str(results[0]["customer"]["currencyCode"]) if results else self.context.currency
        return self._currency

    async def _search(self, query: str) -> list[dict[str, Any]]:
        chunks = await self.auth.post_json("Google Ads", self.url, {"query": query}, self.headers)
        return [result for chunk in chunks for result in chunk.get("results") or []]


def _campaign_row(campaign: Mapping[str, Any]) -> Row:
    return {"campaign_id": str(campaign["id"]), "channel": "google", "name": campaign.get("name") or "",
            "objective": (campaign.get("advertisingChannelType") or "").lower() or None,
            "status": (campaign.get("status") or "").lower() or None}


def _performance_row(result: Mapping[str, Any], currency: str) -> Row:
    metrics = result.get("metrics") or {}
    return {"date": result["segments"]["date"], "campaign_id": str(result["campaign"]["id"]),
            "channel": "google", "impressions": int(metrics.get("impressions") or 0),
            "clicks": int(metrics.get("clicks") or 0),
            "spend": Decimal(int(metrics.get("costMicros") or 0)) / 1_000_000,
            "conversions": Decimal(str(metrics.get("conversions") or 0)),
            "conversion_value": Decimal(str(metrics.get("conversionsValue") or 0)), "currency": currency}
