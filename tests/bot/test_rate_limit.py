"""The per-user rate limit counts only the messages it lets through.

A steady asker at exactly the limit is never refused, however long they keep going;
an asker who is refused and keeps trying is let in again once a minute has passed
since the messages that were answered (the refused ones don't extend the wait).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agents.answer import Answerer
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage
from bot.pipeline import Pipeline, RateLimiter
from bot.settings import Settings
from storage.importer import import_directory
from tests.conftest import FIXTURES

REF = ConversationRef("slack", "C1", None, "T1")
PER_MINUTE = 3


@pytest.fixture
def dispatcher(tmp_path: Path) -> Pipeline:
    app = App(Settings(TALLY_DATA_DIR=tmp_path))
    app.workspaces.create("shop", "USD", "America/Sao_Paulo")
    import_directory(app.workspaces.warehouse("shop"), FIXTURES / "shop")
    clock = [0.0]
    found = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=PER_MINUTE,
                       clock=lambda: clock[0])
    found.clock = clock  # type: ignore[attr-defined]
    found.bind("slack", "C1", "shop", "cli", team_id="T1")
    return found


def ask_at(dispatcher: Pipeline, second: float, user: str = "U1") -> Reply:
    dispatcher.clock[0] = second  # type: ignore[attr-defined]
    reply = asyncio.run(dispatcher.handle(InboundMessage(REF, "orders march 2025", user, "Ana")))
    assert reply is not None
    return reply


def test_a_steady_asker_at_exactly_the_limit_is_never_refused(dispatcher):
    # Three a minute, one every 20 seconds, for five minutes: every one is answered.
    replies = [ask_at(dispatcher, 20.0 * i) for i in range(15)]
    assert all(r.ok and r.data["value"] == 4 for r in replies), [r.text for r in replies]


def test_a_refused_asker_who_keeps_trying_is_let_in_a_minute_after_the_answered_ones(dispatcher):
    answered = [ask_at(dispatcher, 0.0) for _ in range(PER_MINUTE)]
    assert all(r.ok for r in answered)
    refused = [ask_at(dispatcher, float(s)) for s in range(5, 60, 5)]  # every 5 s: refused
    assert not any(r.ok for r in refused) and "give me a minute" in refused[-1].text
    assert ask_at(dispatcher, 60.0).ok  # the three answered at 0 s have left the window
    assert ask_at(dispatcher, 60.5).ok and ask_at(dispatcher, 61.0).ok
    assert not ask_at(dispatcher, 61.5).ok  # three answered in the last minute again


def test_one_asker_being_refused_does_not_slow_down_another(dispatcher):
    for _ in range(PER_MINUTE + 5):
        ask_at(dispatcher, 0.0, user="U1")
    assert [ask_at(dispatcher, 1.0, user="U2").ok for _ in range(PER_MINUTE)] == [True] * PER_MINUTE


def test_the_limiter_alone_counts_only_what_it_allowed():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    decisions = []
    for second in range(0, 300, 10):  # one try every 10 s for five minutes, limit 2 a minute
        now[0] = float(second)
        decisions.append(limiter.allow("slack:U1"))
    # Each minute answers the tries at 0 and 10 s past the window's start, refuses the rest.
    assert decisions == [True, True, False, False, False, False] * 5
