"""Readings a reply offered, picked on any surface: one path for every choice button.

When Tally is not sure what a question means it offers 1-3 complete questions
(:attr:`agents.reply.Reply.choices`). Slack, Discord, Telegram and the playground show
them as buttons; the terminal and WhatsApp as numbered lines, where "2" or "the second
one" typed next picks one (the brain's memory reads that).

A button carries only the answer id and the choice's number (Discord's ``custom_id``
holds 100 characters, Telegram's ``callback_data`` 64 bytes): :func:`picked_message`
looks the question up in the recorded answer, checks the click comes from the
conversation the answer was given in, and makes it an inbound message of the person who
clicked, so it takes the one path of every message (access, rate limit, recording).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.base import ConversationRef, InboundMessage
from storage.conversations import offered_choices
from storage.state_store import StateStore

#: What a click on a choice the answer no longer offers (or that cannot be found) says.
STALE = ("That choice belongs to an earlier question I can no longer find here. "
         "Please ask again, in your own words or as the choice said it.")
#: Buttons show at most this many characters of a choice (Slack allows 75, Discord 80).
LABEL_LIMIT = 75


@dataclass(frozen=True)
class Click:
    """A person's click on a choice button, as the platform reported it.

    Attributes:
        ref: the conversation the clicked message is in.
        answer_id: the answer whose choice it is; number: which choice (from 1).
        user_id, user_name: who clicked; event_id: the click's own delivery id.
        is_admin: whether the platform says they administer it (as for messages).
    """

    ref: ConversationRef
    answer_id: str
    number: int
    user_id: str
    user_name: str | None = None
    event_id: str | None = None
    is_admin: bool = False


def chosen_question(state: StateStore, click: Click) -> str | None:
    """The question a click picks, or None when the answer, the choice or the chat don't match."""
    found = offered_choices(state, click.answer_id)
    if found is None:
        return None
    platform, conversation, choices = found
    if platform != click.ref.platform or conversation != click.ref.key:
        return None
    return choices[click.number - 1] if 1 <= click.number <= len(choices) else None


def picked_message(state: StateStore, click: Click) -> InboundMessage | None:
    """The click as the message its person would have typed, or None for a stale click."""
    question = chosen_question(state, click)
    if question is None:
        return None
    return InboundMessage(click.ref, question, click.user_id, click.user_name,
                          event_id=click.event_id, is_admin=click.is_admin)


def label(choice: str, limit: int = LABEL_LIMIT) -> str:
    """A choice as a button's label, cut with "…" to the platform's limit."""
    return choice if len(choice) <= limit else choice[:limit - 1].rstrip() + "…"


def numbered(choices: tuple[str, ...]) -> str:
    """Choices as numbered lines and how to pick one (the terminal, WhatsApp)."""
    lines = [f"{n}. {choice}" for n, choice in enumerate(choices, 1)]
    hint = "Reply with its number." if len(choices) > 1 else "Reply 1 to ask it."
    return "\n".join([*lines, hint])
