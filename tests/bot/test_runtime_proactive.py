"""`tally serve` wiring: typed alert rules and bets reach their commands, and new data runs the rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agents.answer import Answerer
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage
from bot.runtime import build_runtime
from connectors.hooks import NewData
from tests.bot.test_runtime_http import shop_settings

MEMORY = {"memory": "tests.bot.test_runtime_lifecycle:build_memory"}


@pytest.fixture
def runtime(tmp_path: Path):
    settings = shop_settings(tmp_path, TALLY_PLAYGROUND=False)
    app = App(settings)
    runtime = build_runtime(settings, responder=Answerer(brain_ports(app)), builders=MEMORY)
    runtime.dispatcher.bind("memory", "room1", "shop", actor="test")
    yield runtime
    runtime.app.close()
    app.close()


def _typed(text: str, n: int) -> InboundMessage:
    return InboundMessage(ConversationRef("memory", "room1"), text, user_id="u1", user_name="Ana",
                          event_id=f"typed-{n}")


@pytest.mark.asyncio
async def test_a_typed_rule_is_stored_and_new_data_fires_it_once(runtime):
    memory = runtime.channels[0]
    created = await runtime.dispatcher.handle(
        _typed("alert me when daily revenue drops below 1000000", 1))
    assert created is not None and created.ok and "revenue" in created.text.lower()
    listed = await runtime.dispatcher.handle(_typed("list my alerts", 2))
    assert listed is not None and "1000000" in listed.as_text().replace(",", "")

    # The fixture's data is from 2025: yesterday's revenue is 0, below the threshold.
    await runtime.data_hooks.fire(NewData("shop", {"orders": 1}, "test"))
    await runtime.proactive.checks.idle()
    alerts = [r for r in memory.sent if "revenue" in r.text.lower()]
    assert len(alerts) == 1, [r.text for r in memory.sent]

    await runtime.data_hooks.fire(NewData("shop", {"orders": 1}, "test"))  # cooldown: no repeat
    await runtime.proactive.checks.idle()
    assert len([r for r in memory.sent if "revenue" in r.text.lower()]) == 1


@pytest.mark.asyncio
async def test_a_burst_of_new_data_runs_the_check_at_most_twice(runtime):
    runs: list[str] = []
    runtime.proactive.add_check("count", lambda engine, as_of, ws: runs.append(ws) or [],
                                after_sync=True)
    for _ in range(20):
        await runtime.data_hooks.fire(NewData("shop", {"orders": 1}, "webhook shopify"))
    await runtime.proactive.checks.idle()
    assert 1 <= len(runs) <= 2  # one run, plus one for the data that came during it


@pytest.mark.asyncio
async def test_typed_bets_and_subscriptions_reach_their_commands(runtime):
    bet = await runtime.dispatcher.handle(_typed("bet add NBA Lakers@Celtics moneyline Lakers +150 2u", 3))
    assert bet is not None and bet.ok, bet and bet.text
    assert runtime.app.workspaces.warehouse("shop").fetch(
        "SELECT selection, stake_units, odds_decimal FROM bets") == [("Lakers", 2, 2.5)]
    subscribed = await runtime.dispatcher.handle(_typed("send the weekly report every Monday 9am", 4))
    assert subscribed is not None and "weekly report" in subscribed.text.lower()
    question = await runtime.dispatcher.handle(_typed("revenue march 2025", 5))
    assert question is not None and "$" in question.text  # questions still go to the brain
    await asyncio.sleep(0)
