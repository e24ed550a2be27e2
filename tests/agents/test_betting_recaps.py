"""The weekly guild recap and yesterday's results, on the hand-counted guild of
``test_betting_metrics`` (as of Thursday 2025-04-10: last week is Mar 31 – Apr 6)."""

from __future__ import annotations

import zoneinfo
from datetime import date

import pytest

from agents.betting.recaps import daily_results, guild_recap
from bot.charts import attach_chart
from storage.catalog import AsOf, Engine
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace
from tests.agents.test_betting_metrics import as_of, write_fixture

UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture(scope="module")
def guild(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, write_fixture(tmp_path_factory.mktemp("guild")))
    return Engine(Workspace("guild", "USD", "UTC"), warehouse)


def test_weekly_recap_has_the_leaderboard_biggest_win_best_roi_and_streak(guild, tmp_path):
    recap = attach_chart(guild_recap(guild, as_of()), tmp_path)
    lines = recap.text.splitlines()
    # 11 bets settled in the week (Sharpie 5, LockSmith 5, Lou 1; the void s7 is not one):
    # +5.2 +1 +1 on 8 + 7 + 1 staked
    assert lines[0] == ("Weekly recap, last week (Mar 31 – Apr 6, 2025): 11 bets settled, "
                        "+7.20u for the server on 16.00u staked.")
    assert lines[1] == "Biggest win: Sharpie, +3.20u on PHX (PHX @ DEN)."  # s4: 2u × 1.6
    assert lines[2] == "Best ROI: Sharpie, 65.0% over 5 bets."  # 5.2 / 8; Lou has 1 bet only
    assert lines[3] == "Longest winning streak: Sharpie, W3."
    assert [row[1:] for row in recap.table.rows] == [
        ("Sharpie", "+5.20u", "65.0%", "2-0-2"), ("Lou", "+1.00u", "100.0%", "1-0-0"),
        ("LockSmith", "+1.00u", "14.3%", "2-3-0")]  # Lou and LockSmith tie: ROI decides


def test_the_recap_charts_cumulative_units_of_the_top_bettors(guild, tmp_path):
    recap = attach_chart(guild_recap(guild, as_of()), tmp_path)
    assert recap.chart is not None and recap.chart.endswith(".png")
    with open(recap.chart, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    running = {(r["day"], r["bettor"]): r["profit_units"] for r in recap.data["rows"]}
    # LockSmith: +2 (Mar 31), −1 (Apr 1), −1 (Apr 2), −2 (Apr 3), +3 (Apr 4)
    assert [running[(f"2025-{d}", "LockSmith")] for d in
            ("03-31", "04-01", "04-02", "04-03", "04-04", "04-06")] == pytest.approx(
        [2, 1, 0, -2, 1, 1])
    assert running[("2025-04-06", "Sharpie")] == pytest.approx(5.2)
    assert guild_recap(guild, as_of()).chart is None  # not drawn yet: the rows and the spec only


def test_a_week_without_settled_bets_says_so(guild):
    quiet = guild_recap(guild, AsOf.for_day(date(2025, 3, 10), UTC))
    assert quiet.text == "Weekly recap, last week (Mar 3 – Mar 9, 2025): no bets were settled."


def test_daily_results_list_yesterdays_settled_bets(guild):
    results = daily_results(guild, as_of())
    assert results is not None
    # Apr 9: s9 won 2u@1.8 (+1.6), l6 lost (−1), l7 push (0)
    assert results.text == ("Results, yesterday (Wed Apr 9, 2025): 3 bets settled (1-1-1 W-L-P), "
                            "+0.60u for the server. Best day: Sharpie, +1.60u (1-0-0).")
    assert [(r[0], r[3]) for r in results.table.rows] == [("#s9", "+1.60u"), ("#l7", "0.00u"),
                                                          ("#l6", "-1.00u")]
    assert daily_results(guild, AsOf.for_day(date(2025, 4, 8), UTC)) is None


def test_a_recap_cut_to_its_top_rows_says_how_many_more_bettors_there_are(guild, monkeypatch):
    from agents.betting import recaps

    monkeypatch.setattr(recaps, "TOP_SHOWN", 2)
    recap = guild_recap(guild, as_of())
    assert len(recap.table.rows) == 2
    assert recap.text.splitlines()[-1] == ("Top 2 of 3 bettors with at least 1 settled bet; "
                                           "1 more is in /leaderboard last week.")
