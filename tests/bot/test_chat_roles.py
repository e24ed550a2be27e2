"""Roles in chat, one rule for every command family, through the wiring of ``tally serve``.

``build_runtime`` with an in-memory platform: typed messages reach subscriptions, alert
rules and bets by the same routers as in production, and the dispatcher decides the role
each message acts with (the binding's, a platform admin raised to admin of the bound
workspace only, or the role a web surface set).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.answer import Answerer
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage
from bot.runtime import Runtime, build_runtime
from storage.access import Role
from storage.importer import import_directory
from tests.bot.test_runtime_http import shop_settings
from tests.conftest import FIXTURES

MEMORY = {"memory": "tests.bot.test_runtime_lifecycle:build_memory"}
SHOP_ROOM, VIEWER_ROOM, TENANT_ROOM = "shop-room", "viewer-room", "tenant-room"
_events = itertools.count()


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    settings = shop_settings(tmp_path, TALLY_PLAYGROUND=False)
    app = App(settings)
    app.workspaces.create("tenantb", "USD", "UTC")
    import_directory(app.workspaces.warehouse("tenantb"), FIXTURES / "shop")
    runtime = build_runtime(settings, responder=Answerer(brain_ports(app)), builders=MEMORY)
    runtime.dispatcher.bind("memory", SHOP_ROOM, "shop", "cli:root")
    runtime.dispatcher.bind("memory", VIEWER_ROOM, "shop", "cli:root", role=Role.VIEWER)
    runtime.dispatcher.bind("memory", TENANT_ROOM, "tenantb", "cli:root")
    yield runtime
    runtime.app.close()
    app.close()


async def say(runtime: Runtime, text: str, room: str = SHOP_ROOM, *, user: str = "u1",
              admin: bool = False, role: str | None = None) -> Reply:
    message = InboundMessage(ConversationRef("memory", room), text, user, user.upper(),
                             event_id=f"role-{next(_events)}", is_admin=admin, role=role)
    reply = await runtime.dispatcher.handle(message)
    assert reply is not None
    return reply


def refused(reply: Reply, needs: str) -> bool:
    return not reply.ok and f"needs the {needs} role" in reply.text


@pytest.mark.asyncio
async def test_a_viewer_asks_and_lists_but_cannot_subscribe_set_alerts_or_record_bets(runtime):
    assert (await say(runtime, "revenue march 2025", VIEWER_ROOM)).data["value"] == 240
    assert (await say(runtime, "list subscriptions", VIEWER_ROOM)).ok
    assert (await say(runtime, "list alerts", VIEWER_ROOM)).ok
    for text in ("subscribe daily digest at 8:00", "alert me when daily revenue drops below 1000",
                 "bet add NBA LAL@BOS moneyline LAL +150 2u", "unsubscribe"):
        assert refused(await say(runtime, text, VIEWER_ROOM), "member"), text
    assert runtime.proactive.store.list(workspace="shop") == []


@pytest.mark.asyncio
async def test_a_member_cannot_delete_or_snooze_anothers_alert_but_its_owner_and_an_admin_can(runtime):
    created = await say(runtime, "alert me when daily revenue drops below 1000")
    first = created.data["rule"]["id"]
    assert refused(await say(runtime, f"delete alert {first}", user="u2"), "admin")
    assert refused(await say(runtime, "snooze alerts for 2 days", user="u2"), "admin")
    assert (await say(runtime, f"snooze alert {first} for 1 day")).ok  # its owner may
    second = (await say(runtime, "alert me when daily orders drop below 5")).data["rule"]["id"]
    assert (await say(runtime, f"delete alert {second}", user="u9", admin=True)).ok
    assert (await say(runtime, f"delete alert {first}")).ok
    assert "no alert rules" in (await say(runtime, "list alerts")).text


@pytest.mark.asyncio
async def test_a_member_cannot_unsubscribe_or_change_anothers_subscription(runtime):
    assert (await say(runtime, "subscribe daily digest at 8:00")).ok
    assert refused(await say(runtime, "unsubscribe", user="u2"), "admin")
    assert refused(await say(runtime, "subscribe daily digest at 9:00", user="u2"), "admin")
    [kept] = runtime.proactive.store.list(workspace="shop")
    assert kept.schedule == "0 8 * * *"
    assert (await say(runtime, "unsubscribe", user="u9", admin=True)).ok
    assert runtime.proactive.store.list(workspace="shop") == []


@pytest.mark.asyncio
async def test_a_platform_admin_settles_others_bets_only_in_the_workspace_their_chat_is_bound_to(
        runtime):
    bet = "bet add NBA LAL@BOS moneyline LAL +150 2u"
    assert (await say(runtime, bet)).text.startswith("Bet #1 recorded")
    assert (await say(runtime, bet, TENANT_ROOM)).text.startswith("Bet #1 recorded")
    assert "isn't yours" in (await say(runtime, "bet settle 1 won", user="u2")).text
    settled = await say(runtime, "bet settle 1 won", user="u9", admin=True)
    assert settled.ok and settled.text.startswith("Bet #1 settled: won")
    # tenantb's bet #1 is untouched: the admin acted in shop, where their chat is bound.
    listed = await say(runtime, "bet list pending", TENANT_ROOM)
    assert "1 in all" in listed.text
    # A name typed in chat does not carry their admin rights over to tenantb.
    assert not (await say(runtime, "connect tenantb", user="u9", admin=True)).ok


@pytest.mark.asyncio
async def test_the_role_a_web_surface_sets_wins_over_the_binding_and_the_platform_flag(runtime):
    assert refused(await say(runtime, "subscribe daily digest at 8:00", user="web:7", admin=True,
                             role="viewer"), "member")
    assert (await say(runtime, "subscribe daily digest at 8:00", VIEWER_ROOM, user="web:7",
                      role="member")).ok
    assert not (await say(runtime, "revenue march 2025", user="web:7", role="superuser")).ok
