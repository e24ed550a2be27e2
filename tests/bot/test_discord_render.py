"""Discord's translation functions on recorded gateway payloads (parsed by discord.py's own
connection state), and the embed limits of :func:`render`."""

from __future__ import annotations

import discord
import pytest

from agents.reply import Reply, TableData
from bot.channels.discord_render import (
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    interaction_to_inbound,
    message_to_inbound,
    render,
)
from tests.fakes import discord_api as fd

ANA = fd.user("1400000000000000001", "Ana")


@pytest.fixture
def state() -> discord.state.ConnectionState:
    client = discord.Client(intents=discord.Intents.default())
    state = client._connection
    state.user = discord.ClientUser(state=state, data=fd.BOT_USER)  # what login() sets up
    return state


def parsed_message(state, payload: dict) -> discord.Message:
    guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
    channel = discord.PartialMessageable(state=state, id=int(payload["channel_id"]), guild_id=guild_id)
    return discord.Message(state=state, channel=channel, data=payload)


def test_a_mention_in_a_guild_channel_is_a_question_of_that_guild(state):
    payload = fd.message_create("1700000000000000001", ANA, f"<@{fd.BOT_ID}>  revenue  by country",
                                mentions=(fd.BOT_USER,))
    message = message_to_inbound(parsed_message(state, payload), int(fd.BOT_ID))
    assert message is not None
    assert message.text == "revenue by country" and message.user_name == "Ana"
    assert (message.ref.chat_id, message.ref.space_id) == (fd.CHANNEL, fd.GUILD)
    assert message.event_id == "1700000000000000001" and message.command is None


def test_chatter_and_bots_are_not_questions_but_direct_messages_are(state):
    chatter = fd.message_create("1700000000000000002", ANA, "lunch?")
    bot = fd.message_create("1700000000000000003", fd.BOT_USER, f"<@{fd.BOT_ID}> hi", mentions=(fd.BOT_USER,))
    dm = fd.message_create("1700000000000000004", ANA, "orders today", guild=None,
                           channel="1800000000000000001")
    assert message_to_inbound(parsed_message(state, chatter), int(fd.BOT_ID)) is None
    assert message_to_inbound(parsed_message(state, bot), int(fd.BOT_ID)) is None
    direct = message_to_inbound(parsed_message(state, dm), int(fd.BOT_ID))
    assert direct is not None and direct.ref.space_id is None and direct.text == "orders today"


def test_slash_commands_carry_the_command_and_the_managers_admin_flag(state):
    ask = discord.Interaction(data=fd.slash_command("1600000000000000001", "ask", ANA, question="aov"),
                              state=state)
    inbound = interaction_to_inbound(ask, "ask", "  aov  this month ")
    assert (inbound.text, inbound.command, inbound.is_admin) == ("aov this month", None, False)
    assert (inbound.ref.chat_id, inbound.ref.space_id, inbound.event_id) == (
        fd.CHANNEL, fd.GUILD, "1600000000000000001")
    manager = discord.Interaction(data=fd.slash_command(
        "1600000000000000002", "digest", ANA, permissions=fd.MEMBER_PERMISSIONS | fd.MANAGE_GUILD),
        state=state)
    inbound = interaction_to_inbound(manager, "digest")
    assert (inbound.command, inbound.is_admin) == ("digest", True)


def test_the_embed_holds_words_table_suggestions_and_chart():
    reply = Reply("Revenue by country in March 2025: $240.00.",
                  TableData(("Country", "Revenue"), (("BR", "$110.00"), ("US", "$80.00"))),
                  chart="/tmp/chart.png", suggestions=("revenue by product",),
                  data={"question": "revenue by country march 2025"}, answer_id="ab12")
    rendered = render(reply)
    embed = rendered.embed.to_dict()
    assert embed["title"] == "revenue by country march 2025"
    assert embed["description"].startswith("Revenue by country") and "```\nCountry" in embed["description"]
    assert embed["footer"]["text"] == "Try: “revenue by product”"
    assert embed["image"]["url"] == "attachment://chart.png"
    assert (rendered.chart, rendered.answer_id) == ("/tmp/chart.png", "ab12")


def test_a_long_table_is_trimmed_to_fit_the_description_and_says_so():
    rows = tuple((f"product {i:04d} " + "x" * 40, f"${i}.00") for i in range(500))
    reply = Reply("w" * 300, TableData(("Product", "Revenue"), rows), data={"question": "q" * 400})
    embed = render(reply).embed
    assert len(embed.description or "") <= DESCRIPTION_LIMIT and len(embed.title or "") == TITLE_LIMIT
    assert "more rows" in (embed.description or "") and (embed.description or "").endswith("```")
    assert len(embed) <= 6000


def test_unanswered_replies_have_no_buttons_and_a_warning_colour():
    rendered = render(Reply("This chat isn't connected", ok=False))
    assert rendered.answer_id is None and rendered.embed.colour != render(Reply("ok")).embed.colour
