"""Shopify webhooks through the gateway: served by uvicorn on loopback, applied by its worker."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.credentials import ConnectorStore, load_key
from connectors.errors import WebhookError
from connectors.hooks import NewData
from connectors.queue import Incoming
from connectors.shopify_mapping import order_rows_graphql
from connectors.shopify_webhooks import check_payload, utc_version
from connectors.webhooks import WebhookGateway
from tests.fakes.server import serve
from tests.fakes.shopify import SECRET, SHOP, TOKEN, make_order, rest_order, webhook_headers


@pytest.fixture
def gateway(app):
    ConnectorStore(app.state, load_key(app.settings)).save(
        "acme", "shopify", {"shop": SHOP}, {"access_token": TOKEN, "webhook_secret": SECRET})
    return WebhookGateway(app)


@pytest.fixture
def served(gateway):
    landed: list[NewData] = []
    gateway.hooks.register(landed.append)
    with serve(gateway.asgi(), lifespan="on") as url, httpx.Client(base_url=url) as client:
        yield client, landed


def deliver(client, order, event_id, topic="orders/updated", secret=SECRET):
    body = json.dumps(rest_order(order)).encode()
    return client.post("/webhooks/shopify", content=body,
                       headers=webhook_headers(topic, body, event_id, secret))


def drained(gateway) -> dict[str, int]:
    """Waits (bounded) until the worker has applied every queued event; returns the counts."""
    for _ in range(500):
        counts = gateway.queue.counts()
        if not counts.get("pending"):
            return counts
        time.sleep(0.01)
    raise AssertionError(f"the queue did not drain: {counts}")


def orders(app):
    return app.workspaces.warehouse("acme").fetch("SELECT order_id, status FROM orders ORDER BY 1")


def test_a_signed_order_lands_as_the_rows_a_sync_would_write(served, gateway, app):
    client, landed = served
    node = make_order(7, "2025-03-05T10:00:00-03:00", status="PARTIALLY_REFUNDED", refund="5.00")

    response = deliver(client, node, "ev-1", "orders/create")

    assert response.status_code == 200
    assert drained(gateway) == {"done": 1}
    wh = app.workspaces.warehouse("acme")
    expected = order_rows_graphql(node)
    assert wh.fetch("SELECT count(*) FROM order_items WHERE order_id = '1007'") == [(2,)]
    assert wh.fetch("SELECT order_id, status, total::VARCHAR, source FROM orders") == [
        ("1007", expected["orders"][0]["status"], "36.5000", "google")]
    assert wh.fetch("SELECT refund_id, amount::VARCHAR FROM refunds") == [("907", "5.0000")]
    # ... and the refund as the catalog reads it: with its order's currency and source
    assert wh.fetch("SELECT refund_id, order_id, currency, source FROM _refunds") == [
        ("907", "1007", expected["orders"][0]["currency"], "google")]
    assert landed == [NewData("acme", {"orders": 1, "order_items": 2, "refunds": 1}, "webhook shopify")]


def test_a_bad_signature_is_refused_with_401_and_nothing_is_written(served, gateway, app):
    client, landed = served

    forged = deliver(client, make_order(7, "2025-03-05T10:00:00Z"), "ev-1", secret="guess")
    body = json.dumps(rest_order(make_order(8, "2025-03-05T10:00:00Z"))).encode()
    unsigned_headers = webhook_headers("orders/create", body, "ev-2")
    del unsigned_headers["X-Shopify-Hmac-Sha256"]
    unsigned = client.post("/webhooks/shopify", content=body, headers=unsigned_headers)

    assert (forged.status_code, unsigned.status_code) == (401, 401)
    assert gateway.queue.counts() == {}
    assert orders(app) == [] and landed == []


def test_a_redelivered_event_changes_nothing(served, gateway, app):
    client, landed = served
    node = make_order(7, "2025-03-05T10:00:00Z")

    first = deliver(client, node, "ev-1")
    drained(gateway)
    again = deliver(client, node, "ev-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert drained(gateway) == {"done": 1}
    assert orders(app) == [("1007", "paid")]
    assert len(landed) == 1


def test_an_older_update_arriving_late_does_not_overwrite_a_newer_one(served, gateway, app):
    client, _ = served
    paid = make_order(7, "2025-03-05T10:00:00Z")
    refunded = make_order(7, "2025-03-05T11:00:00Z", status="REFUNDED", refund="36.50")

    deliver(client, refunded, "ev-2")
    drained(gateway)
    deliver(client, paid, "ev-1")  # Shopify retried the older event after the newer one
    counts = drained(gateway)

    assert counts == {"done": 2}
    assert orders(app) == [("1007", "refunded")]


def test_out_of_order_events_in_one_batch_keep_the_newest(gateway, app):
    paid = make_order(7, "2025-03-05T10:00:00Z")
    refunded = make_order(7, "2025-03-05T11:00:00Z", status="REFUNDED", refund="36.50")

    async def receive_both_then_apply() -> int:
        # Only the queue writer runs while both arrive, so the worker sees them in one batch.
        stop = asyncio.Event()
        writer = asyncio.create_task(gateway.queue.run_writer(stop))
        transport = httpx.ASGITransport(app=gateway.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            for node, event_id in ((refunded, "ev-2"), (paid, "ev-1")):
                body = json.dumps(rest_order(node)).encode()
                response = await client.post("/webhooks/shopify", content=body,
                                             headers=webhook_headers("orders/updated", body, event_id))
                assert response.status_code == 200
        stop.set()
        await writer
        return await gateway.process_due()

    handled = asyncio.run(receive_both_then_apply())

    assert handled == 2
    assert orders(app) == [("1007", "refunded")]


def test_a_failing_event_is_retried_with_backoff_then_marked_failed(app):
    ConnectorStore(app.state, load_key(app.settings)).save(
        "acme", "shopify", {"shop": SHOP}, {"access_token": TOKEN, "webhook_secret": SECRET})
    now = [datetime(2025, 3, 5, 12, 0, tzinfo=UTC)]
    gateway = WebhookGateway(app, clock=lambda: now[0])
    gateway.queue.max_attempts = 2
    broken = rest_order(make_order(7, "2025-03-05T10:00:00Z"))
    broken["currency"] = None  # a row the data model rejects: orders.currency is required
    good = make_order(8, "2025-03-05T10:00:00Z")

    async def receive_then_apply() -> list[int]:
        stop = asyncio.Event()
        writer = asyncio.create_task(gateway.queue.run_writer(stop))
        # Queued before payloads were checked on arrival (the gateway now refuses it with 400).
        await gateway.queue.put(Incoming("shopify", "acme", "ev-bad", "orders/create",
                                         json.dumps(broken).encode(), now[0].replace(tzinfo=None)))
        transport = httpx.ASGITransport(app=gateway.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            body = json.dumps(rest_order(good)).encode()
            refused = await client.post("/webhooks/shopify", content=json.dumps(broken).encode(),
                                        headers=webhook_headers("orders/create",
                                                                json.dumps(broken).encode(), "ev-x"))
            assert refused.status_code == 400
            await client.post("/webhooks/shopify", content=body,
                              headers=webhook_headers("orders/create", body, "ev-good"))
        stop.set()
        await writer
        handled = [await gateway.process_due(), await gateway.process_due()]
        now[0] += timedelta(seconds=3)  # past the first backoff (2 s)
        handled.append(await gateway.process_due())
        return handled

    handled = asyncio.run(receive_then_apply())

    assert handled == [2, 0, 1]
    assert gateway.queue.counts() == {"done": 1, "failed": 1}
    assert orders(app) == [("1008", "paid")]


def test_deliveries_the_gateway_cannot_take_are_refused_with_the_reason(served, gateway):
    client, _ = served
    body = json.dumps(rest_order(make_order(7, "2025-03-05T10:00:00Z"))).encode()
    headers = webhook_headers("orders/create", body, "ev-1")
    no_topic = {k: v for k, v in headers.items() if k != "X-Shopify-Topic"}
    other_shop = {**headers, "X-Shopify-Shop-Domain": "other.myshopify.com"}

    assert client.post("/webhooks/files", content=body, headers=headers).status_code == 404
    assert client.post("/webhooks/shopify", content=body, headers=no_topic).status_code == 400
    # Signed with acme's secret but claiming another shop: no connection answers for it.
    assert client.post("/webhooks/shopify", content=body, headers=other_shop).status_code == 401
    assert gateway.queue.counts() == {}


# --- the payload checks, topic by topic ----------------------------------------------------
_ORDER = {"id": 7, "admin_graphql_api_id": "gid://shopify/Order/7", "currency": "USD",
          "created_at": "2025-03-01T10:00:00-03:00", "updated_at": "2025-03-01T10:00:00-03:00",
          "line_items": [{"id": 1, "quantity": 2, "price": "10.00"}]}
_CUSTOMER = {"id": 9, "admin_graphql_api_id": "gid://shopify/Customer/9",
             "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:00:00Z"}
_REFUND = {"id": 5, "order_id": 7, "created_at": "2025-03-02T10:00:00Z"}
_LINE = {"id": 1, "quantity": 1, "price": "1"}


@pytest.mark.parametrize(("topic", "payload"), [
    ("orders/updated", _ORDER), ("orders/create", _ORDER), ("customers/update", _CUSTOMER),
    ("refunds/create", _REFUND), ("orders/delete", {"id": 7}), ("customers/delete", {"id": "9"}),
    ("app/uninstalled", {"anything": 1}),
])
def test_a_payload_of_its_topics_shape_is_taken(topic, payload):
    check_payload(topic, json.dumps(payload).encode())


@pytest.mark.parametrize(("topic", "payload", "says"), [
    ("orders/updated", {**_ORDER, "admin_graphql_api_id": "gid://shopify/Customer/7"},
     "the body: Value error, admin_graphql_api_id 'gid://shopify/Customer/7' is not a Order"),
    ("customers/update", _ORDER, "the body: Value error, it carries line_items, which a Customer has not"),
    ("orders/updated", {**_ORDER, "refund_line_items": []},
     "the body: Value error, it carries refund_line_items, which a Order has not"),
    ("refunds/create", _ORDER, "order_id: Field required"),
    ("orders/updated", {**_ORDER, "created_at": "yesterday"},
     "created_at: Value error, Invalid isoformat string: 'yesterday'"),
    ("orders/updated", {**_ORDER, "line_items": [{**_LINE, "quantity": -1}]},
     "line_items.0.quantity: Input should be greater than or equal to 0"),
    ("orders/updated", {**_ORDER, "line_items": [{**_LINE, "price": "1e20"}]},
     "line_items.0.price: Value error, an amount out of range"),
    ("orders/updated", {**_ORDER, "line_items": [{**_LINE, "price": "abc"}]},
     "line_items.0.price: Value error, not an amount"),
    ("orders/updated", [], "the body: Input should be an object"),
    ("orders/delete", {}, "id: Field required"),
])
def test_a_payload_not_of_its_topics_shape_is_refused_saying_where(topic, payload, says):
    with pytest.raises(WebhookError) as refused:
        check_payload(topic, json.dumps(payload).encode())
    assert str(refused.value) == f"a Shopify {topic} payload that is not one: {says}"


@pytest.mark.parametrize(("body", "says"), [
    (b"[1]", "a Shopify 'app/uninstalled' payload that is not a JSON object"),
    (b"nope", "a Shopify 'app/uninstalled' payload that is not JSON"),
])
def test_a_topic_tally_does_not_store_still_needs_a_json_object(body, says):
    with pytest.raises(WebhookError, match=f"^{re.escape(says)}$"):
        check_payload("app/uninstalled", body)


@pytest.mark.parametrize(("stamp", "utc"), [
    ("2025-03-01T10:00:00-03:00", "2025-03-01T13:00:00.000000Z"),
    ("2025-03-01T13:00:00Z", "2025-03-01T13:00:00.000000Z"),
    ("2025-03-01T10:00:00", "2025-03-01T10:00:00.000000Z"),   # no offset: UTC
])
def test_versions_are_utc_text_that_sorts_like_time(stamp, utc):
    assert utc_version(stamp) == utc


def _lowered(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}  # how the gateway hands headers over


def test_a_delivery_is_keyed_by_event_id_or_else_webhook_id_and_names_its_shop():
    from connectors.shopify_webhooks import ShopifyWebhooks

    body = json.dumps(_ORDER).encode()
    headers = _lowered(webhook_headers("orders/updated", body, "ev-1"))
    delivery = ShopifyWebhooks.webhook_delivery(headers, body)
    assert (delivery.event_id, delivery.topic, delivery.account) == ("ev-1", "orders/updated", SHOP.lower())
    older = {k: v for k, v in headers.items() if k != "x-shopify-event-id"}  # older API versions
    assert ShopifyWebhooks.webhook_delivery(older, body).event_id == "wh-ev-1"
    no_shop = {k: v for k, v in headers.items() if k != "x-shopify-shop-domain"}
    assert ShopifyWebhooks.webhook_delivery(no_shop, body).account is None


@pytest.mark.parametrize(("drop", "extra", "says"), [
    ("x-shopify-topic", {}, "a Shopify webhook needs X-Shopify-Topic and X-Shopify-Event-Id"),
    (("x-shopify-event-id", "x-shopify-webhook-id"), {},
     "a Shopify webhook needs X-Shopify-Topic and X-Shopify-Event-Id"),
    ((), {"x-shopify-event-id": "e" * 256}, "a Shopify webhook's event id or topic is over 255 characters"),
    ((), {"x-shopify-topic": "t" * 256}, "a Shopify webhook's event id or topic is over 255 characters"),
])
def test_a_delivery_without_its_headers_is_refused(drop, extra, says):
    from connectors.shopify_webhooks import ShopifyWebhooks

    body = json.dumps(_ORDER).encode()
    headers = _lowered(webhook_headers("orders/updated", body, "ev-1"))
    headers = {k: v for k, v in headers.items() if k not in drop and k != drop} | extra
    with pytest.raises(WebhookError, match=f"^{re.escape(says)}$"):
        ShopifyWebhooks.webhook_delivery(headers, body)


def test_ids_and_topics_of_exactly_255_characters_are_taken():
    from connectors.shopify_webhooks import ShopifyWebhooks

    body = json.dumps({"id": 1}).encode()
    headers = _lowered(webhook_headers("t" * 255, body, "e" * 255))
    delivery = ShopifyWebhooks.webhook_delivery(headers, body)
    assert (len(delivery.event_id), len(delivery.topic)) == (255, 255)


def test_the_signature_is_the_hmac_of_the_exact_body():
    from connectors.errors import SignatureError
    from connectors.shopify_webhooks import ShopifyWebhooks

    body = json.dumps(_ORDER).encode()
    headers = _lowered(webhook_headers("orders/updated", body, "ev-1"))
    ShopifyWebhooks.verify_webhook(headers, body, SECRET)
    for changed, secret in ((body + b" ", SECRET), (body, "other"), (body, "")):
        with pytest.raises(SignatureError, match=r"^the X-Shopify-Hmac-Sha256 signature does not match$"):
            ShopifyWebhooks.verify_webhook(headers, changed, secret)
    with pytest.raises(SignatureError):
        ShopifyWebhooks.verify_webhook({}, body, SECRET)


def test_a_connections_shop_is_its_lower_cased_domain():
    from connectors.shopify_webhooks import ShopifyWebhooks

    assert ShopifyWebhooks.account_of({"shop": "Acme.MyShopify.com"}) == "acme.myshopify.com"
    assert ShopifyWebhooks.account_of({}) is None
    assert ShopifyWebhooks.account_of({"shop": ""}) is None


def test_a_refund_webhook_writes_the_refund_versioned_by_its_time():
    from connectors.shopify_webhooks import ShopifyWebhooks

    refund = {**_REFUND, "transactions": [{"amount": "12.50", "kind": "refund", "status": "success"}]}
    [update] = ShopifyWebhooks.webhook_updates("refunds/create", json.dumps(refund).encode())
    assert (update.entity, update.version) == ("refund:5", "2025-03-02T10:00:00.000000Z")
    assert update.rows == {"refunds": [{"refund_id": "5", "order_id": "7",
                                        "created_at": "2025-03-02T10:00:00Z", "amount": "12.50"}]}
    assert ShopifyWebhooks.webhook_updates("app/uninstalled", b"{}") == []
