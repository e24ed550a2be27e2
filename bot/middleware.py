"""The steps of the pipeline, each a middleware in bolt-python's ``process(*, ctx, next)`` style.

A step gets the message's :class:`Context` and ``next`` (the rest of the chain). It
either answers by itself (a duplicate, a refusal: returns a reply or None without
calling ``next``) or calls ``next()`` and may look at what came back (record, funnel).
The order the pipeline runs them in, and why, is in :mod:`bot.pipeline`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram

from agents.reply import Reply
from bot.app import App
from bot.bindings import GONE, Binding, acting_role, connect_request, unbound_reply
from bot.channels.base import ASKED_ONLY_PLATFORMS, ConversationRef, InboundMessage, Responder, SendResult
from bot.commands import Commands
from bot.funnel import error_reply, process_error
from bot.http import log_context
from storage.access import AccessDenied, Action, Role, require
from storage.conversations import record_answer

logger = logging.getLogger(__name__)

#: The rest of the chain.
Next = Callable[[], Awaitable[Reply | None]]
RATE_LIMITED = ("You're asking faster than I can keep up with: give me a minute and ask again.")
NO_LATER_POSTS = (
    "The playground only answers while you are here: it cannot post a digest or an alert "
    "later. Subscribe or set alerts from a chat bound to this workspace (Slack, Discord, "
    "Telegram or WhatsApp: \"subscribe daily digest at 8:00\"), or from the command line: "
    "`tally subscribe PLATFORM CHAT_ID daily digest at 8:00 --workspace W`.")
NO_BIND_CODES = (
    "Bind codes connect a chat (Slack, Discord, Telegram, WhatsApp) to a workspace: type it "
    "there. Here, the workspaces are the ones your account has a role on: pick one in the "
    "selector.")


@dataclass
class Context:
    """One message on its way through the pipeline: what the steps found out about it.

    Attributes:
        message: the message (the access step sets the role it acts with on it).
        binding: the chat's binding, found once by the bind step.
        workspace: the bound workspace; role: the role the message acts with.
        answered_by_brain: set by the route step when the brain answered (recorded then).
    """

    message: InboundMessage
    binding: Binding | None = None
    workspace: str | None = None
    role: Role | None = None
    answered_by_brain: bool = False


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


class PipelineParts(Protocol):
    """What the steps use of the pipeline that runs them (:class:`bot.pipeline.Pipeline`).

    A Protocol, so the steps need not import the pipeline that imports them.
    """

    app: App
    responder: Responder
    limiter: RateLimiter | None
    metrics: Metrics
    commands: Commands
    in_flight: int
    idle: asyncio.Event

    def claim_event(self, platform: str, event_id: str, message: InboundMessage | None = None) -> bool:
        """True the first time a delivery is taken on."""

    def binding_for(self, ref: ConversationRef) -> Binding | None:
        """The chat's binding and role, or None."""

    def connect_from_chat(self, message: InboundMessage, said: str, binding: Binding | None) -> Reply:
        """Redeems a bind code said in a chat."""

class Middleware(Protocol):
    """One step of the pipeline."""

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        """Answers, refuses, or passes the message on with ``next()``."""


@dataclass
class Claim:
    """Effectively once: a platform's retry of a delivery already taken on is not answered."""

    pipeline: PipelineParts

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        message = ctx.message
        if message.event_id and not self.pipeline.claim_event(message.ref.platform,
                                                              message.event_id, message):
            logger.info("duplicate delivery %s on %s ignored", message.event_id, message.ref.platform)
            return None
        return await next()


@dataclass
class Funnel:
    """Counts, times and logs the message; anything that fails below becomes an error id."""

    pipeline: PipelineParts

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        ref, metrics = ctx.message.ref, self.pipeline.metrics
        metrics.messages.labels(ref.platform).inc()
        started = time.perf_counter()
        with log_context(platform=ref.platform, conversation=ref.key):
            try:
                reply = await next()
            except Exception:  # the error funnel: the user gets an id, the log the traceback
                metrics.errors.labels(ref.platform).inc()
                with log_context(workspace=ctx.workspace):
                    error_id = process_error("on %s in %s", ref.platform, ref.key, log=logger)
                reply = error_reply(error_id)
        metrics.latency.labels(ref.platform).observe(time.perf_counter() - started)
        return reply


@dataclass
class InFlight:
    """Counts the answers being worked on, so a shutdown can wait for them."""

    pipeline: PipelineParts

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        self.pipeline.in_flight += 1
        self.pipeline.idle.clear()
        try:
            return await next()
        finally:
            self.pipeline.in_flight -= 1
            if self.pipeline.in_flight == 0:
                self.pipeline.idle.set()


@dataclass
class RateLimit:
    """At most so many messages per user and minute (before any database work)."""

    pipeline: PipelineParts

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        limiter = self.pipeline.limiter
        if limiter is not None and not limiter.allow(f"{ctx.message.ref.platform}:{ctx.message.user_id}"):
            return Reply(RATE_LIMITED, ok=False)
        return await next()


@dataclass
class Bind:
    """Finds the chat's binding once (workspace and role); "connect CODE" binds the chat."""

    pipeline: PipelineParts

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        message = ctx.message
        ctx.binding = binding = await asyncio.to_thread(self.pipeline.binding_for, message.ref)
        if (said := connect_request(message)) is not None:
            if message.role is not None:  # a signed-in page: its user's roles pick the workspace
                return Reply(NO_BIND_CODES, ok=False)
            return await asyncio.to_thread(self.pipeline.connect_from_chat, message, said, binding)
        if binding is None:
            return unbound_reply(message.ref)
        if not binding.exists:
            return Reply(GONE, ok=False)
        ctx.workspace, ctx.role = binding.workspace, acting_role(message, binding)
        with log_context(workspace=ctx.workspace):
            return await next()


@dataclass
class Access:
    """The role may ask in this workspace; commands read the role from the message."""

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        assert ctx.workspace is not None  # the bind step ran
        try:
            require(ctx.role, Action.ASK, ctx.workspace)
        except AccessDenied as exc:
            return Reply(str(exc), ok=False)
        ctx.message = dataclasses.replace(ctx.message, role=ctx.role.value if ctx.role else None)
        return await next()


@dataclass
class Record:
    """Keeps the brain's answers (for feedback and the audit of what was said)."""

    pipeline: PipelineParts

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        reply = await next()
        if reply is None or not ctx.answered_by_brain or ctx.workspace is None:
            return reply
        message = ctx.message
        answer_id = await asyncio.to_thread(
            record_answer, self.pipeline.app.state, platform=message.ref.platform,
            conversation=message.ref.key, workspace=ctx.workspace, user_id=message.user_id,
            question=message.text, data=reply.data, answer=reply.text)
        return dataclasses.replace(reply, answer_id=answer_id)


@dataclass
class Route:
    """A command (slash, or typed words a handler set recognises) or the brain."""

    pipeline: PipelineParts

    async def process(self, *, ctx: Context, next: Next) -> Reply | None:
        message, workspace = ctx.message, ctx.workspace
        assert workspace is not None  # the bind step ran
        command = (message.command or self.pipeline.commands.route_text(message.text) or "ask").lower()
        if command != "ask":
            handler = self.pipeline.commands.get(command)
            if handler is None:
                return Reply(f"I don't know the command /{command}. Try /ask.", ok=False)
            if message.ref.platform in ASKED_ONLY_PLATFORMS and self.pipeline.commands.posts_later(command):
                return Reply(NO_LATER_POSTS, ok=False)
            return await handler(dataclasses.replace(message, command=command), workspace)
        ctx.answered_by_brain = True
        return await self.pipeline.responder.respond(
            workspace=workspace, conversation=message.ref.key, text=message.text.strip() or "help",
            user_name=message.user_name)
