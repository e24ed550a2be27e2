"""Shopify webhooks: HMAC-SHA256 verification, and REST payloads into entity updates.

Shopify signs the raw body with the app's client secret and sends the base64
digest in ``X-Shopify-Hmac-Sha256``; redeliveries keep ``X-Shopify-Event-Id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors import shopify_mapping as m
from connectors.base import Delivery, EntityUpdate
from connectors.errors import SignatureError, WebhookError


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


class ShopifyWebhooks:
    """The webhook half of the Shopify connector."""

    @staticmethod
    def webhook_delivery(headers: Mapping[str, str], body: bytes) -> Delivery:
        """Event id, topic and shop domain from Shopify's headers."""
        event_id = headers.get("x-shopify-event-id") or headers.get("x-shopify-webhook-id")
        topic = headers.get("x-shopify-topic")
        if not event_id or not topic:
            raise WebhookError("a Shopify webhook needs X-Shopify-Topic and X-Shopify-Event-Id")
        return Delivery(event_id, topic, (headers.get("x-shopify-shop-domain") or "").lower() or None)

    @staticmethod
    def verify_webhook(headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """Checks X-Shopify-Hmac-Sha256 in constant time."""
        given = headers.get("x-shopify-hmac-sha256") or ""
        if not (secret and given and hmac.compare_digest(sign(body, secret), given)):
            raise SignatureError("the X-Shopify-Hmac-Sha256 signature does not match")

    @staticmethod
    def account_of(options: Mapping[str, Any]) -> str | None:
        """The shop domain of a saved connection."""
        shop = options.get("shop")
        return str(shop).lower() if shop else None

    @staticmethod
    def webhook_updates(topic: str, body: bytes) -> list[EntityUpdate]:
        """Rows of orders/*, refunds/create and customers/* payloads; other topics bring none."""
        try:
            payload = json.loads(body)
            resource = topic.split("/", 1)[0]
            if resource == "orders":
                return [EntityUpdate(f"order:{payload['id']}", utc_version(payload["updated_at"]),
                                     m.order_rows_rest(payload))]
            if topic == "refunds/create":
                return [EntityUpdate(f"refund:{payload['id']}", utc_version(payload["created_at"]),
                                     {"refunds": [m.refund_row_rest(payload)]})]
            if resource == "customers" and topic != "customers/delete":
                return [EntityUpdate(f"customer:{payload['id']}", utc_version(payload["updated_at"]),
                                     {"customers": [m.customer_row_rest(payload)]})]
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookError(f"a Shopify {topic} payload without {exc}") from exc
        return []
