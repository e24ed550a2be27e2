"""Delivery: retries with backoff (Retry-After honoured), failing chats isolated, every send logged.

The backoff's sleep is injected: it records the delays and returns at once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from telegram.error import RetryAfter

from agents.reply import Reply
from bot.channels.base import ConversationRef, SendResult
from bot.delivery import Deliverer, DeliveryLog, Outgoing, RetryPolicy, WorkspaceChecks, retry_after_of

CHAT = ConversationRef("telegram", "7001")
NOON = datetime(2025, 4, 10, 15, 0, tzinfo=UTC)


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class ScriptedChannel:
    """Answers each send with the next scripted outcome: a SendResult, or an exception to raise."""

    def __init__(self, platform: str, *outcomes: SendResult | Exception) -> None:
        self.platform = platform
        self.outcomes = list(outcomes)
        self.sent: list[tuple[ConversationRef, Reply]] = []

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        self.sent.append((ref, reply))
        outcome = self.outcomes.pop(0) if self.outcomes else SendResult(True, ("ok",))
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def too_many_requests(retry_after: str) -> httpx.HTTPStatusError:
    response = httpx.Response(429, headers={"Retry-After": retry_after},
                              request=httpx.Request("POST", "http://127.0.0.1/api/chat.postMessage"))
    return httpx.HTTPStatusError("429 Too Many Requests", request=response.request, response=response)


@pytest.mark.asyncio
async def test_429s_wait_the_seconds_the_platform_asks_then_the_message_is_sent():
    # (Telegram's own client waits out its 429s itself: AIORateLimiter in the channel.)
    channel = ScriptedChannel("slack", too_many_requests("7"),
                              SendResult(False, error="Flood control exceeded. Retry in 3 seconds"))
    sleeps = Sleeps()
    result = await Deliverer([channel], RetryPolicy(base_delay=1), sleeps).send(
        ConversationRef("slack", "C1"), Reply("Digest: $240.00"))
    assert (result.ok, result.attempts) == (True, 3)
    assert sleeps == [7, 3]  # Retry-After wins over the 1 s and 2 s of the backoff
    assert [reply.text for _, reply in channel.sent] == ["Digest: $240.00"] * 3


@pytest.mark.asyncio
async def test_5xx_and_network_errors_back_off_exponentially_then_succeed():
    channel = ScriptedChannel("slack", SendResult(False, error="503 Service Unavailable"),
                              httpx.ConnectError("connection reset"),
                              SendResult(False, error="internal_error"))
    sleeps = Sleeps()
    result = await Deliverer([channel], RetryPolicy(attempts=5, base_delay=0.5), sleeps).send(
        ConversationRef("slack", "C1"), Reply("hi"))
    assert (result.ok, result.attempts, result.message_ids) == (True, 4, ("ok",))
    assert sleeps == [0.5, 1.0, 2.0]


@pytest.mark.asyncio
async def test_a_permanent_error_is_not_retried_and_exhausted_retries_report_the_last_error():
    gone = ScriptedChannel("slack", SendResult(False, error="not_in_channel"))
    sleeps = Sleeps()
    result = await Deliverer([gone], sleep=sleeps).send(ConversationRef("slack", "C1"), Reply("hi"))
    assert (result.ok, result.attempts, result.error, sleeps) == (False, 1, "not_in_channel", [])
    down = ScriptedChannel("slack", *[SendResult(False, error="ratelimited")] * 3)
    result = await Deliverer([down], RetryPolicy(attempts=3, max_delay=1.5), sleeps).send(
        ConversationRef("slack", "C1"), Reply("hi"))
    assert (result.ok, result.attempts, result.error, sleeps) == (False, 3, "ratelimited", [1.0, 1.5])


@pytest.mark.asyncio
async def test_a_channel_that_keeps_failing_does_not_hold_up_another_chat():
    good_sent = asyncio.Event()

    class Good(ScriptedChannel):
        async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
            good_sent.set()
            return await super().send(ref, reply)

    async def wait_for_the_good_one(_seconds: float) -> None:
        # Retrying the broken chat cannot finish until the good chat was sent: sequential
        # sends would time out here.
        await asyncio.wait_for(good_sent.wait(), 2)

    broken = ScriptedChannel("discord", *[RuntimeError("HTTP 500")] * 4)
    good = Good("whatsapp")
    deliverer = Deliverer([broken, good], sleep=wait_for_the_good_one)
    results = await deliverer.send_all([(ConversationRef("discord", "1"), Reply("digest")),
                                        (ConversationRef("whatsapp", "+55"), Reply("digest")),
                                        (ConversationRef("slack", "C9"), Reply("digest"))])
    assert [(r.ok, r.attempts) for r in results] == [(False, 4), (True, 1), (False, 0)]
    assert results[0].error == "RuntimeError: HTTP 500"
    assert results[2].error == "no channel for slack is running"


def test_retry_after_is_read_from_exceptions_headers_and_error_text():
    assert retry_after_of(RetryAfter(12)) == 12
    response = httpx.Response(429, headers={"Retry-After": "30"})
    assert retry_after_of(httpx.HTTPStatusError("429", request=httpx.Request("POST", "http://x"),
                                                response=response)) == 30
    assert retry_after_of(SendResult(False, error="Flood control exceeded. Retry in 5 seconds")) == 5
    assert retry_after_of(SendResult(False, error="503 Service Unavailable")) is None
    assert RetryPolicy(max_retry_after=60).delay(1, 3600) == 60


@pytest.mark.asyncio
async def test_workspace_checks_deliver_what_they_find_once_per_key_and_log_every_send(app):
    channel = ScriptedChannel("telegram")
    log = DeliveryLog(app.state, lambda: NOON)
    checks = WorkspaceChecks(app, Deliverer([channel], sleep=Sleeps()), log, lambda: NOON)
    seen: list[tuple[str, str]] = []

    def refunds_spike(engine, as_of, workspace):
        seen.append((workspace, as_of.day.isoformat()))
        yield Outgoing(CHAT, Reply("Refunds are up 40% today"), key="rule:1:2025-04-10")
        yield Outgoing(CHAT, Reply("a note without a key"))

    checks.add("refunds", refunds_spike)
    first = await checks.run("refunds")
    again = await checks.run("refunds", "shop")
    assert seen == [("shop", "2025-04-10"), ("shop", "2025-04-10")]
    assert [r.ok for r in first] == [True, True] and [r.ok for r in again] == [True]
    assert [reply.text for _, reply in channel.sent].count("Refunds are up 40% today") == 1
    assert [r.status for r in log.records(0)] == ["sent", "sent", "sent"]
