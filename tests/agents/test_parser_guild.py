"""A betting guild's own senses: "for me", "how much did I bet", "the guild", "every
bettor", bettors ranked by a rate, "weekly leaderboard", tips refused (issue #15)."""

from __future__ import annotations

import pytest

from agents.parser import Help, Unanswerable, Vocabulary
from storage.catalog.model import Order
from tests.agents.parser_cases import (
    LAST_MONTH,
    THIS_MONTH,
    THIS_WEEK,
    THIS_YEAR,
    YESTERDAY,
    F,
    Q,
    ask,
    assert_parses,
)

BOARD = ("profit_units", "roi", "record", "bets")
ME = F("bettor", "Sharpie")


def board(**fields):
    fields.setdefault("order", Order("profit_units", True))
    fields.setdefault("min_count", 5)
    return Q(*BOARD, by=("bettor",), intent="leaderboard", **fields)


CASES = [
    # "for me" is the asker, like "my"; "show me" stays filler
    ("roi by sport for me", Q("roi", by=("sport",), filters=(ME,))),
    ("profit this year for me", Q("profit_units", period=THIS_YEAR, filters=(ME,))),
    ("show me the win rate by league", Q("win_rate", by=("league",))),
    # "how much did I bet / wager" is an amount: the units staked, not the count of bets
    ("how much did i bet this month", Q("staked_units", period=THIS_MONTH, filters=(ME,))),
    ("how much did LuckyLou wager last month",
     Q("staked_units", period=LAST_MONTH, filters=(F("bettor", "LuckyLou"),))),
    ("how many bets did i make this month", Q("bets", period=THIS_MONTH, filters=(ME,))),
    # "up"/"down" with a bettor is the profit, not a comparison
    ("how much is LuckyLou up", Q("profit_units", filters=(F("bettor", "LuckyLou"),))),
    ("how much am i down on spreads", Q("profit_units", filters=(F("market", "spread"), ME))),
    # "the guild" is the whole guild: no bettor filter
    ("guild profit ytd", Q("profit_units", period=THIS_YEAR)),
    ("win rate by league for the guild", Q("win_rate", by=("league",))),
    ("how much r we up as a guild this month", Q("profit_units", period=THIS_MONTH)),
    # "every bettor" is a row per bettor; "everyone" the guild's total; a streak is per bettor
    ("clv for every bettor", Q("clv", by=("bettor",))),
    ("roi per league, everyone", Q("roi", by=("league",))),
    ("streaks for everyone", Q("streak", by=("bettor",))),
    ("leaderboard this month including everyone", board(period=THIS_MONTH, min_count=1)),
    # bettors ranked by a rate are that rate's ranking, with the board's minimum of bets
    ("who has the highest win rate", Q("win_rate", by=("bettor",), order=Order("win_rate", True),
                                       limit=1, min_count=5)),
    ("bottom 3 bettors by win rate", Q("win_rate", by=("bettor",),
                                       order=Order("win_rate", False), limit=3, min_count=5)),
    ("who has the most open bets", Q("pending_bets", by=("bettor",),
                                     order=Order("pending_bets", True), limit=1)),
    ("who's the best bettor", board(limit=1)),
    # the leaderboard's own words
    ("weekly leaderboard", board(period=THIS_WEEK)),
    ("monthly leaderboard", board(period=THIS_MONTH)),
    ("lb last month", board(period=LAST_MONTH)),
    ("top 3 on the leaderboard this month", board(period=THIS_MONTH, limit=3)),
    ("who topped the board this year", board(period=THIS_YEAR)),
    ("who's up the most this week", board(period=THIS_WEEK, limit=1)),
    # the guild's words for its metrics
    ("am i on a heater", Q("streak", filters=(ME,))),
    ("is LuckyLou still cold", Q("streak", filters=(F("bettor", "LuckyLou"),))),
    ("am i beating the closing line", Q("clv", filters=(ME,))),
    ("how often do i win on spreads", Q("win_rate", filters=(F("market", "spread"), ME))),
    ("most active bettor this month", Q("bets", by=("bettor",), order=Order("bets", True),
                                        limit=1, period=THIS_MONTH)),
    ("which league am i losing the most in", Q("profit_units", by=("league",), filters=(ME,),
                                               order=Order("profit_units", False), limit=1)),
    ("my total risk on NBA games", Q("staked_units", filters=(F("league", "NBA"), ME))),
    ("what odds do i usually take", Q("avg_odds", filters=(ME,))),
    ("who has wagered the most units", Q("staked_units", by=("bettor",),
                                         order=Order("staked_units", True), limit=1)),
    ("how did i do yesterday", Q(*BOARD, filters=(ME,), period=YESTERDAY)),
    ("rank everyone by profit", board(min_count=1)),
    ("where do i rank this month", board(period=THIS_MONTH)),
    ("which sport do i make the most money on", Q("profit_units", by=("sport",), filters=(ME,),
                                                  order=Order("profit_units", True), limit=1)),
    ("who's down the most this year", board(period=THIS_YEAR, limit=1,
                                            order=Order("profit_units", False))),
    ("who lost the most last month", board(period=LAST_MONTH, limit=1,
                                           order=Order("profit_units", False))),
    ("how many bets did i win last month", Q("record", period=LAST_MONTH, filters=(ME,))),
    ("who is hot right now", Q("streak", by=("bettor",))),
    ("who's winning this month", board(period=THIS_MONTH)),
    ("is my roi going up or down", Q("roi", filters=(ME,))),
    ("how are my bets doing", Q(*BOARD, filters=(ME,))),
    ("LuckyLou's roi vs mine", Q("roi", by=("bettor",), filters=(F("bettor", "LuckyLou", "Sharpie"),))),
    ("whats the total stake this year", Q("staked_units", period=THIS_YEAR)),
    ("my roi on totals", Q("roi", filters=(F("market", "total"), ME))),
    ("how did my bets do yesterday", Q(*BOARD, filters=(ME,), period=YESTERDAY)),
    ("bettors ranked by roi", Q("roi", by=("bettor",), order=Order("roi", True), min_count=5)),
    ("compare sharpie and luckylou roi", Q("roi", by=("bettor",),
                                           filters=(F("bettor", "Sharpie", "LuckyLou"),))),
    ("how many units did i risk on props", Q("staked_units", filters=(F("market", "prop"), ME))),
    # a common word that is a market, right before a metric it filters
    ("my prop units this month", Q("profit_units", period=THIS_MONTH,
                                   filters=(F("market", "prop"), ME))),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_guild_question_reads_in_the_guilds_sense(text, expected):
    assert_parses(text, expected)


@pytest.mark.parametrize("text", ["what should i bet on today", "who should i take tonight",
                                  "any locks for tonight", "recommend me a parlay",
                                  "what should i do"])
def test_asking_for_a_tip_is_refused_with_what_tally_can_show(text):
    refused = ask(text)
    assert isinstance(refused, Unanswerable), refused
    assert "tip" in refused.missing


@pytest.mark.parametrize("text", ["help pls", "what can u do", "how do I use this thing"])
def test_help_typed_casually_is_help(text):
    assert ask(text) == Help(None)


GUILD = Vocabulary(values={"bettor": ["Sharpie", "Moneyline Mo"], "league": ["EPL", "NBA"],
                           "market": ["moneyline", "parlay"]},
                   verticals=frozenset({"betting"}))


@pytest.mark.parametrize(("text", "expected"), [
    ("my record in the premier league", Q("record", filters=(F("league", "EPL"), ME))),
    ("my roi on accas", Q("roi", filters=(F("market", "parlay"), ME))),
    ("how much did Moneyline Mo make on moneylines",
     Q("profit_units", filters=(F("bettor", "Moneyline Mo"), F("market", "moneyline")))),
], ids=["premier league", "accas", "a stored name holding slang"])
def test_leagues_and_markets_by_the_names_bettors_use(text, expected):
    assert_parses(text, expected, GUILD)


def test_live_bets_are_not_pending_bets():
    assert isinstance(ask("my record on live bets", GUILD), Unanswerable)
    assert_parses("how many of my bets are still live", Q("pending_bets", filters=(ME,)), GUILD)


@pytest.mark.parametrize("text", [
    "who has the best record",  # "12-7-1" sorts as text: never a standing
    "who's on the longest streak",
    "my biggest win",  # one bet, not a total
    "how much do i usually bet",  # an average stake is not a metric
    "biggest parlay win",
    "my roi compared to the guild",  # two scopes: one bettor and the guild
    "my units on dogs",  # the side of a bet is not recorded
    "roi on favourites",
])
def test_a_ranking_or_average_the_data_cannot_give_is_refused(text):
    assert isinstance(ask(text), Unanswerable), text


@pytest.mark.parametrize("text", ["how did the guild do last month", "how did we do last month",
                                  "hows everyone doing last month"])
def test_how_the_guild_did_is_the_guilds_card(text):
    assert_parses(text, Q(*BOARD, period=LAST_MONTH), GUILD)
