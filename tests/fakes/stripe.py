"""A fake Stripe API (v1 lists) in Stripe's format, and Stripe-Signature signing for webhooks."""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass, field
from typing import Any

import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

API_KEY = "sk_test_fake_valid"
WEBHOOK_SECRET = "whsec_fake_secret"
JAN, FEB, MAR = 1735689600, 1738368000, 1740787200  # 2025-01-01, 02-01, 03-01 00:00 UTC
FEB_15 = 1739577600


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    v1 = stripe.WebhookSignature._compute_signature(f"{t}.{body.decode()}", secret)
    return f"t={t},v1={v1}"


def price(pid: str, amount: int, interval: str | None, product: str = "prod_pro") -> dict[str, Any]:
    return {"id": pid, "object": "price", "active": True, "currency": "usd", "nickname": None,
            "product": product, "unit_amount": amount, "type": "recurring" if interval else "one_time",
            "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"}
            if interval else None}


def line(sub: str, price_obj: dict[str, Any], amount: int, start: int, end: int,
         proration: bool = False) -> dict[str, Any]:
    return {"id": f"il_{sub}_{start}", "object": "line_item", "amount": amount, "currency": "usd",
            "period": {"start": start, "end": end}, "price": price_obj, "proration": proration,
            "quantity": 1, "type": "subscription", "subscription": sub}


def invoice(iid: str, sub: str, customer: str, created: int, status: str, lines: list[dict[str, Any]]
            ) -> dict[str, Any]:
    due = sum(li["amount"] for li in lines)
    return {"id": iid, "object": "invoice", "customer": customer, "created": created, "currency": "usd",
            "status": status, "amount_due": due, "amount_paid": due if status == "paid" else 0,
            "status_transitions": {"paid_at": created + 60 if status == "paid" else None},
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub}},
            "lines": {"object": "list", "data": lines, "has_more": False, "url": f"/v1/invoices/{iid}/lines"}}


def subscription(sid: str, customer: str, price_obj: dict[str, Any], status: str, start: int,
                 **extra: Any) -> dict[str, Any]:
    return {"id": sid, "object": "subscription", "customer": customer, "status": status, "created": start,
            "start_date": start, "trial_end": None, "canceled_at": None, "ended_at": None,
            "items": {"object": "list", "data": [{"id": f"si_{sid}", "object": "subscription_item",
                                                  "price": price_obj, "quantity": 1}],
                      "has_more": False, "url": "/v1/subscription_items"}, **extra}


@dataclass
class FakeStripe:
    """Objects per list endpoint, faults to play first, and the requests seen."""

    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    page_size: int = 2
    api_key: str = API_KEY
    faults: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    requests: int = 0
    paths: list[str] = field(default_factory=list)

    def add_event(self, event_type: str, obj: dict[str, Any], created: int) -> None:
        """Records an event the way Stripe lists them: newest first."""
        events = self.lists.setdefault("events", [])
        events.append({"id": f"evt_{len(events) + 1}", "object": "event", "type": event_type,
                       "created": created, "data": {"object": obj}})
        events.sort(key=lambda e: -e["created"])

    def fail_next(self, status: int, headers: dict[str, str] | None = None,
                  error: dict[str, Any] | None = None) -> None:
        self.faults.append((status, headers or {}, {"error": error or {
            "message": "An unknown error occurred", "type": "api_error"}}))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/{resource}", self.list_objects, methods=["GET"])])

    async def list_objects(self, request: Request) -> JSONResponse:
        self.requests += 1
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"error": {"code": "api_key_expired", "type": "invalid_request_error",
                                           "message": "Expired API Key provided: sk_test_****alid"}},
                                status_code=401)
        if self.faults:
            status, headers, body = self.faults.pop(0)
            return JSONResponse(body, status_code=status, headers=headers)
        resource = request.path_params["resource"]
        self.paths.append(resource)
        objects = self.lists.get(resource, [])
        if resource == "events":
            objects = _matching_events(objects, request)
        after = request.query_params.get("starting_after")
        start = next(i + 1 for i, o in enumerate(objects) if o["id"] == after) if after else 0
        limit = min(int(request.query_params.get("limit", 10)), self.page_size)
        page = [self._expand(o, request) for o in objects[start:start + limit]]
        return JSONResponse({"object": "list", "url": f"/v1/{resource}", "data": page,
                             "has_more": start + limit < len(objects)})

    def _expand(self, obj: dict[str, Any], request: Request) -> dict[str, Any]:
        expands = [v for k, v in request.query_params.multi_items() if k.startswith("expand")]
        if "data.product" in expands and isinstance(obj.get("product"), str):
            return {**obj, "product": self.products[obj["product"]]}
        return obj


def _matching_events(events: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
    """``GET /v1/events`` filters: ``type`` (``*`` matches any suffix) and ``created[gte]``."""
    pattern = request.query_params.get("type")
    since = request.query_params.get("created[gte]")
    return [e for e in events
            if (pattern is None or fnmatch.fnmatchcase(e["type"], pattern))
            and (since is None or e["created"] >= int(since))]


def seeded_stripe() -> FakeStripe:
    """Three subscriptions: one upgraded in March, one yearly canceled Feb 15, one in trial."""
    monthly, yearly = price("price_m", 5000, "month"), price("price_y", 120000, "year")
    fake = FakeStripe()
    fake.products = {"prod_pro": {"id": "prod_pro", "object": "product", "name": "Pro"}}
    fake.lists["prices"] = [monthly, yearly, price("price_setup", 9900, None)]
    fake.lists["customers"] = [
        {"id": f"cus_{n}", "object": "customer", "created": JAN - 86400 * n, "email": f"c{n}@example.com",
         "name": f"Co {n}", "address": {"country": "BR"}, "metadata": {"segment": "smb"}}
        for n in (1, 2, 3)]
    fake.lists["subscriptions"] = [
        subscription("sub_1", "cus_1", monthly, "active", JAN),
        subscription("sub_2", "cus_2", yearly, "canceled", JAN, canceled_at=FEB, ended_at=FEB_15),
        subscription("sub_3", "cus_3", monthly, "trialing", MAR, trial_end=MAR + 14 * 86400),
    ]
    fake.lists["invoices"] = [
        invoice("in_1", "sub_1", "cus_1", JAN, "paid", [line("sub_1", monthly, 5000, JAN, FEB)]),
        invoice("in_2", "sub_1", "cus_1", FEB, "paid", [line("sub_1", monthly, 5000, FEB, MAR)]),
        invoice("in_3", "sub_1", "cus_1", MAR, "open", [
            line("sub_1", monthly, 10000, MAR, MAR + 31 * 86400),
            line("sub_1", monthly, 2500, MAR, MAR + 31 * 86400, proration=True)]),
        invoice("in_4", "sub_2", "cus_2", JAN, "paid", [line("sub_2", yearly, 120000, JAN, JAN + 365 * 86400)]),
        invoice("in_5", "sub_3", "cus_3", MAR, "paid", [line("sub_3", monthly, 0, MAR, MAR + 14 * 86400)]),
    ]
    return fake
