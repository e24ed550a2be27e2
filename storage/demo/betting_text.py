"""Readable events and selections for the demo bets ("Lakers @ Celtics", "Over 221.5")."""

from __future__ import annotations

import numpy as np

from storage.demo._common import DAY
from storage.demo.betting_data import LEAGUES, MARKETS, League


def _line(low: float, high: float, pick: int) -> float:
    """A half-point line between ``low`` and ``high``."""
    return low + pick % (int(high - low) + 1)


def _matchup(lg: League, home: str, away: str) -> str:
    return f"{home} vs {away}" if lg.league == "EPL" else f"{away} @ {home}"


def _selection(lg: League, market: str, home: str, away: str, r: np.ndarray) -> str:
    """The selection text of one bet; ``r`` holds six random integers."""
    side = home if r[0] % 2 else away
    player = lg.players[r[1] % len(lg.players)]
    if market == "moneyline":
        return side
    if market == "spread":
        return f"{side} {'-' if r[2] % 2 else '+'}{_line(*lg.spread, int(r[3]))}"
    if market == "total":
        return f"{'Over' if r[2] % 2 else 'Under'} {_line(*lg.total, int(r[3]))}"
    if market == "prop":
        return lg.prop.format(p=player)
    if market == "future":
        return f"{side} to win {lg.title}"
    if market == "parlay":
        legs = 2 + int(r[4]) % 4
        picks = [lg.teams[(int(r[5]) + 3 * k) % len(lg.teams)] for k in range(legs)]
        return f"{legs}-leg parlay: " + " + ".join(picks)
    return "Both teams to score" if lg.league == "EPL" else f"{side} to score first"


def describe(rng: np.random.Generator, league: np.ndarray, market: np.ndarray,
             placed: np.ndarray) -> tuple[list[str], list[str]]:
    """Event and selection texts of every bet.

    Args:
        rng: the betting generator.
        league: index in ``LEAGUES`` per bet.
        market: index in ``MARKETS`` per bet.
        placed: placed_at (UTC epoch seconds), for the futures' season year.

    Returns:
        (events, selections), one string each per bet.
    """
    n = league.size
    home = rng.integers(0, 1_000, n)
    away_step = rng.integers(1, 1_000, n)
    r = rng.integers(0, 1_000, (n, 6))
    year = (placed // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    events, selections = [], []
    for i in range(n):
        lg = LEAGUES[int(league[i])]
        size = len(lg.teams)
        h = lg.teams[int(home[i]) % size]
        a = lg.teams[(int(home[i]) + 1 + int(away_step[i]) % (size - 1)) % size]
        name = MARKETS[int(market[i])]
        if name == "future":
            events.append(f"{lg.league} futures {int(year[i])}")
        elif name == "parlay":
            events.append(f"{lg.league} parlay")
        else:
            events.append(_matchup(lg, h, a))
        selections.append(_selection(lg, name, h, a, r[i]))
    return events, selections
