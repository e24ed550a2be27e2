"""The book of bets: odds and stakes as people type them, typed commands on any platform,
and settling one bet from two threads at once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from agents.answer import Answerer
from agents.betting import parsing
from agents.betting.book import Book
from agents.betting.model import Actor, AlreadySettledError
from agents.betting.odds import BetInputError, format_odds, parse_odds, parse_stake
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage
from bot.commands.bets import register_betting_commands, text_command
from bot.pipeline import Pipeline
from bot.settings import Settings
from storage.state import AuditRow

NOW = datetime(2025, 4, 10, 18, 0, tzinfo=UTC)
ANA, BEN = Actor("u1", "Ana", platform="telegram"), Actor("u2", "Ben", platform="telegram")
ADMIN = Actor("u9", "Mod", is_admin=True, platform="telegram")
SLIP = {"sport": "basketball", "league": "NBA", "event": "LAL @ BOS", "market": "moneyline",
        "selection": "LAL", "odds_decimal": Decimal("2.5"), "stake_units": Decimal(2)}


@pytest.mark.parametrize(("typed", "decimal"), [
    ("+150", "2.5"), ("-200", "1.5"), ("-110", "1.9091"), ("+100", "2"), ("-100", "2"),
    ("2.50", "2.5"), ("1,91", "1.91"), ("3/2", "2.5"), ("1/4", "1.25"), (" +250 ", "3.5"),
])
def test_odds_in_american_decimal_or_fractional_are_stored_as_decimal(typed, decimal):
    assert parse_odds(typed) == Decimal(decimal)


@pytest.mark.parametrize(("typed", "says"), [
    ("+0", "+0 is not valid American odds"), ("+50", "+50 is not valid American odds"),
    ("-99", "-99 is not valid American odds"), ("0.9", "decimal odds must be above 1.0"),
    ("1", "decimal odds must be above 1.0"), ("abc", "'abc' is not odds"), ("", "is not odds"),
    ("0/2", "not valid fractional odds"),
])
def test_impossible_odds_say_what_to_type(typed, says):
    with pytest.raises(BetInputError, match=None) as caught:
        parse_odds(typed)
    assert says in str(caught.value)


def test_stakes_are_positive_units_and_odds_echo_both_ways():
    assert [parse_stake(s) for s in ("2", "2u", "1.5 units", ".5u")] == [2, 2, Decimal("1.5"),
                                                                        Decimal("0.5")]
    for bad, says in (("-1", "above 0"), ("0u", "above 0"), ("abc", "not a stake"),
                      ("5000", "more than the 1000 units")):
        with pytest.raises(BetInputError) as caught:
            parse_stake(bad)
        assert says in str(caught.value)
    assert (format_odds(Decimal("2.5")), format_odds(Decimal("1.5"))) == ("2.50 (+150)", "1.50 (-200)")


def test_typed_commands_parse_to_bet_fields():
    assert parsing.parse_add("NBA Lakers@Celtics moneyline Lakers +150 2u") == {
        "sport": "basketball", "league": "NBA", "event": "Lakers@Celtics", "market": "moneyline",
        "selection": "Lakers", "odds_decimal": Decimal("2.5"), "stake_units": Decimal(2)}
    named = parsing.parse_add('sport=NFL event="Bills @ Jets" market=ats pick="Bills -3" '
                              "odds=-110 stake=1 closing=-120")
    assert (named["league"], named["market"], named["selection"], named["closing_odds_decimal"]) == (
        "NFL", "spread", "Bills -3", Decimal("1.8333"))
    assert parsing.parse_settle("#12 cashout 1.8u") == ("12", "cashout", Decimal("1.8"), None)
    assert parsing.parse_settle("12 win closing=+120") == ("12", "won", None, Decimal("2.2"))
    assert parsing.parse_edit("12 odds=+140 stake=1u") == (
        "12", {"odds_decimal": Decimal("2.4"), "stake_units": Decimal(1)})
    with pytest.raises(BetInputError, match="missing: odds, stake"):
        parsing.parse_add("NBA Lakers@Celtics moneyline Lakers")
    assert text_command("bet settle 3 won") == ("bet", "settle 3 won")
    assert text_command("/leaderboard this week") == ("leaderboard", "this week")
    assert text_command("record revenue for last month by country please") is None


@pytest.fixture
def app(tmp_path) -> Iterator[App]:
    found = App(Settings(TALLY_DATA_DIR=tmp_path))
    found.workspaces.create("guild-7")
    yield found
    found.close()


def book(app: App) -> Book:
    return Book(app.workspaces.warehouse("guild-7"), app.state, "guild-7", clock=lambda: NOW)


def test_two_threads_settling_one_bet_exactly_one_wins_and_nothing_is_lost(app):
    bet = book(app).add(ANA, SLIP)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def settle(actor: Actor, result: str) -> None:
        start.wait()
        try:
            book(app).settle(actor, bet.bet_id, result)
            outcomes[result] = "settled"
        except AlreadySettledError:
            outcomes[result] = "refused"

    threads = [threading.Thread(target=settle, args=(ANA, "won")),
               threading.Thread(target=settle, args=(ADMIN, "lost"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["refused", "settled"]
    winner = next(r for r, o in outcomes.items() if o == "settled")
    assert book(app).get(bet.bet_id).status == winner
    with app.state.session() as s:
        trail = s.scalars(sa.select(AuditRow).where(AuditRow.workspace == "guild-7",
                                                    AuditRow.action.like("bet.%"))
                          .order_by(AuditRow.id)).all()
    assert [r.action for r in trail] == ["bet.add", "bet.settle"]
    assert json.loads(trail[1].after)["status"] == winner


def test_an_admin_can_reopen_a_bet_and_members_cannot_touch_settled_ones(app):
    ledger = book(app)
    bet = ledger.add(ANA, SLIP)
    ledger.settle(ANA, bet.bet_id, "won")
    with pytest.raises(BetInputError, match="only a server admin can delete"):
        ledger.delete(ANA, bet.bet_id)
    reopened = ledger.edit(ADMIN, bet.bet_id, {"status": "pending"})
    assert (reopened.status, reopened.settled_at) == ("pending", None)
    closing = ledger.edit(ANA, bet.bet_id, {"closing_odds_decimal": Decimal("2.2")})
    assert closing.closing_odds_decimal == Decimal("2.2")
    with pytest.raises(BetInputError, match="already has those values"):
        ledger.edit(ANA, bet.bet_id, {"closing_odds_decimal": Decimal("2.2")})


@pytest.mark.asyncio
async def test_the_same_commands_work_typed_on_any_platform(app):
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    dispatcher.bind("telegram", "-100", "guild-7", "test")
    register_betting_commands(dispatcher, clock=lambda: NOW)
    ref = ConversationRef("telegram", "-100")
    counter = iter(range(1000))

    async def say(text: str, user: Actor = ANA) -> str:
        command, _ = text_command(text) or ("ask", text)
        reply = await dispatcher.handle(InboundMessage(ref, text, user.user_id, user.display_name,
                                                       f"e{next(counter)}", False, command))
        assert reply is not None
        return reply.text

    assert (await say("bet add NBA LAL@BOS moneyline LAL +150 2u")).startswith("Bet #1 recorded")
    assert (await say("bet add NFL BUF@NYJ spread BUF -3 -110 1u")).startswith("Bet #2 recorded")
    assert "isn't yours" in await say("bet settle 1 lost", BEN)
    assert (await say("bet settle 1 won")).startswith("Bet #1 settled: won (+3.00u)")
    assert "already settled" in await say("bet settle 1 lost")
    assert "must be above 0 units" in await say("bet add NBA A@B total Over -1.5 2.0 -1")
    assert (await say("bet list")).startswith("Ana's bets: 2 in all, page 1 of 1.")
    assert (await say("stats")).startswith("Ana, all time: +3.00u on 2.00u staked (ROI 150.0%)")
    assert "Ana leads with +3.00u" in await say("leaderboard this month min 1")
    assert (await say("record Ana", BEN)).startswith("Ana: 1-0-0 (W-L-P) over 1 settled bet,")
    assert "bet add SPORT EVENT" in await say("bet")
