"""Stripe after the first sync: changes come from the Events API, not from re-walking every list."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.app import App
from connectors.service import Connections
from tests.connectors.conftest import make_settings
from tests.fakes.server import serve
from tests.fakes.stripe import API_KEY, MAR, FakeStripe, seeded_stripe

D = Decimal
LATER = MAR + 5 * 86400  # 2025-03-06: changes after the first sync


class Clock:
    """A settable clock (Stripe lists events for 30 days: the sync's choice depends on now)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake() -> FakeStripe:
    stripe = seeded_stripe()
    stripe.add_event("customer.created", stripe.lists["customers"][0], MAR)
    return stripe


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.fromtimestamp(MAR + 10 * 86400, UTC))


@pytest.fixture
def billing(fake, clock, tmp_path, retry) -> Iterator[Connections]:
    with serve(fake.app()) as url:
        app = App(make_settings(tmp_path / "data", STRIPE_API_URL=url))
        app.workspaces.create("acme")
        connections = Connections(app, retry=retry, clock=clock)
        asyncio.run(connections.connect("acme", "stripe", {"api_key": API_KEY}))
        yield connections
        app.close()


def _sync(connections: Connections):
    return asyncio.run(connections.sync("acme", "stripe"))


def _renamed(fake: FakeStripe, customer_id: str, name: str) -> dict:
    found = next(c for c in fake.lists["customers"] if c["id"] == customer_id)
    return {**copy.deepcopy(found), "name": name}


def test_later_syncs_read_events_and_keep_the_newest_state(billing, fake):
    first = _sync(billing)
    assert first.rows["saas_customers"] == 3
    # After the first walk: a customer renamed twice (the older event listed after the
    # newer one), an invoice paid, a subscription activated; the lists are not touched.
    fake.add_event("customer.updated", _renamed(fake, "cus_2", "Co Two"), LATER + 60)
    fake.add_event("customer.updated", _renamed(fake, "cus_2", "Stale Name"), LATER + 30)
    invoice = {**copy.deepcopy(fake.lists["invoices"][2]), "status": "paid", "amount_paid": 12500,
               "status_transitions": {"paid_at": LATER + 90}}
    fake.add_event("invoice.paid", invoice, LATER + 90)
    sub = {**copy.deepcopy(fake.lists["subscriptions"][2]), "status": "active"}
    fake.add_event("customer.subscription.updated", sub, LATER + 120)
    fake.paths.clear()

    second = _sync(billing)

    # Only events, and the two lists MRR spans are recomputed from (an invoice changed).
    assert set(fake.paths) == {"events", "subscriptions", "invoices"}
    assert second.rows["saas_customers"] == 1 and second.rows["invoices"] == 1
    assert second.rows["subscriptions"] == 1 and "saas_plans" not in second.rows
    wh = billing.app.workspaces.warehouse("acme")
    assert wh.fetch("SELECT company FROM saas_customers ORDER BY customer_id") == [
        ("Co 1",), ("Co Two",), ("Co 3",)]
    assert wh.fetch("SELECT status FROM invoices WHERE invoice_id = 'in_3'") == [("paid",)]
    assert wh.fetch("SELECT status FROM subscriptions WHERE subscription_id = 'sub_3'") == [("active",)]
    assert second.rows["subscription_mrr"] == 3  # an invoice changed: spans recomputed

    fake.paths.clear()
    third = _sync(billing)
    assert third.total == 0
    assert set(fake.paths) == {"events"}  # nothing changed: no list is walked


def test_a_cursor_older_than_stripes_event_window_walks_the_lists_again(billing, fake, clock):
    _sync(billing)
    clock.now += timedelta(days=40)
    fake.paths.clear()

    report = _sync(billing)

    assert {"customers", "invoices", "subscriptions", "prices"} <= set(fake.paths)
    assert report.rows["saas_customers"] == 3


def test_a_change_during_the_first_walk_is_read_on_the_next_sync(billing, fake):
    # The walk's cursor starts at the newest event seen *before* walking; a later event,
    # even one of that same second, is read next time.
    _sync(billing)
    fake.add_event("customer.updated", _renamed(fake, "cus_1", "Co One"), MAR)
    report = _sync(billing)
    wh = billing.app.workspaces.warehouse("acme")
    assert report.rows["saas_customers"] == 1  # one record, its newest event
    assert wh.fetch("SELECT company FROM saas_customers WHERE customer_id = 'cus_1'") == [("Co One",)]
