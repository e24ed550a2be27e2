"""Answers confirmed once: the dispatcher's answer path and the recovery of unanswered claims.

The real dispatcher and offline brain on the shop fixture, a channel that lives in the test
(its sends can fail or hang), and the claims' clock moved by hand.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents.answer import Answerer
from agents.reply import Reply
from bot.answering import AnswerRecovery, message_from_json, message_to_json
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.pipeline import Pipeline
from storage.inbound import ANSWERED, CLAIMED, InboundLedger
from tests.bot.test_runtime_http import shop_settings

LEASE = timedelta(seconds=60)
REF = ConversationRef("telegram", "42")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class ChatChannel:
    """Telegram as far as the recovery sees it: ``send`` posts, or fails while ``down``."""

    platform = "telegram"

    def __init__(self) -> None:
        self.down = False
        self.posted: list[tuple[ConversationRef, str]] = []
        self.hold: asyncio.Event | None = None

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        if self.hold is not None:
            await self.hold.wait()
        if self.down:
            return SendResult(False, error="Bad Gateway")
        self.posted.append((ref, reply.text))
        return SendResult(True, (str(len(self.posted)),))


@pytest.fixture(scope="module")
def shop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("answering")
    shop_settings(data_dir)
    return data_dir


@pytest.fixture
def shop_dir(shop_template: Path, tmp_path: Path) -> Path:
    # A state database of its own: no claims left by another test.
    return Path(shutil.copytree(shop_template, tmp_path / "data"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dispatcher(shop_dir: Path, clock: Clock) -> Iterator[Pipeline]:
    app = App(shop_settings(shop_dir))
    found = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    found.inbound = InboundLedger(app.state, lease=LEASE, max_attempts=3, clock=clock)
    found.bind("telegram", "42", "shop", "test")
    yield found
    app.close()


def question(event_id: str, text: str = "orders march 2025") -> InboundMessage:
    return InboundMessage(REF, text, "7", "Ana", event_id=event_id)


@pytest.mark.asyncio
async def test_an_answer_whose_send_failed_is_sent_once_when_its_lease_expires(dispatcher, clock):
    channel = ChatChannel()
    recovery = AnswerRecovery(dispatcher, [channel], LEASE.total_seconds())
    channel.down = True
    assert await dispatcher.answer(question("u1"), lambda r: channel.send(REF, r)) is not None
    channel.down = False
    before_the_lease = await recovery.sweep()
    clock.now += LEASE
    swept = [await recovery.sweep(), await recovery.sweep()]
    assert before_the_lease == 0 and swept == [1, 0]
    assert len(channel.posted) == 1 and "4" in channel.posted[0][1]
    assert dispatcher.inbound.status("telegram", "u1") == ANSWERED


@pytest.mark.asyncio
async def test_a_slow_answer_keeps_its_lease_and_is_never_answered_twice(dispatcher, clock):
    channel = ChatChannel()
    channel.hold = asyncio.Event()
    recovery = AnswerRecovery(dispatcher, [channel], LEASE.total_seconds())
    sending = asyncio.create_task(dispatcher.answer(question("u2"), lambda r: channel.send(REF, r)))
    while dispatcher.held_events() != [("telegram", "u2")]:
        await asyncio.sleep(0.01)
    clock.now += LEASE / 2
    await recovery.sweep()  # renews the lease of the answer in flight
    clock.now += LEASE * 3 / 4  # past the first lease, inside the renewed one
    during = [await recovery.sweep(), await dispatcher.answer(question("u2"), channel.send)]
    channel.hold.set()
    await sending
    assert during == [0, None]
    assert len(channel.posted) == 1 and dispatcher.held_events() == []
    assert dispatcher.inbound.status("telegram", "u2") == ANSWERED


@pytest.mark.asyncio
async def test_a_retry_after_a_lost_answer_is_answered_and_one_while_it_is_live_is_not(dispatcher, clock):
    channel = ChatChannel()
    assert await dispatcher.handle(question("u3")) is not None  # taken on, then the process "died"
    retried_live = await dispatcher.answer(question("u3"), lambda r: channel.send(REF, r))
    clock.now += LEASE
    retried_late = await dispatcher.answer(question("u3"), lambda r: channel.send(REF, r))
    retried_after = await dispatcher.answer(question("u3"), lambda r: channel.send(REF, r))
    assert retried_live is None and retried_late is not None and retried_after is None
    assert len(channel.posted) == 1


@pytest.mark.asyncio
async def test_a_send_that_raises_leaves_the_question_claimed(dispatcher):
    async def broken(reply: Reply) -> SendResult:
        raise ConnectionResetError("the platform hung up")

    with pytest.raises(ConnectionResetError):
        await dispatcher.answer(question("u4"), broken)
    assert dispatcher.inbound.status("telegram", "u4") == CLAIMED
    assert dispatcher.held_events() == []


@pytest.mark.asyncio
async def test_the_service_waits_for_the_start_answers_what_was_left_and_stops_when_told(dispatcher,
                                                                                       clock):
    channel = ChatChannel()
    assert await dispatcher.handle(question("u5")) is not None  # the previous process died here
    clock.now += LEASE
    started, stop = asyncio.Event(), asyncio.Event()
    service = asyncio.create_task(AnswerRecovery(dispatcher, [channel], 0.2, ready=started).run(stop))
    await asyncio.sleep(0.3)
    before_the_start = list(channel.posted)
    started.set()
    while not channel.posted:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # a few more ticks: nothing more to answer
    stop.set()
    await asyncio.wait_for(service, 5)
    assert before_the_start == [] and len(channel.posted) == 1
    assert dispatcher.inbound.status("telegram", "u5") == ANSWERED


class PlaygroundTab(ChatChannel):
    platform = "playground"


@pytest.mark.asyncio
async def test_claims_of_platforms_not_running_and_of_the_playground_are_left_alone(dispatcher, clock):
    whatsapp = InboundMessage(ConversationRef("whatsapp", "+5511987654321"), "orders", "5511987654321",
                              event_id="wamid.1")
    tab = InboundMessage(ConversationRef("playground", "tab:abcdefgh", None, "shop"), "orders",
                         "abcdefgh", event_id="m1")
    assert dispatcher.claim_event("whatsapp", "wamid.1", whatsapp)
    assert dispatcher.claim_event("playground", "m1", tab)  # its request died with the process
    clock.now += LEASE
    playground = PlaygroundTab()
    swept = await AnswerRecovery(dispatcher, [ChatChannel(), playground], LEASE.total_seconds()).sweep()
    assert swept == 0 and playground.posted == []
    assert dispatcher.inbound.status("whatsapp", "wamid.1") == CLAIMED


def test_the_stored_message_answers_the_same_question_for_the_same_person_without_raw():
    message = InboundMessage(ConversationRef("slack", "C1", "1712.0001", "T1"), "revenue by week",
                             "U1", "Ana", event_id="Ev9", is_admin=True, command="ask",
                             raw={"token": "legacy-verification-token"})
    stored = message_to_json(message)
    assert message_from_json("slack", "Ev9", stored) == message
    assert "legacy-verification-token" not in stored


def test_a_stored_message_keeps_the_role_a_web_surface_gave_it():
    # Answered again after a restart, a signed-in viewer is still a viewer, not the binding's role.
    message = InboundMessage(ConversationRef("playground", "tab:1", None, "shop"), "subscribe",
                             "web:7", event_id="pg-1", role="viewer")
    assert message_from_json("playground", "pg-1", message_to_json(message)).role == "viewer"
