"""What some words mean in a betting guild, beyond the metric lexicon.

- Advice ("what should I bet on today", "who should I take tonight", "any locks?") is
  refused: Tally reports bets already settled or pending; it does not tip.
- "every bettor", "all cappers" ask for one row per bettor; "everyone" and "the whole
  guild" ask for the guild's total, except for a streak, which only a bettor has.
- "the guild", "guild wide", "the server" name the whole guild: no bettor filter; "games"
  and "usually take" are how bets are talked about, not numbers.
- The side of a bet ("dogs", "favourites", "overs") is not recorded: refused.
- "weekly / monthly / daily leaderboard" is this week's / month's / today's board.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.parser.lexer import DimMention
from agents.parser.periods import resolve
from agents.parser.text import Sentence
from agents.parser.text import phrase_pattern as _rx
from agents.parser.types import Refusal
from storage.catalog.periods import AsOf, Period

_BET_VERBS = r"bet|bets|wager|take|play|pick|back|fade|tail|hammer|smash|lay|stake|do"
_ADVICE = _rx(
    rf"(?:what|who|which(?: [a-z]+)?|where|how much)(?: [a-z]+)? (?:should|shall|do you think)"
    rf" (?:i|we) (?:{_BET_VERBS})|should (?:i|we) (?:{_BET_VERBS})"
    rf"|what (?:to|do i|do we) (?:{_BET_VERBS}) on|(?:any|got any|give me (?:a|some)) "
    r"(?:locks?|tips?|picks?|plays?)(?! (?:by|per|for [a-z]+ (?:bettor|capper)))"
    r"|(?:recommend|suggest)(?: me)?(?: a| some)? (?:bets?|picks?|plays?|parlays?)"
    r"|(?:best|good|safe) bets? (?:for |to make )?(?:today|tonight|tomorrow|this weekend)"
)
_PER_BETTOR = re.compile(
    r"(?<![a-z0-9])(?:every|each|all(?: the| of the| our)?) (?:bettors?|cappers?|tipsters?"
    r"|punters?|handicappers?|members?)(?![a-z0-9])")
_EVERYONE = re.compile(r"(?<![a-z0-9])(?:everyone|everybody|everyones|everybodys)(?![a-z0-9])")
# "the guild", "as a guild", "guild wide", "the whole server": the guild's total, the default.
_GUILD = re.compile(
    r"(?<![a-z0-9])(?:(?:as a|for the|in the|across the|of the|on the|the|our|this|whole|entire)"
    r" )*(?:whole |entire )?(?:guild|server|discord|group chat)(?:'s)?(?: ?wide)?(?![a-z0-9])")
# Words around bets that carry no number in a guild ("bets the server settled" are the
# settled bets the metric counts; "placed" is not: bets count by when they settled):
# "my total risk on NHL games", "what odds do I usually take".
_BETTING_FILLER = re.compile(
    r"(?<![a-z0-9])(?:games?|matchups?|settle)(?![a-z0-9])")
# "what odds do I usually take": the average odds ("usually" alone is not read past: "how
# much do I usually bet" asks for an average stake, which is not a metric).
_ODDS_TAKEN = re.compile(r"(?:odds|price|prices) (?:do|does|did) [a-z]+ (?P<taken>"
                         r"(?:usually|typically|normally|tend to) (?:take|get|play|bet))"
                         r"(?![a-z0-9])")
_AGAINST_GUILD = re.compile(
    r"(?<![a-z0-9])(?:vs|versus|compared (?:to|with)|against|than|relative to) (?:the )?"
    r"(?:rest of the )?(?:guild|server|everyone|everybody|others|average bettor)"
    r"(?:'s)?(?![a-z0-9])")
_SIDES = re.compile(r"(?<![a-z0-9])(?:under ?dogs?|dogs|favou?rites|favs|faves|chalk|overs"
                    r"|unders|home teams?|away teams?|road teams?)(?![a-z0-9])")
_GRAIN_PERIODS = {"weekly": "this week", "monthly": "this month", "daily": "today"}
PER_BETTOR_ONLY = frozenset({"streak"})  # a guild has no streak of its own


@dataclass(frozen=True)
class Everyone:
    """Who "everyone" is: ``per_bettor`` for "every bettor" (a row each), else the guild."""

    per_bettor: bool


def refuse_advice(sentence: Sentence, sources: frozenset[str]) -> None:
    """Refuses requests for tips or advice ("what should I bet on today").

    Raises:
        Refusal: saying what Tally can show instead.
    """
    if found := _ADVICE.search(sentence.text):
        said = sentence.original(found.start(), found.end())
        if "betting" in sources:
            raise Refusal(f"'{said}' asks for a tip; I only report bets already placed. To "
                          "see what has worked, try 'my ROI by sport' or 'win rate by market'")
        raise Refusal(f"'{said}' asks for advice; I report what happened in your data, so ask "
                      "for the numbers to decide with")


# "how many bettors were active": a count of people, which no metric is (bets are counted).
_HOW_MANY_BETTORS = re.compile(r"(?<![a-z0-9])how many (?:different |distinct |unique |active )?"
                               r"(?:bettors|cappers|punters|tipsters)(?![a-z0-9])")


def refuse_bettor_counts(sentence: Sentence, sources: frozenset[str]) -> None:
    """Refuses "how many bettors ...": Tally counts bets, and a count of bets by bettor
    read as a count of bettors would be a wrong number.

    Raises:
        Refusal: pointing at the leaderboard, which lists who bet.
    """
    if "betting" in sources and (found := _HOW_MANY_BETTORS.search(sentence.text)):
        said = sentence.original(found.start(), found.end())
        raise Refusal(f"'{said}': I count bets, not bettors; 'bets by bettor' or the "
                      "leaderboard with 'min 1 bet' lists everyone who bet",
                      ((said, "bets by bettor"),))


def take_guild(sentence: Sentence, sources: frozenset[str]) -> None:
    """Consumes "the guild" and its kin in a betting workspace: the whole guild is what a
    question without a bettor already covers ("guild units ytd" = units ytd).

    Raises:
        Refusal: for a bettor set against the guild ("my ROI vs the guild"), two numbers
            of different scopes that one query does not give.
    """
    if "betting" in sources:
        if found := _AGAINST_GUILD.search(sentence.text):
            said = sentence.original(found.start(), found.end())
            raise Refusal(f"'{said}': I answer for one bettor or for the guild at a time; ask "
                          "'my roi' and 'roi', or 'roi by bettor' to see everyone side by side",
                          ((said, ""), (said, "by bettor")))
        sentence.take(_GUILD)
        sentence.take(_BETTING_FILLER)
        for found in _ODDS_TAKEN.finditer(sentence.text):
            sentence.blank(found.start("taken"), found.end("taken"))


def refuse_sides(sentence: Sentence, sources: frozenset[str]) -> None:
    """Refuses the side of a bet ("my units on dogs", "roi on favourites"): the data has
    each bet's market, sport and league, not whether it backed the favourite. Runs after
    the multi-word names, so a bettor called "Dogs Only" is already taken.

    Raises:
        Refusal: naming what the bets can be split by instead.
    """
    if "betting" in sources and (found := _SIDES.search(sentence.text)):
        said = sentence.original(found.start(), found.end())
        raise Refusal(f"'{said}': bets are not recorded by side (favourite or underdog); "
                      "split them by market, sport or league instead, e.g. 'my roi by market'",
                      ((said, ""),))


def find_everyone(sentence: Sentence) -> Everyone | None:
    """Notes (without consuming) "every bettor" or "everyone"; the minimum-bets stage
    reads the same words for the leaderboard."""
    if _PER_BETTOR.search(sentence.text):
        return Everyone(per_bettor=True)
    if _EVERYONE.search(sentence.text):
        return Everyone(per_bettor=False)
    return None


def wants_per_bettor(everyone: Everyone | None, metrics: list[str]) -> bool:
    """A row per bettor: "clv for every bettor"; a streak asked of no one bettor ("streaks
    for everyone", "who is hot right now") is each bettor's."""
    if metrics and set(metrics) <= PER_BETTOR_ONLY:
        return True
    return everyone is not None and everyone.per_bettor


def board_period(breakdowns: list[DimMention], period: Period | None,
                 as_of: AsOf) -> tuple[Period | None, list[DimMention], str | None]:
    """ "weekly leaderboard": this week's board, not the board split by week.

    Returns:
        the period, the breakdowns left and a note (None when nothing changed).
    """
    if period is not None:
        return period, breakdowns, None
    for mention in breakdowns:
        phrase = _GRAIN_PERIODS.get(mention.said.lower())
        if phrase and not mention.explicit:
            left = [m for m in breakdowns if m is not mention]
            return resolve(phrase, as_of), left, f"period: {phrase} ('{mention.said}')"
    return period, breakdowns, None
