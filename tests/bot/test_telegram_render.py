"""Telegram's two translation functions on recorded Bot API payloads: to_inbound and render."""

from __future__ import annotations

from typing import Any

import pytest

from agents.reply import Reply, TableData
from bot.channels.telegram import BotIdentity, to_inbound
from bot.channels.telegram_render import CAPTION_LIMIT, render, split_text

ME = BotIdentity(123456, "TallyTestBot")

PRIVATE_UPDATE: dict[str, Any] = {
    "update_id": 813072201,
    "message": {
        "message_id": 58,
        "from": {"id": 31415926, "is_bot": False, "first_name": "Ana", "last_name": "Souza",
                 "username": "anasouza", "language_code": "pt-br"},
        "chat": {"id": 31415926, "first_name": "Ana", "last_name": "Souza", "username": "anasouza",
                 "type": "private"},
        "date": 1743465600,
        "text": "revenue march 2025",
    },
}

TOPIC_MENTION_UPDATE: dict[str, Any] = {
    "update_id": 813072202,
    "message": {
        "message_id": 1207,
        "from": {"id": 27182818, "is_bot": False, "first_name": "Bruno", "language_code": "en"},
        "chat": {"id": -1001987654321, "title": "Ops", "is_forum": True, "type": "supergroup"},
        "date": 1743465700,
        "message_thread_id": 1188,
        "is_topic_message": True,
        "reply_to_message": {
            "message_id": 1188, "from": {"id": 27182818, "is_bot": False, "first_name": "Bruno"},
            "chat": {"id": -1001987654321, "title": "Ops", "is_forum": True, "type": "supergroup"},
            "date": 1743400000, "message_thread_id": 1188,
            "forum_topic_created": {"name": "Numbers", "icon_color": 7322096}, "is_topic_message": True},
        "text": "🙂 @TallyTestBot orders last week?",
        "entities": [{"offset": 3, "length": 13, "type": "mention"}],
    },
}


def group(text: str, **extra: Any) -> dict[str, Any]:
    return {"update_id": 1, "message": {
        "message_id": 9, "from": {"id": 5, "is_bot": False, "first_name": "Caio"}, "date": 0,
        "chat": {"id": -100555, "title": "Team", "type": "supergroup"}, "text": text, **extra}}


def test_private_text_becomes_an_inbound_question() -> None:
    message = to_inbound(PRIVATE_UPDATE, ME)
    assert message is not None
    assert (message.ref.platform, message.ref.chat_id, message.ref.thread_id) == ("telegram", "31415926", None)
    assert (message.text, message.user_id, message.user_name) == ("revenue march 2025", "31415926", "Ana Souza")
    assert message.event_id == "31415926:58" and message.command is None and not message.is_admin


def test_mention_in_a_forum_topic_keeps_the_topic_and_drops_the_mention() -> None:
    message = to_inbound(TOPIC_MENTION_UPDATE, ME)
    assert message is not None
    assert (message.ref.chat_id, message.ref.thread_id) == ("-1001987654321", "1188")
    assert message.text == "🙂 orders last week?"


def test_topic_message_without_mention_is_not_for_the_bot() -> None:
    # Its reply_to_message is the topic's first message, not one of the bot's.
    update = {**TOPIC_MENTION_UPDATE, "message": {**TOPIC_MENTION_UPDATE["message"],
                                                  "text": "orders last week?", "entities": []}}
    assert to_inbound(update, ME) is None


@pytest.mark.parametrize(("text", "extra", "expected"), [
    ("revenue march 2025", {}, None),
    ("@TallyTestBot revenue march 2025", {"entities": [{"offset": 0, "length": 13, "type": "mention"}]},
     ("revenue march 2025", None)),
    ("hey Tally, revenue?", {"entities": [{"offset": 4, "length": 5, "type": "text_mention",
                                          "user": {"id": 123456, "is_bot": True, "first_name": "Tally"}}]},
     ("hey Tally, revenue?", None)),
    ("and refunds?", {"reply_to_message": {"message_id": 3, "date": 0, "from": {"id": 123456, "is_bot": True,
                                                                              "first_name": "Tally"},
                                          "chat": {"id": -100555, "type": "supergroup"}, "text": "…"}},
     ("and refunds?", None)),
    ("/ask@TallyTestBot orders today", {}, ("orders today", None)),
    ("/ask orders today", {}, ("orders today", None)),
    ("/digest", {}, ("", "digest")),
    ("/subscribe@TallyTestBot daily", {}, ("daily", "subscribe")),
    ("/ask@OtherBot orders today", {}, None),
    ("/weather", {}, None),
])
def test_group_messages_reach_the_bot_only_when_addressed_to_it(
        text: str, extra: dict[str, Any], expected: tuple[str, str | None] | None) -> None:
    message = to_inbound(group(text, **extra), ME)
    assert (message.text, message.command) == expected if message else expected is None


def test_start_and_help_ask_for_help_and_bots_are_ignored() -> None:
    start = to_inbound({**PRIVATE_UPDATE, "message": {**PRIVATE_UPDATE["message"], "text": "/start"}}, ME)
    assert start is not None and (start.text, start.command) == ("help", None)
    from_bot = {**PRIVATE_UPDATE["message"], "from": {"id": 9, "is_bot": True, "first_name": "B"}}
    assert to_inbound({"update_id": 2, "message": from_bot}, ME) is None
    assert to_inbound({"update_id": 3, "edited_message": PRIVATE_UPDATE["message"]}, ME) is None
    sticker = {k: v for k, v in PRIVATE_UPDATE["message"].items() if k != "text"}
    assert to_inbound({"update_id": 4, "message": {**sticker, "sticker": {}}}, ME) is None


def test_render_escapes_data_and_puts_the_table_in_pre() -> None:
    reply = Reply("Revenue of <Tom & Jerry> was $5.00.",
                  TableData(("Product", "Revenue"), (("<b>x</b>", "$5.00"),)), suggestions=("a & b",))
    [message] = render(reply).texts
    assert message == ("Revenue of &lt;Tom &amp; Jerry&gt; was $5.00.\n\n"
                       "<pre>Product   Revenue\n--------  -------\n&lt;b&gt;x&lt;/b&gt;    $5.00</pre>\n\n"
                       "<i>Try: “a &amp; b”</i>")


def test_render_splits_at_paragraphs_without_cutting_escapes() -> None:
    text = "\n\n".join(["&" * 30] * 10)  # each & becomes &amp; (5 characters)
    rendered = render(Reply(text), limit=400)
    assert all(len(m) <= 400 for m in rendered.texts)
    assert all(m.replace("&amp;", "").strip("\n") == "" for m in rendered.texts)
    assert sum(m.count("&amp;") for m in rendered.texts) == 300


def test_chart_caption_is_the_text_when_it_fits_and_a_separate_message_otherwise() -> None:
    short = render(Reply("Up 5%.", chart="/tmp/c.png"))
    assert (short.photo, short.caption, short.texts) == ("/tmp/c.png", "Up 5%.", ())
    long = render(Reply("x" * (CAPTION_LIMIT + 1), chart="/tmp/c.png"))
    assert long.caption is None and long.texts == ("x" * (CAPTION_LIMIT + 1),)


def test_split_text_prefers_lines_then_words_then_characters() -> None:
    assert split_text("aa bb\ncc dd", lambda s: len(s) <= 5) == ["aa bb", "cc dd"]
    assert split_text("aaaa bbbb cccc", lambda s: len(s) <= 9) == ["aaaa bbbb", "cccc"]
    assert split_text("abcdefgh", lambda s: len(s) <= 3) == ["abc", "def", "gh"]
