"""The demo Discord guild (``demo-guild``): bettors and a year of their bets.

Each member wins with a probability consistent with the odds taken (the
bookmaker's fair price) shifted by the member's edge, so sharp members end up
profitable and parlay lovers do not. Sharp members also beat the closing line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storage.demo._common import (
    DAY,
    Columns,
    Progress,
    Window,
    dec4,
    epoch_day,
    ids,
    labels,
    rng_for,
    texts,
    timestamps,
    write_table,
)
from storage.demo.betting_data import (
    LEAGUES,
    MARKET_P,
    MARKETS,
    MEMBERS,
    NEWCOMER_BETS,
    PARLAY_LOVER_MARKET_P,
    STATUSES,
)
from storage.demo.betting_text import describe

BETS_AT_SCALE_1 = 1_400
PENDING_BETS = 20
HISTORY_DAYS = 365
_STAKES = np.array([0.5, 1, 1.5, 2, 2.5, 3, 4, 5])
_STAKE_P = np.array([0.1, 0.3, 0.1, 0.2, 0.05, 0.1, 0.07, 0.08])
# market -> (median odds, log-spread, low, high, bookmaker margin)
_ODDS = {"moneyline": (2.0, 0.38, 1.1, 7.5, 0.045), "spread": (1.91, 0.02, 1.83, 2.0, 0.045),
         "total": (1.91, 0.02, 1.83, 2.0, 0.045), "prop": (2.1, 0.25, 1.5, 4.0, 0.07),
         "parlay": (5.5, 0.5, 2.5, 30.0, 0.15), "future": (9.0, 0.6, 2.5, 60.0, 0.2),
         "other": (2.6, 0.35, 1.4, 8.0, 0.06)}


def _placements(rng: np.random.Generator, window: Window, end_ts: int) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """Bettor index, placed_at and pending flag of every bet, sorted by time."""
    members = np.arange(len(MEMBERS))
    activity = np.array([m.activity for m in MEMBERS])
    joined = np.array([m.joined_days_ago for m in MEMBERS])
    n = int(BETS_AT_SCALE_1 * np.clip(window.scale, 0.25, 4.0))
    user = rng.choice(members, size=n, p=activity / activity.sum())
    oldest = np.minimum(HISTORY_DAYS, joined[user] - 1)
    ago = 3 + (rng.random(n) * (oldest - 3)).astype(np.int64)
    hour = rng.choice(24, size=n, p=_hour_profile())
    placed = end_ts - ago * DAY + hour * 3600 + rng.integers(0, 3600, n) - DAY
    newcomer = [members[[m.name for m in MEMBERS].index(name)] for name in NEWCOMER_BETS]
    counts = list(NEWCOMER_BETS.values())
    new_user = np.repeat(newcomer, counts)
    new_placed = end_ts - (joined[new_user] - 1) * DAY + rng.integers(0, 2 * DAY, new_user.size)
    pend_user = np.concatenate([newcomer, rng.choice(
        members, size=PENDING_BETS - len(newcomer), p=activity / activity.sum())])
    pend_placed = end_ts - rng.integers(3600, 3 * DAY, PENDING_BETS)
    user = np.concatenate([user, new_user, pend_user])
    placed = np.concatenate([placed, new_placed, pend_placed])
    pending = np.arange(user.size) >= n + new_user.size
    order = np.argsort(placed, kind="stable")
    return user[order], placed[order], pending[order]


def _hour_profile() -> np.ndarray:
    p = np.array([6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 8, 8, 7, 6.0])
    return p / p.sum()


def _leagues(rng: np.random.Generator, placed: np.ndarray) -> np.ndarray:
    """A league in season on the day each bet is placed."""
    days = (placed // DAY).astype("datetime64[D]")
    doy = (days - days.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64) + 1
    w = np.zeros((placed.size, len(LEAGUES)))
    for i, lg in enumerate(LEAGUES):
        first, last = lg.season
        inside = (doy >= first) & (doy <= last) if first <= last else (doy >= first) | (
            doy <= last)
        w[inside, i] = lg.weight
    cdf = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    return (rng.random(placed.size)[:, None] > cdf).sum(axis=1).clip(0, len(LEAGUES) - 1)


def _markets(rng: np.random.Generator, user: np.ndarray) -> np.ndarray:
    lover = np.array([m.parlay_lover for m in MEMBERS])[user]
    u = rng.random(user.size)
    normal = np.searchsorted(np.cumsum(MARKET_P), u * sum(MARKET_P), side="right")
    parlay = np.searchsorted(np.cumsum(PARLAY_LOVER_MARKET_P),
                             u * sum(PARLAY_LOVER_MARKET_P), side="right")
    return np.where(lover, parlay, normal).clip(0, len(MARKETS) - 1)


def _odds(rng: np.random.Generator, market: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decimal odds taken (2 decimals) and the bookmaker margin of each bet."""
    odds = np.empty(market.size)
    margin = np.empty(market.size)
    for i, name in enumerate(MARKETS):
        rows = market == i
        median, spread, low, high, vig = _ODDS[name]
        draw = np.exp(rng.normal(np.log(median), spread, int(rows.sum())))
        odds[rows] = np.clip(draw, low, high)
        margin[rows] = vig
    return np.round(odds, 2), margin


def _outcomes(rng: np.random.Generator, user: np.ndarray, market: np.ndarray,
              odds: np.ndarray, margin: np.ndarray, pending: np.ndarray) -> np.ndarray:
    """Status index of every bet: the win chance is the fair price shifted by the edge."""
    edge = np.array([m.edge for m in MEMBERS])[user]
    p_win = np.minimum(0.97, 1.0 / odds / (1.0 + margin) * (1.0 + edge))
    r, u = rng.random(user.size), rng.random(user.size)
    can_push = np.isin(market, [MARKETS.index("spread"), MARKETS.index("total")])
    status = np.where(u < p_win, STATUSES.index("won"), STATUSES.index("lost"))
    status[can_push & (r < 0.1)] = STATUSES.index("push")
    status[r < 0.045] = STATUSES.index("cashout")
    status[r < 0.015] = STATUSES.index("void")
    status[pending] = STATUSES.index("pending")
    return status


def _settled_at(rng: np.random.Generator, placed: np.ndarray, market: np.ndarray,
                status: np.ndarray, end_ts: int) -> np.ndarray:
    """When each bet was settled (-1 while pending), always before ``end``."""
    later = rng.integers(4 * 3600, 34 * 3600, placed.size)
    future = market == MARKETS.index("future")
    later[future] = rng.integers(20 * DAY, 150 * DAY, int(future.sum()))
    settled = np.minimum(placed + later, end_ts - rng.integers(600, 3 * 3600, placed.size))
    settled = np.maximum(settled, placed + 1800)
    return np.where(status == STATUSES.index("pending"), -1, settled)


def write_betting(directory: Path, window: Window,
                  progress: Progress | None = None) -> dict[str, int]:
    """Writes ``bettors`` and ``bets`` of the demo guild (timezone UTC).

    Args:
        directory: the guild workspace's folder.
        window: the demo's end, scale and seed.
        progress: called with (table, rows) after each table.

    Returns:
        Rows written per table.
    """
    rng = rng_for(window.seed, "betting")
    end_ts = epoch_day(window.end) * DAY
    snowflakes = np.sort(rng.integers(10**17, 10**18 - 1, len(MEMBERS)))
    joined = end_ts - np.array([m.joined_days_ago for m in MEMBERS]) * DAY
    rows = {"bettors": write_table(directory, "bettors", {
        "user_id": texts([str(s) for s in snowflakes.tolist()]),
        "display_name": texts([m.name for m in MEMBERS]),
        "joined_at": timestamps(joined + rng.integers(0, DAY, len(MEMBERS))),
    }, progress)}
    rows["bets"] = write_table(directory, "bets", _bets(rng, window, end_ts, snowflakes),
                               progress)
    return rows


def _bets(rng: np.random.Generator, window: Window, end_ts: int,
          snowflakes: np.ndarray) -> Columns:
    user, placed, pending = _placements(rng, window, end_ts)
    league, market = _leagues(rng, placed), _markets(rng, user)
    odds, margin = _odds(rng, market)
    status = _outcomes(rng, user, market, odds, margin, pending)
    settled = _settled_at(rng, placed, market, status, end_ts)
    stake = rng.choice(_STAKES, size=user.size, p=_STAKE_P)
    edge = np.array([m.edge for m in MEMBERS])[user]
    closing = np.maximum(1.01, np.round(odds * np.exp(rng.normal(-0.6 * edge, 0.035)), 2))
    no_close = pending | (rng.random(user.size) < 0.12)
    cashout = status == STATUSES.index("cashout")
    payout = np.round(stake * rng.uniform(0.2, 1.8, user.size), 2)
    event, selection = describe(rng, league, market, placed)
    return {
        "bet_id": ids("b", np.arange(user.size) + 1, 6),
        "user_id": labels([str(s) for s in snowflakes.tolist()], user),
        "placed_at": timestamps(placed),
        "sport": labels([lg.sport for lg in LEAGUES], league),
        "league": labels([lg.league for lg in LEAGUES], league),
        "event": texts(event),
        "market": labels(MARKETS, market),
        "selection": texts(selection),
        "odds_decimal": dec4(odds),
        "stake_units": dec4(stake),
        "status": labels(STATUSES, status),
        "settled_at": timestamps(settled, mask=settled < 0),
        "payout_units": dec4(payout, mask=~cashout),
        "closing_odds_decimal": dec4(closing, mask=no_close),
    }
