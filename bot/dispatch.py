"""The dispatcher: every inbound message from every platform passes through here.

The chain, in order: ignore what is not for us → deduplicate the platform's retries by
event id → find the workspace the chat is bound to (an unbound chat gets instructions,
never another workspace's data) → per-user rate limit → commands or the brain → record
the answer (for feedback and the audit of what was said).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram

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
from bot.channels.base import ConversationRef, InboundMessage, Responder
from bot.reply import Reply
from storage.access import AccessDenied, Action, Role, require
from storage.state import AnswerRow, FeedbackRow, ProcessedEventRow

logger = logging.getLogger(__name__)

CommandHandler = Callable[[InboundMessage, str], Awaitable[Reply]]


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

    # --- the chain ---------------------------------------------------------------------
    async def handle(self, message: InboundMessage) -> Reply | None:
        """The reply to send, or None when nothing should be said (a duplicate delivery)."""
        platform = message.ref.platform
        if message.event_id and not self.claim_event(platform, message.event_id):
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

    # --- state ---------------------------------------------------------------------------
    def claim_event(self, platform: str, event_id: str) -> bool:
        """True the first time a delivery is seen; False for any retry of it."""
        try:
            with self.app.state.session() as s, s.begin():
                s.add(ProcessedEventRow(platform=platform, event_id=event_id))
        except sa.exc.IntegrityError:
            return False
        return True

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
