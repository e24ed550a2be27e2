"""Questions a stranger asked mid-conversation that must stand on their own (issue #15,
class 7): a metric of another part of the business, or one asked about "now"."""

from __future__ import annotations

import pytest

from agents.followups import resolve_followup
from agents.parser import ParseContext, Parsed, parse
from tests.agents.parser_cases import ALL, AS_OF

CTX = ParseContext(AS_OF, ALL, "Sharpie")


def _last(question: str):
    parsed = parse(question, CTX)
    assert isinstance(parsed, Parsed), parsed
    return parsed.query, parsed.intent


@pytest.mark.parametrize(("before", "asked"), [
    ("revenue last week in Mexico", "whats our mrr"),         # SaaS after the shop
    ("mrr by plan last quarter", "how many active subs atm"),  # "atm": now
    ("top bettor this month", "how many bets are still open"),  # "still": now
    ("roas by channel last month", "how many orders"),        # the shop after ads
])
def test_a_question_of_another_kind_or_about_now_stands_alone(before, asked):
    last, intent = _last(before)
    assert resolve_followup(asked, last, intent, CTX) is None


@pytest.mark.parametrize(("before", "asked"), [
    ("my roi last month", "win rate?"),
    ("revenue last week in Mexico", "and orders?"),
])
def test_a_fragment_of_the_same_kind_still_takes_the_conversation(before, asked):
    last, intent = _last(before)
    followed = resolve_followup(asked, last, intent, CTX)
    assert followed is not None and followed.query.period == last.period


def test_a_metric_with_its_own_period_takes_the_filters_but_not_the_rows():
    # "orders march 2025" after "revenue by country in march" is orders in March, not a
    # breakdown nobody asked for; a filter said before still holds ("win rate in april").
    last, intent = _last("revenue by country last month")
    followed = resolve_followup("orders last week", last, intent, CTX)
    assert followed is None or followed.query.dimensions == ()
    last, intent = _last("my roi last month")
    followed = resolve_followup("win rate in april", last, intent, CTX)
    assert followed is not None and followed.query.dimensions == ()
    assert [f.values for f in followed.query.filters if f.dimension == "bettor"] == [("Sharpie",)]
