"""The dispatcher: every inbound message from every platform passes through here.

The chain, in order: ignore what is not for us → claim the delivery by event id (a
platform's retry of a question already taken on gets no second answer) → per-user rate
limit → find the chat's binding, for its Slack team (:mod:`bot.bindings`: the workspace and
the role the message acts with, one query; "connect CODE" binds the chat with a one-time
code; an unbound chat gets instructions naming no workspace, never another workspace's
data) → commands or the brain, each checking the role (:mod:`storage.access`) → record the
answer (for feedback and the audit of what was said).

Channels answer through :meth:`Dispatcher.answer`, which sends the reply with the
channel's own send and marks the claim answered only once the platform confirmed it: a
process that dies between the platform's ack and the answer leaves the claim to be
answered again once its lease expires (:mod:`bot.answering`, :mod:`storage.inbound`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram

from agents.reply import Reply
from bot.answering import message_to_json
from bot.app import App
from bot.bindings import (
    GONE,
    Binding,
    acting_role,
    bind_chat,
    connect_request,
    find_binding,
    redeem_in_chat,
    unbound_reply,
)
from bot.channels.base import ConversationRef, InboundMessage, Responder, SendResult
from storage.access import AccessDenied, Action, Role, require
from storage.inbound import InboundLedger
from storage.state import AnswerRow, FeedbackRow

logger = logging.getLogger(__name__)

CommandHandler = Callable[[InboundMessage, str], Awaitable[Reply]]
#: A channel's way to post a reply where its message came from; ``ok`` once the platform confirmed.
Send = Callable[[Reply], Awaitable[SendResult]]


class Metrics:
    """Prometheus metrics of the runtime (own registry, so tests can build several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter("tally_messages_total", "Messages handled", ["platform"],
                                registry=self.registry)
        self.errors = Counter("tally_errors_total", "Messages that failed", ["platform"],
                              registry=self.registry)
        self.latency = Histogram("tally_answer_seconds", "Time to answer a message", ["platform"],
                                 registry=self.registry,
                                 buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


class RateLimiter:
    """At most ``per_minute`` messages per user in any sliding minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self.clock()
        window = self._seen[key]
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True


class Dispatcher:
    """Routes inbound messages to commands or the brain, with the cross-cutting checks.

    Args:
        app: the wired application (state store, workspaces).
        responder: the brain (the agent graph, or the offline brain).
        rate_limit_per_minute: messages a user may send per minute.

    Attributes:
        slack_team: the Slack team of the bot token (``auth.test``), set by the Slack
            channel: a Slack binding made without a team serves this team only.
    """

    slack_team: str | None = None

    def __init__(self, app: App, responder: Responder, rate_limit_per_minute: int = 20,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.responder = responder
        self.limiter = RateLimiter(rate_limit_per_minute, clock)
        self.metrics = Metrics()
        self.commands: dict[str, CommandHandler] = {}
        settings = app.settings
        self.inbound = InboundLedger(app.state, lease=timedelta(seconds=settings.answer_lease_seconds),
                                     max_attempts=settings.answer_max_attempts)
        # Deliveries being answered by this process (their leases are renewed); Slack answers
        # on a thread of its own, hence the lock.
        self._held: dict[tuple[str, str], int] = {}
        self._held_lock = threading.Lock()

    # --- the chain ---------------------------------------------------------------------
    async def handle(self, message: InboundMessage) -> Reply | None:
        """The reply to send, or None when nothing should be said (a duplicate delivery)."""
        platform = message.ref.platform
        if message.event_id and not self.claim_event(platform, message.event_id, message):
            logger.info("duplicate delivery %s on %s ignored", message.event_id, platform)
            return None
        self.metrics.messages.labels(platform).inc()
        started = time.perf_counter()
        try:
            reply = await self._handle(message)
        except Exception:  # the error funnel: the user gets an id, the log the traceback
            self.metrics.errors.labels(platform).inc()
            error_id = uuid.uuid4().hex[:8]
            logger.exception("error %s on %s in %s", error_id, platform, message.ref.key)
            reply = Reply(f"Sorry, something went wrong on my side (error {error_id}).", ok=False)
        self.metrics.latency.labels(platform).observe(time.perf_counter() - started)
        return reply

    async def _handle(self, message: InboundMessage) -> Reply:
        if not self.limiter.allow(f"{message.ref.platform}:{message.user_id}"):
            return Reply("You're asking faster than I can keep up with: give me a minute and "
                         "ask again.", ok=False)
        binding = self.binding_for(message.ref)  # the workspace and role: one state query
        if (said := connect_request(message)) is not None:
            return self._connect_from_chat(message, said, binding)
        if binding is None:
            return unbound_reply(message.ref)
        if not binding.exists:
            return Reply(GONE, ok=False)
        workspace, role = binding.workspace, acting_role(message, binding)
        try:
            require(role, Action.ASK, workspace)
        except AccessDenied as exc:
            return Reply(str(exc), ok=False)
        # Commands read the role the message acts with from the message itself.
        message = dataclasses.replace(message, role=role.value if role else None)
        command = (message.command or "ask").lower()
        if command != "ask":
            handler = self.commands.get(command)
            if handler is None:
                return Reply(f"I don't know the command /{command}. Try /ask.", ok=False)
            return await handler(message, workspace)
        text = message.text.strip() or "help"
        reply = await self.responder.respond(workspace=workspace, conversation=message.ref.key,
                                             text=text, user_name=message.user_name)
        return self._record_answer(message, workspace, reply)

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
            if (answer_id := reply.data.get("answer_id")) and result.message_ids:
                self.record_sent(answer_id, result.message_ids)
        return reply

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

    # --- state ---------------------------------------------------------------------------
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

        For trusted callers (the CLI, the playground, a guild's own new workspace): chats
        bind themselves only with a code (:meth:`_connect_from_chat`).
        """
        self.app.workspaces.get(workspace)  # raises WorkspaceError naming the known ones
        bind_chat(self.app, platform, chat_id, workspace, actor, role=role, team_id=team_id)

    def utcnow(self) -> datetime:
        """The wall-clock instant (naive UTC) bind codes are checked against."""
        return datetime.now(UTC).replace(tzinfo=None)

    def _connect_from_chat(self, message: InboundMessage, said: str,
                           binding: Binding | None) -> Reply:
        return redeem_in_chat(self.app, message, said, binding, now=self.utcnow(),
                              slack_team=self.slack_team)

    def _record_answer(self, message: InboundMessage, workspace: str, reply: Reply) -> Reply:
        answer_id = uuid.uuid4().hex[:16]
        with self.app.state.session() as s, s.begin():
            s.add(AnswerRow(id=answer_id, platform=message.ref.platform,
                            conversation=message.ref.key, workspace=workspace,
                            user_id=message.user_id, question=message.text,
                            query=json.dumps(reply.data, default=str), answer=reply.text))
        data = {**reply.data, "answer_id": answer_id}
        return Reply(reply.text, reply.table, reply.chart, reply.suggestions, data, reply.ok)

    def record_sent(self, answer_id: str, message_ids: tuple[str, ...]) -> None:
        """Remembers the platform ids of an answer's messages (reactions point at them)."""
        with self.app.state.session() as s, s.begin():
            row = s.get(AnswerRow, answer_id)
            if row is not None:
                row.message_ids = json.dumps(list(message_ids))

    def answer_for_message(self, platform: str, message_id: str) -> str | None:
        """The answer a platform message belongs to (for reaction feedback)."""
        pattern = f'%"{message_id}"%'
        with self.app.state.session() as s:
            row = s.scalar(sa.select(AnswerRow.id).where(
                AnswerRow.platform == platform, AnswerRow.message_ids.like(pattern)))
        return row

    def feedback(self, answer_id: str, user_id: str, score: int) -> bool:
        """Stores 👍 (+1) or 👎 (−1); a second vote by the same user replaces the first."""
        with self.app.state.session() as s, s.begin():
            if s.get(AnswerRow, answer_id) is None:
                return False
            s.merge(FeedbackRow(answer_id=answer_id, user_id=user_id, score=1 if score > 0 else -1,
                                created_at=datetime.now(UTC).replace(tzinfo=None)))
        return True
