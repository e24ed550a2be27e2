"""Slack's translation functions on recorded payloads: what is a question, and Block Kit limits."""

from __future__ import annotations

import json

from agents.reply import Reply, TableData
from bot.channels.slack_render import (
    BLOCK_LIMIT,
    SECTION_LIMIT,
    command_to_inbound,
    escape,
    event_to_inbound,
    feedback_from_action,
    render,
)
from tests.fakes import slack_api as fs


def body(event: dict, event_id: str = "Ev1") -> dict:
    return json.loads(fs.event_callback(event, event_id))


def test_a_mention_in_a_channel_opens_a_thread_conversation_in_its_team():
    message = event_to_inbound(body(fs.mention("C1", "U1", "revenue  last week", "171.1")), fs.BOT_USER_ID)
    assert message is not None
    assert message.text == "revenue last week" and message.user_id == "U1"
    assert (message.ref.chat_id, message.ref.thread_id, message.ref.space_id) == ("C1", "171.1", fs.TEAM_ID)
    assert message.event_id == "Ev1"


def test_a_mention_inside_a_thread_stays_in_that_thread():
    message = event_to_inbound(body(fs.mention("C1", "U1", "and MX?", "171.9", thread_ts="171.1")))
    assert message is not None and message.ref.thread_id == "171.1"


def test_direct_messages_and_thread_replies_are_candidates_but_channel_chatter_is_not():
    dm = event_to_inbound(body(fs.message("D1", "U1", "orders today", "171.2")), fs.BOT_USER_ID)
    assert dm is not None and dm.ref.thread_id is None and dm.ref.chat_id == "D1"
    reply = event_to_inbound(body(fs.message("C1", "U1", "and by country?", "171.3",
                                             channel_type="channel", thread_ts="171.1")))
    assert reply is not None and reply.ref.thread_id == "171.1"
    chatter = fs.message("C1", "U1", "lunch?", "171.4", channel_type="channel")
    assert event_to_inbound(body(chatter)) is None


def test_bot_posts_edits_and_the_message_twin_of_a_mention_are_ignored():
    bot = {**fs.message("D1", "U1", "hi", "171.5"), "bot_id": "B9"}
    edit = {**fs.message("D1", "U1", "hi", "171.6"), "subtype": "message_changed"}
    twin = fs.message("C1", "U1", f"<@{fs.BOT_USER_ID}> revenue", "171.7", channel_type="channel",
                      thread_ts="171.1")
    assert [event_to_inbound(body(e), fs.BOT_USER_ID) for e in (bot, edit, twin)] == [None] * 3


def test_slash_command_subcommands_and_questions():
    form = fs.parse_form(fs.slash_command("C1", "U1", "digest  weekly", "http://127.0.0.1/r"))
    digest = command_to_inbound(form)
    assert (digest.command, digest.text, digest.ref.space_id) == ("digest", "weekly", fs.TEAM_ID)
    ask = command_to_inbound({**form, "text": "ask revenue by country"})
    assert (ask.command, ask.text, ask.user_name) == (None, "revenue by country", "ana")
    assert command_to_inbound({**form, "text": "revenue"}).text == "revenue"


def test_feedback_button_payload():
    form = fs.parse_form(fs.button_click("C1", "U1", "tally_feedback_up", "abc123", "171.1"))
    assert feedback_from_action(json.loads(form["payload"])) == ("abc123", "U1", 1)
    assert feedback_from_action({"actions": [{"action_id": "other", "value": "x"}]}) is None


def test_user_and_data_text_is_escaped_everywhere():
    reply = Reply("Revenue for <Tom & Jerry> was $5", TableData(("Product", "Revenue"),
                                                               (("<b>&co", "$5.00"),)),
                  suggestions=("a<b",), answer_id="x1")
    rendered = render(reply)
    texts = json.dumps(rendered.blocks)
    assert "<Tom" not in texts and "&lt;Tom &amp; Jerry&gt;" in texts
    assert "&lt;b&gt;&amp;co" in texts and "a&lt;b" in texts
    assert rendered.text == "Revenue for &lt;Tom &amp; Jerry&gt; was $5"


def test_a_long_table_is_split_into_code_blocks_within_slacks_limits():
    rows = tuple((f"product {i:03d} " + "x" * 80, f"${i}.00") for i in range(60))
    reply = Reply("t" * 7000, TableData(("Product", "Revenue"), rows), answer_id="a")
    blocks = render(reply).blocks
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    assert len(blocks) <= BLOCK_LIMIT
    code = [t for t in sections if t.startswith("```")]
    assert len(code) >= 2 and all(t.endswith("```") for t in code)
    assert "product 059" in "".join(code)
    assert blocks[-1]["type"] == "actions"


def test_a_huge_reply_is_cut_to_fifty_blocks_keeping_the_feedback_buttons():
    rows = tuple((f"p{i}" + "y" * 2900, "$1") for i in range(200))
    reply = Reply("x", TableData(("P", "R"), rows), suggestions=("revenue",), answer_id="a")
    blocks = render(reply).blocks
    assert len(blocks) == BLOCK_LIMIT
    assert [b["type"] for b in blocks[-2:]] == ["context", "actions"]


def test_no_buttons_without_an_answer_id():
    assert [b["type"] for b in render(Reply("Not connected")).blocks] == ["section"]
    assert escape("a&b") == "a&amp;b"


def test_a_slack_connect_guest_speaks_for_their_own_team_not_the_installations():
    event = fs.mention("C1", "U0GUEST01", "connect tenantb", "171.5")
    message = event_to_inbound(json.loads(fs.event_callback(event, "Ev5", user_team="T0OTHER01")))
    assert message is not None and message.ref.space_id == "T0OTHER01"
    assert message.raw["team_id"] == fs.TEAM_ID  # the envelope is the installation's
