"""Discord end to end, offline: discord.py's own client and command tree against a fake
Discord HTTP API on 127.0.0.1, with gateway events injected into its connection state.

Login fetches the bot's identity and application from the fake and syncs the slash
commands (``setup_hook``); ``INTERACTION_CREATE`` and ``MESSAGE_CREATE`` payloads then go
through discord.py's parsers exactly as if the gateway had delivered them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
import sqlalchemy as sa

from agents.answer import Answerer
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import Channel, ConversationRef
from bot.channels.discord import DiscordChannel, build
from bot.pipeline import Pipeline
from bot.settings import Settings
from storage.access import Role
from storage.bind_codes import create_bind_code
from storage.state import ChannelBindingRow, FeedbackRow
from tests.fakes import discord_api as fd
from tests.fakes.server import serve

ANA = fd.user("1400000000000000001", "Ana")
OTHER_GUILD, OTHER_CHANNEL = "1500000000000000001", "1500000000000000002"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfab"
                    "d40000000049454e44ae426082")


@pytest.fixture(scope="module")
def fake() -> Iterator[fd.FakeDiscord]:
    fake = fd.FakeDiscord()
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def dispatcher(app: App) -> Pipeline:
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    dispatcher.bind("discord", fd.GUILD, "shop", "test")
    return dispatcher


@pytest_asyncio.fixture
async def discord_bot(fake: fd.FakeDiscord, app: App, dispatcher: Pipeline
                      ) -> AsyncIterator[DiscordChannel]:
    settings = Settings(TALLY_DATA_DIR=app.settings.data_dir, DISCORD_BOT_TOKEN=fd.TOKEN,
                        DISCORD_API_URL=fake.url)  # type: ignore[attr-defined]
    channel = build(settings, dispatcher)
    assert isinstance(channel, DiscordChannel)
    fake.sent.clear()
    await channel.client.login(fd.TOKEN)  # REST only: no gateway connection in tests
    yield channel
    await channel.wait_idle()
    await channel.client.close()


async def sent(fake: fd.FakeDiscord, route: str, count: int = 1) -> list[fd.Sent]:
    """Waits (by yielding to the loop) until ``count`` sends to ``route`` were recorded."""
    for _ in range(2000):
        if len(fake.of(route)) >= count:
            return fake.of(route)
        await asyncio.sleep(0.005)
    raise AssertionError(f"the bot never sent {count} {route}(s): {fake.sent}")


def inject_interaction(bot: DiscordChannel, payload: dict) -> None:
    bot.client._connection.parse_interaction_create(payload)


def inject_message(bot: DiscordChannel, payload: dict) -> None:
    bot.client._connection.parse_message_create(payload)


def test_build_needs_a_token(app, dispatcher):
    assert build(Settings(TALLY_DATA_DIR=app.settings.data_dir), dispatcher) is None


@pytest.mark.asyncio
async def test_login_syncs_the_slash_commands_and_learns_who_the_bot_is(discord_bot, fake):
    assert isinstance(discord_bot, Channel) and discord_bot.routes() == []
    assert discord_bot.client.user.id == int(fd.BOT_ID)
    by_name = {c["name"]: c for c in fake.commands}
    assert set(by_name) == {"ask", "digest", "subscribe", "unsubscribe"}
    [question] = by_name["ask"]["options"]
    assert (question["name"], question["type"], question["required"]) == ("question", 3, True)


@pytest.mark.asyncio
async def test_ask_defers_then_follows_up_with_the_catalog_numbers(discord_bot, fake, dispatcher):
    inject_interaction(discord_bot, fd.slash_command("1600000000000000001", "ask", ANA,
                                                     question="revenue march 2025"))
    [followup] = await sent(fake, "followup")
    [callback] = fake.of("callback")
    assert callback.payload["type"] == 5  # deferred: "Tally is thinking…"
    await discord_bot.wait_idle()
    [embed] = followup.payload["embeds"]
    assert embed["title"] == "revenue march 2025"
    assert "Revenue in March 2025 was $240.00." in embed["description"]
    buttons = followup.payload["components"][0]["components"]
    answer_id = buttons[0]["custom_id"].rsplit(":", 1)[1]
    assert [b["custom_id"] for b in buttons] == [f"tally:feedback:up:{answer_id}",
                                                 f"tally:feedback:down:{answer_id}"]
    assert dispatcher.answer_for_message("discord", followup.response["id"]) == answer_id


@pytest.mark.asyncio
async def test_a_breakdown_comes_as_a_code_block_and_the_chart_as_an_attachment(discord_bot, fake, app,
                                                                                 tmp_path):
    chart = tmp_path / "revenue.png"
    chart.write_bytes(PNG)

    class ChartingBrain(Answerer):
        async def respond(self, **kwargs: str) -> Reply:  # type: ignore[override]
            reply = await super().respond(**kwargs)  # type: ignore[arg-type]
            return dataclasses.replace(reply, chart=str(chart))

    discord_bot.dispatcher.responder = ChartingBrain(brain_ports(app))
    inject_interaction(discord_bot, fd.slash_command("1600000000000000002", "ask", ANA,
                                                     question="revenue by country march 2025"))
    [followup] = await sent(fake, "followup")
    [embed] = followup.payload["embeds"]
    assert "```" in embed["description"] and "$110.00" in embed["description"]
    assert embed["image"]["url"] == "attachment://chart.png"
    assert followup.files == {"chart.png": PNG}
    assert followup.payload["attachments"][0]["filename"] == "chart.png"


@pytest.mark.asyncio
async def test_a_mention_in_a_channel_is_answered_with_a_reply(discord_bot, fake):
    inject_message(discord_bot, fd.message_create("1700000000000000001", ANA, "lunch anyone?"))
    inject_message(discord_bot, fd.message_create("1700000000000000002", fd.BOT_USER,
                                                  f"<@{fd.BOT_ID}> talking to myself",
                                                  mentions=(fd.BOT_USER,)))
    inject_message(discord_bot, fd.message_create("1700000000000000003", ANA,
                                                  f"<@{fd.BOT_ID}> orders march 2025",
                                                  mentions=(fd.BOT_USER,)))
    [reply] = await sent(fake, "message")
    await discord_bot.wait_idle()
    assert len(fake.of("message")) == 1  # chatter and the bot's own message got nothing
    assert str(reply.payload["message_reference"]["message_id"]) == "1700000000000000003"
    assert "4" in reply.payload["embeds"][0]["description"]


@pytest.mark.asyncio
async def test_a_direct_message_is_answered_without_a_mention(discord_bot, fake, dispatcher):
    dispatcher.bind("discord", "1800000000000000001", "shop", "test")
    inject_message(discord_bot, fd.message_create("1700000000000000009", ANA, "aov march 2025",
                                                  guild=None, channel="1800000000000000001"))
    [reply] = await sent(fake, "message")
    assert "$60.00" in reply.payload["embeds"][0]["description"]


@pytest.mark.asyncio
async def test_a_button_click_is_stored_as_feedback(discord_bot, fake, app):
    inject_interaction(discord_bot, fd.slash_command("1600000000000000003", "ask", ANA,
                                                     question="refunds march 2025"))
    [followup] = await sent(fake, "followup")
    down = followup.payload["components"][0]["components"][1]["custom_id"]
    inject_interaction(discord_bot, fd.button_click("1600000000000000004", down, ANA, followup.response))
    callbacks = await sent(fake, "callback", 2)
    assert callbacks[1].payload["type"] == 4 and callbacks[1].payload["data"]["flags"] == 64
    answer_id = down.rsplit(":", 1)[1]
    with app.state.session() as s:
        assert s.get(FeedbackRow, (answer_id, ANA["id"])).score == -1


@pytest.mark.asyncio
async def test_an_unbound_guild_gets_instructions_and_a_code_not_a_name_connects_it(discord_bot, fake,
                                                                                   app):
    inject_interaction(discord_bot, fd.slash_command("1600000000000000005", "ask", ANA,
                                                     guild=OTHER_GUILD, channel=OTHER_CHANNEL,
                                                     question="revenue"))
    [first] = await sent(fake, "followup")
    assert f"tally connect discord {OTHER_GUILD} --workspace NAME" in first.payload["embeds"][0]["description"]
    inject_interaction(discord_bot, fd.slash_command("1600000000000000006", "ask", ANA,
                                                     guild=OTHER_GUILD, channel=OTHER_CHANNEL,
                                                     permissions=fd.MEMBER_PERMISSIONS | fd.MANAGE_GUILD,
                                                     question="connect shop"))
    second = (await sent(fake, "followup", 2))[1]
    assert "one-time code" in second.payload["embeds"][0]["description"]  # a manager, but a name
    code = create_bind_code(app.state, workspace="shop", role=Role.MEMBER, actor="cli:test",
                            now=datetime.now(UTC).replace(tzinfo=None)).code
    inject_interaction(discord_bot, fd.slash_command("1600000000000000107", "ask", ANA,
                                                     guild=OTHER_GUILD, channel=OTHER_CHANNEL,
                                                     question=f"connect {code}"))
    third = (await sent(fake, "followup", 3))[2]
    assert "Connected" in third.payload["embeds"][0]["description"]
    with app.state.session() as s:
        row = s.scalar(sa.select(ChannelBindingRow).where(ChannelBindingRow.chat_id == OTHER_GUILD))
    assert (row.workspace, row.role) == ("shop", "member")


@pytest.mark.asyncio
@pytest.mark.parametrize("command", ["digest", "subscribe", "unsubscribe"])
async def test_forwarded_commands_reach_the_dispatchers_handlers(discord_bot, fake, dispatcher, command):
    seen: list[tuple[str | None, str]] = []

    def handler(name: str) -> Callable:
        async def handle(message, workspace):
            seen.append((message.command, workspace))
            return Reply(f"{name} done")
        return handle

    dispatcher.commands[command] = handler(command)
    interaction_id = {"digest": "1600000000000000007", "subscribe": "1600000000000000008",
                      "unsubscribe": "1600000000000000009"}[command]
    inject_interaction(discord_bot, fd.slash_command(interaction_id, command, ANA))
    [followup] = await sent(fake, "followup")
    assert seen == [(command, "shop")]
    assert followup.payload["embeds"][0]["description"] == f"{command} done"


@pytest.mark.asyncio
async def test_proactive_send_posts_to_the_channel(discord_bot, fake):
    result = await discord_bot.send(ConversationRef("discord", fd.CHANNEL, None, fd.GUILD),
                                    Reply("Daily digest: revenue $240.00"))
    [message] = fake.of("message")
    assert result.ok and result.message_ids == (message.response["id"],)
    assert message.payload["embeds"][0]["description"] == "Daily digest: revenue $240.00"
