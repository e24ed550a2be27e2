"""Subscriptions from chat and the CLI, and digests delivered through the real channels.

The platform test sends one digest (with its chart) to a Slack channel, a Telegram chat,
a WhatsApp number and a Discord channel, each through the real channel class against its
fake API on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from agents.answer import Answerer, Conversation, answer
from agents.reply import Reply
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.channels.discord import DiscordChannel
from bot.channels.discord import build as build_discord
from bot.channels.slack import build as build_slack
from bot.channels.telegram import build as build_telegram
from bot.channels.whatsapp import build as build_whatsapp
from bot.cli import main
from bot.commands.subscriptions import subscription_handlers
from bot.pipeline import Pipeline
from bot.scheduler import REPORTS, ProactiveScheduler
from bot.settings import Settings
from bot.subscriptions import SubscriptionStore, command_for_text, parse_request
from storage.catalog import AsOf
from tests.conftest import SHOP, build_app
from tests.fakes import discord_api as fd
from tests.fakes import slack_api as fs
from tests.fakes import telegram_api as ft
from tests.fakes import whatsapp_api as fw
from tests.fakes.server import serve

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
AS_OF = AsOf.for_day(date(2025, 4, 10), SAO_PAULO)
TELEGRAM_CHAT = ConversationRef("telegram", "7001")


@pytest.mark.parametrize(("text", "command", "kind", "schedule", "notable"), [
    ("/subscribe daily digest at 8:00".removeprefix("/"), "subscribe", "digest", "0 8 * * *", None),
    ("send the weekly report every Monday 9am", "subscribe", "weekly_report", "0 9 * * mon", None),
    ("subscribe digest at 6:30 pm on weekdays only when notable", "subscribe", "digest", "30 18 * * mon-fri",
     True),
    ("only when notable", "subscribe", "digest", None, True),
])
def test_subscribe_phrasings(text, command, kind, schedule, notable):
    assert command_for_text(text) == command
    request = parse_request(text)
    assert (request.action, request.kind, request.schedule, request.only_when_notable) == (
        "subscribe", kind, schedule, notable)


def test_unsubscribe_list_and_questions_are_told_apart():
    assert command_for_text("unsubscribe") == "unsubscribe"
    assert parse_request("unsubscribe weekly report", "unsubscribe").kind == "weekly_report"
    assert command_for_text("list subscriptions") == "subscriptions"
    assert parse_request("list subscriptions").action == "list"
    assert command_for_text("revenue last week by country") is None
    assert command_for_text("send me revenue by country") is None


class Outbox:
    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[ConversationRef, Reply]] = []

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        self.sent.append((ref, reply))
        return SendResult(True, ("1",))


@pytest.mark.asyncio
async def test_chat_subscribe_list_only_when_notable_and_unsubscribe_through_the_dispatcher(app):
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    dispatcher.bind("telegram", "8001", "shop", "test")
    dispatcher.commands.add(subscription_handlers(ProactiveScheduler(app, [Outbox()])))
    ref = ConversationRef("telegram", "8001")

    async def say(text: str, command: str | None = None) -> str:
        reply = await dispatcher.handle(InboundMessage(ref, text, "u1", command=command))
        assert reply is not None
        return reply.text

    assert "daily digest every day at 07:15 (America/Sao_Paulo)" in await say("subscribe daily digest at 7:15")
    assert "every Monday at 09:00" in await say("send the weekly report every Monday 9am")
    assert "07:15 (America/Sao_Paulo), only when notable" in await say("only when notable")
    listed = await say("list subscriptions")
    assert "daily digest every day at 07:15" in listed and "weekly report every Monday" in listed
    gone = await say("", command="unsubscribe")
    assert gone.startswith("Unsubscribed: daily digest") and "weekly report every Monday" in gone
    assert "no subscriptions" in await say("", command="subscriptions")
    assert SubscriptionStore(app.state).list(ref=ref) == []


@pytest.fixture
def cli_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    build_app(tmp_path, SHOP).close()
    monkeypatch.setenv("TALLY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TALLY_LOG_LEVEL", "WARNING")
    yield tmp_path


def test_cli_subscribe_list_delete_and_digest_send(cli_data, monkeypatch, fakes):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", ft.TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", fakes["urls"]["telegram"])
    runner = CliRunner()
    made = runner.invoke(main, ["subscribe", "telegram", "7001", "weekly", "report", "every", "monday", "9am",
                                "--workspace", "shop"])
    assert made.exit_code == 0, made.output
    assert "Subscription 1: the weekly report every Monday at 09:00 (America/Sao_Paulo)" in made.output
    digest = runner.invoke(main, ["subscribe", "telegram", "7002", "--workspace", "shop",
                                  "--only-when-notable"])
    assert digest.exit_code == 0 and "daily digest every day at 08:00" in digest.output
    listed = runner.invoke(main, ["subscriptions", "--workspace", "shop"])
    assert listed.exit_code == 0 and "weekly" in listed.output and "7001" in listed.output
    monkeypatch.setitem(REPORTS, "digest", lambda engine, as_of, s: Reply(f"Digest of {as_of.day}"))
    sent = runner.invoke(main, ["digest", "--workspace", "shop", "--as-of", "2025-04-10", "--send"])
    assert sent.exit_code == 0, sent.output
    assert "telegram 7002: sent" in sent.output
    again = runner.invoke(main, ["digest", "--workspace", "shop", "--as-of", "2025-04-10", "--send"])
    assert "telegram 7002: duplicate" in again.output
    assert [m.text for m in fakes["telegram"].sent_to(7002)] == ["Digest of 2025-04-10"]
    printed = runner.invoke(main, ["digest", "--workspace", "shop", "--as-of", "2025-04-10"])
    assert "Digest of 2025-04-10" in printed.output
    deleted = runner.invoke(main, ["subscriptions", "delete", "1"])
    assert deleted.exit_code == 0 and "Deleted subscription 1" in deleted.output
    missing = runner.invoke(main, ["subscriptions", "delete", "1"])
    assert missing.exit_code == 1


# --- the digest on every platform ------------------------------------------------------------
@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, object]]:
    found = {"slack": fs.FakeSlack(), "telegram": ft.FakeTelegram(), "whatsapp": fw.FakeGraph(),
             "discord": fd.FakeDiscord()}
    with serve(found["slack"].app) as slack, serve(found["telegram"].app) as telegram, \
            serve(found["whatsapp"].app) as whatsapp, serve(found["discord"].app) as discord:
        found["urls"] = {"slack": slack, "telegram": telegram, "whatsapp": whatsapp, "discord": discord}
        yield found


@pytest.mark.asyncio
async def test_the_digest_goes_to_every_platform_with_its_chart(app, fakes, tmp_path, monkeypatch):
    urls = fakes["urls"]
    settings = Settings(
        TALLY_DATA_DIR=app.settings.data_dir,
        SLACK_BOT_TOKEN=fs.BOT_TOKEN, SLACK_SIGNING_SECRET=fs.SIGNING_SECRET,
        SLACK_API_URL=f"{urls['slack']}/api/",
        TELEGRAM_BOT_TOKEN=ft.TOKEN, TELEGRAM_API_URL=urls["telegram"],
        WHATSAPP_TOKEN=fw.TOKEN, WHATSAPP_PHONE_NUMBER_ID=fw.PHONE_NUMBER_ID, WHATSAPP_APP_SECRET=fw.APP_SECRET,
        WHATSAPP_VERIFY_TOKEN=fw.VERIFY_TOKEN, WHATSAPP_API_URL=f"{urls['whatsapp']}/{fw.VERSION}",
        DISCORD_BOT_TOKEN=fd.TOKEN, DISCORD_API_URL=urls["discord"])
    dispatcher = Pipeline(app, Answerer(brain_ports(app)))
    channels = [build_slack(settings, dispatcher), build_telegram(settings, dispatcher),
                build_whatsapp(settings, dispatcher), build_discord(settings, dispatcher)]
    _slack, telegram, whatsapp, discord = channels
    assert isinstance(discord, DiscordChannel)
    await telegram.application.initialize()
    await whatsapp.start()
    await discord.client.login(fd.TOKEN)
    ports = brain_ports(app)
    monkeypatch.setitem(REPORTS, "digest", lambda engine, as_of, s: answer(
        "revenue by country last month", Conversation(s.workspace, as_of), ports))
    store = SubscriptionStore(app.state)
    for ref in (ConversationRef("slack", "C0DIGEST01", None, fs.TEAM_ID), TELEGRAM_CHAT,
                ConversationRef("whatsapp", "+5511987654321"),
                ConversationRef("discord", fd.CHANNEL, None, fd.GUILD)):
        store.subscribe("shop", ref, "digest", "0 8 * * *", "America/Sao_Paulo")
    proactive = ProactiveScheduler(app, channels, charts_dir=tmp_path / "charts")
    try:
        outcomes = await proactive.send_now("shop", "digest", AS_OF, "manual:2025-04-10")
    finally:
        await telegram.application.shutdown()
        await whatsapp.stop()
        await discord.client.close()
    assert sorted(status for _, status in outcomes) == ["sent"] * 4
    [chart] = (tmp_path / "charts").glob("*.png")
    png = chart.read_bytes()

    [post] = fakes["slack"].posts()
    assert post["channel"] == "C0DIGEST01" and "(March 2025): $240.00 in total" in post["text"]
    [complete] = fakes["slack"].posts("files.completeUploadExternal")
    assert complete["channel_id"] == "C0DIGEST01" and png in fakes["slack"].uploads.values()
    [photo] = [m for m in fakes["telegram"].sent_to(7001) if m.method == "sendPhoto"]
    assert photo.files["photo"] == png
    [upload] = fakes["whatsapp"].uploads
    assert upload.content == png and upload.content_type == "image/png"
    assert next(m["type"] for m in fakes["whatsapp"].sent_to("5511987654321")) == "image"
    [message] = fakes["discord"].of("message")
    assert message.files == {"chart.png": png}
    assert "March 2025" in message.payload["embeds"][0]["title"] + message.payload["embeds"][0]["description"]


def test_cli_digest_send_reaches_discord_and_whatsapp(cli_data, monkeypatch, fakes):
    urls = fakes["urls"]
    for name, value in {"DISCORD_BOT_TOKEN": fd.TOKEN, "DISCORD_API_URL": urls["discord"],
                        "WHATSAPP_TOKEN": fw.TOKEN, "WHATSAPP_PHONE_NUMBER_ID": fw.PHONE_NUMBER_ID,
                        "WHATSAPP_APP_SECRET": fw.APP_SECRET, "WHATSAPP_VERIFY_TOKEN": fw.VERIFY_TOKEN,
                        "WHATSAPP_API_URL": f"{urls['whatsapp']}/{fw.VERSION}"}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    for platform, chat, extra in (("discord", fd.CHANNEL, ["--space", fd.GUILD]),
                                  ("whatsapp", "+5511900000042", [])):
        made = runner.invoke(main, ["subscribe", platform, chat, "--workspace", "shop", *extra])
        assert made.exit_code == 0, made.output
    monkeypatch.setitem(REPORTS, "digest", lambda engine, as_of, s: Reply(f"CLI digest of {as_of.day}"))
    sent = runner.invoke(main, ["digest", "--workspace", "shop", "--as-of", "2025-04-11", "--send"])
    assert sent.exit_code == 0, sent.output
    assert f"discord {fd.CHANNEL}: sent" in sent.output and "whatsapp +5511900000042: sent" in sent.output
    assert any("CLI digest of 2025-04-11" in str(m.payload) for m in fakes["discord"].of("message"))
    assert any("CLI digest of 2025-04-11" in str(m) for m in fakes["whatsapp"].sent_to("5511900000042"))


def test_cli_digest_send_skips_a_platform_that_cannot_connect(cli_data, monkeypatch, fakes):
    revoked = "999999:REVOKED-token-that-must-never-be-printed"
    urls = fakes["urls"]
    for name, value in {"TELEGRAM_BOT_TOKEN": revoked, "TELEGRAM_API_URL": urls["telegram"],
                        "WHATSAPP_TOKEN": fw.TOKEN, "WHATSAPP_PHONE_NUMBER_ID": fw.PHONE_NUMBER_ID,
                        "WHATSAPP_APP_SECRET": fw.APP_SECRET, "WHATSAPP_VERIFY_TOKEN": fw.VERIFY_TOKEN,
                        "WHATSAPP_API_URL": f"{urls['whatsapp']}/{fw.VERSION}"}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    for platform, chat in (("telegram", "7009"), ("whatsapp", "+5511900000077")):
        assert runner.invoke(main, ["subscribe", platform, chat, "--workspace", "shop"]).exit_code == 0
    monkeypatch.setitem(REPORTS, "digest", lambda engine, as_of, s: Reply(f"Digest of {as_of.day}"))
    sent = runner.invoke(main, ["digest", "--workspace", "shop", "--as-of", "2025-04-12", "--send"])
    assert sent.exit_code == 1  # a chat got nothing
    assert "whatsapp +5511900000077: sent" in sent.output and "telegram 7009: failed" in sent.output
    assert "telegram: could not connect" in sent.output, sent.output
    assert revoked not in sent.output and revoked.split(":")[1] not in sent.output
    assert "***" in sent.output  # the platform quoted the token: masked
