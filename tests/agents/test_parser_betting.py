"""Betting (Discord guild) questions: the leaderboard, bettors' stats, "my ROI"."""

from __future__ import annotations

import pytest

from storage.catalog.model import Order
from tests.agents.parser_cases import (
    LAST_30_DAYS,
    LAST_MONTH,
    LAST_WEEK,
    THIS_MONTH,
    THIS_WEEK,
    THIS_YEAR,
    F,
    Q,
    assert_parses,
)

BOARD = ("profit_units", "roi", "record", "bets")


def board(order="profit_units", descending=True, extra=(), limit=None, min_count=5, **fields):
    return Q(*BOARD, *extra, by=("bettor",), order=Order(order, descending), limit=limit,
             min_count=min_count, intent="leaderboard", **fields)


def ranked(metric, descending=True, limit=None, min_count=5, **fields):
    """Bettors ranked by ``metric``; a rate keeps the board's minimum of settled bets."""
    return Q(metric, by=("bettor",), order=Order(metric, descending), limit=limit,
             min_count=min_count, **fields)


def card(bettor: str, **fields):
    return Q(*BOARD, filters=(F("bettor", bettor),), **fields)


CASES = [
    ("leaderboard", board()),
    ("leaderboard this month", board(period=THIS_MONTH)),
    ("leaderboard this month all bettors", board(period=THIS_MONTH, min_count=1)),
    # a ranking of betting metrics with no "bettor" said ranks the bettors
    # bettors ranked by another metric than profit are that metric's ranking, not the board
    ("lowest roi this month", ranked("roi", descending=False, limit=1, period=THIS_MONTH)),
    ("who's the best at football bets", board(limit=1, filters=(F("sport", "football"),))),  # profit
    ("most bets this month", ranked("bets", limit=1, min_count=None, period=THIS_MONTH)),
    ("highest win rate this month", ranked("win_rate", limit=1, period=THIS_MONTH)),
    ("leaderboard this month including everyone", board(period=THIS_MONTH, min_count=1)),
    ("best bettor last month", board(limit=1, period=LAST_MONTH)),
    ("top capper min 3 bets", board(limit=1, min_count=3)),
    ("top 3 cappers with at least 10 bets this year", board(limit=3, min_count=10,
                                                             period=THIS_YEAR)),
    ("who's the best tipster", board(limit=1)),
    ("NBA leaderboard", board(filters=(F("league", "NBA"),))),
    ("rank cappers by ROI", ranked("roi")),
    ("who has the best win rate", ranked("win_rate", limit=1)),
    ("worst capper this year", board(descending=False, limit=1, period=THIS_YEAR)),
    ("Sharpie's win rate", Q("win_rate", filters=(F("bettor", "Sharpie"),))),
    ("sharpies record this month", Q("record", period=THIS_MONTH,
                                     filters=(F("bettor", "Sharpie"),))),
    ("my ROI", Q("roi", filters=(F("bettor", "Sharpie"),))),
    ("my record last week", Q("record", period=LAST_WEEK, filters=(F("bettor", "Sharpie"),))),
    ("how am I doing", card("Sharpie")),
    ("how's Sharpie doing this week", card("Sharpie", period=THIS_WEEK)),
    ("profit by sport", Q("profit_units", by=("sport",))),
    ("P&L this month", Q("profit_units", period=THIS_MONTH)),
    ("units up for LuckyLou", Q("profit_units", filters=(F("bettor", "LuckyLou"),))),
    ("hit rate by league", Q("win_rate", by=("league",))),
    ("win % in NBA", Q("win_rate", filters=(F("league", "NBA"),))),
    ("W-L for max", Q("record", filters=(F("bettor", "Max"),))),
    ("CLV last 30 days", Q("clv", period=LAST_30_DAYS)),
    ("Sharpie streak", Q("streak", filters=(F("bettor", "Sharpie"),))),
    ("pending bets", Q("pending_bets")),
    ("open bets for sharpie", Q("pending_bets", filters=(F("bettor", "Sharpie"),))),
    ("avg odds by market", Q("avg_odds", by=("market",))),
    ("units staked this week", Q("staked_units", period=THIS_WEEK)),
    ("roi on moneyline", Q("roi", filters=(F("market", "moneyline"),))),
    ("profit excluding parlays", Q("profit_units", filters=(F("market", "parlay", exclude=True),))),
    ("sharpy's roi", Q("roi", filters=(F("bettor", "Sharpie"),))),
    ("number of bets by sport last month", Q("bets", period=LAST_MONTH, by=("sport",))),
    ("roi by sport min 10 bets", Q("roi", by=("sport",), min_count=10)),
    ("how many units is luckylou up this month",
     Q("profit_units", period=THIS_MONTH, filters=(F("bettor", "LuckyLou"),))),
    ("<@U123> tally what's my streak 🔥🔥", Q("streak", filters=(F("bettor", "Sharpie"),))),
    ("basketball profit last month",
     Q("profit_units", period=LAST_MONTH, filters=(F("sport", "basketball"),))),
    ("win rate on totals", Q("win_rate", filters=(F("market", "total"),))),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_betting_question_parses_to_full_query(text, expected):
    assert_parses(text, expected)


def test_leaderboard_note_mentions_minimum_bets():
    parsed = assert_parses("leaderboard", board())
    assert parsed.understood[0] == "leaderboard"
    assert "at least 5 settled bets" in parsed.understood
