"""What testers broke on the endpoints of ``tally serve``, each refused now, through the real app.

Every request goes to the runtime's ASGI app served by uvicorn on loopback, with the
real channels and the webhook gateway behind it and the platforms' fakes on 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes import slack_api as fs
from tests.fakes.shopify import make_order, rest_order
from tests.fakes.stripe import price, subscription
from tests.hostile.endpoints import PATHS, SLACK_CHANNEL, Endpoints, as_json, serve_endpoints

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with serve_endpoints(tmp_path_factory.mktemp("hostile")) as served:
        yield served


@pytest.fixture
def quiet(endpoints: Endpoints) -> Iterator[Endpoints]:
    """The endpoints, with the log records of this test only; none may carry a traceback."""
    endpoints.log.records.clear()
    yield endpoints
    assert endpoints.log.tracebacks() == []


def refusals(endpoints: Endpoints) -> list[str]:
    return [r.getMessage() for r in endpoints.log.records if r.levelname == "WARNING"]


@pytest.mark.parametrize(("body", "headers"), [
    (b"x", FORM), (b"payload=x", FORM), (b"payload=%7B%22type%22%3A1%7D", FORM),
    (b"{not json", JSON), (b"[1, 2]", JSON), (b"", JSON)])
def test_unsigned_junk_on_slack_events_is_a_401_and_one_log_line(quiet, body, headers):
    before = quiet.writes()

    response = quiet.post("slack", body, headers)

    assert response.status_code == 401
    assert refusals(quiet) == ["slack: request with a missing, bad or stale signature refused"]
    assert quiet.writes() == before


@pytest.mark.parametrize("body", [
    b"{not json", b"[1, 2]", b'{"type": "event_callback", "event": "x"}',
    b'{"type": "event_callback", "event": {"type": ["app_mention"]}}',
    b'{"type": "event_callback", "event": null}', b'{"type": "block_actions", "actions": [1]}',
    b'{"type": "event_callback", "authorizations": {"team_id": 1}, "event": {"type": "message"}}',
    b"\xff\xfe{}", b"[" * 100_000])
def test_signed_malformed_slack_payloads_are_a_400(quiet, body):
    before = quiet.writes()

    response = quiet.post("slack", body, JSON, signed=True)

    assert response.status_code == 400
    assert len(refusals(quiet)) == 1 and refusals(quiet)[0].startswith("slack: signed request refused")
    assert quiet.writes() == before


def test_signed_form_payload_that_is_not_json_is_a_400(quiet):
    assert quiet.post("slack", b"payload=x", FORM, signed=True).status_code == 400


@pytest.mark.parametrize("how", ["stale", "wrong"])
def test_a_stale_or_forged_slack_signature_is_still_a_401(quiet, how):
    body = fs.event_callback(fs.mention(SLACK_CHANNEL, "U0ANA00001", "revenue", "1712000000.1"),
                             "EvStale").encode()
    assert quiet.post("slack", body, JSON, signed=how).status_code == 401


@pytest.mark.parametrize(("endpoint", "body"), [
    ("whatsapp", b'{"object": "whatsapp_business_account", "entry": "notalist"}'),
    ("whatsapp", b'{"entry": [{"changes": [{"field": "messages", "value": {"messages": [1]}}]}]}'),
    ("whatsapp", b'{"entry": [{"changes": [{"value": {"statuses": [{"status": "failed", '
                 b'"errors": [{"code": null}]}]}}]}]}'),
    ("whatsapp", b"[]"), ("whatsapp", b"{"),
    ("telegram", b'{"update_id": 1, "message": "notadict"}'), ("telegram", b"[1, 2, 3]"),
    ("telegram", b'{"update_id": 1, "message": {"message_id": 1, "date": 0, '
                 b'"chat": {"id": 7001, "type": "private"}, "entities": [{"type": "mention"}]}}'),
    ("telegram", b'{"update_id": "1"}'), ("telegram", b""),
])
def test_signed_malformed_whatsapp_and_telegram_bodies_are_a_400(quiet, endpoint, body):
    before = quiet.writes()

    response = quiet.post(endpoint, body, JSON, signed=True)

    assert response.status_code == 400
    assert len(refusals(quiet)) == 1
    quiet.settle(0.2)
    assert quiet.writes() == before


@pytest.mark.parametrize("endpoint", ["slack", "whatsapp", "telegram", "shopify", "stripe",
                                      "playground"])
def test_a_body_over_the_limit_is_a_413_before_it_is_read(quiet, endpoint):
    limit = 64 * 1024 if endpoint == "playground" else MIB
    before = quiet.writes()

    declared = quiet.post(endpoint, b"{" + b" " * limit + b"}", JSON, signed=True)

    assert declared.status_code == 413
    assert quiet.writes() == before


def test_a_streamed_body_is_cut_off_with_413_once_it_passes_the_limit(quiet):
    sent = []

    def fifty_mebibytes() -> Iterator[bytes]:
        for _ in range(50):
            sent.append(MIB)
            yield b"a" * MIB

    try:
        response = quiet.client.post(PATHS["slack"], content=fifty_mebibytes(), headers=JSON)
    except httpx.TransportError:  # the server may close before the client has sent it all
        response = None
    if response is not None:
        assert response.status_code == 413
    assert any("streamed body over the 1048576-byte limit" in m for m in refusals(quiet))
    assert quiet.client.get("/healthz").status_code == 200


# --- Shopify and Stripe ------------------------------------------------------------------------
def _order_body(n: int = 7) -> bytes:
    return as_json(rest_order(make_order(n, "2025-03-05T10:00:00Z")))


@pytest.mark.parametrize("body", [b"", b"{", b"[1]", b"null", b'"order"', b'{"id": 1}'])
def test_signed_unusable_shopify_orders_are_a_400_and_not_queued(quiet, body):
    before = quiet.writes()

    response = quiet.post("shopify", body, {"X-Shopify-Topic": "orders/create", **JSON}, signed=True)

    assert response.status_code == 400
    assert quiet.writes() == before


def test_an_order_replayed_as_customers_update_is_refused_and_makes_no_customer(quiet):
    before = quiet.writes()

    replayed = quiet.post("shopify", _order_body(), {"X-Shopify-Topic": "customers/update", **JSON},
                          signed=True)
    quiet.settle()

    assert replayed.status_code == 400
    assert "line_items" in replayed.json()["error"]
    assert quiet.writes() == before


def test_an_order_replayed_as_a_refund_is_refused(quiet):
    response = quiet.post("shopify", _order_body(), {"X-Shopify-Topic": "refunds/create", **JSON},
                          signed=True)
    assert response.status_code == 400


def test_a_signed_order_still_lands_once_even_when_replayed(quiet):
    before = quiet.writes()
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Event-Id": "ev-hardening-1", **JSON}

    first = quiet.post("shopify", _order_body(901), headers, signed=True)
    again = quiet.post("shopify", _order_body(901), headers, signed=True)
    for _ in range(100):
        if not quiet.gateway.queue.counts().get("pending"):
            break
        time.sleep(0.02)

    after = quiet.writes()
    assert (first.status_code, again.status_code) == (200, 200)
    assert after["webhook_events"] == before["webhook_events"] + 1
    assert after["orders"] == before["orders"] + 1


def _event(event_type: str, obj: object) -> bytes:
    return as_json({"id": f"evt_{event_type}", "object": "event", "type": event_type,
                    "created": 1738368000, "data": {"object": obj}})


SUBSCRIPTION = subscription("sub_9", "cus_1", price("price_m", 5000, "month"), "active", 1738368000)


@pytest.mark.parametrize("body", [
    b"", b"{", b"[]", b'{"id": "evt_1"}', b'{"id": "evt_1", "type": "invoice.paid", "created": 1}',
    _event("customer.updated", SUBSCRIPTION),
    _event("customer.subscription.updated", {**SUBSCRIPTION, "status": 3}),
    _event("customer.subscription.updated", {**SUBSCRIPTION, "created": 10**30}),
    _event("invoice.paid", {"object": "invoice", "id": "in_1", "customer": "cus_1",
                            "created": 1, "currency": "usd", "amount_due": 1e300}),
])
def test_signed_unusable_stripe_events_are_a_400_and_not_queued(quiet, body):
    before = quiet.writes()

    response = quiet.post("stripe", body, JSON, signed=True)

    assert response.status_code == 400
    assert quiet.writes() == before


def test_a_signed_stripe_event_of_a_kind_tally_does_not_store_is_taken(quiet):
    charge = _event("charge.succeeded", {"object": "charge", "id": "ch_1", "amount": 500})
    assert quiet.post("stripe", charge, JSON, signed=True).status_code == 200


def test_forged_and_stale_webhook_signatures_never_reach_the_queue(quiet):
    before = quiet.writes()
    stripe_event = _event("customer.subscription.updated", SUBSCRIPTION)

    forged_order = quiet.post("shopify", _order_body(), JSON, signed="wrong")
    forged_event = quiet.post("stripe", stripe_event, JSON, signed="wrong")
    stale_event = quiet.post("stripe", stripe_event, JSON, signed="stale")

    assert [r.status_code for r in (forged_order, forged_event, stale_event)] == [401, 401, 401]
    assert quiet.writes() == before


def test_the_payload_is_never_logged(quiet):
    secret_text = "customer-secret-text-1234"
    quiet.post("slack", json.dumps({"text": secret_text}).encode(), JSON)
    quiet.post("shopify", json.dumps({"note": secret_text}).encode(),
               {"X-Shopify-Topic": "customers/update"}, signed=True)
    assert all(secret_text not in r.getMessage() for r in quiet.log.records)


def test_a_signed_event_tally_does_not_answer_is_acknowledged_without_reaching_bolt(quiet):
    reaction = fs.event_callback({"type": "reaction_added", "user": "U0ANA00001", "reaction": "+1",
                                  "item": {"type": "message", "channel": SLACK_CHANNEL, "ts": "1.2"},
                                  "event_ts": "1712000600.0001"}, "EvReaction1")

    response = quiet.post("slack", reaction.encode(), JSON, signed=True)

    assert response.status_code == 200  # bolt answered 404, and Slack retried it three times
    assert [r for r in quiet.log.records if r.name.startswith("slack_bolt")] == []
