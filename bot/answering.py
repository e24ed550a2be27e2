"""Questions taken on but never answered: kept with their claim, answered again later.

Every inbound delivery is claimed with a lease before it is answered
(:meth:`bot.pipeline.Pipeline.claim_event`, :mod:`storage.inbound`), with the message
stored as JSON (:func:`message_to_json`: the conversation, text, sender and command;
never the platform's raw payload, which can carry tokens). :class:`AnswerRecovery`, a
service of ``tally serve``, then finds the claims whose lease expired before the platform
confirmed their answer (the process died after the ack, or the send failed) and answers
them again through the same platform's channel, by the dispatcher's own answer path: a
claim is taken over by one process only, counted, and given up after the last attempt.

While this process works on answers it renews their leases at every sweep, so an answer
slower than the lease is never taken over, and a second ``tally serve`` on the same
database never answers a question the first one is still answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Iterable
from typing import Protocol

from agents.reply import Reply
from bot.channels.base import Channel, ConversationRef, InboundMessage
from bot.middleware import Send
from storage.inbound import InboundLedger

logger = logging.getLogger(__name__)

#: Sweeps per lease: a claim left by a dead process is answered within 1¼ leases of its claim.
SWEEPS_PER_LEASE = 4
#: Platforms whose answer is the HTTP response to the question itself: once that request is
#: gone (the asker saw an error and can ask again), there is nobody to answer later.
ANSWERED_IN_RESPONSE = frozenset({"playground"})


def message_to_json(message: InboundMessage) -> str:
    """What answering ``message`` again needs (its event id and platform are the claim's key)."""
    ref = message.ref
    return json.dumps({"chat_id": ref.chat_id, "thread_id": ref.thread_id, "space_id": ref.space_id,
                       "text": message.text, "user_id": message.user_id,
                       "user_name": message.user_name, "is_admin": message.is_admin,
                       "command": message.command, "role": message.role})


def message_from_json(platform: str, event_id: str, stored: str) -> InboundMessage:
    """The message :func:`message_to_json` stored for the delivery ``event_id``."""
    fields = json.loads(stored)
    ref = ConversationRef(platform, fields["chat_id"], fields.get("thread_id"), fields.get("space_id"))
    return InboundMessage(ref, fields["text"], fields["user_id"], fields.get("user_name"),
                          event_id=event_id, is_admin=bool(fields.get("is_admin")),
                          command=fields.get("command"), role=fields.get("role"))


class Answering(Protocol):
    """What recovery needs of the pipeline (:class:`bot.pipeline.Pipeline`): its claims and
    its one way to answer and send. A Protocol, so this module need not import the pipeline."""

    inbound: InboundLedger

    def held_events(self) -> list[tuple[str, str]]:
        """The deliveries this process is answering now (their leases are renewed)."""

    async def answer(self, message: InboundMessage, send: Send) -> Reply | None:
        """Answers a message and sends the reply with ``send``."""


class AnswerRecovery:
    """Answers the claims whose lease expired unanswered, at start-up and then periodically.

    Args:
        dispatcher: the runtime's dispatcher (its claims and its answer path).
        channels: the running channels; a claim is answered through its platform's
            :meth:`~bot.channels.base.Channel.send`. Claims of platforms not running (or
            :data:`ANSWERED_IN_RESPONSE`) stay as they are.
        lease_seconds: the claims' lease; sweeps come :data:`SWEEPS_PER_LEASE` times per lease.
        ready: set once the channels can send (the runtime's ``started``); None: at once.
    """

    def __init__(self, dispatcher: Answering, channels: Iterable[Channel], lease_seconds: float, *,
                 ready: asyncio.Event | None = None) -> None:
        self.dispatcher = dispatcher
        self.channels = {channel.platform: channel for channel in channels
                         if channel.platform not in ANSWERED_IN_RESPONSE}
        self.interval = lease_seconds / SWEEPS_PER_LEASE
        self.ready = ready

    async def run(self, stop: asyncio.Event) -> None:
        """Sweeps until ``stop`` is set (a runtime service).

        Leases are renewed at every tick even while earlier claims are still being answered,
        so a long recovery never lets this process's own answers be taken over.
        """
        if self.ready is not None:
            waits = [asyncio.ensure_future(self.ready.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()
        answering: asyncio.Task[int] | None = None
        while not stop.is_set():
            try:
                await self.renew()
            except Exception:  # the database was busy or gone: the next tick tries again
                logger.exception("renewing the leases of the answers in flight failed")
            if answering is None or answering.done():
                answering = asyncio.create_task(self.answer_due())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
        if answering is not None:
            await answering

    async def sweep(self) -> int:
        """Renews this process's leases, then answers every expired claim; returns how many."""
        await self.renew()
        return await self.answer_due()

    async def renew(self) -> None:
        """Extends the leases of the answers this process is working on."""
        await asyncio.to_thread(self.dispatcher.inbound.renew, self.dispatcher.held_events())

    async def answer_due(self) -> int:
        """Answers every claim whose lease expired unanswered, one after the other."""
        try:
            due = await asyncio.to_thread(self.dispatcher.inbound.due, list(self.channels))
        except Exception:  # the database was busy or gone: the next tick tries again
            logger.exception("listing the questions left unanswered failed")
            return 0
        for claim in due:
            logger.info("answering %s delivery %s again (attempt %d was never confirmed sent)",
                        claim.platform, claim.event_id, claim.attempts)
            channel = self.channels[claim.platform]
            try:
                message = message_from_json(claim.platform, claim.event_id, claim.message)
                await self.dispatcher.answer(message, functools.partial(channel.send, message.ref))
            except Exception:  # one platform failing never holds up the others' answers
                logger.exception("answering %s delivery %s again failed", claim.platform,
                                 claim.event_id)
        return len(due)
