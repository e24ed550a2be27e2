"""A refusal always offers a way on: readings to pick (choices) or examples, each of which
this workspace answers (issue #15: never a dead end, never an example from another
vertical)."""

from __future__ import annotations

from datetime import date

import pytest

from agents.answer import Conversation, answer, understand
from agents.parser import Parsed, Unanswerable
from storage.catalog import AsOf
from tests.corpus.harness import AS_OF_DAY, ASKER, corpus_files, load, ports

REFUSED = [c for c in load(corpus_files()) if c.expect == "refuse" and c.chain is None]


def _conversation(workspace: str) -> Conversation:
    tz = ports().engines.engine(workspace).workspace.tz
    return Conversation(workspace, AsOf.for_day(AS_OF_DAY, tz), ASKER.get(workspace))


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_every_refusal_offers_readings_or_examples_that_work_here(case):
    conversation = _conversation(case.workspace)
    reply = answer(case.q, conversation, ports())
    assert not reply.ok, reply.text
    offered = reply.choices or reply.suggestions
    assert offered, f"a dead end: {reply.text}"
    for question in offered:
        plan = understand(question, conversation, ports())
        assert isinstance(plan, Parsed), (question, plan)


def test_the_refusal_corpus_is_there():
    assert len(REFUSED) >= 150
    assert date(2025, 6, 1) == AS_OF_DAY
    assert not isinstance(understand("revenue last week", _conversation("demo"), ports()), Unanswerable)
