"""Delivery: proactive replies (digests, reports, alerts) to chats, retried and recorded.

:class:`Deliverer` sends a :class:`~agents.reply.Reply` to a
:class:`~bot.channels.base.ConversationRef` through the runtime's channel for its
platform, retrying platform errors and rate limits with exponential backoff. Sends run
concurrently (:meth:`Deliverer.send_all`), each with its own retries, so one failing
platform never holds up the others.

:class:`DeliveryLog` is the record of every scheduled send and its idempotency key: a row
per (subscription, period) that is claimed *before* sending. The database's unique key is
the arbiter, so a restarted or duplicated scheduler never sends the same period twice
(at most once: a process that dies mid-send leaves the row ``claimed``, not re-sent).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from agents.reply import Reply
from bot.app import App
from bot.channels.base import Channel, ConversationRef
from bot.funnel import process_error
from storage.catalog import AsOf, Engine
from storage.clock import Clock
from storage.state import DeliveryRow
from storage.state_store import StateStore

logger = logging.getLogger(__name__)

#: Errors retrying cannot fix (lower-case substrings of a platform's error): the bot was
#: removed, the chat is gone, the token is bad.
PERMANENT_ERRORS = (
    "not_in_channel", "channel_not_found", "is_archived", "invalid_auth", "account_inactive",
    "token_revoked", "missing_scope", "not_authed", "forbidden", "chat not found", "unauthorized",
    "unknown channel", "missing access", "no channel for",
)
#: How platforms word a wait in an error's text: Telegram's "Retry in 5 seconds", Slack's
#: ``retry_after``, a plain "Retry-After: 5".
_RETRY_AFTER_TEXT = re.compile(r"retry(?:[\s_-]+after|\s+in)\W*(\d+(?:\.\d+)?)", re.IGNORECASE)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed send is tried again.

    The n-th retry waits ``min(max_delay, base_delay * factor ** (n - 1))`` seconds, or
    longer when the platform said how long to wait (Retry-After), up to ``max_retry_after``.
    """

    attempts: int = 4
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    max_retry_after: float = 300.0

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * self.factor ** (retry - 1))
        if retry_after is None:
            return backoff
        return max(backoff, min(retry_after, self.max_retry_after))


@dataclass(frozen=True)
class DeliveryResult:
    """How one send ended: ``ok``, after how many ``attempts``, the platform's ids or error."""

    ref: ConversationRef
    ok: bool
    attempts: int
    message_ids: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """A proactive message to send: where, what, and an optional idempotency ``key``
    (the delivery log sends a key once, ever: e.g. ``rule:12:2025-04-10``; 64 chars max)."""

    ref: ConversationRef
    reply: Reply
    key: str | None = None


Sleep = Callable[[float], Awaitable[None]]


class Deliverer:
    """Sends replies through the runtime's channels, with retries and backoff.

    Args:
        channels: the channels by platform (or a sequence of them).
        policy: retries and backoff.
        sleep: how to wait between attempts (tests pass one that records the delays).
    """

    def __init__(self, channels: Mapping[str, Channel] | Iterable[Channel],
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.channels = dict(channels) if isinstance(channels, Mapping) \
            else {c.platform: c for c in channels}
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    async def send(self, ref: ConversationRef, reply: Reply) -> DeliveryResult:
        """Sends ``reply`` to ``ref``; retries transient failures; never raises."""
        channel = self.channels.get(ref.platform)
        if channel is None:
            return DeliveryResult(ref, False, 0, error=f"no channel for {ref.platform} is running")
        error, retry_after = "not sent", None
        for attempt in range(1, self.policy.attempts + 1):
            if attempt > 1:
                await self.sleep(self.policy.delay(attempt - 1, retry_after))
            try:
                result = await channel.send(ref, reply)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a network error from an SDK: worth another try
                error, retry_after = f"{type(exc).__name__}: {exc}", retry_after_of(exc)
            else:
                if result.ok:
                    return DeliveryResult(ref, True, attempt, result.message_ids)
                error = result.error or "the platform refused the message"
                retry_after = retry_after_of(result)
            logger.warning("%s: sending to %s failed (attempt %d of %d): %s", ref.platform,
                           ref.chat_id, attempt, self.policy.attempts, error)
            if is_permanent(error):
                return DeliveryResult(ref, False, attempt, error=error)
        return DeliveryResult(ref, False, self.policy.attempts, error=error)

    async def send_all(self, sends: Sequence[tuple[ConversationRef, Reply]]) -> list[DeliveryResult]:
        """Sends each reply concurrently, each with its own retries; results in the order given."""
        return list(await asyncio.gather(*(self.send(ref, reply) for ref, reply in sends)))


def retry_after_of(failure: object) -> float | None:
    """The seconds a platform asked to wait, from a failed send or an SDK's exception.

    Looks at a ``retry_after`` attribute (python-telegram-bot's ``RetryAfter``; a
    ``SendResult`` that carries one), a ``Retry-After`` response header (slack_sdk, httpx,
    discord.py errors), then the error's words.
    """
    value = getattr(failure, "retry_after", None)
    if value is not None:
        return _seconds(value)
    headers = getattr(getattr(failure, "response", None), "headers", None)
    if headers is not None and hasattr(headers, "get"):
        header = headers.get("Retry-After") or headers.get("retry-after")
        if header is not None:
            return _seconds(header)
    text = getattr(failure, "error", None) if hasattr(failure, "ok") else str(failure)
    match = _RETRY_AFTER_TEXT.search(text or "")
    return float(match.group(1)) if match else None


def _seconds(value: object) -> float | None:
    if isinstance(value, timedelta):
        return value.total_seconds()
    try:
        return max(0.0, float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):  # an HTTP date: the exponential backoff will do
        return None


def is_permanent(error: str) -> bool:
    """Whether a platform error is one that another attempt would not fix."""
    lowered = error.lower()
    return any(marker in lowered for marker in PERMANENT_ERRORS)


class DeliveryLog:
    """Claims (subscription, period) keys and records how each send ended.

    Args:
        state: the state database (shared by every process that may send).
        clock: the current instant (aware), for the record's times.
    """

    def __init__(self, state: StateStore, clock: Clock) -> None:
        self.state = state
        self.clock = clock

    def claim(self, subscription_id: int, period_key: str) -> int | None:
        """The new row's id, or None when this period was already claimed (by anyone)."""
        try:
            with self.state.session() as s, s.begin():
                row = DeliveryRow(subscription_id=subscription_id, period_key=period_key,
                                  status="claimed", attempts=0, claimed_at=self._now())
                s.add(row)
                s.flush()
                return row.id
        except sa.exc.IntegrityError:
            return None

    def finish(self, delivery_id: int, status: str, result: DeliveryResult | None = None,
               error: str | None = None) -> None:
        """Records the outcome: ``sent``, ``failed`` or ``skipped`` (nothing to say)."""
        with self.state.session() as s, s.begin():
            row = s.get(DeliveryRow, delivery_id)
            if row is None:
                return
            row.status = status
            row.error = error if result is None else result.error
            if result is not None:
                row.attempts = result.attempts
                row.message_ids = json.dumps(list(result.message_ids))
                row.sent_at = self._now() if result.ok else None

    def records(self, subscription_id: int | None = None) -> list[DeliveryRow]:
        """The log, oldest first (of one subscription, or all)."""
        query = sa.select(DeliveryRow).order_by(DeliveryRow.id)
        if subscription_id is not None:
            query = query.where(DeliveryRow.subscription_id == subscription_id)
        with self.state.session() as s:
            return list(s.scalars(query))

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(tzinfo=None)


#: A workspace check: what to send, found for one workspace (run in a worker thread).
Check = Callable[[Engine, AsOf, str], Iterable[Outgoing]]
#: The delivery log's subscription id for sends of checks (alerts), which have none.
CHECK_SUBSCRIPTION_ID = 0


class WorkspaceChecks:
    """Named checks (alert rules) run per workspace; what they return is delivered and logged.

    Args:
        app: the wired application (workspaces and their engines).
        deliverer: sends the messages; log: records them (and holds their keys).
        clock: the current instant (aware): each run's ``as_of``.
    """

    def __init__(self, app: App, deliverer: Deliverer, log: DeliveryLog,
                 clock: Clock) -> None:
        self.app = app
        self.deliverer = deliverer
        self.log = log
        self.clock = clock
        self.checks: dict[str, Check] = {}
        self._running: dict[tuple[str, str], bool] = {}  # (check, workspace) → rerun wanted
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, name: str, check: Check) -> None:
        """Registers (or replaces) a check under ``name``."""
        self.checks[name] = check

    def soon(self, name: str, workspace: str) -> None:
        """Runs check ``name`` for ``workspace`` in the background, coalescing bursts.

        New data arrives in bursts (a webhook batch every few milliseconds): the writer
        must not wait for the check, and a burst must not queue a check per batch. While
        a run is in flight, later calls only ask for one more run after it.
        """
        key = (name, workspace)
        if key in self._running:
            self._running[key] = True
            return
        self._running[key] = False
        task = asyncio.get_running_loop().create_task(self._run_coalesced(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_coalesced(self, key: tuple[str, str]) -> None:
        try:
            while True:
                await self.run(*key)
                if not self._running.get(key):
                    return
                self._running[key] = False
        finally:
            self._running.pop(key, None)

    async def idle(self) -> None:
        """Waits for the background runs started by :meth:`soon` (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def run(self, name: str, workspace: str | None = None) -> list[DeliveryResult]:
        """Runs check ``name`` for ``workspace`` (or every workspace) and delivers its messages.

        Returns:
            the result of every send made (a message whose key went out before is not sent).
        """
        check = self.checks[name]
        names = [workspace] if workspace else [w.name for w in self.app.workspaces.list()]
        outgoing: list[Outgoing] = []
        for each in names:
            try:
                as_of = AsOf.now(self.app.workspace(each).tz, self.clock())
                outgoing += await asyncio.to_thread(_listed, check, self.app.engine(each), as_of, each)
            except Exception:  # one workspace's failing check never stops the others'
                process_error("in check %s for workspace %s", name, each, log=logger)
        sent = await asyncio.gather(*(self._send_recorded(name, out) for out in outgoing))
        return [result for result in sent if result is not None]

    async def _send_recorded(self, name: str, out: Outgoing) -> DeliveryResult | None:
        delivery_id = self.log.claim(CHECK_SUBSCRIPTION_ID, out.key or f"{name}:{uuid.uuid4().hex}")
        if delivery_id is None:
            return None  # this key went out already
        result = await self.deliverer.send(out.ref, out.reply)
        self.log.finish(delivery_id, "sent" if result.ok else "failed", result)
        return result


def _listed(check: Check, engine: Engine, as_of: AsOf, workspace: str) -> list[Outgoing]:
    return list(check(engine, as_of, workspace))
