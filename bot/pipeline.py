"""The pipeline: every inbound message from every surface takes this one path.

::

    platform event ─▶ channels/X.to_inbound ─▶ InboundMessage
        ─▶ Claim      a retry of a delivery already taken on: no second answer
        ─▶ Funnel     metrics, log context; any failure below → "error 3f9c…" + traceback
        ─▶ InFlight   counted, so a shutdown waits for it
        ─▶ RateLimit  per user and minute, before any database work
        ─▶ Bind       the chat's binding, once: workspace + role ("connect CODE" binds)
        ─▶ Access     the role may ask in that workspace
        ─▶ Record     the brain's answers are kept (feedback, audit of what was said)
        ─▶ Route      a command (bot.commands, one ordered list) or the brain (Responder)
    Reply ─▶ Pipeline.answer: the channel's send ─▶ claim marked answered once posted

The steps are bolt-python style middleware (:mod:`bot.middleware`). Why this order: the
claim comes first so a retry costs nothing and is never counted twice; the funnel wraps
everything that can fail; the rate limit runs before the binding query, so a flood never
reaches the database; the binding is found once and carried in the context to every
later step (access, commands, the brain, the log).

Channels answer through :meth:`Pipeline.answer`, which sends the reply with the
channel's own send and marks the claim answered only once the platform confirmed it: a
process that dies between the platform's ack and the answer leaves the claim to be
answered again once its lease expires (:mod:`bot.answering`, :mod:`storage.inbound`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from agents.reply import Reply
from bot.answering import message_to_json
from bot.app import App
from bot.bindings import Binding, bind_chat, find_binding, redeem_in_chat
from bot.channels.base import ConversationRef, InboundMessage, Responder
from bot.commands import Commands
from bot.middleware import (
    Access,
    Bind,
    Claim,
    Context,
    Funnel,
    InFlight,
    Metrics,
    Middleware,
    RateLimit,
    RateLimiter,
    Record,
    Route,
    Send,
)
from storage import conversations
from storage.access import Role
from storage.inbound import InboundLedger

logger = logging.getLogger(__name__)

class Pipeline:
    """The chain every inbound message passes, and the state it keeps on the way.

    Args:
        app: the wired application (state store, workspaces).
        responder: the brain (anything with :meth:`~bot.channels.base.Responder.respond`).
        rate_limit_per_minute: messages a user may send per minute (None: no limit, for
            the operator's own terminal).
        commands: the chat commands (:mod:`bot.commands`); empty by default.

    Attributes:
        slack_team: the Slack team of the bot token (``auth.test``), set by the Slack
            channel: a Slack binding made without a team serves this team only.
        in_flight: messages being answered right now.
    """

    slack_team: str | None = None

    def __init__(self, app: App, responder: Responder, rate_limit_per_minute: int | None = 20,
                 clock: Callable[[], float] = time.monotonic, *,
                 commands: Commands | None = None) -> None:
        self.app = app
        self.responder = responder
        self.limiter = None if rate_limit_per_minute is None else RateLimiter(rate_limit_per_minute, clock)
        self.metrics = Metrics()
        self.commands = commands if commands is not None else Commands()
        settings = app.settings
        self.inbound = InboundLedger(app.state, lease=timedelta(seconds=settings.answer_lease_seconds),
                                     max_attempts=settings.answer_max_attempts)
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.steps: Sequence[Middleware] = (Claim(self), Funnel(self), InFlight(self), RateLimit(self),
                                            Bind(self), Access(), Record(self), Route(self))
        # Deliveries being answered by this process (their leases are renewed); Slack answers
        # on a thread of its own, hence the lock.
        self._held: dict[tuple[str, str], int] = {}
        self._held_lock = threading.Lock()

    # --- the chain ---------------------------------------------------------------------
    async def handle(self, message: InboundMessage) -> Reply | None:
        """The reply to send, or None when nothing should be said (a duplicate delivery)."""
        ctx = Context(message)

        async def run(index: int) -> Reply | None:
            if index == len(self.steps):
                return None
            return await self.steps[index].process(ctx=ctx, next=lambda: run(index + 1))

        return await run(0)

    async def answer(self, message: InboundMessage, send: Send, *,
                     slot: AbstractAsyncContextManager[Any] | None = None) -> Reply | None:
        """Handles a message and sends its reply with ``send``: how every channel answers.

        The delivery's claim is marked answered only when ``send`` reports the platform
        confirmed the post; a send that fails or raises leaves it claimed, to be answered
        again once its lease expires. ``slot`` (a channel's concurrency limit) is held while
        the reply is worked out, not while it is sent.

        Returns:
            The reply sent, or None for a retry that gets no answer.
        """
        with self._holding(message):
            async with slot or contextlib.nullcontext():
                reply = await self.handle(message)
            if reply is None:
                return None
            result = await send(reply)
            if not result.ok:
                logger.warning("the answer to %s delivery %s was not sent (%s): it is tried again "
                               "when its claim's lease expires", message.ref.platform,
                               message.event_id, result.error)
                return reply
            self.mark_answered(message)
            if reply.answer_id and result.message_ids:
                self.record_sent(reply.answer_id, result.message_ids)
        return reply

    async def drain(self, timeout: float) -> bool:
        """Waits until no answer is in flight; False if some still were after ``timeout``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), timeout)
        return self.in_flight == 0

    @contextlib.contextmanager
    def _holding(self, message: InboundMessage) -> Iterator[None]:
        key = (message.ref.platform, message.event_id) if message.event_id else None
        if key is not None:
            with self._held_lock:
                self._held[key] = self._held.get(key, 0) + 1
        try:
            yield
        finally:
            if key is not None:
                with self._held_lock:
                    self._held[key] -= 1
                    if self._held[key] <= 0:
                        del self._held[key]

    def held_events(self) -> list[tuple[str, str]]:
        """(platform, event id) of the deliveries this process is answering right now."""
        with self._held_lock:
            return list(self._held)

    # --- claims ----------------------------------------------------------------------------
    def claim_event(self, platform: str, event_id: str, message: InboundMessage | None = None) -> bool:
        """True when a delivery should be answered now; False for a retry to ignore.

        The first delivery claims it with a lease; a retry while the lease is live, or after
        the answer was sent, is ignored; a retry after the lease expired unanswered takes the
        claim over (until the last attempt). ``message`` is kept to answer it again.
        """
        stored = None if message is None else message_to_json(message)
        return self.inbound.claim(platform, event_id, stored)

    def mark_answered(self, message: InboundMessage) -> None:
        """Records that the platform confirmed the answer to this delivery was posted."""
        if message.event_id:
            self.inbound.answered(message.ref.platform, message.event_id)

    # --- bindings ----------------------------------------------------------------------------
    def binding_for(self, ref: ConversationRef) -> Binding | None:
        """The binding serving this conversation: its chat, its space (guild), or its whole
        Slack team, for the Slack team it was made for (:mod:`bot.bindings`)."""
        return find_binding(self.app.state, ref, self.slack_team)

    def workspace_for(self, ref: ConversationRef) -> str | None:
        """The workspace bound to this chat, its space (guild), or its whole Slack team."""
        binding = self.binding_for(ref)
        return binding.workspace if binding is not None and binding.exists else None

    def bind(self, platform: str, chat_id: str, workspace: str, actor: str, *,
             role: Role = Role.MEMBER, team_id: str | None = None) -> None:
        """Binds a chat to a workspace (replacing an earlier binding), with an audit record.

        For trusted callers (the CLI, the playground, the terminal, a guild's own new
        workspace): chats bind themselves only with a code (:meth:`connect_from_chat`).
        """
        self.app.workspaces.get(workspace)  # raises WorkspaceError naming the known ones
        bind_chat(self.app, platform, chat_id, workspace, actor, role=role, team_id=team_id)

    def utcnow(self) -> datetime:
        """The wall-clock instant (naive UTC) bind codes are checked against."""
        return datetime.now(UTC).replace(tzinfo=None)

    def connect_from_chat(self, message: InboundMessage, said: str, binding: Binding | None) -> Reply:
        """ "connect CODE" typed in a chat (:func:`bot.bindings.redeem_in_chat`)."""
        return redeem_in_chat(self.app, message, said, binding, now=self.utcnow(),
                              slack_team=self.slack_team)

    # --- what was said (storage.conversations) ---------------------------------------------
    def record_sent(self, answer_id: str, message_ids: tuple[str, ...]) -> None:
        """Remembers the platform ids of an answer's messages (reactions point at them)."""
        conversations.record_sent(self.app.state, answer_id, message_ids)

    def answer_for_message(self, platform: str, message_id: str) -> str | None:
        """The answer a platform message belongs to (for reaction feedback)."""
        return conversations.answer_for_message(self.app.state, platform, message_id)

    def feedback(self, answer_id: str, user_id: str, score: int) -> bool:
        """Stores 👍 (+1) or 👎 (−1); a second vote by the same user replaces the first."""
        return conversations.record_feedback(self.app.state, answer_id, user_id, score)

