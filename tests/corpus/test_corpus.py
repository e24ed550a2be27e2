"""The question corpus: every question read right, and never a wrong number.

Each conversation (a question alone, or a chain's turns) is one test that fails on a
wrong reading; the corpus as a whole must be at least 99% right. See README.md.
"""

from __future__ import annotations

import pytest

from tests.corpus.harness import Case, conversations, corpus_files, load, score

CASES = load(corpus_files())
CONVERSATIONS = list(conversations(CASES))


def test_the_corpus_is_large_and_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert len(CASES) >= 1200
    assert sum(1 for c in CASES if c.expect == "refuse") >= 150


@pytest.mark.parametrize("turns", CONVERSATIONS, ids=[t[0].id for t in CONVERSATIONS])
def test_no_question_gets_a_wrong_reading(turns: list[Case]) -> None:
    wrong = [s for s in score(turns).scored if s.outcome == "wrong"]
    assert not wrong, "\n".join(f"{s.case.id} {s.case.q!r}: {s.why}" for s in wrong)


def test_at_least_99_percent_of_the_corpus_is_read_right() -> None:
    result = score(CASES)
    assert result.count("wrong") == 0, result.summary()
    assert result.count("right") >= 0.99 * len(result.scored), result.summary()
