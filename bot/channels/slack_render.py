"""Slack's two translation functions: Slack payloads → :class:`InboundMessage`, and
:class:`~agents.reply.Reply` → Block Kit.

Both are pure (no SDK, no network), so they are unit-tested on recorded payloads.
Block Kit limits that shape :func:`render`: a section's text holds at most 3,000
characters, a message at most 50 blocks, and user or data text must escape ``&``,
``<`` and ``>`` (Slack reads them as control sequences).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage
from bot.channels.choices import label, numbered

SECTION_LIMIT = 3000
BLOCK_LIMIT = 50
TABLE_ROWS = 60
FEEDBACK_ACTION_PREFIX = "tally_feedback_"
FEEDBACK_ACTIONS = {f"{FEEDBACK_ACTION_PREFIX}up": 1, f"{FEEDBACK_ACTION_PREFIX}down": -1}
#: A choice button's action id is this and the choice's number; its value is the answer id.
CHOICE_ACTION_PREFIX = "tally_choice_"
COMMANDS = ("digest", "subscribe", "unsubscribe")
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
# Subtypes that are still a person writing; edits, joins and bot posts are not questions.
_HUMAN_SUBTYPES = (None, "thread_broadcast", "file_share")


@dataclass(frozen=True)
class SlackMessage:
    """A rendered reply: the notification text, the blocks and the chart to upload."""

    text: str
    blocks: list[dict[str, Any]]
    chart: str | None = None


def escape(text: str) -> str:
    """Escapes the three characters Slack treats as control sequences in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def strip_mentions(text: str) -> str:
    """The message without user mentions (``<@U123>``), whitespace collapsed."""
    return " ".join(_MENTION.sub(" ", text).split())


# --- inbound --------------------------------------------------------------------------------
def event_to_inbound(body: dict[str, Any], bot_user_id: str | None = None) -> InboundMessage | None:
    """An Events API callback as an inbound message, or None when it is not for Tally.

    ``app_mention`` anywhere and ``message`` in a direct message are questions; a
    ``message`` in a channel thread is returned too (the channel decides whether the
    thread is one Tally answered in). Messages that mention the bot are left to their
    ``app_mention`` twin so one question never gets two answers.
    """
    event = body.get("event") or {}
    kind = event.get("type")
    if kind not in ("app_mention", "message") or event.get("bot_id"):
        return None
    if event.get("subtype") not in _HUMAN_SUBTYPES or not event.get("user"):
        return None
    text = event.get("text") or ""
    thread_ts = event.get("thread_ts")
    if kind == "message":
        if bot_user_id and f"<@{bot_user_id}" in text and event.get("channel_type") != "im":
            return None
        if event.get("channel_type") != "im" and not thread_ts:
            return None
    elif not thread_ts:
        # A mention in a channel is answered in a thread rooted at it, so follow-ups
        # written in that thread share the conversation.
        thread_ts = event.get("ts")
    # The sender's own team: in a Slack Connect channel the envelope's team_id is the
    # installation that received the event, while the event names the team that wrote it.
    team = event.get("user_team") or event.get("team") or body.get("team_id")
    ref = ConversationRef("slack", event["channel"], thread_ts, team)
    return InboundMessage(ref=ref, text=strip_mentions(text), user_id=event["user"],
                          event_id=body.get("event_id"), raw=body)


def command_to_inbound(body: dict[str, Any]) -> InboundMessage:
    """A ``/tally`` slash command: ``/tally digest`` etc. become commands, the rest a question."""
    text = " ".join((body.get("text") or "").split())
    first, _, rest = text.partition(" ")
    command: str | None = None
    if first.lower() in COMMANDS:
        command, text = first.lower(), rest
    elif first.lower() == "ask":
        text = rest
    ref = ConversationRef("slack", body["channel_id"], None, body.get("team_id"))
    return InboundMessage(ref=ref, text=text, user_id=body["user_id"],
                          user_name=body.get("user_name"), event_id=body.get("trigger_id"),
                          command=command, raw=body)


def feedback_from_action(body: dict[str, Any]) -> tuple[str, str, int] | None:
    """``(answer_id, user_id, +1|-1)`` from a 👍/👎 ``block_actions`` payload."""
    for action in body.get("actions") or ():
        score = FEEDBACK_ACTIONS.get(action.get("action_id", ""))
        if score is not None and action.get("value"):
            return action["value"], body["user"]["id"], score
    return None


def choice_from_action(body: dict[str, Any]) -> tuple[str, int] | None:
    """``(answer_id, number)`` from a choice button's ``block_actions`` payload."""
    for action in body.get("actions") or ():
        number = str(action.get("action_id", "")).removeprefix(CHOICE_ACTION_PREFIX)
        if action.get("action_id", "").startswith(CHOICE_ACTION_PREFIX) and number.isdigit() \
                and action.get("value"):
            return action["value"], int(number)
    return None


def action_ref(body: dict[str, Any]) -> ConversationRef:
    """The conversation a clicked message is in (its thread, when it was posted in one)."""
    container, message = body.get("container") or {}, body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    thread = container.get("thread_ts") or message.get("thread_ts")
    team = (body.get("user") or {}).get("team_id") or (body.get("team") or {}).get("id")
    return ConversationRef("slack", str(channel), thread, team)


# --- outbound -------------------------------------------------------------------------------
def render(reply: Reply) -> SlackMessage:
    """Block Kit for a reply: words, the table as code blocks, choices as buttons, suggestions, 👍/👎."""
    tail = _tail_blocks(reply)
    blocks = [_section(chunk) for chunk in _chunks(escape(reply.text), SECTION_LIMIT)]
    if reply.table is not None:
        room = BLOCK_LIMIT - len(blocks) - len(tail)
        blocks += _table_blocks(escape(reply.table.as_text(max_rows=TABLE_ROWS)), room)
    blocks = blocks[:BLOCK_LIMIT - len(tail)] + tail
    return SlackMessage(text=escape(reply.text)[:SECTION_LIMIT], blocks=blocks, chart=reply.chart)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _table_blocks(table: str, room: int) -> list[dict[str, Any]]:
    fence = "```"
    chunks = _chunks(table, SECTION_LIMIT - 2 * len(fence) - 2)
    if len(chunks) > room:
        chunks = chunks[:max(room, 0)]
        if chunks:
            chunks[-1] = chunks[-1].rsplit("\n", 1)[0] + "\n…"
    return [_section(f"{fence}\n{chunk}\n{fence}") for chunk in chunks]


def _chunks(text: str, size: int) -> list[str]:
    """Splits on line breaks where possible, hard-splitting lines longer than ``size``."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:size])
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            chunks.append(current)
            candidate = line
        current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


def _tail_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.choices and reply.answer_id:
        blocks.append({"type": "actions", "block_id": "tally_choices", "elements": [
            _choice_button(n, choice, reply.answer_id) for n, choice in enumerate(reply.choices, 1)]})
    elif reply.choices:  # nothing recorded to point a button at: numbered lines instead
        blocks.append(_section(escape(numbered(reply.choices))[:SECTION_LIMIT]))
    if reply.suggestions:
        tries = " · ".join(f"“{escape(s)}”" for s in reply.suggestions)
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"Try: {tries}"[:SECTION_LIMIT]}]})
    answer_id = reply.answer_id
    if answer_id:
        blocks.append({"type": "actions", "block_id": "tally_feedback", "elements": [
            _button("👍", f"{FEEDBACK_ACTION_PREFIX}up", answer_id),
            _button("👎", f"{FEEDBACK_ACTION_PREFIX}down", answer_id)]})
    return blocks


def _choice_button(number: int, choice: str, answer_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": f"{CHOICE_ACTION_PREFIX}{number}", "value": answer_id,
            "text": {"type": "plain_text", "text": label(choice), "emoji": False}}


def _button(emoji: str, action_id: str, answer_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "value": answer_id,
            "text": {"type": "plain_text", "text": emoji, "emoji": True}}
