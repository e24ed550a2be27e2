"""Shopify webhooks: HMAC-SHA256 verification, payload shapes per topic, REST payloads into rows.

Shopify signs the raw body with the app's client secret and sends the base64
digest in ``X-Shopify-Hmac-Sha256``; redeliveries keep ``X-Shopify-Event-Id``.
The ``X-Shopify-Topic`` header is not covered by the signature, so a signed body
is only accepted when it has the shape of its topic's resource (an order body
sent as ``customers/update`` is refused): orders carry line items and no
``order_id``, refunds an ``order_id`` and no line items, customers neither, and an
``admin_graphql_api_id``, when present, must name the topic's resource.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, ValidationError, model_validator

from connectors import shopify_mapping as m
from connectors.base import Delivery, EntityUpdate
from connectors.errors import SignatureError, WebhookError
from connectors.webhook_shapes import Count, Id, Money, Shape, Word

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", "orders/cancelled",
                          "orders/fulfilled", "orders/partially_fulfilled"})
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update", "customers/enable",
                             "customers/disable"})
REFUND_TOPICS = frozenset({"refunds/create"})
DELETE_TOPICS = frozenset({"orders/delete", "customers/delete"})


def utc_version(timestamp: str) -> str:
    """An ISO timestamp (any offset) as fixed-width UTC text, so versions compare as strings."""
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sign(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 value of ``body`` (also used by the fakes and the bench)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# --- payload shapes ---------------------------------------------------------------------------
def _timestamp(value: str) -> str:
    utc_version(value)  # raises ValueError unless ISO 8601
    return value


Timestamp = Annotated[Word, AfterValidator(_timestamp)]


class _Resource(Shape):
    """A REST resource of one kind; ``foreign`` keys belong to other kinds and refuse it."""

    gid_kind: ClassVar[str] = ""
    foreign: ClassVar[frozenset[str]] = frozenset()
    id: Id
    admin_graphql_api_id: Word | None = None

    @model_validator(mode="after")
    def _is_this_kind(self) -> _Resource:
        extra = set(self.model_extra or ())
        if found := sorted(extra & self.foreign):
            raise ValueError(f"it carries {', '.join(found)}, which a {self.gid_kind} has not")
        gid = self.admin_graphql_api_id
        if gid is not None and self.gid_kind and not gid.startswith(f"gid://shopify/{self.gid_kind}/"):
            raise ValueError(f"admin_graphql_api_id {gid[:60]!r} is not a {self.gid_kind}")
        return self


class _Deleted(_Resource):
    """orders/delete, customers/delete: the id of what was deleted."""


class _Transaction(Shape):
    amount: Money
    kind: Word | None = None
    status: Word | None = None


class _Refund(_Resource):
    gid_kind = "Refund"
    foreign = frozenset({"line_items", "financial_status"})
    order_id: Id
    created_at: Timestamp
    transactions: list[_Transaction] | None = None


class _LineItem(Shape):
    id: Id
    quantity: Count
    price: Money
    variant_id: Id | None = None
    product_id: Id | None = None
    total_discount: Money | None = None


class _Address(Shape):
    country_code: Word | None = None
    city: str | None = None


class _Bag(Shape):
    amount: Money | None = None


class _MoneySet(Shape):
    shop_money: _Bag | None = None


class _Ref(Shape):
    id: Id | None = None


class _Order(_Resource):
    gid_kind = "Order"
    foreign = frozenset({"order_id", "refund_line_items"})
    created_at: Timestamp
    updated_at: Timestamp
    currency: Word
    line_items: list[_LineItem]
    refunds: list[_Refund] | None = None
    customer: _Ref | None = None
    shipping_address: _Address | None = None
    billing_address: _Address | None = None
    financial_status: Word | None = None
    cancelled_at: Timestamp | None = None
    source_name: Word | None = None
    landing_site: str | None = None
    total_line_items_price: Money | None = None
    total_discounts: Money | None = None
    total_tax: Money | None = None
    total_price: Money | None = None
    total_shipping_price_set: _MoneySet | None = None


class _Customer(_Resource):
    gid_kind = "Customer"
    foreign = frozenset({"line_items", "financial_status", "order_id", "order_number",
                         "refund_line_items", "transactions", "total_price"})
    created_at: Timestamp
    updated_at: Timestamp
    email: str | None = None
    default_address: _Address | None = None


def _shape_of(topic: str) -> type[Shape] | None:
    """The model a topic's payload must fit; None for topics Tally does not store."""
    if topic in ORDER_TOPICS:
        return _Order
    if topic in CUSTOMER_TOPICS:
        return _Customer
    if topic in REFUND_TOPICS:
        return _Refund
    if topic in DELETE_TOPICS:
        return _Deleted
    return None


def check_payload(topic: str, body: bytes) -> None:
    """Raises WebhookError unless ``body`` is a JSON object with the shape ``topic`` promises."""
    shape = _shape_of(topic)
    try:
        if shape is not None:
            shape.model_validate_json(body)
            return
        payload = json.loads(body)
    except ValidationError as exc:
        raise WebhookError(f"a Shopify {topic} payload that is not one: {_first_error(exc)}") from None
    except (ValueError, RecursionError):
        raise WebhookError(f"a Shopify {topic[:60]!r} payload that is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookError(f"a Shopify {topic[:60]!r} payload that is not a JSON object")


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "the body"
    return f"{where}: {error['msg']}"[:200]


class ShopifyWebhooks:
    """The webhook half of the Shopify connector."""

    @staticmethod
    def webhook_account(headers: Mapping[str, str]) -> str | None:
        """The shop domain (``X-Shopify-Shop-Domain``), lower-cased."""
        return (headers.get("x-shopify-shop-domain") or "").lower() or None

    @staticmethod
    def webhook_delivery(headers: Mapping[str, str], body: bytes) -> Delivery:
        """Event id, topic and shop domain; the body must have its topic's shape."""
        event_id = headers.get("x-shopify-event-id") or headers.get("x-shopify-webhook-id")
        topic = headers.get("x-shopify-topic")
        if not event_id or not topic:
            raise WebhookError("a Shopify webhook needs X-Shopify-Topic and X-Shopify-Event-Id")
        if len(event_id) > 255 or len(topic) > 255:
            raise WebhookError("a Shopify webhook's event id or topic is over 255 characters")
        check_payload(topic, body)
        return Delivery(event_id, topic, ShopifyWebhooks.webhook_account(headers))

    @staticmethod
    def verify_webhook(headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """Checks X-Shopify-Hmac-Sha256 in constant time."""
        given = headers.get("x-shopify-hmac-sha256") or ""
        if not (secret and given and hmac.compare_digest(sign(body, secret).encode(),
                                                          given.encode("utf-8", "replace"))):
            raise SignatureError("the X-Shopify-Hmac-Sha256 signature does not match")

    @staticmethod
    def account_of(options: Mapping[str, Any]) -> str | None:
        """The shop domain of a saved connection."""
        shop = options.get("shop")
        return str(shop).lower() if shop else None

    @staticmethod
    def webhook_updates(topic: str, body: bytes) -> list[EntityUpdate]:
        """Rows of orders, refunds and customers payloads; other topics bring none."""
        try:
            payload = json.loads(body)
            if topic in ORDER_TOPICS:
                return [EntityUpdate(f"order:{payload['id']}", utc_version(payload["updated_at"]),
                                     m.order_rows_rest(payload))]
            if topic in REFUND_TOPICS:
                return [EntityUpdate(f"refund:{payload['id']}", utc_version(payload["created_at"]),
                                     {"refunds": [m.refund_row_rest(payload)]})]
            if topic in CUSTOMER_TOPICS:
                return [EntityUpdate(f"customer:{payload['id']}", utc_version(payload["updated_at"]),
                                     {"customers": [m.customer_row_rest(payload)]})]
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookError(f"a Shopify {topic} payload without {exc}") from exc
        return []
