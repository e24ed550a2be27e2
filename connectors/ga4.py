"""Google Analytics 4: daily sessions by source, medium and campaign (``web_traffic_daily``).

The Data API's REST ``runReport``, called with httpx (the SDK speaks gRPC by
default and cannot be pointed at a local fake without extra machinery).
Revenue is asked for in the workspace currency (``currencyCode``); "key events"
(formerly "conversions") are the conversions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from connectors.base import Batch, ConnectorContext, Option, Row
from connectors.daily import DailyPlan, daily_batches, first_day
from connectors.errors import ConnectorConfigError
from connectors.google_auth import GoogleAuth

PAGE = 10_000
DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
METRICS = ("sessions", "totalUsers", "newUsers", "keyEvents", "totalRevenue")
# GA4's placeholders for "no campaign"; the data model wants the empty string there.
NO_CAMPAIGN = {"(not set)", "(direct)", "(organic)", "(referral)", "(none)"}


class GA4Connector:
    """A GA4 property.

    Options:
        property_id: the numeric property id.
        client_id, client_secret (secret), refresh_token (secret): OAuth with the
            ``analytics.readonly`` scope.
        start_date: the first day of the first sync (default 90 days ago).
    """

    name: ClassVar[str] = "ga4"
    streams: ClassVar[tuple[str, ...]] = ("web_traffic",)
    options: ClassVar[tuple[Option, ...]] = (
        Option("property_id", "GA4 property id"), Option("client_id", "OAuth client id"),
        Option("client_secret", "OAuth client secret", secret=True),
        Option("refresh_token", "OAuth refresh token", secret=True),
        Option("start_date", "first day to load (YYYY-MM-DD)", required=False),
    )
    plan: ClassVar[DailyPlan] = DailyPlan(lookback_days=3, window_days=30)

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        property_id = str(context.options.get("property_id") or "").removeprefix("properties/")
        if not property_id.isdigit():
            raise ConnectorConfigError(f"--property-id must be GA4's numeric property id (got {property_id!r})")
        self.url = f"{context.settings.ga4_api_url.rstrip('/')}/v1beta/properties/{property_id}:runReport"
        self.hint = (f"authorize Tally again and run `tally connect ga4 --workspace {context.workspace} "
                     f"--property-id {property_id} ...`")
        self.auth = GoogleAuth(context, self.hint)

    async def check(self) -> str:
        """Reads one day's report: proves the token and the property access."""
        today = self.context.clock().date()
        await self._report(today, today, 0, limit=1)
        return f"GA4 property {self.url.rsplit('/', 1)[1].split(':')[0]}"

    async def sync(self, stream: str, cursor: str | None) -> AsyncIterator[Batch]:
        """One batch per 30-day window, re-reading the last 3 days each sync."""
        today = self.context.clock().date()
        start = first_day(self.context.options, today, self.plan)
        async for batch in daily_batches(stream, cursor, start, today, self.plan, self._window):
            yield batch

    async def _window(self, first: date, last: date) -> Mapping[str, Sequence[Row]]:
        rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        offset = 0
        while True:
            report = await self._report(first, last, offset)
            for found in report.get("rows") or []:
                _merge(rows, _traffic_row(found))
            offset += len(report.get("rows") or [])
            if not report.get("rows") or offset >= int(report.get("rowCount") or 0):
                return {"web_traffic_daily": list(rows.values())}

    async def _report(self, first: date, last: date, offset: int, limit: int = PAGE) -> dict[str, Any]:
        body = {"dateRanges": [{"startDate": first.isoformat(), "endDate": last.isoformat()}],
                "dimensions": [{"name": d} for d in DIMENSIONS],
                "metrics": [{"name": m} for m in METRICS],
                "currencyCode": self.context.currency, "limit": str(limit), "offset": str(offset)}
        return dict(await self.auth.post_json("GA4", self.url, body))


def _traffic_row(row: Mapping[str, Any]) -> dict[str, Any]:
    dims = [d["value"] for d in row["dimensionValues"]]
    values = [m["value"] for m in row["metricValues"]]
    day = dims[0]
    campaign = "" if dims[3] in NO_CAMPAIGN else dims[3]
    return {"date": f"{day[:4]}-{day[4:6]}-{day[6:]}", "source": dims[1], "medium": dims[2],
            "campaign": campaign, "sessions": int(values[0]), "users": int(values[1]),
            "new_users": int(values[2]), "conversions": Decimal(values[3]), "revenue": Decimal(values[4])}


def _merge(rows: dict[tuple[str, str, str, str], dict[str, Any]], row: dict[str, Any]) -> None:
    """Adds a row, summing into one already there when placeholders fold into the same key."""
    key = (row["date"], row["source"], row["medium"], row["campaign"])
    held = rows.get(key)
    if held is None:
        rows[key] = row
        return
    for metric in ("sessions", "users", "new_users", "conversions", "revenue"):
        held[metric] += row[metric]
