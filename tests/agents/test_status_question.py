""""How are we doing?" gets the state of the business — the digest's snapshot of
yesterday against the same weekday last week and month to date — not a manual."""

from __future__ import annotations

from datetime import date

import pytest

from agents.answer import Conversation, answer
from agents.parser import Help, ParseContext, parse
from storage.catalog import AsOf
from tests.agents.parser_cases import ALL, AS_OF
from tests.corpus.harness import ports


@pytest.mark.parametrize("question", ["how are we doing?", "how r we doing", "How's business?",
                                      "give me a quick summary", "status update pls", "what's new"])
def test_how_are_we_doing_asks_for_the_status(question):
    assert parse(question, ParseContext(AS_OF, ALL)) == Help("status")


@pytest.mark.parametrize("question", ["how are sales in mexico", "how are we doing on revenue",
                                      "summary of refunds last week"])
def test_a_status_word_inside_a_real_question_is_not_the_status(question):
    assert not isinstance(parse(question, ParseContext(AS_OF, ALL)), Help)


def test_the_status_answer_is_the_digest_snapshot_of_the_demo():
    tz = ports().engines.engine("demo").workspace.tz
    reply = answer("how are we doing?", Conversation("demo", AsOf.for_day(date(2025, 6, 1), tz)),
                   ports())
    assert reply.ok
    assert "Sat May 31" in reply.text and "Revenue" in reply.text  # yesterday, with its numbers
    assert reply.data["question"] == "how are we doing?"
    assert reply.table is not None and len(reply.table.rows) >= 3
