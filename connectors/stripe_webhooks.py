"""Stripe webhooks: ``Stripe-Signature`` checked by the SDK, events into entity updates.

An event's version is its ``created`` second (zero-padded, so it sorts as text):
an event older than the stored one for its object is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import stripe

from connectors import stripe_mapping as m
from connectors.base import Delivery, EntityUpdate
from connectors.errors import SignatureError, WebhookError


class StripeWebhooks:
    """The webhook half of the Stripe connector."""

    @staticmethod
    def webhook_delivery(headers: Mapping[str, str], body: bytes) -> Delivery:
        """Event id and type from the body (Stripe keeps the id across redeliveries)."""
        try:
            event = json.loads(body)
            return Delivery(str(event["id"]), str(event["type"]), event.get("account"))
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookError("a Stripe webhook body must be an event with an id and a type") from exc

    @staticmethod
    def verify_webhook(headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """Checks ``Stripe-Signature`` (HMAC and timestamp tolerance) with the SDK."""
        try:
            stripe.Webhook.construct_event(body, headers.get("stripe-signature"), secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise SignatureError("the Stripe-Signature header does not verify") from exc

    @staticmethod
    def account_of(options: Mapping[str, Any]) -> str | None:
        """Stripe sends an account only for Connect; direct accounts match by secret alone."""
        return None

    @staticmethod
    def webhook_updates(topic: str, body: bytes) -> list[EntityUpdate]:
        """Rows of customer, price, subscription and invoice events; others bring none."""
        return event_updates(json.loads(body))


def event_updates(event: Mapping[str, Any]) -> list[EntityUpdate]:
    """An event's record as an update versioned by the event's ``created`` second.

    Used by webhooks and by the incremental sync, which reads the same events from
    ``GET /v1/events``.
    """
    topic = str(event["type"])
    obj = event["data"]["object"]
    version = f"{int(event['created']):012d}"
    kind = obj.get("object")
    if kind == "customer" and topic != "customer.deleted":
        return [EntityUpdate(f"customer:{obj['id']}", version,
                             {"saas_customers": [m.customer_row(obj)]})]
    if kind == "price" and (row := m.plan_row(obj)) is not None:
        return [EntityUpdate(f"plan:{obj['id']}", version, {"saas_plans": [row]})]
    if kind == "subscription":
        return [EntityUpdate(f"subscription:{obj['id']}", version,
                             {"subscriptions": [m.subscription_row(obj)]})]
    if kind == "invoice" and obj.get("id"):
        return [EntityUpdate(f"invoice:{obj['id']}", version, {"invoices": [m.invoice_row(obj)]})]
    return []
