"""Questions a stranger typed on the demo that were refused or misread (issue #15)."""

from __future__ import annotations

import pytest

from agents.parser import Help, ParseContext, Parsed, parse
from tests.agents.parser_cases import ALL, AS_OF, THIS_MONTH, THIS_YEAR

CTX = ParseContext(AS_OF, ALL)


def _parsed(question: str) -> Parsed:
    parsed = parse(question, CTX)
    assert isinstance(parsed, Parsed), parsed
    return parsed


@pytest.mark.parametrize(("question", "span", "compare"), [
    ("revenue mtd vs last mtd", THIS_MONTH, "previous"),
    ("revenue month to date vs last month to date", THIS_MONTH, "previous"),
    ("orders ytd vs last ytd", THIS_YEAR, "year"),
])
def test_to_date_vs_last_to_date_is_a_comparison_without_a_daily_breakdown(question, span, compare):
    query = _parsed(question).query
    assert query.dimensions == () and query.compare == compare
    assert query.period is not None and (query.period.start.isoformat(), query.period.end.isoformat()) == span


@pytest.mark.parametrize("question", ["how are we doing this month?", "hows business this week",
                                      "how's business today"])
def test_how_are_we_doing_with_a_period_is_the_status(question):
    assert parse(question, CTX) == Help("status")


@pytest.mark.parametrize(("question", "metric"), [
    ("how much did we blow on meta ads last week", "ad_spend"),
    ("avg order val last yr", "aov"),
    ("total order value last week", "revenue"),  # a sum of order totals, not their average
])
def test_everyday_words_for_spend_value_and_totals(question, metric):
    assert _parsed(question).query.metrics == (metric,)


@pytest.mark.parametrize("question", ["yo what can u do", "what can this bot do"])
def test_what_can_this_bot_do_is_help(question):
    assert parse(question, CTX) == Help(None)


@pytest.mark.parametrize("question", ["settle my pending bet as a win", "mark bet 12 as won"])
def test_settling_a_bet_in_a_question_is_refused_with_the_bet_command(question):
    refused = parse(question, CTX)
    assert not isinstance(refused, Parsed) and "bet settle" in refused.missing  # type: ignore[union-attr]
