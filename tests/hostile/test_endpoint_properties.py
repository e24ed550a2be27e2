"""Properties of every webhook endpoint, over arbitrary bodies and headers (hypothesis).

Through the real app served on loopback (tests/hostile/endpoints.py): whatever arrives,
the answer is never a 5xx and the log never holds a traceback; without a valid signature
nothing is written (no queued webhook event, no warehouse row, no answer stored or sent).
Bodies are arbitrary bytes, arbitrary JSON, or a real payload of the endpoint with one
field replaced by an arbitrary value or removed.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes import slack_api as fs
from tests.fakes.shopify import make_order, rest_order
from tests.fakes.stripe import price, subscription
from tests.fakes.telegram_api import private_text
from tests.hostile.endpoints import SLACK_CHANNEL, Endpoints, serve_endpoints

EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

ANA = "U0ANA00001"
WHATSAPP = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
    "field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511987654321"}],
        "messages": [{"from": "5511987654321", "id": "wamid.P1", "timestamp": "1", "type": "text",
                      "text": {"body": "orders march 2025"}}],
        "statuses": [{"id": "wamid.S1", "status": "failed", "errors": [{"code": 131047}]}]}}]}]}
SHOPIFY_CUSTOMER = {"id": 777, "email": "ana@example.com", "created_at": "2025-01-01T00:00:00Z",
                    "updated_at": "2025-03-01T00:00:00Z", "default_address": {"country_code": "BR"}}
SUBSCRIPTION = subscription("sub_p1", "cus_1", price("price_m", 5000, "month"), "active", 1738368000)
#: endpoint → real payloads it takes (Shopify's with their topic)
VALID: dict[str, list[Any]] = {
    "slack": [json.loads(fs.event_callback(fs.mention(SLACK_CHANNEL, ANA, "orders march 2025",
                                                      "1712000900.0001"), "EvProp1")),
              {"type": "block_actions", "user": {"id": ANA, "team_id": fs.TEAM_ID},
               "team": {"id": fs.TEAM_ID}, "channel": {"id": SLACK_CHANNEL},
               "actions": [{"action_id": "tally_feedback_up", "value": "nope", "type": "button"}]}],
    "whatsapp": [WHATSAPP],
    "telegram": [{"update_id": 1, "message": private_text(7001, "orders march 2025")}],
    "shopify": [("orders/create", rest_order(make_order(41, "2025-03-05T10:00:00Z"))),
                ("customers/update", SHOPIFY_CUSTOMER)],
    "stripe": [{"id": "evt_p1", "object": "event", "type": "customer.subscription.updated",
                "created": 1738368000, "data": {"object": SUBSCRIPTION}}],
    "playground": [{"workspace": "shop", "conversation": "tab0123456789", "text": "orders march 2025"}],
}
HEADERS = {"slack": ["X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Slack-Retry-Num"],
           "whatsapp": ["X-Hub-Signature-256"], "telegram": ["X-Telegram-Bot-Api-Secret-Token"],
           "shopify": ["X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Event-Id",
                       "X-Shopify-Shop-Domain"],
           "stripe": ["Stripe-Signature"], "playground": ["Cookie", "Authorization"]}
SIGNED = ("slack", "whatsapp", "telegram", "shopify", "stripe")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
header_text = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60)  # h11: no edge spaces
content_types = st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                 "text/plain", "", "application/json; charset=utf-8"])


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    """``valid`` with the value at one path replaced by an arbitrary one, or removed."""
    payload = copy.deepcopy(valid)
    path = draw(st.sampled_from(list(_paths(payload))))
    if not path:
        return draw(json_values)
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return payload


@st.composite
def requests(draw: st.DrawFn, endpoint: str) -> tuple[bytes, dict[str, str]]:
    """An arbitrary body and headers for ``endpoint``, often a real payload bent out of shape."""
    valid = draw(st.sampled_from(VALID[endpoint]))
    headers = {"Content-Type": draw(content_types)}
    if endpoint == "shopify":
        topic, valid = valid
        headers["X-Shopify-Topic"] = draw(st.sampled_from([topic, "orders/create", "customers/update",
                                                            "refunds/create", "orders/delete"]))
    kind = draw(st.sampled_from(["real", "mutated", "json", "bytes"]))
    if kind == "bytes":
        body = draw(st.binary(max_size=300))
    else:
        payload = valid if kind == "real" else draw(mutated(valid)) if kind == "mutated" \
            else draw(json_values)
        body = _encode(endpoint, payload, headers["Content-Type"])
    extra = draw(st.dictionaries(st.sampled_from(HEADERS[endpoint]), header_text, max_size=2))
    return body, {**headers, **extra}


def _encode(endpoint: str, payload: Any, content_type: str) -> bytes:
    text = json.dumps(payload)
    if endpoint == "slack" and content_type.startswith("application/x-www-form"):
        return urlencode({"payload": text}).encode()
    return text.encode()


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with serve_endpoints(tmp_path_factory.mktemp("properties")) as served:
        yield served


def _settled(endpoints: Endpoints) -> dict[str, int]:
    """What is written, once answers and queued webhooks in flight have landed."""
    seen = endpoints.writes()
    for _ in range(60):
        time.sleep(0.1)
        now = endpoints.writes()
        if now == seen and not endpoints.gateway.queue.counts().get("pending"):
            break
        seen = now
    return seen


@pytest.mark.parametrize("endpoint", [*SIGNED, "playground"])
def test_without_a_valid_signature_nothing_is_written_and_nothing_fails(endpoints, endpoint):
    before = _settled(endpoints)
    endpoints.log.records.clear()
    # A Shopify or WhatsApp HMAC and a Telegram token carry no time: "stale" is valid for them.
    forgeries = ["wrong", False] if endpoint in ("shopify", "whatsapp", "telegram") \
        else ["wrong", False, "stale"]

    @EXAMPLES
    @given(request=requests(endpoint), how=st.sampled_from(forgeries))
    def unsigned(request: tuple[bytes, dict[str, str]], how: bool | str) -> None:
        body, headers = request
        response = endpoints.post(endpoint, body, headers, signed=how)
        assert response.status_code in (400, 401, 403, 413), (response.status_code, response.text)

    unsigned()
    assert endpoints.log.tracebacks() == []
    assert _settled(endpoints) == before


@pytest.mark.parametrize("endpoint", [*SIGNED, "playground"])
def test_a_signed_body_of_any_shape_never_gets_a_5xx_or_a_traceback(endpoints, endpoint):
    endpoints.log.records.clear()

    @EXAMPLES
    @given(request=requests(endpoint))
    def signed(request: tuple[bytes, dict[str, str]]) -> None:
        body, headers = request
        response = endpoints.post(endpoint, body, headers, signed=True)  # the playground: signed in
        assert response.status_code < 500, (response.status_code, response.text)

    signed()
    _settled(endpoints)
    assert endpoints.log.tracebacks() == []


def test_a_refused_signed_webhook_is_never_queued(endpoints):
    before = _settled(endpoints)["webhook_events"]
    statuses: list[int] = []

    @EXAMPLES
    @given(endpoint=st.sampled_from(["shopify", "stripe"]), data=st.data())
    def webhook(endpoint: str, data: st.DataObject) -> None:
        body, headers = data.draw(requests(endpoint))
        statuses.append(endpoints.post(endpoint, body, headers, signed=True).status_code)
        assert statuses[-1] in (200, 400, 401)

    webhook()
    queued = _settled(endpoints)["webhook_events"] - before
    assert 400 in statuses and queued <= statuses.count(200)
