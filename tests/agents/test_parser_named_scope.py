"""Whose numbers and which rows (issue #15): 'me only', a supplier 'with' whom, the people a
segment is about, two bettors named, and a follow-up 'there'."""

from __future__ import annotations

from agents.followups import resolve_followup
from agents.parser import ParseContext, Parsed, Unanswerable, Vocabulary, parse
from tests.agents.parser_cases import ALL, AS_OF

CTX = ParseContext(AS_OF, ALL, "Sharpie")
GUILD = ParseContext(AS_OF, Vocabulary(
    values={d: ALL.values[d] for d in ("bettor", "sport", "league", "market")},
    verticals=frozenset({"betting"})), "Sharpie")


def _query(question: str):
    parsed = parse(question, CTX)
    assert isinstance(parsed, Parsed), parsed
    return parsed.query


def test_me_only_is_the_asker():
    query = _query("win rate for football and basketball, me only, last month")
    assert {f.dimension: f.values for f in query.filters}["bettor"] == ("Sharpie",)


def test_a_supplier_named_with_with_filters_and_an_unknown_one_is_never_read_past():
    query = _query("how much do we have on order with globex")
    assert [(f.dimension, f.values) for f in query.filters] == [("supplier", ("Globex",))]
    assert isinstance(parse("how much do we have on order with zorblax", CTX), Unanswerable)


def test_the_people_a_segment_is_about_are_no_breakdown():
    query = _query("arpa for smb accounts")
    assert query.dimensions == () and [f.values for f in query.filters] == [("SMB",)]


def test_two_bettors_named_are_side_by_side_never_pooled():
    query = _query("sharpie and luckylou roi")
    assert query.dimensions == ("bettor",)


def test_a_follow_up_keeps_the_filters_it_does_not_replace():
    last = parse("roi in the NFL last month", GUILD)
    assert isinstance(last, Parsed)
    followed = resolve_followup("and my units there", last.query, "metric", GUILD)
    assert followed is not None
    assert followed.query.metrics == ("profit_units",)
    assert {f.dimension for f in followed.query.filters} == {"league", "bettor"}
