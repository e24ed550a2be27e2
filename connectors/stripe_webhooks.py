"""Stripe webhooks: ``Stripe-Signature`` checked by the SDK, event shapes, events into updates.

The signature is checked before the body is parsed. A signed event is accepted only
when it is an event (id, type, created, ``data.object``) and, for the kinds Tally
stores (customers, prices, subscriptions, invoices), when its object is of the kind
its type names (``customer.subscription.*`` carries a subscription) with the fields
the mapping reads. An event's version is its ``created`` second (zero-padded, so it
sorts as text): an event older than the stored one for its object is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import stripe
from pydantic import Field, StrictInt, ValidationError

from connectors import stripe_mapping as m
from connectors.base import Delivery, EntityUpdate
from connectors.errors import SignatureError, WebhookError
from connectors.webhook_shapes import Epoch, Shape, Word

#: Minor units (cents): within the warehouse's range once divided by 100.
Minor = Annotated[StrictInt, Field(gt=-10**16, lt=10**16)]
Name = Annotated[str, Field(max_length=2000)]


class _Ref(Shape):
    id: Word


class _Object(Shape):
    object: Word
    id: Word


class _Address(Shape):
    country: Word | None = None


class _Customer(_Object):
    created: Epoch
    name: Name | None = None
    email: Name | None = None
    address: _Address | None = None
    metadata: dict[str, Any] | None = None


class _Recurring(Shape):
    interval: Literal["day", "week", "month", "year"]
    interval_count: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None


class _Product(Shape):
    name: Name | None = None


class _Price(_Object):
    currency: Word
    recurring: _Recurring | None = None
    unit_amount: Minor | None = None
    nickname: Name | None = None
    product: Word | _Product | None = None


class _Item(Shape):
    price: Word | _Ref | None = None


class _Items(Shape):
    data: list[_Item] | None = None


class _Subscription(_Object):
    customer: Word | _Ref
    status: Word
    created: Epoch
    start_date: Epoch | None = None
    trial_end: Epoch | None = None
    canceled_at: Epoch | None = None
    ended_at: Epoch | None = None
    items: _Items | None = None


class _Transitions(Shape):
    paid_at: Epoch | None = None


class _SubscriptionDetails(Shape):
    subscription: Word | _Ref | None = None


class _Parent(Shape):
    subscription_details: _SubscriptionDetails | None = None


class _Invoice(Shape):
    object: Word
    id: Word | None = None  # invoice.upcoming has none: it brings no row
    customer: Word | _Ref
    created: Epoch
    status: Word | None = None
    currency: Word
    amount_due: Minor | None = None
    amount_paid: Minor | None = None
    status_transitions: _Transitions | None = None
    parent: _Parent | None = None
    subscription: Word | _Ref | None = None


class _Data(Shape):
    object: dict[str, Any]


class _Event(Shape):
    id: Annotated[Word, Field(min_length=1)]
    type: Annotated[Word, Field(min_length=1)]
    created: Epoch
    data: _Data
    account: Word | None = None


#: type family (the type without its action) → (object kind, its shape), for stored kinds.
_STORED: dict[str, tuple[str, type[Shape]]] = {
    "customer": ("customer", _Customer),
    "price": ("price", _Price),
    "customer.subscription": ("subscription", _Subscription),
    "invoice": ("invoice", _Invoice),
}


def _family(event_type: str) -> str:
    return event_type.rsplit(".", 1)[0]


def parse_event(body: bytes) -> _Event:
    """The event in a (verified) body; raises WebhookError unless it has its type's shape."""
    try:
        event = _Event.model_validate_json(body)
        stored = _STORED.get(_family(event.type))
        if stored is not None:
            kind, shape = stored
            if event.data.object.get("object") != kind:
                raise WebhookError(f"a Stripe {event.type[:80]} event whose object is not a {kind}")
            shape.model_validate(event.data.object)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "the body"
        raise WebhookError(f"a Stripe webhook body that is not an event: {where}: "
                           f"{error['msg']}"[:240]) from None
    return event


class StripeWebhooks:
    """The webhook half of the Stripe connector."""

    @staticmethod
    def webhook_account(headers: Mapping[str, str]) -> str | None:
        """None: direct accounts match by secret alone (a Connect account is in the signed body)."""
        return None

    @staticmethod
    def webhook_delivery(headers: Mapping[str, str], body: bytes) -> Delivery:
        """Event id, type and Connect account of a verified body that has its type's shape."""
        event = parse_event(body)
        return Delivery(event.id, event.type, event.account)

    @staticmethod
    def verify_webhook(headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """Checks ``Stripe-Signature`` (HMAC and timestamp tolerance) with the SDK, unparsed."""
        header = headers.get("stripe-signature")
        try:
            if not header:
                raise SignatureError("the Stripe-Signature header is missing")
            stripe.WebhookSignature.verify_header(body, header, secret,
                                                  stripe.Webhook.DEFAULT_TOLERANCE)
        except (stripe.SignatureVerificationError, ValueError, TypeError) as exc:
            # ValueError: a body that is not UTF-8; TypeError: a header that is not ASCII.
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

    Only an object of the kind the event's type names counts (a ``charge.*`` event
    carrying a subscription brings nothing). Used by webhooks and by the incremental
    sync, which reads the same events from ``GET /v1/events``.
    """
    topic = str(event["type"])
    obj = event["data"]["object"]
    version = f"{int(event['created']):012d}"
    kind = obj.get("object")
    stored = _STORED.get(_family(topic))
    if stored is None or stored[0] != kind:
        return []
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
