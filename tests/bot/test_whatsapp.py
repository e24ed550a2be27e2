"""WhatsApp end to end: signed webhooks through the real Starlette routes, answers posted
to a fake Cloud API on 127.0.0.1, with the real dispatcher and offline brain on the shop
fixture.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from agents.answer import Answerer
from agents.reply import Reply, TableData
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import Channel, ConversationRef
from bot.channels.whatsapp import WhatsAppChannel, build
from bot.pipeline import Pipeline
from bot.settings import Settings
from tests.fakes import whatsapp_api as graph
from tests.fakes.server import serve

ANA = "5511987654321"  # as WhatsApp writes numbers: digits, no "+"
STRANGER = "5521900000000"


@pytest.fixture(scope="module")
def fake() -> Iterator[graph.FakeGraph]:
    fake = graph.FakeGraph()
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def dispatcher(app: App) -> Pipeline:
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    dispatcher.bind("whatsapp", f"+{ANA}", "shop", "test")
    return dispatcher


@pytest_asyncio.fixture
async def channel(fake: graph.FakeGraph, app: App, dispatcher: Pipeline) -> AsyncIterator[WhatsAppChannel]:
    fake.messages.clear()
    fake.wamids.clear()
    fake.uploads.clear()
    fake.window_closed_for.clear()
    settings = Settings(TALLY_DATA_DIR=app.settings.data_dir, WHATSAPP_TOKEN=graph.TOKEN,
                        WHATSAPP_PHONE_NUMBER_ID=graph.PHONE_NUMBER_ID, WHATSAPP_APP_SECRET=graph.APP_SECRET,
                        WHATSAPP_VERIFY_TOKEN=graph.VERIFY_TOKEN,
                        WHATSAPP_API_URL=f"{fake.url}/{graph.VERSION}",  # type: ignore[attr-defined]
                        WHATSAPP_TEMPLATE="tally_alert")
    channel = build(settings, dispatcher)
    assert channel is not None
    await channel.start()
    yield channel
    await channel.stop()


@pytest_asyncio.fixture
async def client(channel: WhatsAppChannel) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=Starlette(routes=list(channel.routes())))
    async with httpx.AsyncClient(transport=transport, base_url="https://tally.example") as client:
        yield client


async def post(client: httpx.AsyncClient, payload: dict[str, Any], signature: str | None = "good"
               ) -> httpx.Response:
    body = graph.as_body(payload)
    headers = {"Content-Type": "application/json"}
    if signature == "good":
        headers["X-Hub-Signature-256"] = graph.sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return await client.post("/whatsapp/webhook", content=body, headers=headers)


def test_without_credentials_there_is_no_whatsapp_channel(app: App, dispatcher: Pipeline) -> None:
    assert build(Settings(TALLY_DATA_DIR=app.settings.data_dir), dispatcher) is None
    unsigned = Settings(TALLY_DATA_DIR=app.settings.data_dir, WHATSAPP_TOKEN="t",
                        WHATSAPP_PHONE_NUMBER_ID="1", WHATSAPP_VERIFY_TOKEN="v")
    assert build(unsigned, dispatcher) is None  # without the app secret nothing could be verified


@pytest.mark.asyncio
@pytest.mark.parametrize(("params", "status", "body"), [
    ({"hub.mode": "subscribe", "hub.verify_token": graph.VERIFY_TOKEN, "hub.challenge": "1158201444"},
     200, "1158201444"),
    ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}, 403, None),
    ({"hub.mode": "unsubscribe", "hub.verify_token": graph.VERIFY_TOKEN, "hub.challenge": "1"}, 403, None),
])
async def test_verification_handshake_echoes_the_challenge_only_for_the_right_token(
        client: httpx.AsyncClient, params: dict[str, str], status: int, body: str | None,
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.channels.whatsapp"):
        response = await client.get("/whatsapp/webhook", params=params)
    refusals = [r.getMessage() for r in caplog.records if "handshake refused" in r.getMessage()]
    assert response.status_code == status
    assert len(refusals) == (status == 403)  # one line for each refusal, none for the right token
    assert "guess" not in caplog.text
    if body is not None:
        assert response.text == body


@pytest.mark.asyncio
async def test_signed_question_is_answered_in_the_same_chat_with_the_exact_numbers(
        channel: WhatsAppChannel, client: httpx.AsyncClient, fake: graph.FakeGraph,
        dispatcher: Pipeline) -> None:
    assert isinstance(channel, Channel)
    response = await post(client, graph.text_webhook(ANA, "revenue by country march 2025", "wamid.Q1"))
    assert response.status_code == 200
    await channel.drain()
    [answer] = fake.sent_to(ANA)
    body = answer["text"]["body"]
    assert answer["type"] == "text" and answer["recipient_type"] == "individual"
    assert body.startswith("Revenue by country in March 2025: $240.00 in total.")
    assert "```\nCountry  Revenue\n" in body and "BR       $110.00" in body and body.count("```") == 2
    assert dispatcher.answer_for_message("whatsapp", fake.wamid_of(answer)) is not None


@pytest.mark.asyncio
@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, graph.sign(b"{}"), "md5=abc"])
async def test_unsigned_or_badly_signed_posts_are_refused_and_nothing_is_sent(
        channel: WhatsAppChannel, client: httpx.AsyncClient, fake: graph.FakeGraph,
        signature: str | None) -> None:
    response = await post(client, graph.text_webhook(ANA, "revenue march 2025", "wamid.FORGED"), signature)
    assert response.status_code == 401
    await channel.drain()
    assert fake.messages == []


@pytest.mark.asyncio
async def test_a_redelivered_message_is_answered_once(channel: WhatsAppChannel, client: httpx.AsyncClient,
                                                     fake: graph.FakeGraph) -> None:
    payload = graph.text_webhook(ANA, "orders march 2025", "wamid.REDELIVERED")
    assert (await post(client, payload)).status_code == 200
    await channel.drain()
    assert (await post(client, payload)).status_code == 200
    await channel.drain()
    assert len(fake.sent_to(ANA)) == 1


@pytest.mark.asyncio
async def test_unbound_number_gets_connection_instructions(channel: WhatsAppChannel,
                                                          client: httpx.AsyncClient,
                                                          fake: graph.FakeGraph) -> None:
    await post(client, graph.text_webhook(STRANGER, "revenue march 2025", "wamid.STRANGER"))
    await channel.drain()
    [answer] = fake.sent_to(STRANGER)
    assert f"tally connect whatsapp +{STRANGER} --workspace NAME" in answer["text"]["body"]


@pytest.mark.asyncio
async def test_delivery_and_read_statuses_are_ignored(channel: WhatsAppChannel, client: httpx.AsyncClient,
                                                     fake: graph.FakeGraph) -> None:
    for status in ("sent", "delivered", "read"):
        assert (await post(client, graph.status_webhook(ANA, "wamid.X", status))).status_code == 200
    await channel.drain()
    assert fake.messages == []


@pytest.mark.asyncio
async def test_chart_is_uploaded_then_sent_as_an_image_with_the_answer_as_caption(
        channel: WhatsAppChannel, fake: graph.FakeGraph, tmp_path: Path) -> None:
    chart = tmp_path / "revenue.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 100)
    reply = Reply("Revenue by country in March 2025: $240.00.",
                  TableData(("Country", "Revenue"), (("BR", "$110.00"),)), chart=str(chart))
    result = await channel.send(ConversationRef("whatsapp", f"+{ANA}"), reply)
    assert result.ok and len(result.message_ids) == 2
    [upload] = fake.uploads
    assert (upload.content, upload.content_type, upload.filename) == (chart.read_bytes(), "image/png",
                                                                      "revenue.png")
    assert upload.fields == {"messaging_product": "whatsapp", "type": "image/png"}
    image, table = fake.sent_to(ANA)
    assert image["type"] == "image"
    assert image["image"] == {"id": upload.media_id, "caption": "Revenue by country in March 2025: $240.00."}
    assert table["text"]["body"].startswith("```\nCountry")


@pytest.mark.asyncio
async def test_outside_the_24_hour_window_the_alert_goes_out_as_the_template(
        channel: WhatsAppChannel, fake: graph.FakeGraph) -> None:
    fake.close_window(ANA)
    alert = Reply("Revenue yesterday fell 32% to $1,020.00.\n\nBiggest drop: BR (−$400.00).")
    result = await channel.send(ConversationRef("whatsapp", f"+{ANA}"), alert)
    assert result.ok
    [template] = fake.sent_to(ANA)
    assert template["type"] == "template"
    assert template["template"]["name"] == "tally_alert"
    assert template["template"]["components"] == [{"type": "body", "parameters": [
        {"type": "text", "text": "Revenue yesterday fell 32% to $1,020.00. · Biggest drop: BR (−$400.00)."}]}]


@pytest.mark.asyncio
async def test_a_131047_reported_by_status_webhook_also_falls_back_to_the_template(
        channel: WhatsAppChannel, client: httpx.AsyncClient, fake: graph.FakeGraph) -> None:
    alert = Reply("Stock of SKU-1 runs out in 3 days.")
    result = await channel.send(ConversationRef("whatsapp", f"+{ANA}"), alert)
    [wamid] = result.message_ids
    await post(client, graph.status_webhook(ANA, wamid, "failed", error_code=131047))
    await channel.drain()
    text, template = fake.sent_to(ANA)
    assert text["type"] == "text" and template["type"] == "template"
    assert template["template"]["components"][0]["parameters"][0]["text"] == alert.text


@pytest.mark.asyncio
async def test_a_long_reply_is_split_into_messages_the_api_accepts(channel: WhatsAppChannel,
                                                                  fake: graph.FakeGraph) -> None:
    text = "\n\n".join(f"Paragraph {i}: " + "margin went up " * 100 for i in range(8))
    result = await channel.send(ConversationRef("whatsapp", f"+{ANA}"), Reply(text))
    assert result.ok  # the fake refuses bodies over 4096 characters
    bodies = [m["text"]["body"] for m in fake.sent_to(ANA)]
    assert len(bodies) >= 3 and all(len(b) <= 4096 for b in bodies)
    assert [p for b in bodies for p in b.split("\n\n")] == text.split("\n\n")
