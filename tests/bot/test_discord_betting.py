"""The betting slash commands through discord.py, against the fake Discord API on 127.0.0.1.

``INTERACTION_CREATE`` payloads with subcommands and typed options (numbers, choices,
members) go through discord.py's command tree exactly as the gateway would deliver them;
the confirmations are read back from the follow-ups the bot posted to the fake.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa

from agents.answer import Answerer
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef
from bot.channels.discord import DiscordChannel, build
from bot.commands.bets import register_betting_commands
from bot.pipeline import Pipeline
from bot.settings import Settings
from storage.state import AuditRow
from tests.fakes import discord_api as fd
from tests.fakes.server import serve

ANA = fd.user("1400000000000000001", "Ana")
BEN = fd.user("1400000000000000002", "Ben")
MOD = fd.user("1400000000000000003", "Mod")
GUILD_WORKSPACE = f"guild-{fd.GUILD}"
NOW = datetime(2025, 4, 10, 18, 0, tzinfo=UTC)
STRING, INTEGER, BOOLEAN, USER, NUMBER = 3, 4, 5, 6, 10
_ids = iter(range(1_610_000_000_000_000_001, 1_619_999_999_999_999_999))


@pytest.fixture(scope="module")
def fake() -> Iterator[fd.FakeDiscord]:
    fake = fd.FakeDiscord()
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def app(tmp_path) -> Iterator[App]:
    found = App(Settings(TALLY_DATA_DIR=tmp_path))  # no workspace: the guild gets its own
    yield found
    found.close()


@pytest_asyncio.fixture
async def bot(fake: fd.FakeDiscord, app: App) -> AsyncIterator[DiscordChannel]:
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    register_betting_commands(dispatcher, clock=lambda: NOW)
    settings = Settings(TALLY_DATA_DIR=app.settings.data_dir, DISCORD_BOT_TOKEN=fd.TOKEN,
                        DISCORD_API_URL=fake.url)  # type: ignore[attr-defined]
    channel = build(settings, dispatcher)
    assert isinstance(channel, DiscordChannel)
    fake.sent.clear()
    await channel.client.login(fd.TOKEN)
    yield channel
    await channel.wait_idle()
    await channel.client.close()


def _option(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):  # a member
        return {"name": name, "type": USER, "value": value["id"]}
    kind = (BOOLEAN if isinstance(value, bool) else INTEGER if isinstance(value, int)
            else NUMBER if isinstance(value, float) else STRING)
    return {"name": name, "type": kind, "value": value}


def command(name: str, who: dict[str, Any], subcommand: str | None = None, *,
            admin: bool = False, **options: Any) -> dict[str, Any]:
    """An INTERACTION_CREATE for ``/name [subcommand] options...`` with typed option values."""
    typed = [_option(k, v) for k, v in options.items()]
    permissions = fd.MEMBER_PERMISSIONS | (fd.MANAGE_GUILD if admin else 0)
    payload = fd.slash_command(str(next(_ids)), name, who, permissions=permissions)
    payload["data"]["options"] = ([{"name": subcommand, "type": 1, "options": typed}]
                                  if subcommand else typed)
    members = [v for v in options.values() if isinstance(v, dict)]
    if members:
        payload["data"]["resolved"] = {
            "users": {m["id"]: m for m in members},
            "members": {m["id"]: {k: v for k, v in fd.member(m).items() if k != "user"}
                        for m in members}}
    return payload


async def run(bot: DiscordChannel, fake: fd.FakeDiscord, *payloads: dict[str, Any]
              ) -> list[dict[str, Any]]:
    """Injects interactions at once and returns the embeds of their follow-ups, in order."""
    before = len(fake.of("followup"))
    for payload in payloads:
        bot.client._connection.parse_interaction_create(payload)
    for _ in range(4000):
        if len(fake.of("followup")) >= before + len(payloads):
            break
        await asyncio.sleep(0.005)
    await bot.wait_idle()
    followups = fake.of("followup")[before:]  # in the order they finished
    assert len(followups) == len(payloads), fake.sent
    return [f.payload["embeds"][0] for f in followups]


async def add(bot, fake, who=ANA, **overrides: Any) -> dict[str, Any]:
    options = {"sport": "NBA", "event": "Lakers @ Celtics", "market": "moneyline",
               "selection": "Lakers", "odds": "+150", "stake": 2.0, **overrides}
    [embed] = await run(bot, fake, command("bet", who, "add", **options))
    return embed


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def audit(app: App) -> list[AuditRow]:
    with app.state.session() as s:
        return list(s.scalars(sa.select(AuditRow).where(AuditRow.action.like("bet.%"))
                              .order_by(AuditRow.id)).all())


def stored(app: App, bet_id: str) -> tuple:
    return app.workspaces.warehouse(GUILD_WORKSPACE).fetch(
        "SELECT user_id, status, odds_decimal, stake_units, payout_units FROM bets "
        "WHERE bet_id = ?", [bet_id])[0]


@pytest.mark.asyncio
async def test_login_syncs_typed_betting_commands(bot, fake):
    by_name = {c["name"]: c for c in fake.commands}
    assert {"bet", "stats", "leaderboard", "record"} <= set(by_name)
    subcommands = {o["name"]: o for o in by_name["bet"]["options"]}
    assert set(subcommands) == {"add", "settle", "edit", "delete", "list"}
    add_options = {o["name"]: o for o in subcommands["add"]["options"]}
    assert add_options["stake"]["type"] == NUMBER and add_options["stake"]["min_value"] > 0
    assert [c["value"] for c in add_options["market"]["choices"]][:3] == ["moneyline", "spread",
                                                                          "total"]
    assert add_options["league"]["required"] is False
    settle = {o["name"]: o for o in subcommands["settle"]["options"]}
    assert [c["value"] for c in settle["result"]["choices"]] == ["won", "lost", "push", "void",
                                                                 "cashout"]
    assert {o["name"]: o["type"] for o in by_name["stats"]["options"]}["user"] == USER


@pytest.mark.asyncio
async def test_first_bet_creates_the_guild_workspace_and_confirms_with_an_embed(bot, fake, app):
    embed = await add(bot, fake)
    assert embed["title"] == "Bet #1 recorded"
    assert fields(embed) == {"Bet": "#1", "Bettor": "Ana", "Status": "pending",
                             "Pick": "basketball NBA · Lakers @ Celtics · moneyline: Lakers",
                             "Odds": "2.50 (+150)", "Stake": "2u"}
    guild = ConversationRef("discord", fd.CHANNEL, None, fd.GUILD)
    assert bot.dispatcher.workspace_for(guild) == GUILD_WORKSPACE
    assert app.workspaces.get(GUILD_WORKSPACE).timezone == "UTC"
    warehouse = app.workspaces.warehouse(GUILD_WORKSPACE)
    assert warehouse.fetch("SELECT user_id, display_name FROM bettors") == [(ANA["id"], "Ana")]
    assert stored(app, "1")[1:4] == ("pending", 2.5, 2)
    [row] = audit(app)
    assert (row.actor, row.action, row.before) == (f"discord:{ANA['id']}", "bet.add", None)
    assert json.loads(row.after)["odds_decimal"] == "2.5"


@pytest.mark.asyncio
@pytest.mark.parametrize(("odds", "stake", "says"), [
    ("+0", 1.0, "+0 is not valid American odds"),
    ("0.9", 1.0, "Decimal odds must be above 1.0 (got 0.9)"),
    ("abc", 1.0, "'abc' is not odds"),
    ("1.0", 1.0, "Decimal odds must be above 1.0"),
    ("+150", -1.0, "The stake must be above 0 units (got -1)"),
    ("+150", 0.0, "The stake must be above 0 units"),
])
async def test_bad_odds_and_stakes_are_refused_and_nothing_is_written(bot, fake, app, odds,
                                                                      stake, says):
    embed = await add(bot, fake, odds=odds, stake=stake)
    assert says in embed["description"]
    assert embed["color"] == 0xC05621  # the "not ok" colour
    assert app.workspaces.warehouse(GUILD_WORKSPACE).fetch("SELECT count(*) FROM bets") == [(0,)]
    assert audit(app) == []


@pytest.mark.asyncio
async def test_only_the_owner_or_an_admin_settles_and_a_settled_bet_stays_settled(bot, fake, app):
    await add(bot, fake)
    [refused] = await run(bot, fake, command("bet", BEN, "settle", bet_id="1", result="lost"))
    assert "Bet #1 isn't yours" in refused["description"]
    assert stored(app, "1")[1] == "pending"
    [settled] = await run(bot, fake, command("bet", MOD, "settle", admin=True, bet_id="#1",
                                             result="won"))
    assert settled["title"] == "Bet #1 settled: won"
    assert fields(settled)["Profit"] == "+3.00u"  # 2u × (2.50 − 1), from the catalog
    [again] = await run(bot, fake, command("bet", ANA, "settle", bet_id="1", result="lost"))
    assert "already settled (won at 2025-04-10 18:00 UTC)" in again["description"]
    assert stored(app, "1")[1] == "won"
    actions = [(r.actor, r.action) for r in audit(app)]
    assert actions == [(f"discord:{ANA['id']}", "bet.add"), (f"discord:{MOD['id']}", "bet.settle")]
    assert json.loads(audit(app)[1].before)["status"] == "pending"


@pytest.mark.asyncio
async def test_cashout_needs_a_payout_and_its_profit_is_payout_minus_stake(bot, fake, app):
    await add(bot, fake)
    [missing] = await run(bot, fake, command("bet", ANA, "settle", bet_id="1", result="cashout"))
    assert "a cash-out needs the payout" in missing["description"].lower()
    [cashed] = await run(bot, fake, command("bet", ANA, "settle", bet_id="1", result="cashout",
                                            payout=1.5))
    assert fields(cashed)["Payout"] == "1.5u" and fields(cashed)["Profit"] == "-0.50u"


@pytest.mark.asyncio
async def test_edit_and_delete_follow_the_permissions_and_keep_an_audit_trail(bot, fake, app):
    await add(bot, fake)
    await add(bot, fake, who=BEN, selection="Celtics", odds="-200", stake=1.0)
    [edited] = await run(bot, fake, command("bet", ANA, "edit", bet_id="1", odds="2.4", stake=1.5))
    assert fields(edited)["Odds"] == "2.40 (+140)" and fields(edited)["Stake"] == "1.5u"
    [not_yours] = await run(bot, fake, command("bet", ANA, "edit", bet_id="2", odds="2.0"))
    assert "isn't yours" in not_yours["description"]
    await run(bot, fake, command("bet", ANA, "settle", bet_id="1", result="lost"))
    [own_result] = await run(bot, fake, command("bet", ANA, "edit", bet_id="1", result="won"))
    assert "only a server admin can correct results" in own_result["description"]
    [corrected] = await run(bot, fake, command("bet", MOD, "edit", admin=True, bet_id="1",
                                               result="won"))
    assert fields(corrected)["Status"] == "won"
    [no_delete] = await run(bot, fake, command("bet", ANA, "delete", bet_id="2"))
    assert "isn't yours" in no_delete["description"]
    [deleted] = await run(bot, fake, command("bet", BEN, "delete", bet_id="2"))
    assert "Bet #2 deleted" in deleted["description"]
    await add(bot, fake, who=BEN)
    assert app.workspaces.warehouse(GUILD_WORKSPACE).fetch(
        "SELECT bet_id FROM bets ORDER BY bet_id") == [("1",), ("3",)]  # ids never come back
    trail = [(r.action, json.loads(r.before or "null"), json.loads(r.after or "null"))
             for r in audit(app)]
    edit_before, edit_after = trail[2][1], trail[2][2]
    assert (edit_before["odds_decimal"], edit_after["odds_decimal"]) == ("2.5", "2.4")
    correction = trail[4]
    assert correction[0] == "bet.edit" and (correction[1]["status"], correction[2]["status"]) == (
        "lost", "won")
    assert trail[5][0] == "bet.delete" and trail[5][1]["bet_id"] == "2" and trail[5][2] is None


@pytest.mark.asyncio
async def test_two_simultaneous_settles_of_one_bet_one_wins_one_is_told(bot, fake, app):
    await add(bot, fake)
    embeds = await run(bot, fake,
                       command("bet", ANA, "settle", bet_id="1", result="won"),
                       command("bet", MOD, "settle", admin=True, bet_id="1", result="lost"))
    texts = [e["description"] for e in embeds]
    winners = [e for e in embeds if (e["title"] or "").startswith("Bet #1 settled")]
    losers = [e for e in embeds if "already settled" in e["description"]]
    assert len(winners) == 1 and len(losers) == 1, texts
    outcome = winners[0]["title"].rsplit(" ", 1)[1]
    assert stored(app, "1")[1] == outcome
    settles = [r for r in audit(app) if r.action == "bet.settle"]
    assert len(settles) == 1 and json.loads(settles[0].after)["status"] == outcome


@pytest.mark.asyncio
async def test_list_stats_leaderboard_and_record(bot, fake, app):
    for odds in ("+150", "2.0", "-200"):
        await add(bot, fake, odds=odds, stake=1.0)
    await add(bot, fake, who=BEN, sport="NFL", odds="+100", stake=1.0)
    await run(bot, fake, command("bet", ANA, "settle", bet_id="1", result="won"),
              command("bet", ANA, "settle", bet_id="2", result="push"),
              command("bet", BEN, "settle", bet_id="4", result="lost"))
    [listed] = await run(bot, fake, command("bet", ANA, "list"))
    assert listed["description"].startswith("Ana's bets: 3 in all, page 1 of 1.")
    assert "#3" in listed["description"] and "won +1.50u" in listed["description"]
    [pending] = await run(bot, fake, command("bet", MOD, "list", user=ANA, status="pending"))
    assert pending["description"].startswith("Ana's pending bets: 1 in all")
    [stats] = await run(bot, fake, command("stats", BEN, user=ANA))
    assert stats["description"].startswith("Ana, all time: +1.50u on 2.00u staked (ROI 75.0%), "
                                           "record 1-0-1, win rate 100.0%.")
    [board] = await run(bot, fake, command("leaderboard", ANA, min_bets=1))
    assert "Ana leads with +1.50u" in board["description"]
    assert board["description"].index("Ana") < board["description"].index("Ben")
    [rec] = await run(bot, fake, command("record", ANA, user=BEN))
    assert rec["description"] == ("Ben: 0-1-0 (W-L-P) over 1 settled bet, -1.00u (ROI -100.0%), "
                                  "streak L1, 0 pending.")


@pytest.mark.asyncio
async def test_two_first_bets_at_once_make_one_workspace_and_two_bets(bot, fake, app):
    options = {"sport": "NHL", "event": "BOS @ NYR", "market": "moneyline", "selection": "BOS",
               "odds": "-120", "stake": 1.0}
    embeds = await run(bot, fake, command("bet", ANA, "add", **options),
                       command("bet", BEN, "add", **options))
    assert sorted(e["title"] for e in embeds) == ["Bet #1 recorded", "Bet #2 recorded"]
    assert [w.name for w in app.workspaces.list()] == [GUILD_WORKSPACE]
    assert app.workspaces.warehouse(GUILD_WORKSPACE).fetch(
        "SELECT display_name FROM bettors ORDER BY display_name") == [("Ana",), ("Ben",)]
