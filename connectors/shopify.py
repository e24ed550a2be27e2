"""Shopify: the Admin GraphQL API for syncs, signed webhooks for real time.

Streams: ``products`` (variants with unit costs), ``customers``, ``orders`` (with
line items and refunds), ``inventory`` (today's on-hand per location). The first
three are incremental on ``updated_at``; inventory is a snapshot per sync.
Throttling is handled both ways Shopify signals it: HTTP 429 with Retry-After,
and a 200 whose errors say THROTTLED with the bucket's state in ``extensions.cost``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import httpx

from connectors import shopify_mapping as m
from connectors import shopify_queries as q
from connectors.base import Batch, ConnectorContext, Option, dump_cursor, load_cursor, tables_of
from connectors.errors import ConnectorConfigError, CredentialError, ProviderError, TransientError
from connectors.http import send_with_retries
from connectors.shopify_webhooks import ShopifyWebhooks

API_VERSION = "2025-01"


class ShopifyConnector(ShopifyWebhooks):
    """A shop, through the Admin GraphQL API.

    Options:
        shop: the ``*.myshopify.com`` domain.
        access_token: an Admin API access token (secret).
        webhook_secret: the app's client secret, which signs webhooks (secret, optional).
    """

    name: ClassVar[str] = "shopify"
    streams: ClassVar[tuple[str, ...]] = ("products", "customers", "orders", "inventory")
    options: ClassVar[tuple[Option, ...]] = (
        Option("shop", "the shop's domain, e.g. acme.myshopify.com"),
        Option("access_token", "Admin API access token", secret=True),
        Option("webhook_secret", "the app's client secret (signs webhooks)", secret=True, required=False),
    )

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        self.shop = str(context.options.get("shop") or "").strip().lower()
        if not self.shop.endswith(".myshopify.com"):
            raise ConnectorConfigError(f"--shop must be a *.myshopify.com domain (got {self.shop!r})")
        base = context.settings.shopify_api_url or f"https://{self.shop}"
        self.url = f"{base.rstrip('/')}/admin/api/{API_VERSION}/graphql.json"

    async def check(self) -> str:
        """Reads the shop's name: proves the token works."""
        data = await self.graphql(q.SHOP, {})
        return f"shop {data['shop']['name']}"

    async def sync(self, stream: str, cursor: str | None) -> AsyncIterator[Batch]:
        """Yields one batch per GraphQL page of ``stream``."""
        if stream == "inventory":
            async for batch in self._inventory(cursor):
                yield batch
            return
        query, connection, mapper = _STREAMS[stream]
        state = load_cursor(cursor)
        since, after, newest = state.get("since"), state.get("after"), state.get("newest")
        while True:
            search = f"updated_at:>='{since}'" if since else None
            data = await self.graphql(query, {"after": after, "query": search})
            page = data[connection]
            rows = mapper(page["nodes"])
            newest = max([newest or "", *(n["updatedAt"] for n in page["nodes"])]) or None
            has_next = page["pageInfo"]["hasNextPage"]
            after = page["pageInfo"]["endCursor"] if has_next else None
            # Mid-stream the cursor keeps the query and its page; at the end it moves `since`.
            next_state = {"since": since, "after": after, "newest": newest} if has_next \
                else {"since": newest or since, "after": None, "newest": newest}
            yield Batch(stream, tables_of(rows), dump_cursor(next_state))
            if not has_next:
                return

    async def _inventory(self, cursor: str | None) -> AsyncIterator[Batch]:
        """Today's on-hand quantities; a killed snapshot resumes only on the same day."""
        today = self.context.clock().date().isoformat()
        state = load_cursor(cursor)
        after = state.get("after") if state.get("date") == today and not state.get("done") else None
        while True:
            data = await self.graphql(q.INVENTORY, {"after": after})
            page = data["inventoryItems"]
            rows = _inventory_rows(page["nodes"], today)
            has_next = page["pageInfo"]["hasNextPage"]
            after = page["pageInfo"]["endCursor"] if has_next else None
            yield Batch("inventory", tables_of(rows),
                        dump_cursor({"date": today, "after": after, "done": not has_next}))
            if not has_next:
                return

    async def graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Runs one GraphQL query, waiting out throttling; returns ``data``."""
        policy = self.context.retry
        for attempt in range(1, policy.attempts + 1):
            response = await send_with_retries(self._post(query, variables), policy, "Shopify",
                                               self._reconnect_hint())
            body = response.json()
            errors = body.get("errors")
            if not errors:
                return dict(body["data"])
            if isinstance(errors, str) or not _throttled(errors):
                raise _graphql_error(errors, self._reconnect_hint())
            if attempt < policy.attempts:
                await policy.sleep(_throttle_wait(body.get("extensions") or {}, policy.max_delay))
        raise TransientError("Shopify kept throttling the sync; it resumes from its cursor next time")

    def _post(self, query: str, variables: Mapping[str, Any]) -> Any:
        token = self.context.secrets.get("access_token", "")

        async def send() -> httpx.Response:
            return await self.context.client.post(
                self.url, json={"query": query, "variables": dict(variables)},
                headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"})
        return send

    def _reconnect_hint(self) -> str:
        return (f"the access token for {self.shop} was revoked or has expired: create a new Admin "
                f"API access token and run `tally connect shopify --workspace {self.context.workspace} "
                f"--shop {self.shop}` with it in SHOPIFY_ACCESS_TOKEN (or --access-token-file PATH)")


def _throttled(errors: list[Mapping[str, Any]]) -> bool:
    return any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)


def _throttle_wait(extensions: Mapping[str, Any], cap: float) -> float:
    """Seconds until the cost bucket refills enough for the query that was refused."""
    cost = extensions.get("cost") or {}
    status = cost.get("throttleStatus") or {}
    needed = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
    rate = float(status.get("restoreRate") or 50)
    return min(max(needed / rate, 0.1), cap)


def _graphql_error(errors: Any, hint: str) -> Exception:
    text = errors if isinstance(errors, str) else "; ".join(str(e.get("message")) for e in errors)
    if "access token" in text.lower() or "access denied" in text.lower():
        return CredentialError(f"Shopify: {text}; {hint}")
    return ProviderError(f"Shopify refused the query: {text}; check the app's access scopes "
                         "(read_orders, read_products, read_customers, read_inventory)")


def _orders(nodes: list[Any]) -> m.Rows:
    rows: m.Rows = {"orders": [], "order_items": [], "refunds": []}
    for node in nodes:
        for table, found in m.order_rows_graphql(node).items():
            rows[table].extend(found)
    return rows


def _products(nodes: list[Any]) -> m.Rows:
    return {"products": [row for node in nodes for row in m.product_rows_graphql(node)]}


def _customers(nodes: list[Any]) -> m.Rows:
    return {"customers": [m.customer_row_graphql(node) for node in nodes]}


def _inventory_rows(nodes: list[Any], today: str) -> m.Rows:
    locations: dict[str, dict[str, Any]] = {}
    levels: list[dict[str, Any]] = []
    for item in nodes:
        variant = m.gid_tail((item.get("variant") or {}).get("id"))
        if variant is None:  # an inventory item of no variant tracks nothing we can sell
            continue
        for level in item["inventoryLevels"]["nodes"]:
            location_id = m.gid_tail(level["location"]["id"])
            locations[str(location_id)] = {"location_id": location_id, "name": level["location"]["name"]}
            on_hand = sum(int(x["quantity"]) for x in level["quantities"] if x["name"] == "on_hand")
            levels.append({"date": today, "product_id": variant, "location_id": location_id,
                           "on_hand": on_hand})
    return {"locations": list(locations.values()), "inventory_levels": levels}


_STREAMS = {
    "orders": (q.ORDERS, "orders", _orders),
    "products": (q.PRODUCTS, "products", _products),
    "customers": (q.CUSTOMERS, "customers", _customers),
}
