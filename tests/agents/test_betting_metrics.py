"""Every betting metric of metrics.md against a small hand-made guild, through the catalog.

The fixture (as of Thursday 2025-04-10, UTC) and the right answers, worked out by hand:

Sharpie (u1), settled all time: s1 won 1u@2.0 (+1), s2 lost 2u (−2), s3 push (0), s4 won
2u@2.6 (+3.2), s5 cashout 1u paid 1.5 (+0.5), s6 won 3u@1.5 (+1.5), s8 push (0), s9 won
2u@1.8 (+1.6); s7 is void and s10 pending, so neither counts.
    profit 5.8 on 13 staked, ROI 5.8/13; W-L-P 4-1-2 (the cashout counts as a bet, not in
    the record); win rate 4/5; 8 bets; avg odds 16.8/8 = 2.1; CLV over s1, s2, s4 =
    (2.0/1.8 − 1 + 1.9/2.0 − 1 + 2.6/2.0 − 1)/3; streak W3 (s9, s6, s4: the push s8 and the
    cashout s5 are skipped, s2 ends it); 1 pending.
LockSmith (u2): l1 won 2u@2.0 (+2), l2 lost (−1), l3 lost (−1), l4 lost 2u (−2), l5 won
1u@4.0 (+3), l6 lost (−1, Apr 9 10:00), l7 push (0, Apr 9 12:00); l8 pending.
    profit 0 on 10, W-L-P 2-4-1, streak L1 (l7 is a push, l6 lost), avg odds 17.25/7.
Lou (u3): o1 won 1u@2.0 (+1), hockey.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from pathlib import Path

import pytest

from agents.betting.stats import StatsRequest, leaderboard, member_stats, period_of, record
from storage.catalog import AsOf, Engine, Filter, Query, resolve_period
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace

AS_OF_DAY = date(2025, 4, 10)
BETTORS = """user_id,display_name,joined_at
u1,Sharpie,2025-03-01T00:00:00Z
u2,LockSmith,2025-03-01T00:00:00Z
u3,Lou,
"""
HEADER = ("bet_id,user_id,placed_at,sport,league,event,market,selection,odds_decimal,"
          "stake_units,status,settled_at,payout_units,closing_odds_decimal")
BETS = [
    "s1,u1,2025-03-20T10:00:00Z,basketball,NBA,LAL @ BOS,moneyline,LAL,2.0,1,won,2025-03-20T20:00:00Z,,1.8",
    "s2,u1,2025-03-25T10:00:00Z,basketball,NBA,NYK @ MIA,spread,NYK -3,1.9,2,lost,2025-03-25T20:00:00Z,,2.0",
    "s3,u1,2025-04-01T10:00:00Z,football,NFL,Bills @ Jets,total,Over 40,1.8,1,push,2025-04-01T20:00:00Z,,",
    "s4,u1,2025-04-02T10:00:00Z,basketball,NBA,PHX @ DEN,moneyline,PHX,2.6,2,won,2025-04-02T20:00:00Z,,2.0",
    "s5,u1,2025-04-03T10:00:00Z,basketball,NBA,CHI @ MIL,prop,Giannis,3.0,1,cashout,2025-04-03T20:00:00Z,1.5,",
    "s6,u1,2025-04-04T10:00:00Z,football,NFL,KC @ LV,spread,KC -7,1.5,3,won,2025-04-04T20:00:00Z,,",
    "s7,u1,2025-04-05T10:00:00Z,basketball,NBA,Spurs @ Jazz,total,Under 220,2.0,1,void,2025-04-05T20:00:00Z,,",
    "s8,u1,2025-04-06T10:00:00Z,basketball,NBA,Magic @ Hawks,moneyline,Magic,2.2,1,push,2025-04-06T20:00:00Z,,",
    "s9,u1,2025-04-09T10:00:00Z,football,NFL,Eagles @ Giants,moneyline,Eagles,1.8,2,won,2025-04-09T20:00:00Z,,",
    "s10,u1,2025-04-09T11:00:00Z,basketball,NBA,Celtics @ Nets,moneyline,Celtics,2.1,1,pending,,,",
    "l1,u2,2025-03-31T10:00:00Z,basketball,NBA,LAL @ SAC,moneyline,LAL,2.0,2,won,2025-03-31T20:00:00Z,,",
    "l2,u2,2025-04-01T10:00:00Z,basketball,NBA,NYK @ BKN,spread,BKN +5,1.9,1,lost,2025-04-01T21:00:00Z,,",
    "l3,u2,2025-04-02T10:00:00Z,soccer,EPL,ARS v TOT,moneyline,Spurs,3.5,1,lost,2025-04-02T21:00:00Z,,",
    "l4,u2,2025-04-03T10:00:00Z,basketball,NBA,CHI @ MIL,total,Over 230,1.9,2,lost,2025-04-03T21:00:00Z,,",
    "l5,u2,2025-04-04T10:00:00Z,soccer,EPL,CHE v EVE,moneyline,EVE,4.0,1,won,2025-04-04T21:00:00Z,,",
    "l6,u2,2025-04-09T08:00:00Z,basketball,NBA,Heat @ Magic,spread,Heat +2,2.0,1,lost,2025-04-09T10:00:00Z,,",
    "l7,u2,2025-04-09T08:00:00Z,basketball,NBA,Heat @ Magic,total,Under 210,1.95,2,push,2025-04-09T12:00:00Z,,",
    "l8,u2,2025-04-10T09:00:00Z,soccer,EPL,Spurs v Leeds,moneyline,Spurs,1.7,1,pending,,,",
    "o1,u3,2025-04-02T10:00:00Z,hockey,NHL,Bruins @ Rangers,moneyline,Bruins,2.0,1,won,2025-04-02T22:00:00Z,,",
]
ALL_METRICS = ("profit_units", "staked_units", "roi", "win_rate", "record", "bets", "avg_odds",
               "clv", "streak", "pending_bets")


def write_fixture(directory: Path) -> Path:
    """The guild's ``bettors.csv`` and ``bets.csv`` in ``directory`` (import format)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bettors.csv").write_text(BETTORS)
    (directory / "bets.csv").write_text("\n".join([HEADER, *BETS]) + "\n")
    return directory


def as_of() -> AsOf:
    return AsOf.for_day(AS_OF_DAY, zoneinfo.ZoneInfo("UTC"))


@pytest.fixture(scope="module")
def guild(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, write_fixture(tmp_path_factory.mktemp("guild")))
    return Engine(Workspace("guild", "USD", "UTC"), warehouse)


def run(engine: Engine, *filters: Filter, period: str | None = "all time",
        dimensions: tuple[str, ...] = (), metrics: tuple[str, ...] = ALL_METRICS,
        min_count: int | None = None) -> dict:
    query = Query(metrics, period_of(period, as_of()), dimensions, filters, min_count=min_count)
    result = engine.run(query, as_of())
    return result.values if not dimensions else {r[dimensions[0]]: r for r in result.rows}


def test_sharpies_all_time_metrics_match_the_hand_count(guild):
    values = run(guild, Filter("bettor", ("Sharpie",)))
    assert float(values["profit_units"]) == pytest.approx(5.8)
    assert float(values["staked_units"]) == pytest.approx(13)
    assert float(values["roi"]) == pytest.approx(5.8 / 13)
    assert float(values["win_rate"]) == pytest.approx(4 / 5)
    assert values["record"] == "4-1-2"
    assert values["bets"] == 8
    assert float(values["avg_odds"]) == pytest.approx(2.1)
    assert float(values["clv"]) == pytest.approx((2.0 / 1.8 - 1 + 1.9 / 2.0 - 1 + 2.6 / 2.0 - 1) / 3)
    assert values["streak"] == "W3"
    assert values["pending_bets"] == 1


def test_locksmiths_streak_skips_the_later_push_and_he_has_no_clv(guild):
    values = run(guild, Filter("bettor", ("LockSmith",)))
    assert float(values["profit_units"]) == pytest.approx(0)
    assert float(values["staked_units"]) == pytest.approx(10)
    assert float(values["roi"]) == pytest.approx(0)
    assert values["record"] == "2-4-1" and values["bets"] == 7
    assert float(values["win_rate"]) == pytest.approx(2 / 6)
    assert float(values["avg_odds"]) == pytest.approx(17.25 / 7)
    assert values["clv"] is None
    assert values["streak"] == "L1"
    assert values["pending_bets"] == 1


def test_guild_totals_count_cashouts_as_bets_and_voids_nowhere(guild):
    values = run(guild)
    assert float(values["profit_units"]) == pytest.approx(6.8)
    assert float(values["staked_units"]) == pytest.approx(24)
    assert float(values["roi"]) == pytest.approx(6.8 / 24)
    assert values["record"] == "7-5-3" and values["bets"] == 16
    assert float(values["win_rate"]) == pytest.approx(7 / 12)
    assert float(values["avg_odds"]) == pytest.approx(36.05 / 16)
    assert values["streak"] == "W1"  # s9 won after l6 lost; the push l7 between is skipped
    assert values["pending_bets"] == 2


def test_per_bettor_rows_and_profit_by_sport(guild):
    by_bettor = run(guild, dimensions=("bettor",))
    assert {b: by_bettor[b]["streak"] for b in by_bettor} == {"Sharpie": "W3", "LockSmith": "L1",
                                                             "Lou": "W1"}
    by_sport = run(guild, dimensions=("sport",), metrics=("profit_units",))
    assert {s: round(float(r["profit_units"]), 4) for s, r in by_sport.items()} == {
        "basketball": 0.7, "football": 3.1, "soccer": 2.0, "hockey": 1.0}
    football = run(guild, Filter("bettor", ("Sharpie",)), Filter("sport", ("football",)))
    assert float(football["profit_units"]) == pytest.approx(3.1)
    assert float(football["roi"]) == pytest.approx(3.1 / 6)
    assert football["record"] == "2-0-1"


def test_a_period_counts_bets_by_settlement_day(guild):
    week = resolve_period("last week", as_of())  # Mon 2025-03-31 – Sun 2025-04-06
    assert (week.start, week.end) == (date(2025, 3, 31), date(2025, 4, 7))
    rows = run(guild, period="last week", dimensions=("bettor",), min_count=1)
    sharpie, lock, lou = rows["Sharpie"], rows["LockSmith"], rows["Lou"]
    assert (float(sharpie["profit_units"]), float(sharpie["staked_units"])) == pytest.approx((5.2, 8))
    assert sharpie["record"] == "2-0-2" and sharpie["bets"] == 5
    assert (float(lock["profit_units"]), float(lock["roi"])) == pytest.approx((1, 1 / 7))
    assert (float(lou["profit_units"]), float(lou["roi"])) == pytest.approx((1, 1))
    assert set(run(guild, period="last week", dimensions=("bettor",), min_count=5)) == {
        "Sharpie", "LockSmith"}


def test_leaderboard_ranks_by_profit_breaks_ties_by_roi_and_hides_few_bets(guild):
    board = leaderboard(guild, as_of(), "last week", min_bets=1)
    assert [row[1] for row in board.table.rows] == ["Sharpie", "Lou", "LockSmith"]
    assert board.table.rows[0][2:] == ("+5.20u", "65.0%", "2-0-2", "5")
    default = leaderboard(guild, as_of(), "last week")
    assert [row[1] for row in default.table.rows] == ["Sharpie", "LockSmith"]
    assert "at least 5 settled bets" in default.text


def test_stats_and_record_replies_show_the_catalogs_numbers(guild):
    stats = member_stats(guild, as_of(), StatsRequest("Sharpie"))
    assert stats.text == ("Sharpie, all time: +5.80u on 13.00u staked (ROI 44.6%), record 4-1-2, "
                          "win rate 80.0%.")
    shown = dict(stats.table.rows)
    assert (shown["Streak"], shown["CLV"], shown["Average odds"], shown["Pending bets"]) == (
        "W3", "+12.0%", "2.10", "1")
    assert stats.data["values"]["roi"] == pytest.approx(5.8 / 13)  # unrounded in JSON
    assert record(guild, as_of(), "LockSmith").text == (
        "LockSmith: 2-4-1 (W-L-P) over 7 settled bets, 0.00u (ROI 0.0%), streak L1, 1 pending.")
    nba = member_stats(guild, as_of(), StatsRequest("Sharpie", "this year", "basketball"))
    assert "+2.70u on 7.00u staked (ROI 38.6%)" in nba.text


def test_the_leaderboard_with_no_period_is_all_time_as_in_chat(guild):
    # metrics.md: betting with no period = all time, on every surface alike.
    board = leaderboard(guild, as_of(), None, min_bets=1)
    assert board.text.startswith("Leaderboard, all time")
    everything = leaderboard(guild, as_of(), "all time", min_bets=1)
    assert board.table == everything.table
