"""A second stranger's guild questions (issue #15): bets placed, bettors counted, units bet."""

from __future__ import annotations

import pytest

from agents.parser import ParseContext, Parsed, Unanswerable, parse
from tests.agents.parser_cases import ALL, AS_OF

CTX = ParseContext(AS_OF, ALL, "Sharpie")


@pytest.mark.parametrize("question", ["how many bets did we place yesterday",
                                      "how many bets did i place in may"])
def test_bets_placed_are_not_answered_with_bets_settled(question):
    # metrics.md counts bets by when they settled: a count of bets placed is another number.
    refused = parse(question, CTX)
    assert isinstance(refused, Unanswerable) and "place" in refused.unknown


@pytest.mark.parametrize("question", ["how many bettors were active this month",
                                      "how many cappers do we have"])
def test_a_count_of_bettors_is_refused_not_answered_with_bets(question):
    refused = parse(question, CTX)
    assert isinstance(refused, Unanswerable)
    assert refused.missing.startswith("'how many")


def test_who_bet_the_most_units_ranks_units_staked():
    parsed = parse("who bet the most units last 90 days", CTX)
    assert isinstance(parsed, Parsed)
    assert parsed.query.metrics == ("staked_units",) and parsed.query.dimensions == ("bettor",)
    assert parsed.query.limit == 1
