"""Stripe objects into normalized rows; MRR history from subscription invoices.

Amounts are in the currency's minor unit (cents), except zero-decimal
currencies (JPY, KRW, ...). A plan's MRR is its amount normalised to a month.
``subscription_mrr`` spans come from the billing history: each non-proration
subscription line of a paid or open invoice says what a subscription was worth
over its period; consecutive periods of equal MRR merge into one span.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

Obj = Mapping[str, Any]

ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
                "vnd", "vuv", "xaf", "xof", "xpf"}
_MONTHS_PER = {"day": Decimal(12) / Decimal(365), "week": Decimal(12) / Decimal(52),
               "month": Decimal(1), "year": Decimal(12)}
_SUB_STATUS = {"trialing": "trialing", "active": "active", "past_due": "past_due",
               "canceled": "canceled", "unpaid": "unpaid", "incomplete": "unpaid",
               "incomplete_expired": "canceled", "paused": "past_due"}


def when(epoch: int | None) -> str | None:
    """A Stripe epoch (seconds) as ISO 8601 UTC."""
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def amount(minor: int | None, currency: str) -> str:
    """Minor units as a decimal amount of ``currency``."""
    value = Decimal(minor or 0)
    return str(value if currency.lower() in ZERO_DECIMAL else value / 100)


def monthly(minor: int, currency: str, interval: str, count: int = 1) -> Decimal:
    """An amount billed every ``count`` ``interval`` s, per month (a yearly 1200 is 100)."""
    value = Decimal(amount(minor, currency))
    if interval == "month" and count == 1:
        return value
    return (value / Decimal(count or 1) / _MONTHS_PER[interval]).quantize(Decimal("0.0001"))


def plan_row(price: Obj) -> dict[str, Any] | None:
    """saas_plans from a recurring price (one-off prices are not plans)."""
    recurring = price.get("recurring")
    if not recurring:
        return None
    product = price.get("product")
    name = price.get("nickname") or (product.get("name") if isinstance(product, Mapping) else None)
    interval, count = recurring["interval"], recurring.get("interval_count") or 1
    currency = price["currency"]
    minor = int(price.get("unit_amount") or 0)
    if interval in ("month", "year") and count == 1:
        value = amount(minor, currency)
    else:  # every 3 months, weekly...: stored as its monthly equivalent
        interval, value = "month", str(monthly(minor, currency, interval, count))
    return {"plan_id": price["id"], "name": name or price["id"], "interval": interval,
            "amount": value, "currency": currency}


def customer_row(customer: Obj) -> dict[str, Any]:
    """saas_customers from a customer (segment from metadata, when set)."""
    address = customer.get("address") or {}
    metadata = customer.get("metadata") or {}
    return {"customer_id": customer["id"], "created_at": when(customer["created"]),
            "company": customer.get("name"), "email": customer.get("email"),
            "country": address.get("country"), "segment": metadata.get("segment")}


def subscription_row(sub: Obj) -> dict[str, Any]:
    """subscriptions from a subscription (its plan: the first item's price)."""
    items = (sub.get("items") or {}).get("data") or []
    price = items[0]["price"] if items else {}
    return {"subscription_id": sub["id"], "customer_id": _id(sub["customer"]),
            "plan_id": _id(price) if price else "", "status": _SUB_STATUS.get(sub["status"], "active"),
            "started_at": when(sub.get("start_date") or sub["created"]),
            "trial_end": when(sub.get("trial_end")), "canceled_at": when(sub.get("canceled_at")),
            "ended_at": when(sub.get("ended_at"))}


def invoice_subscription(invoice: Obj) -> str | None:
    """The invoice's subscription (``parent.subscription_details`` since 2025-03, else ``subscription``)."""
    details = ((invoice.get("parent") or {}).get("subscription_details") or {})
    found = details.get("subscription") or invoice.get("subscription")
    return _id(found) if found else None


def invoice_row(invoice: Obj) -> dict[str, Any]:
    """invoices from an invoice."""
    currency = invoice["currency"]
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at")
    return {"invoice_id": invoice["id"], "customer_id": _id(invoice["customer"]),
            "subscription_id": invoice_subscription(invoice), "created_at": when(invoice["created"]),
            "status": invoice["status"], "amount_due": amount(invoice.get("amount_due"), currency),
            "amount_paid": amount(invoice.get("amount_paid"), currency), "currency": currency,
            "paid_at": when(paid_at)}


def _id(value: Any) -> str:
    """An expandable field's id (a string, or an expanded object)."""
    return str(value["id"] if isinstance(value, Mapping) else value)


def period_mrr(invoice: Obj) -> dict[int, Decimal]:
    """MRR by period start of an invoice's regular subscription lines (prorations excluded)."""
    found: dict[int, Decimal] = {}
    for line in (invoice.get("lines") or {}).get("data") or []:
        price = line.get("price") or (line.get("pricing") or {}).get("price_details") or {}
        recurring = price.get("recurring") if isinstance(price, Mapping) else None
        if line.get("proration") or not recurring:
            continue
        value = monthly(int(line["amount"]), invoice["currency"], recurring["interval"],
                        recurring.get("interval_count") or 1)
        start = int(line["period"]["start"])
        found[start] = found.get(start, Decimal(0)) + value
    return found


def mrr_spans(sub: Obj, invoices: Iterable[Obj]) -> list[dict[str, Any]]:
    """subscription_mrr spans of one subscription from its paid and open invoices."""
    periods: dict[int, Decimal] = {}
    currency = ""
    for invoice in invoices:
        if invoice["status"] in ("paid", "open"):
            currency = invoice["currency"]
            for start, value in period_mrr(invoice).items():
                periods[start] = periods.get(start, Decimal(0)) + value
    spans: list[dict[str, Any]] = []
    for start in sorted(periods):
        value = periods[start]
        if spans and spans[-1]["valid_to"] is None:
            if Decimal(spans[-1]["mrr"]) == value:
                continue
            spans[-1]["valid_to"] = when(start)
        if value > 0:
            spans.append({"subscription_id": sub["id"], "valid_from": when(start), "valid_to": None,
                          "customer_id": _id(sub["customer"]), "mrr": str(value),
                          "currency": currency})
    if spans and sub.get("ended_at"):
        spans[-1]["valid_to"] = when(sub["ended_at"])
    return spans
