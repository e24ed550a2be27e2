"""A fake Shopify Admin API: GraphQL pages in Shopify's format, REST webhook payloads.

It answers the connector's queries by root field (shop, orders, products,
customers, inventoryItems), honours ``after`` and ``updated_at:>=`` searches,
pages with opaque cursors, checks the access token, and plays scripted faults
(429 with Retry-After, 500, a GraphQL THROTTLED error) before real answers.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.shopify import API_VERSION
from connectors.shopify_webhooks import sign

TOKEN = "shpat_fake_valid_token"
SECRET = "fake_client_secret"
SHOP = "acme.myshopify.com"


def money(amount: str, currency: str = "USD") -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


def make_order(n: int, updated: str, *, status: str = "PAID", lines: int = 2,
               refund: str | None = None) -> dict[str, Any]:
    """An order node as the GraphQL API returns it (line i: i units at 10.00)."""
    items = [{"id": f"gid://shopify/LineItem/{n}0{i}", "quantity": i, "sku": f"SKU-{i}",
              "variant": {"id": f"gid://shopify/ProductVariant/{700 + i}"},
              "product": {"id": f"gid://shopify/Product/{70 + i}"},
              "originalUnitPriceSet": money("10.00"), "totalDiscountSet": money("0.00")}
             for i in range(1, lines + 1)]
    gross = sum(10 * i for i in range(1, lines + 1))
    return {
        "id": f"gid://shopify/Order/{1000 + n}", "name": f"#{1000 + n}",
        "createdAt": "2025-03-01T12:00:00Z", "updatedAt": updated, "cancelledAt": None,
        "displayFinancialStatus": status, "currencyCode": "USD", "sourceName": "web",
        "customer": {"id": f"gid://shopify/Customer/{500 + n}"},
        "shippingAddress": {"countryCodeV2": "BR"}, "billingAddress": None,
        "customerJourneySummary": {"firstVisit": {"utmParameters": {"source": "google"}}},
        "totalLineItemsPriceSet": money(f"{gross}.00"), "totalDiscountsSet": money("0.00"),
        "totalShippingPriceSet": money("5.00"), "totalTaxSet": money("1.50"),
        "totalPriceSet": money(f"{gross + 6.5:.2f}"),
        "lineItems": {"nodes": items},
        "refunds": [] if refund is None else [{"id": f"gid://shopify/Refund/{900 + n}",
                                              "createdAt": "2025-03-03T00:00:00Z",
                                              "totalRefundedSet": money(refund)}],
    }


def rest_order(node: dict[str, Any]) -> dict[str, Any]:
    """The same order as an orders/* webhook payload (REST shape, numeric ids)."""
    def tail(gid: str) -> int:
        return int(gid.rsplit("/", 1)[1])

    def amount(bag: dict[str, Any]) -> str:
        return bag["shopMoney"]["amount"]
    return {
        "id": tail(node["id"]), "name": node["name"], "created_at": node["createdAt"],
        "updated_at": node["updatedAt"], "cancelled_at": node["cancelledAt"],
        "financial_status": node["displayFinancialStatus"].lower(), "currency": node["currencyCode"],
        "source_name": node["sourceName"], "customer": {"id": tail(node["customer"]["id"])},
        "shipping_address": {"country_code": node["shippingAddress"]["countryCodeV2"]},
        "landing_site": "/?utm_source=google&utm_medium=cpc",
        "total_line_items_price": amount(node["totalLineItemsPriceSet"]),
        "total_discounts": amount(node["totalDiscountsSet"]),
        "total_shipping_price_set": {"shop_money": {"amount": amount(node["totalShippingPriceSet"]),
                                                    "currency_code": "USD"}},
        "total_tax": amount(node["totalTaxSet"]), "total_price": amount(node["totalPriceSet"]),
        "line_items": [{"id": tail(i["id"]), "variant_id": tail(i["variant"]["id"]),
                        "product_id": tail(i["product"]["id"]), "quantity": i["quantity"],
                        "price": amount(i["originalUnitPriceSet"]),
                        "total_discount": amount(i["totalDiscountSet"])}
                       for i in node["lineItems"]["nodes"]],
        "refunds": [{"id": tail(r["id"]), "order_id": tail(node["id"]), "created_at": r["createdAt"],
                     "transactions": [{"kind": "refund", "status": "success",
                                       "amount": amount(r["totalRefundedSet"])}]}
                    for r in node["refunds"]],
    }


def webhook_headers(topic: str, body: bytes, event_id: str, secret: str = SECRET) -> dict[str, str]:
    """The headers Shopify sends with a webhook."""
    return {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Event-Id": event_id,
            "X-Shopify-Webhook-Id": f"wh-{event_id}", "X-Shopify-API-Version": API_VERSION,
            "Content-Type": "application/json"}


_ROOT = re.compile(r"\b(shop|orders|products|customers|inventoryItems)\s*[({]")
_SINCE = re.compile(r"updated_at:>='([^']+)'")


@dataclass
class FakeShopify:
    """The shop's data, the faults to play, and the requests seen."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    inventory: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    token: str = TOKEN
    faults: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    requests: int = 0

    def fail_next(self, status: int, headers: dict[str, str] | None = None, body: Any = None) -> None:
        """Answers the next request with this status (then the queue's next, then real data)."""
        self.faults.append((status, headers or {}, body if body is not None else {"errors": "fault"}))

    def app(self) -> Starlette:
        path = f"/admin/api/{API_VERSION}/graphql.json"
        return Starlette(routes=[Route(path, self.graphql, methods=["POST"])])

    async def graphql(self, request: Request) -> JSONResponse:
        self.requests += 1
        if request.headers.get("x-shopify-access-token") != self.token:
            return JSONResponse({"errors": "[API] Invalid API key or access token (unrecognized "
                                           "login or wrong password)"}, status_code=401)
        if self.faults:
            status, headers, body = self.faults.pop(0)
            return JSONResponse(body, status_code=status, headers=headers)
        payload = json.loads(await request.body())
        root = _ROOT.search(payload["query"].split("{", 1)[1]).group(1)
        if root == "shop":
            return JSONResponse({"data": {"shop": {"name": "Acme", "currencyCode": "USD"}}})
        records = {"orders": self.orders, "products": self.products, "customers": self.customers,
                   "inventoryItems": self.inventory}[root]
        return JSONResponse({"data": {root: self._page(records, payload["variables"])},
                             "extensions": {"cost": {"requestedQueryCost": 52, "actualQueryCost": 12,
                                                     "throttleStatus": {"maximumAvailable": 2000.0,
                                                                        "currentlyAvailable": 1988,
                                                                        "restoreRate": 100.0}}}})

    def _page(self, records: list[dict[str, Any]], variables: dict[str, Any]) -> dict[str, Any]:
        since = _SINCE.search(variables.get("query") or "")
        chosen = [r for r in records if not since or r.get("updatedAt", "") >= since.group(1)]
        chosen.sort(key=lambda r: (r.get("updatedAt", ""), r["id"]))
        start = int(base64.b64decode(variables["after"])) if variables.get("after") else 0
        page = chosen[start:start + self.page_size]
        end = start + len(page)
        return {"pageInfo": {"hasNextPage": end < len(chosen),
                             "endCursor": base64.b64encode(str(end).encode()).decode() if page else None},
                "nodes": page}


THROTTLED = {"errors": [{"message": "Throttled", "extensions": {
    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
    "extensions": {"cost": {"requestedQueryCost": 202, "actualQueryCost": None,
                            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 2,
                                               "restoreRate": 100.0}}}}
