"""Recaps a guild gets without asking: the weekly recap and yesterday's results.

The subscription system calls :func:`guild_recap` (weekly) and :func:`daily_results`
(daily; None when nothing was settled). Every number is a catalog result; a chart of
cumulative units is drawn from catalog totals over growing periods (one query per day),
not from a running sum.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agents.betting.stats import (
    bet_engine,
    period_label,
    period_of,
    ranked,
    show,
    streak_length,
    units,
)
from agents.reply import ChartSpec, Reply, TableData, json_number
from storage.catalog import AsOf, Engine, Filter, Order, Period, Query, resolve_period

RECAP_MIN_BETS = 1  # a week's recap ranks everyone who settled a bet
BEST_ROI_MIN_BETS = 3  # one lucky long shot is not the best ROI of the week
TOP_SHOWN = 5
CHARTED = 3


def guild_recap(engine: Engine, as_of: AsOf) -> Reply:
    """Last week's recap: leaderboard, biggest win, best ROI, longest streak, a units chart.

    Args:
        engine: the guild workspace's catalog engine.
        as_of: now (the recap covers the last full Monday–Sunday week before it).

    The chart (cumulative units of the top bettors, ``data["rows"]``) is a
    :class:`ChartSpec`, drawn on the way out.
    """
    week = resolve_period("last week", as_of)
    totals = engine.run(Query(("bets", "profit_units", "staked_units"), week), as_of)
    title = f"Weekly recap, {week.describe()}"
    if not totals.values.get("bets"):
        return Reply(f"{title}: no bets were settled.", data={"question": title, "rows": []})
    board = ranked(engine, as_of, week, None, RECAP_MIN_BETS)
    lines = [f"{title}: {show(totals, 'bets')} bets settled, {show(totals, 'profit_units')} "
             f"for the server on {show(totals, 'staked_units')} staked."]
    lines += _highlights(engine, as_of, week)
    if len(board.rows) > TOP_SHOWN:  # a cut leaderboard says what it leaves out
        more = len(board.rows) - TOP_SHOWN
        bets = "settled bet" if RECAP_MIN_BETS == 1 else "settled bets"
        lines.append(f"Top {TOP_SHOWN} of {len(board.rows)} bettors with at least {RECAP_MIN_BETS} "
                     f"{bets}; {more} more {'is' if more == 1 else 'are'} in /leaderboard last week.")
    table = tuple((str(i), str(r["bettor"]), show(board, "profit_units", r), show(board, "roi", r),
                   show(board, "record", r)) for i, r in enumerate(board.rows[:TOP_SHOWN], 1))
    top = [str(r["bettor"]) for r in board.rows[:CHARTED]]
    rows = cumulative_units(engine, as_of, week, top)
    data: dict[str, Any] = {
        "question": title, "metrics": ["profit_units"], "rows": rows,
        "period": {"start": week.start.isoformat(), "end": week.end.isoformat()},
        "leaderboard": [{k: json_number(v) for k, v in r.items()} for r in board.rows]}
    spec = ChartSpec(data, engine.workspace.currency) if len(rows) >= 2 else None
    return Reply("\n".join(lines), TableData(("#", "Bettor", "Profit", "ROI", "W-L-P"), table),
                 data=data, chart_spec=spec)


def _highlights(engine: Engine, as_of: AsOf, week: Period) -> list[str]:
    found = []
    biggest = bet_engine(engine).run(Query(("profit_units",), week, ("bet", "bettor"),
                                           order=Order("profit_units"), limit=1), as_of)
    if biggest.rows and float(biggest.rows[0]["profit_units"] or 0) > 0:
        row = biggest.rows[0]
        event, selection = _bet_words(engine, str(row["bet"]))
        found.append(f"Biggest win: {row['bettor']}, {units(row['profit_units'])} on {selection} "
                     f"({event}).")
    best = engine.run(Query(("roi", "bets"), week, ("bettor",), order=Order("roi"), limit=1,
                            min_count=BEST_ROI_MIN_BETS), as_of)
    if best.rows:
        row = best.rows[0]
        found.append(f"Best ROI: {row['bettor']}, {show(best, 'roi', row)} over "
                     f"{show(best, 'bets', row)} bets.")
    streaks = engine.run(Query(("streak",), period_of(None, as_of), ("bettor",)), as_of)
    hot = max(streaks.rows, key=lambda r: streak_length(r.get("streak")), default=None)
    if hot is not None and streak_length(hot.get("streak"))[0] == 1:
        found.append(f"Longest winning streak: {hot['bettor']}, {hot['streak']}.")
    return found


def _bet_words(engine: Engine, bet_id: str) -> tuple[str, str]:
    rows = engine.warehouse.fetch("SELECT event, selection FROM bets WHERE bet_id = ?", [bet_id])
    return (rows[0][0], rows[0][1]) if rows else ("", f"bet #{bet_id}")


def cumulative_units(engine: Engine, as_of: AsOf, period: Period, bettors: list[str]
                     ) -> list[dict[str, Any]]:
    """Each bettor's profit from the period's start to the end of each day (catalog totals)."""
    if not bettors:
        return []
    rows: list[dict[str, Any]] = []
    day = period.start
    while day < period.end and day <= as_of.day:
        so_far = Period(period.start, day + timedelta(days=1), "range")
        result = engine.run(Query(("profit_units",), so_far, ("bettor",),
                                  (Filter("bettor", tuple(bettors)),)), as_of)
        found = {r["bettor"]: r["profit_units"] for r in result.rows}
        rows += [{"day": day.isoformat(), "bettor": b, "profit_units": json_number(found.get(b, 0))}
                 for b in bettors]
        day += timedelta(days=1)
    return rows


def daily_results(engine: Engine, as_of: AsOf) -> Reply | None:
    """The bets settled yesterday, each with its profit, and each bettor's day; None if none."""
    yesterday = resolve_period("yesterday", as_of)
    per_bet = bet_engine(engine).run(Query(("profit_units",), yesterday, ("bet", "bettor"),
                                           order=Order("profit_units")), as_of)
    if not per_bet.rows:
        return None
    totals = engine.run(Query(("bets", "profit_units", "record"), yesterday), as_of)
    board = ranked(engine, as_of, yesterday, None, 1)
    title = f"Results, {period_label(yesterday)}"
    best = board.rows[0]
    text = (f"{title}: {show(totals, 'bets')} bets settled ({show(totals, 'record')} W-L-P), "
            f"{show(totals, 'profit_units')} for the server. Best day: {best['bettor']}, "
            f"{show(board, 'profit_units', best)} ({show(board, 'record', best)}).")
    table = []
    for row in per_bet.rows:
        event, selection = _bet_words(engine, str(row["bet"]))
        table.append((f"#{row['bet']}", str(row["bettor"]), f"{event}: {selection}",
                      units(row["profit_units"])))
    return Reply(text, TableData(("Bet", "Bettor", "Pick", "Profit"), tuple(table)), data={
        "question": title, "metrics": ["profit_units"],
        "period": {"start": yesterday.start.isoformat(), "end": yesterday.end.isoformat()},
        "rows": [{k: json_number(v) for k, v in r.items()} for r in board.rows]})
