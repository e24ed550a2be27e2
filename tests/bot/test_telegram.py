"""Telegram end to end: the real python-telegram-bot Application against a fake Bot API.

Updates reach the bot by long polling (``getUpdates``) or by webhook; answers come from
the real dispatcher and offline brain on the shop fixture, and the fake records what the
bot posts (checking HTML and lengths the way Telegram does).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from agents.answer import Answerer
from agents.reply import Reply, TableData
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import Channel, ConversationRef, InboundMessage
from bot.channels.telegram import TelegramChannel, build
from bot.pipeline import Pipeline
from bot.settings import Settings
from tests.fakes.server import serve
from tests.fakes.telegram_api import BOT_USERNAME, TOKEN, FakeTelegram, group_text, private_text

PRIVATE, GROUP, UNBOUND = 7001, -1001234, 7999
SECRET = "s3cret-webhook-token"


@pytest.fixture(scope="module")
def brain(app: App) -> Answerer:
    return Answerer(brain_ports(app))


@pytest.fixture
def dispatcher(app: App, brain: Answerer) -> Pipeline:
    dispatcher = Pipeline(app, brain, rate_limit_per_minute=1000)
    dispatcher.bind("telegram", str(PRIVATE), "shop", "test")
    dispatcher.bind("telegram", str(GROUP), "shop", "test")
    return dispatcher


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


def settings_for(fake: FakeTelegram, app: App, **extra: str) -> Settings:
    return Settings(TALLY_DATA_DIR=app.settings.data_dir, TELEGRAM_BOT_TOKEN=TOKEN,
                    TELEGRAM_API_URL=fake.url, **extra)  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def polling(fake: FakeTelegram, app: App, dispatcher: Pipeline) -> AsyncIterator[TelegramChannel]:
    channel = build(settings_for(fake, app), dispatcher)
    assert channel is not None
    await channel.start()
    yield channel
    await channel.stop()


async def wait_until(condition: Callable[[], object], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


def test_without_a_token_there_is_no_telegram_channel(app: App, dispatcher: Pipeline) -> None:
    assert build(Settings(TALLY_DATA_DIR=app.settings.data_dir), dispatcher) is None


@pytest.mark.asyncio
async def test_private_question_gets_the_exact_revenue_by_country_in_html(
        polling: TelegramChannel, fake: FakeTelegram, dispatcher: Pipeline) -> None:
    assert isinstance(polling, Channel)
    question = fake.push(private_text(PRIVATE, "revenue by country march 2025"))["message"]
    await wait_until(lambda: fake.sent_to(PRIVATE), "the answer")
    [answer] = fake.sent_to(PRIVATE)
    assert answer.params["parse_mode"] == "HTML"
    assert answer.text.startswith("Revenue by country in March 2025: $240.00 in total.")
    assert "<pre>Country  Revenue\n" in answer.text and "BR       $110.00" in answer.text
    assert f'"message_id": {question["message_id"]}' in answer.params["reply_parameters"]
    await wait_until(lambda: dispatcher.answer_for_message("telegram", str(answer.message_id)),
                     "the answer's message id to be recorded")
    assert fake.called("deleteWebhook"), "polling starts by removing any webhook"


@pytest.mark.asyncio
async def test_group_message_without_mention_is_ignored_and_with_mention_answered(
        polling: TelegramChannel, fake: FakeTelegram) -> None:
    fake.push(group_text(GROUP, "revenue march 2025, anyone?"))
    mentioned = fake.push(group_text(GROUP, f"@{BOT_USERNAME} revenue march 2025"))["message"]
    await wait_until(lambda: fake.sent_to(GROUP), "the answer to the mention")
    await polling.stop()  # finishes every update in flight: the first one too
    [answer] = fake.sent_to(GROUP)
    assert answer.text == "Revenue in March 2025 was $240.00."
    assert f'"message_id": {mentioned["message_id"]}' in answer.params["reply_parameters"]


@pytest.mark.asyncio
async def test_reply_to_the_bot_in_a_group_is_answered(polling: TelegramChannel, fake: FakeTelegram) -> None:
    bot_message = {"message_id": 1, "from": fake.bot_user(), "date": 0, "text": "Revenue …",
                   "chat": {"id": GROUP, "type": "supergroup", "title": "Team"}}
    fake.push(group_text(GROUP, "and refunds march 2025?", reply_to_message=bot_message))
    await wait_until(lambda: fake.sent_to(GROUP), "the answer")
    assert "$25.00" in fake.sent_to(GROUP)[0].text


@pytest.mark.asyncio
async def test_ask_command_addressed_to_the_bot_in_a_group(polling: TelegramChannel,
                                                          fake: FakeTelegram) -> None:
    fake.push(group_text(GROUP, f"/ask@{BOT_USERNAME} how many orders in march 2025"))
    await wait_until(lambda: fake.sent_to(GROUP), "the answer")
    assert "4" in fake.sent_to(GROUP)[0].text


@pytest.mark.asyncio
async def test_digest_and_subscribe_reach_the_dispatchers_commands(
        polling: TelegramChannel, fake: FakeTelegram, dispatcher: Pipeline) -> None:
    seen: list[InboundMessage] = []

    async def command(message: InboundMessage, workspace: str) -> Reply:
        seen.append(message)
        return Reply(f"/{message.command} for {workspace}: {message.text or '-'}")

    dispatcher.commands["digest"] = dispatcher.commands["subscribe"] = command
    fake.push(private_text(PRIVATE, "/digest"))
    fake.push(private_text(PRIVATE, "/subscribe daily 08:00"))
    await wait_until(lambda: len(fake.sent_to(PRIVATE)) == 2, "both command answers")
    assert sorted(s.text for s in fake.sent_to(PRIVATE)) == [
        "/digest for shop: -", "/subscribe for shop: daily 08:00"]
    assert {m.user_id for m in seen} == {str(PRIVATE)}


@pytest.mark.asyncio
async def test_unbound_chat_gets_connection_instructions(polling: TelegramChannel, fake: FakeTelegram) -> None:
    fake.push(private_text(UNBOUND, "revenue march 2025"))
    await wait_until(lambda: fake.sent_to(UNBOUND), "the instructions")
    assert f"tally connect telegram {UNBOUND} --workspace NAME" in fake.sent_to(UNBOUND)[0].text


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")  # raised inside PTB's RetryAfter
async def test_a_429_is_waited_out_and_the_answer_arrives_once(polling: TelegramChannel,
                                                              fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", retry_after=1)
    fake.push(private_text(PRIVATE, "revenue march 2025"))
    await wait_until(lambda: fake.sent_to(PRIVATE), "the retried answer")
    await polling.stop()
    assert [s.text for s in fake.sent_to(PRIVATE)] == ["Revenue in March 2025 was $240.00."]
    assert len(fake.called("sendMessage")) == 2  # the 429, then the retry


@pytest.mark.asyncio
async def test_long_reply_is_split_into_messages_telegram_accepts(polling: TelegramChannel,
                                                                 fake: FakeTelegram) -> None:
    paragraphs = [f"Paragraph {i}: " + " ".join(["<R&D> margin"] * 120) for i in range(6)]
    rows = tuple((f"<Product & {i}>", f"${i * 10:,}.00") for i in range(12))
    reply = Reply("\n\n".join(paragraphs), TableData(("Product", "Revenue"), rows),
                  suggestions=("revenue last week",))
    result = await polling.send(ConversationRef("telegram", str(PRIVATE)), reply)
    assert result.ok  # the fake refuses > 4096 characters and HTML that does not parse
    texts = [s.text for s in fake.sent_to(PRIVATE)]
    assert len(texts) >= 3 and all(len(t) <= 4096 for t in texts)
    assert texts[0].startswith("Paragraph 0: &lt;R&amp;D&gt; margin")
    assert sum(t.count("Paragraph ") for t in texts) == 6
    assert "&lt;Product &amp; 11&gt;" in texts[-1] and texts[-1].endswith("<i>Try: “revenue last week”</i>")
    assert result.message_ids == tuple(str(s.message_id) for s in fake.sent_to(PRIVATE))


@pytest.mark.asyncio
async def test_chart_is_sent_as_a_photo_with_the_answer_as_caption(polling: TelegramChannel,
                                                                  fake: FakeTelegram, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    rows = (("BR", "$110.00"), ("US", "$80.00"))
    reply = Reply("Revenue <by country>: $190.00.", TableData(("Country", "Revenue"), rows), chart=str(chart))
    result = await polling.send(ConversationRef("telegram", str(PRIVATE)), reply)
    photo, table = fake.sent_to(PRIVATE)
    assert result.ok and photo.method == "sendPhoto" and photo.files["photo"] == chart.read_bytes()
    assert photo.text == "Revenue &lt;by country&gt;: $190.00."
    assert table.text.startswith("<pre>Country  Revenue")


@pytest.mark.asyncio
async def test_the_token_never_reaches_the_logs(polling: TelegramChannel, fake: FakeTelegram,
                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        fake.push(private_text(PRIVATE, "orders march 2025"))
        await wait_until(lambda: fake.sent_to(PRIVATE), "the answer")
    assert "sendMessage" in caplog.text and TOKEN not in caplog.text


# --- webhook mode ----------------------------------------------------------------------------
@pytest_asyncio.fixture
async def webhook(fake: FakeTelegram, app: App, dispatcher: Pipeline) -> AsyncIterator[TelegramChannel]:
    settings = settings_for(fake, app, TELEGRAM_WEBHOOK_SECRET=SECRET, TALLY_PUBLIC_URL="https://tally.example")
    channel = build(settings, dispatcher)
    assert channel is not None
    await channel.start()
    yield channel
    await channel.stop()


def client_for(channel: TelegramChannel) -> httpx.AsyncClient:
    from starlette.applications import Starlette

    transport = httpx.ASGITransport(app=Starlette(routes=list(channel.routes())))
    return httpx.AsyncClient(transport=transport, base_url="https://tally.example")


@pytest.mark.asyncio
async def test_webhook_mode_registers_the_webhook_and_answers_a_signed_update(
        webhook: TelegramChannel, fake: FakeTelegram) -> None:
    assert fake.webhook is not None
    assert fake.webhook["url"] == "https://tally.example/telegram/webhook"
    assert fake.webhook["secret_token"] == SECRET
    assert not fake.called("getUpdates")
    update = fake.update(private_text(PRIVATE, "revenue march 2025"))
    async with client_for(webhook) as client:
        response = await client.post("/telegram/webhook", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200
    await wait_until(lambda: fake.sent_to(PRIVATE), "the answer")
    assert fake.sent_to(PRIVATE)[0].text == "Revenue in March 2025 was $240.00."


@pytest.mark.asyncio
@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401), ({"X-Telegram-Bot-Api-Secret-Token": "guess"}, 403)])
async def test_webhook_with_a_wrong_or_missing_secret_is_refused_and_not_processed(
        webhook: TelegramChannel, fake: FakeTelegram, headers: dict[str, str], status: int) -> None:
    update = fake.update(private_text(PRIVATE, "revenue march 2025"))
    async with client_for(webhook) as client:
        response = await client.post("/telegram/webhook", json=update, headers=headers)
    assert response.status_code == status
    await webhook.stop()  # processes whatever was queued
    assert fake.sent_to(PRIVATE) == []


def test_polling_mode_serves_no_webhook_route(fake: FakeTelegram, app: App, dispatcher: Pipeline) -> None:
    channel = build(settings_for(fake, app, TELEGRAM_WEBHOOK_SECRET=SECRET), dispatcher)
    assert channel is not None and channel.routes() == []  # no public URL: long polling
