"""Meta Ads (Facebook, Instagram): campaigns and their daily insights, via the Graph API.

Throttling arrives as HTTP 400/403 with error codes 4, 17, 32, 613 or 80000+
(and sometimes 429); an expired or revoked token as error code 190. Purchases
are the conversions: ``omni_purchase`` when Meta reports it, else ``purchase``,
else the pixel's purchase event.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

import httpx

from connectors.base import Batch, ConnectorContext, Option, Row, dump_cursor, load_cursor, tables_of
from connectors.daily import DailyPlan, daily_batches, first_day
from connectors.errors import ConnectorConfigError, CredentialError
from connectors.http import send_with_retries

GRAPH_VERSION = "v21.0"
PURCHASES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
THROTTLE_CODES = {4, 17, 32, 613, *range(80000, 80015)}


class MetaAdsConnector:
    """An ad account.

    Options:
        ad_account: the ad account id (``act_123`` or ``123``).
        access_token: a system-user or long-lived token with ``ads_read`` (secret).
        start_date: the first day of the first sync (default 90 days ago).
    """

    name: ClassVar[str] = "meta-ads"
    streams: ClassVar[tuple[str, ...]] = ("campaigns", "insights")
    options: ClassVar[tuple[Option, ...]] = (
        Option("ad_account", "ad account id, e.g. act_1234567890"),
        Option("access_token", "token with ads_read", secret=True),
        Option("start_date", "first day to load (YYYY-MM-DD)", required=False),
    )
    # Meta keeps attributing conversions to past days for up to a week by default.
    plan: ClassVar[DailyPlan] = DailyPlan(lookback_days=7, window_days=30)

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        account = str(context.options.get("ad_account") or "").removeprefix("act_")
        if not account.isdigit():
            raise ConnectorConfigError(f"--ad-account must be an ad account id like act_123 (got {account!r})")
        self.base = f"{context.settings.meta_api_url.rstrip('/')}/{GRAPH_VERSION}/act_{account}"
        self.hint = (f"the Meta token expired or was revoked: create a new one with ads_read and run "
                     f"`tally connect meta-ads --workspace {context.workspace} --ad-account act_{account}` "
                     "with it in META_ADS_ACCESS_TOKEN (or --access-token-file PATH)")
        self._currency: str | None = None

    async def check(self) -> str:
        """Reads the account's name and currency."""
        account = await self._get("", {"fields": "name,currency"})
        return f"Meta ad account {account.get('name', '')} ({account.get('currency', '')})"

    async def sync(self, stream: str, cursor: str | None) -> AsyncIterator[Batch]:
        """Campaigns: one batch per page. Insights: one batch per 30-day window."""
        if stream == "campaigns":
            async for batch in self._campaigns(cursor):
                yield batch
            return
        today = self.context.clock().date()
        start = first_day(self.context.options, today, self.plan)
        async for batch in daily_batches(stream, cursor, start, today, self.plan, self._insights):
            yield batch

    async def _campaigns(self, cursor: str | None) -> AsyncIterator[Batch]:
        after = load_cursor(cursor).get("after")
        while True:
            params = {"fields": "id,name,objective,effective_status", "limit": "100",
                      **({"after": after} if after else {})}
            page = await self._get("/campaigns", params)
            rows = [{"campaign_id": c["id"], "channel": "meta", "name": c.get("name") or c["id"],
                     "objective": (c.get("objective") or "").lower() or None,
                     "status": (c.get("effective_status") or "").lower() or None} for c in page["data"]]
            after = _next_after(page)
            yield Batch("campaigns", tables_of({"ad_campaigns": rows}), dump_cursor({"after": after}))
            if after is None:
                return

    async def _insights(self, first: date, last: date) -> Mapping[str, Sequence[Row]]:
        currency = await self._account_currency()
        rows: list[Row] = []
        after = None
        while True:
            params = {"level": "campaign", "time_increment": "1", "limit": "500",
                      "fields": "campaign_id,impressions,clicks,spend,actions,action_values",
                      "time_range": json.dumps({"since": first.isoformat(), "until": last.isoformat()}),
                      **({"after": after} if after else {})}
            page = await self._get("/insights", params)
            rows.extend(_insight_row(i, currency) for i in page["data"])
            if (after := _next_after(page)) is None:
                return {"ad_performance_daily": rows}

    async def _account_currency(self) -> str:
        if self._currency is None:
            self._currency = str((await self._get("", {"fields": "currency"}))["currency"])
        return self._currency

    async def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        token = self.context.secrets.get("access_token", "")

        async def send() -> httpx.Response:
            return await self.context.client.get(self.base + path, params=dict(params),
                                                 headers={"Authorization": f"Bearer {token}"})
        response = await send_with_retries(send, self.context.retry, "Meta", self.hint, self._interpret)
        return dict(response.json())

    def _interpret(self, response: httpx.Response) -> float | Exception | None:
        if response.status_code == 429:  # the standard reading honours its Retry-After
            return None
        try:
            error = response.json().get("error") or {}
        except ValueError:
            return None
        if error.get("code") == 190:
            return CredentialError(f"Meta refused the token (OAuthException 190); {self.hint}")
        if error.get("code") in THROTTLE_CODES:
            return _regain_seconds(response) or self.context.retry.backoff(3)
        return None


def _next_after(page: Mapping[str, Any]) -> str | None:
    """The next page's cursor; Meta omits ``paging.next`` on the last page."""
    paging = page.get("paging") or {}
    return (paging.get("cursors") or {}).get("after") if paging.get("next") else None


def _regain_seconds(response: httpx.Response) -> float | None:
    """``estimated_time_to_regain_access`` (minutes) from the business-use-case usage header."""
    try:
        usage = json.loads(response.headers.get("x-business-use-case-usage", "{}"))
    except ValueError:
        return None
    longest = max((int(entry.get("estimated_time_to_regain_access") or 0)
                   for entries in usage.values() for entry in entries), default=0)
    return longest * 60.0 if longest else None


def _action(entries: Sequence[Mapping[str, Any]] | None) -> str:
    found = {e["action_type"]: e["value"] for e in entries or []}
    return next((found[t] for t in PURCHASES if t in found), "0")


def _insight_row(insight: Mapping[str, Any], currency: str) -> Row:
    return {"date": insight["date_start"], "campaign_id": insight["campaign_id"], "channel": "meta",
            "impressions": int(insight.get("impressions") or 0), "clicks": int(insight.get("clicks") or 0),
            "spend": insight.get("spend") or "0", "conversions": _action(insight.get("actions")),
            "conversion_value": _action(insight.get("action_values")), "currency": currency}
