"""Help and refusal examples only show questions that work on the workspace (issue #15)."""

from __future__ import annotations

import pytest

from agents.help import EXAMPLES, examples_for, help_reply
from agents.parser import Parsed, Vocabulary
from tests.agents.parser_cases import ALL, ask

GUILD = Vocabulary(values={"bettor": ["LockSmith", "Parlay Pete"], "sport": ["soccer"],
                           "league": ["EPL"], "market": ["spread"]},
                   verticals=frozenset({"betting"}))
ADS_ONLY = Vocabulary(values={"channel": ["meta", "google"], "campaign": ["Retargeting"]},
                      verticals=frozenset({"marketing"}))
STORE = Vocabulary(values={"country": ["US"], "product": ["Linen Shirt"], "category": ["Apparel"]},
                   verticals=frozenset({"shop"}))


def test_a_guild_without_sharpie_is_shown_its_own_bettor():
    text = help_reply(GUILD.verticals, None, vocabulary=GUILD).text
    assert "LockSmith's record last week" in text
    assert "Sharpie" not in text


def test_an_ads_only_workspace_is_not_shown_web_analytics_or_store_examples():
    shown = help_reply(ADS_ONLY.verticals, None, vocabulary=ADS_ONLY).data["examples"]
    assert "ROAS by channel last month" in shown
    assert "sessions by source last week" not in shown  # no web analytics here
    assert "CAC last month" not in shown                # CAC needs the store's new customers


@pytest.mark.parametrize("vocabulary", [GUILD, ADS_ONLY, STORE, ALL], ids=["guild", "ads", "store", "all"])
def test_every_example_shown_parses_on_the_workspace(vocabulary):
    shown = help_reply(vocabulary.verticals, None, vocabulary=vocabulary).data["examples"]
    suggested = examples_for(vocabulary)
    assert shown and suggested
    for question in {*shown, *suggested}:
        assert isinstance(ask(question, vocabulary, None), Parsed), question


def test_refusal_examples_come_from_the_workspace_verticals_only():
    suggested = examples_for(GUILD)
    assert set(suggested) <= {q.replace("Sharpie", "LockSmith") for q in EXAMPLES["betting"]}


def test_a_refusal_in_the_guild_suggests_questions_that_work_there():
    from agents.answer import unanswerable_reply

    reply = unanswerable_reply("revenue last month", (), "there is no order data", GUILD)
    assert reply.suggestions and all("LockSmith" in q or "Sharpie" not in q for q in reply.suggestions)
    assert all(isinstance(ask(q, GUILD, None), Parsed) for q in reply.suggestions)


def test_without_a_vocabulary_every_example_is_listed_as_written():
    assert examples_for(frozenset({"saas"})) == list(EXAMPLES["saas"][:3])


def test_the_new_metrics_are_among_the_examples():
    assert "how many orders were cancelled last week" in EXAMPLES["shop"]
    assert "stock by location" in EXAMPLES["ops"]
    assert "how many bets are still open" in EXAMPLES["betting"]
