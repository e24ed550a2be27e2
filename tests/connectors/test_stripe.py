"""Stripe through the official SDK against a local fake, and Stripe webhooks through the gateway."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import httpx
import pytest

from bot.app import App
from connectors.errors import CredentialError
from connectors.service import Connections
from connectors.webhooks import WebhookGateway
from tests.connectors.conftest import make_settings
from tests.fakes.server import serve
from tests.fakes.stripe import API_KEY, FEB, JAN, WEBHOOK_SECRET, seeded_stripe, sign, subscription

D = Decimal


@pytest.fixture
def fake():
    return seeded_stripe()


@pytest.fixture
def billing(fake, tmp_path, retry):
    with serve(fake.app()) as url:
        app = App(make_settings(tmp_path / "data", STRIPE_API_URL=url))
        app.workspaces.create("acme")
        connections = Connections(app, retry=retry)
        asyncio.run(connections.connect("acme", "stripe", {"api_key": API_KEY,
                                                           "webhook_secret": WEBHOOK_SECRET}))
        yield connections
        app.close()


def _sync(connections, **kw):
    return asyncio.run(connections.sync("acme", "stripe", **kw))


def test_sync_maps_plans_customers_subscriptions_invoices_and_mrr_history(billing):
    report = _sync(billing)

    wh = billing.app.workspaces.warehouse("acme")
    assert report.rows == {"saas_plans": 2, "saas_customers": 3, "subscriptions": 3, "invoices": 5,
                           "subscription_mrr": 3}
    assert wh.fetch("SELECT plan_id, name, interval, amount, currency FROM saas_plans ORDER BY 1") == [
        ("price_m", "Pro", "month", D("50.0000"), "USD"), ("price_y", "Pro", "year", D("1200.0000"), "USD")]
    assert wh.fetch("SELECT subscription_id, status, ended_at::VARCHAR FROM subscriptions ORDER BY 1") == [
        ("sub_1", "active", None), ("sub_2", "canceled", "2025-02-15 00:00:00"), ("sub_3", "trialing", None)]
    # sub_1: 50 in Jan-Feb, 100 from March (the proration line is not MRR); sub_2: yearly 1200 = 100
    # a month until it ended; sub_3: a free trial period is no MRR.
    assert wh.fetch("SELECT subscription_id, valid_from::VARCHAR, valid_to::VARCHAR, mrr "
                    "FROM subscription_mrr ORDER BY 1, 2") == [
        ("sub_1", "2025-01-01 00:00:00", "2025-03-01 00:00:00", D("50.0000")),
        ("sub_1", "2025-03-01 00:00:00", None, D("100.0000")),
        ("sub_2", "2025-01-01 00:00:00", "2025-02-15 00:00:00", D("100.0000"))]
    assert wh.fetch("SELECT invoice_id, subscription_id, status, amount_due, paid_at::VARCHAR "
                    "FROM invoices WHERE invoice_id IN ('in_1', 'in_3') ORDER BY 1") == [
        ("in_1", "sub_1", "paid", D("50.0000"), "2025-01-01 00:01:00"),
        ("in_3", "sub_1", "open", D("125.0000"), None)]


def test_429_waits_the_retry_after_and_500_backs_off(billing, fake, sleeps):
    fake.fail_next(429, {"Retry-After": "3"}, {"message": "Too many requests", "type": "rate_limit_error"})
    fake.fail_next(500)

    report = _sync(billing, streams=["customers"])

    assert sleeps[0] == 3.0 and len(sleeps) == 2
    assert report.rows == {"saas_customers": 3}


def test_an_expired_key_says_how_to_reconnect_and_writes_nothing(billing, fake):
    fake.api_key = "sk_test_rolled"

    with pytest.raises(CredentialError, match=r"api_key_expired.*tally connect stripe --workspace acme"):
        _sync(billing)

    assert billing.app.workspaces.warehouse("acme").fetch("SELECT count(*) FROM saas_customers") == [(0,)]


# --- webhooks ---------------------------------------------------------------------------------

def event(event_id: str, created: int, obj: dict) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "api_version": "2025-03-31.basil",
                       "created": created, "type": f"customer.subscription.{'updated'}",
                       "livemode": False, "data": {"object": obj}}).encode()


@pytest.fixture
def gateway(billing):
    gateway = WebhookGateway(billing.app)
    with serve(gateway.asgi(), lifespan="on") as url, httpx.Client(base_url=url) as client:
        yield gateway, client


def post(client, body: bytes, secret: str = WEBHOOK_SECRET):
    return client.post("/webhooks/stripe", content=body,
                       headers={"Stripe-Signature": sign(body, secret), "Content-Type": "application/json"})


def drained(gateway):
    for _ in range(500):
        if not gateway.queue.counts().get("pending"):
            return gateway.queue.counts()
        time.sleep(0.01)
    raise AssertionError("the queue did not drain")


def statuses(gateway):
    return gateway.app.workspaces.warehouse("acme").fetch("SELECT subscription_id, status FROM subscriptions")


def _sub(status: str) -> dict:
    from tests.fakes.stripe import price
    return subscription("sub_9", "cus_1", price("price_m", 5000, "month"), status, FEB)


def test_stripe_webhooks_valid_invalid_duplicate_and_out_of_order(gateway):
    gateway_, client = gateway
    newer, older = event("evt_2", FEB + 20, _sub("past_due")), event("evt_1", FEB + 10, _sub("active"))

    forged = post(client, newer, secret="whsec_guess")
    assert forged.status_code == 401 and gateway_.queue.counts() == {}

    first = post(client, newer)
    drained(gateway_)
    duplicate = post(client, newer)
    late = post(client, older)

    assert [r.status_code for r in (first, duplicate, late)] == [200, 200, 200]
    assert drained(gateway_) == {"done": 2}
    assert statuses(gateway_) == [("sub_9", "past_due")]


def test_a_stripe_signature_older_than_the_tolerance_is_refused(gateway):
    gateway_, client = gateway
    body = event("evt_3", FEB, _sub("active"))

    stale = client.post("/webhooks/stripe", content=body,
                        headers={"Stripe-Signature": sign(body, timestamp=int(time.time()) - 3600)})

    assert stale.status_code == 401
    assert statuses(gateway_) == []


# --- what each event kind writes (webhooks and the incremental sync share event_updates) --

def _event_of(event_type: str, obj: dict, created: int = FEB) -> dict:
    return {"id": "evt_k", "object": "event", "type": event_type, "created": created,
            "data": {"object": obj}}


CUSTOMER = {"id": "cus_9", "object": "customer", "created": JAN, "email": "x@example.com",
            "name": "Nine Co", "address": {"country": "DE"}, "metadata": {"segment": "enterprise"}}


def test_a_customer_event_writes_the_customer_versioned_by_its_second():
    from connectors.stripe_webhooks import event_updates

    [update] = event_updates(_event_of("customer.updated", CUSTOMER, created=FEB + 5))
    assert (update.entity, update.version) == ("customer:cus_9", f"{FEB + 5:012d}")
    assert update.rows == {"saas_customers": [{
        "customer_id": "cus_9", "created_at": "2025-01-01T00:00:00+00:00", "company": "Nine Co",
        "email": "x@example.com", "country": "DE", "segment": "enterprise"}]}


def test_a_recurring_price_event_writes_a_plan_and_a_one_time_price_nothing():
    from connectors.stripe_webhooks import event_updates
    from tests.fakes.stripe import price

    [update] = event_updates(_event_of("price.updated", price("price_q", 9000, "month")))
    assert update.entity == "plan:price_q" and update.version == f"{FEB:012d}"
    assert update.rows == {"saas_plans": [{"plan_id": "price_q", "name": "price_q", "interval": "month",
                                           "amount": "90", "currency": "usd"}]}
    assert event_updates(_event_of("price.created", price("price_setup", 9900, None))) == []


@pytest.mark.parametrize(("event_type", "obj"), [
    ("customer.deleted", CUSTOMER),                           # a deleted customer keeps its rows
    ("charge.succeeded", _sub("active")),                     # a kind Tally does not store
    ("customer.updated", _sub("active")),                     # a customer event carrying another kind
    ("invoice.created", {"object": "invoice", "id": None}),   # a draft with no id yet
])
def test_events_that_write_nothing(event_type, obj):
    from connectors.stripe_webhooks import event_updates

    assert event_updates(_event_of(event_type, obj)) == []


def test_a_signed_customer_update_lands_in_the_warehouse(gateway):
    gateway_, client = gateway
    body = json.dumps({**_event_of("customer.updated", CUSTOMER), "api_version": "2025-03-31.basil",
                       "livemode": False}).encode()
    assert post(client, body).status_code == 200
    assert drained(gateway_) == {"done": 1}
    rows = gateway_.app.workspaces.warehouse("acme").fetch(
        "SELECT company, country, segment FROM saas_customers WHERE customer_id = 'cus_9'")
    assert rows == [("Nine Co", "DE", "enterprise")]


def _body(event_type: str, obj: object, **extra: object) -> bytes:
    return json.dumps({"id": "evt_1", "object": "event", "type": event_type, "created": FEB,
                       "livemode": False, "data": {"object": obj}, **extra}).encode()


@pytest.mark.parametrize(("body", "says"), [
    (_body("customer.updated", _sub("active")),
     "a Stripe customer.updated event whose object is not a customer"),
    (_body("customer.subscription.updated", {k: v for k, v in _sub("active").items() if k != "customer"}),
     "a Stripe webhook body that is not an event: customer: Field required"),
    (b'{"id": "evt_1"}', "a Stripe webhook body that is not an event: type: Field required"),
    (b"[]", "a Stripe webhook body that is not an event: the body: Input should be an object"),
])
def test_a_signed_body_not_shaped_like_its_event_type_says_where(body, says):
    from connectors.errors import WebhookError
    from connectors.stripe_webhooks import StripeWebhooks

    with pytest.raises(WebhookError) as refused:
        StripeWebhooks.webhook_delivery({}, body)
    assert str(refused.value) == says


def test_a_delivery_names_its_event_type_and_connect_account():
    from connectors.stripe_webhooks import StripeWebhooks

    direct = StripeWebhooks.webhook_delivery({}, _body("customer.subscription.updated", _sub("active")))
    connect = StripeWebhooks.webhook_delivery({}, _body("customer.subscription.updated", _sub("active"),
                                                        account="acct_7"))
    other = StripeWebhooks.webhook_delivery({}, _body("charge.succeeded", {"object": "charge"}))
    assert [(d.event_id, d.topic, d.account) for d in (direct, connect, other)] == [
        ("evt_1", "customer.subscription.updated", None), ("evt_1", "customer.subscription.updated", "acct_7"),
        ("evt_1", "charge.succeeded", None)]


def test_a_field_deep_in_the_event_is_named_by_its_path():
    from connectors.errors import WebhookError
    from connectors.stripe_webhooks import parse_event

    broken = _sub("active")
    broken["items"] = {**broken["items"], "data": "x"}
    with pytest.raises(WebhookError, match=r"^a Stripe webhook body that is not an event: items\.data: "
                                           r"Input should be a valid list$"):
        parse_event(_body("customer.subscription.updated", broken))


def test_a_long_event_type_is_cut_in_the_refusal():
    from connectors.errors import WebhookError
    from connectors.stripe_webhooks import parse_event

    event_type = "customer." + "x" * 100
    with pytest.raises(WebhookError) as refused:
        parse_event(_body(event_type, {"object": "subscription"}))
    assert str(refused.value) == f"a Stripe {event_type[:80]} event whose object is not a customer"


def test_an_invoice_event_writes_the_invoice_versioned_by_its_second():
    from connectors.stripe_webhooks import event_updates
    from tests.fakes.stripe import invoice, line, price

    monthly = price("price_m", 5000, "month")
    paid = invoice("in_1", "sub_1", "cus_1", FEB, "paid", [line("sub_1", monthly, 5000, FEB, FEB + 86400)])
    [update] = event_updates(_event_of("invoice.paid", paid))
    assert (update.entity, update.version) == ("invoice:in_1", f"{FEB:012d}")
    assert update.rows == {"invoices": [{
        "invoice_id": "in_1", "customer_id": "cus_1", "subscription_id": "sub_1",
        "created_at": "2025-02-01T00:00:00+00:00", "status": "paid", "amount_due": "50",
        "amount_paid": "50", "currency": "usd", "paid_at": "2025-02-01T00:01:00+00:00"}]}
