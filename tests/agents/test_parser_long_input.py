"""A long hostile message is read in about linear time.

Folding the text used two patterns that backtrack quadratically: a run of spaces (or
of emoji, which fold to spaces) made the "hey tally," address pattern try every split
of the run, and "<@" repeated made the Slack-markup pattern scan to the end from every
"<". 100,000 emoji took 44 s of one core, 100,000 spaces about as long. The bound
below is generous (the machine may be busy); the old code needed many times it.
"""

from __future__ import annotations

import time

import pytest

from agents.parser import ParseContext, parse
from tests.agents.parser_cases import ALL, AS_OF


@pytest.mark.parametrize("text", [" " * 100_000 + "revenue", "\t" * 100_000 + "x",
                                  "💰" * 100_000, "<@" * 100_000, "revenue" + " ," * 50_000])
def test_a_hundred_thousand_hostile_characters_parse_in_seconds_not_minutes(text):
    started = time.perf_counter()
    parse(text, ParseContext(AS_OF, ALL, None))
    assert time.perf_counter() - started < 8


@pytest.mark.parametrize("text", ["hey tally revenue last week", ",  tally, revenue last week",
                                  "@tally revenue last week", "revenue last week tally"])
def test_addressing_tally_still_reads_the_question(text):
    parsed = parse(text, ParseContext(AS_OF, ALL, None))
    assert parsed.query.metrics == ("revenue",)  # type: ignore[union-attr]
