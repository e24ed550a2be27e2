"""Questions the parser must refuse rather than guess, and help requests.

Each refusal must say what went wrong in words the asker can act on.
"""

from __future__ import annotations

import pytest

from agents.parser import Help
from tests.agents.parser_cases import SHOP_ONLY, ask, assert_refused

REFUSALS = [
    ("", ("empty",)),
    ("   ", ("empty",)),
    ("revenue in Narnia", ("Narnia is not a country in your data",)),
    ("revenue in Germany", ("Germany is not a country in your data",)),
    ("weather tomorrow", ("tomorrow", "future")),
    ("employee headcount", ("headcount",)),
    ("refund rate by weekday", ("weekday",)),
    ("revenue next month", ("next month", "future")),
    ("forecast revenue for december", ("forecast", "future")),
    ("what will mrr be by the end of the year", ("future",)),
    ("delete all orders", ("only read", "delete")),
    ("please drop table orders", ("only read",)),
    ("update the bets", ("only read", "update")),
    ("revenue on 3/4", ("3/4", "ambiguous", "YYYY-MM-DD")),
    ("orders 3/4/2025", ("ambiguous",)),
    ("asdfgh qwerty", ("asdfgh",)),
    ("revenue by weekday", ("weekday",)),
    ("revenue by sport", ("revenue can't be broken down by sport",)),
    ("orders for Linen Shirt", ("can't be filtered by product",)),
    ("revenue last 24 hours", ("whole calendar days",)),
    ("revenue in march vs june", ("two periods",)),
    ("top 5 by revenue", ("of what",)),
    ("revenue this month vs last week", ("does not match",)),
    ("top campaigns", ("by what",)),
    ("worst channel", ("by what",)),
    ("revenue for Bob's Burgers", ("Bob",)),
    ("lifetime value by country", ("lifetime value",)),
    ("burn rate last month", ("cash burn", "daily demand")),
    ("revenue by the end of the month", ("future",)),  # the month is not over
    ("mrr at the end of q4", ("future",)),  # not a guess at stock velocity
    ("inventory value", ("value of stock",)),  # money, not a count of units
    ("what's our stock value", ("value of stock",)),
    ("how many bets were placed yesterday", ("placed",)),  # bets counts settled bets
    ("linen sales", ("Linen Pants", "Linen Shirt")),
    ("revenue in 2026", ("not happened yet",)),
    ("revenue last 5 bets", ("5",)),
    ("how many employees do we have", ("employee",)),
    ("how many orders were refunded", ("refunded orders", "refunds")),
    ("orders excluding refunds", ("can't leave 'refunds' out",)),
    ("max revenue", ("max",)),
    ("bets this weekend", ("weekend",)),
]


@pytest.mark.parametrize(("text", "fragments"), REFUSALS, ids=[c[0] or "empty" for c in REFUSALS])
def test_refuses_with_a_useful_reason(text, fragments):
    assert_refused(text, *fragments)


SHOP_ONLY_REFUSALS = [
    ("MRR", ("no subscription data",)),
    ("churn last month", ("no subscription data",)),
    ("ROAS by campaign", ("no ad platform data",)),
    ("leaderboard", ("no bets",)),
    ("what runs out in 14 days", ("no inventory data",)),
    ("profit last month", ("no bets", "gross margin")),
    ("MER this month", ("no ad platform data",)),
    ("sessions by source", ("no web analytics data",)),
]


@pytest.mark.parametrize(("text", "fragments"), SHOP_ONLY_REFUSALS,
                         ids=[c[0] for c in SHOP_ONLY_REFUSALS])
def test_metric_of_a_missing_vertical_is_refused(text, fragments):
    assert_refused(text, *fragments, vocabulary=SHOP_ONLY)


def test_my_roi_without_a_known_asker_is_refused():
    assert_refused("my ROI", "don't know who", user=None)
    assert_refused("my ROI", "no bets recorded for Nobody", user="Nobody")


def test_refusal_reports_what_was_understood():
    answer = assert_refused("revenue last month in Narnia", "Narnia")
    assert answer.understood == ("metric: revenue", "period: last month (October 2025)")


def test_future_refusal_still_reports_the_metric():
    answer = assert_refused("orders next week", "future")
    assert answer.understood == ("metric: orders",)


HELP = [
    ("help", None),
    ("what can you do", None),
    ("?", None),
    ("commands", None),
    ("hi", None),
    ("hey tally", None),
    ("@tally help", None),
    ("thanks!", None),
    ("help betting", "betting"),
    ("help with inventory", "ops"),
    ("help me with ads", "marketing"),
    ("what can you do for subscriptions", "saas"),
]


@pytest.mark.parametrize(("text", "topic"), HELP, ids=[c[0] for c in HELP])
def test_help_and_greetings(text, topic):
    assert ask(text) == Help(topic)


@pytest.mark.parametrize("text", ["top 0 products", "bottom 0 countries by revenue"])
def test_a_ranking_of_zero_rows_asks_how_many_instead_of_listing_everything(text):
    assert_refused(text, "asks for no rows", "top 5 products")
