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
