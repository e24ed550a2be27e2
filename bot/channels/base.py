"""What every chat platform adapter speaks: inbound messages, conversation references,
and the :class:`Channel` protocol.

A platform adapter is two translation functions, ``to_inbound(payload) -> InboundMessage``
and ``render(reply) -> platform payload``, plus a thin class implementing
:class:`Channel`. Adapters hold a reference to the dispatcher; they never subclass the
runtime, and nothing outside ``bot/channels/`` imports a platform SDK.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from agents.reply import Reply
from storage.refs import ConversationRef as ConversationRef  # plain data: storage and the brain keep it too

PLATFORMS = ("slack", "discord", "telegram", "whatsapp", "playground", "terminal")
#: Surfaces that only answer while someone is asking: nothing can be posted to them later
#: (a digest, an alert), so commands that schedule posts are refused there.
ASKED_ONLY_PLATFORMS = frozenset({"playground"})


@dataclass(frozen=True)
class InboundMessage:
    """One message addressed to Tally, independent of the platform.

    Attributes:
        ref: the conversation it belongs to.
        text: the question, with the bot mention removed.
        user_id: the platform's user id; user_name: their display name ("my ROI").
        event_id: the platform's delivery id, for deduplication of retries.
        is_admin: whether the sender administers the platform (a Slack workspace admin, a
            Discord server manager): they act as admin of the workspace the chat is already
            bound to, never of another.
        command: a slash command name ("ask", "digest", "subscribe"), if it was one.
        role: set by web surfaces with a signed-in user; chats leave it None and act with
            their binding's role.
    """

    ref: ConversationRef
    text: str
    user_id: str
    user_name: str | None = None
    event_id: str | None = None
    is_admin: bool = False
    command: str | None = None
    role: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SendResult:
    """What a platform answered when a reply was sent (ids of the messages posted)."""

    ok: bool
    message_ids: tuple[str, ...] = ()
    error: str | None = None


Handler = Callable[[InboundMessage], Awaitable[Reply]]


@runtime_checkable
class Channel(Protocol):
    """A chat platform inside the runtime."""

    platform: str

    async def start(self) -> None:
        """Connects (or registers webhooks) and begins delivering messages to the handler."""

    async def stop(self) -> None:
        """Stops receiving, finishing the answers in flight."""

    async def open_outbound(self) -> None:
        """Readies :meth:`send` without receiving (one-shot sends: ``tally digest --send``).

        What :meth:`start` does to reach the platform's API (log in, open clients), without
        listening for messages; :meth:`stop` closes it again.
        """

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        """Posts a reply (proactive messages: digests, alerts) in the platform's format."""

    def routes(self) -> Sequence[Any]:
        """Starlette routes this channel serves on the shared HTTP app (may be empty)."""


@runtime_checkable
class Responder(Protocol):
    """The brain as the runtime sees it (the agent graph implements it).

    ``conversation`` is :attr:`ConversationRef.key`: follow-ups in the same
    conversation share memory.
    """

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        """Answers one message in a conversation of a workspace."""
