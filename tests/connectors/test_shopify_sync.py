"""Shopify syncs against a local fake of the Admin GraphQL API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.app import App
from connectors.errors import CredentialError
from connectors.service import Connections
from tests.connectors.conftest import make_settings
from tests.connectors.shopify_data import seeded_shop
from tests.fakes.server import serve
from tests.fakes.shopify import SHOP, THROTTLED, TOKEN, make_order

NOW = datetime(2025, 3, 5, 18, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    return seeded_shop()


@pytest.fixture
def shop(fake, tmp_path, retry):
    """Connections wired to the fake, with the shop connected to workspace ``acme``."""
    with serve(fake.app()) as url:
        app = App(make_settings(tmp_path / "data", SHOPIFY_API_URL=url))
        app.workspaces.create("acme")
        connections = Connections(app, retry=retry, clock=lambda: NOW)
        asyncio.run(connections.connect("acme", "shopify", {"shop": SHOP, "access_token": TOKEN}))
        yield connections
        app.close()


def _sync(connections, **kw):
    return asyncio.run(connections.sync("acme", "shopify", **kw))


def test_full_sync_walks_every_page_into_the_normalized_tables(shop, fake):
    report = _sync(shop)

    wh = shop.app.workspaces.warehouse("acme")
    counts = wh.row_counts()
    assert {t: counts[t] for t in report.rows} == {
        "orders": 5, "order_items": 9, "refunds": 1, "products": 3, "customers": 2, "locations": 1,
        "inventory_levels": 3}
    assert report.batches == 3 + 2 + 1 + 2  # orders, products, customers, inventory at 2 per page
    assert wh.fetch("SELECT order_id, customer_id, status, subtotal, shipping, tax, total, country, "
                    "sales_channel, source FROM orders WHERE order_id = '1003'") == [
        ("1003", "503", "partially_refunded", Decimal("30.0000"), Decimal("5.0000"),
         Decimal("1.5000"), Decimal("36.5000"), "BR", "online_store", "google")]
    assert wh.fetch("SELECT line_no, product_id, quantity, unit_price FROM order_items "
                    "WHERE order_id = '1003' ORDER BY 1") == [
        (1, "701", Decimal("1.0000"), Decimal("10.0000")), (2, "702", Decimal("2.0000"), Decimal("10.0000"))]
    assert wh.fetch("SELECT refund_id, order_id, amount FROM refunds") == [("903", "1003", Decimal("10.0000"))]
    assert wh.fetch("SELECT product_id, sku, title, cost, active FROM products ORDER BY 1") == [
        ("701", "SKU-1", "Mug 1", Decimal("4.2500"), True), ("702", "SKU-2", "Mug 2", None, True),
        ("703", "SKU-3", "Mug 3", Decimal("1.0000"), False)]
    assert wh.fetch("SELECT date::VARCHAR, product_id, location_id, on_hand FROM inventory_levels "
                    "ORDER BY 2") == [("2025-03-05", "701", "1", 12), ("2025-03-05", "702", "1", 0),
                                      ("2025-03-05", "703", "1", 7)]


def test_incremental_sync_asks_only_for_records_updated_since_the_cursor(shop, fake):
    _sync(shop)
    fake.orders[0] = make_order(1, "2025-03-06T08:00:00Z", status="REFUNDED", refund="36.50")
    requests_before = fake.requests

    report = _sync(shop, streams=["orders"])

    wh = shop.app.workspaces.warehouse("acme")
    # since = the newest updatedAt seen (order 5, Mar 4): order 5 again and the changed order 1,
    # with their 2 + 2 lines and order 1's new refund, all on one page.
    assert report.rows == {"orders": 2, "order_items": 4, "refunds": 1}
    assert fake.requests - requests_before == 1
    assert wh.fetch("SELECT status FROM orders WHERE order_id = '1001'") == [("refunded",)]
    assert wh.fetch("SELECT count(*) FROM orders") == [(5,)]


def test_429_waits_the_retry_after_then_succeeds(shop, fake, sleeps):
    fake.fail_next(429, {"Retry-After": "2.0"}, {"errors": "Exceeded 2 calls per second for api client."})

    report = _sync(shop, streams=["customers"])

    assert sleeps == [2.0]
    assert report.rows == {"customers": 2}


def test_500_then_success_backs_off_once(shop, fake, sleeps):
    fake.fail_next(500, body={"errors": "Internal Server Error"})

    report = _sync(shop, streams=["customers"])

    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.01
    assert report.rows == {"customers": 2}


def test_graphql_throttling_waits_for_the_bucket_to_refill(shop, fake, sleeps):
    fake.fail_next(200, body=THROTTLED)

    report = _sync(shop, streams=["customers"])

    assert sleeps == [pytest.approx((202 - 2) / 100.0)]
    assert report.rows == {"customers": 2}


def test_an_expired_token_says_how_to_reconnect_and_writes_nothing(shop, fake):
    fake.token = "shpat_rotated"

    with pytest.raises(CredentialError, match=r"tally connect shopify --workspace acme") as caught:
        _sync(shop)

    assert TOKEN not in str(caught.value)
    assert shop.app.workspaces.warehouse("acme").fetch("SELECT count(*) FROM orders") == [(0,)]
    assert shop.store.get("acme", "shopify").last_status == "failed"


def test_connect_with_a_bad_token_saves_nothing(shop, fake):
    with pytest.raises(CredentialError):
        asyncio.run(shop.connect("acme", "shopify", {"shop": SHOP, "access_token": "shpat_wrong"}))

    assert shop.store.get("acme", "shopify").plain_secrets()["access_token"] == TOKEN
