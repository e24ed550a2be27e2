"""Understanding that degrades gracefully (issue #15, classes 1 and 2).

Fillers, everyday verbs and chat slang never block a question; typos of the
workspace's own words are corrected and said back; an unknown word that could change
the number is asked about with readings that work, never guessed.
"""

from __future__ import annotations

from datetime import date

import pytest

from agents.answer import unanswerable_reply
from agents.parser import Parsed, Unanswerable, Vocabulary
from agents.parser.slang import spell_out
from agents.parser.spelling import respell
from agents.parser.vocab_index import index_for
from agents.reading import reading_line, with_reading
from storage.catalog.model import Filter, Query
from storage.catalog.periods import Period
from tests.agents.parser_cases import (
    ALL,
    LAST_MONTH,
    LAST_WEEK,
    SHOP_ONLY,
    THIS_MONTH,
    THIS_WEEK,
    THIS_YEAR,
    TODAY,
    YESTERDAY,
    Q,
    ask,
    assert_parses,
)


def assert_refused_with_choices(text: str, vocabulary: Vocabulary = ALL) -> Unanswerable:
    """Refused, with 1-3 choices that each parse on the same workspace."""
    answer = ask(text, vocabulary)
    assert isinstance(answer, Unanswerable), f"{text!r} -> {answer}"
    assert 1 <= len(answer.choices) <= 3, f"{text!r}: {answer}"
    for choice in answer.choices:
        assert isinstance(ask(choice, vocabulary), Parsed), f"{text!r}: choice {choice!r}"
    return answer


# --- class 1: fillers, everyday verbs and slang ---------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("how much revenue did we pull in last week", Q("revenue", period=LAST_WEEK)),
    ("what revenue have we generated this month", Q("revenue", period=THIS_MONTH)),
    ("how much revenue have we brought in this year", Q("revenue", period=THIS_YEAR)),
    ("quick q, can you tell me orders yesterday pls", Q("orders", period=YESTERDAY)),
    ("i wanna know revenue so far this month", Q("revenue", period=THIS_MONTH)),
    ("hey how many orders went through yesterday thx", Q("orders", period=YESTERDAY)),
    ("can you put revenue by country in a table for last month",
     Q("revenue", period=LAST_MONTH, by=("country",))),
])
def test_everyday_verbs_and_fillers_do_not_block_a_question(text, expected):
    parsed = assert_parses(text, expected)
    assert parsed.assumed == ()  # fillers are understood, not read past


@pytest.mark.parametrize(("text", "expected"), [
    ("rev yday", Q("revenue", period=YESTERDAY)),
    ("# of orders this wk", Q("orders", period=THIS_WEEK)),
    ("orders this yr", Q("orders", period=THIS_YEAR)),
    ("revenue this mo", Q("revenue", period=THIS_MONTH)),
    ("revenue mtd", Q("revenue", period=THIS_MONTH)),
    ("orders 2day", Q("orders", period=TODAY)),
    ("how many orders atm", Q("orders")),
    ("orders lst wk", Q("orders", period=LAST_WEEK)),
    ("revenue last wek", Q("revenue", period=LAST_WEEK)),
])
def test_chat_slang_and_abbreviations_are_spelled_out(text, expected):
    assert_parses(text, expected)


def test_slang_table_keeps_symbols_that_mean_something_else():
    assert spell_out("# of orders w/ refunds") == "number of orders with refunds"
    assert spell_out("w/l record") == "w/l record"  # win/loss, not "with l"
    assert spell_out("revenue v. last yr") == "revenue vs last year"
    assert spell_out("<#C123|general> rev") == "<#C123|general> revenue"


def test_a_slang_word_that_is_a_stored_value_stays_the_value():
    assert spell_out("sales this mo", frozenset({"mo"})) == "sales this mo"


def test_an_unknown_verb_of_the_question_is_read_past_and_said_back():
    parsed = assert_parses("how many orders did we process last month",
                           Q("orders", period=LAST_MONTH))
    assert parsed.assumed == ("ignored 'process'",)


@pytest.mark.parametrize("text", [
    "revenue in Narnia last week",          # where a filter would stand
    "revenue by weekday",                   # where a breakdown would stand
    "how many iphone cases do we have",     # nouns name things
    "median order value last month",        # a qualifier changes the number
    "cumulative revenue last month",
    "how much did Zorblax order last month",  # a name mid-sentence
])
def test_an_unknown_word_that_could_change_the_number_is_asked_about(text):
    answer = assert_refused_with_choices(text)
    assert answer.unknown


def test_a_filter_nobody_has_offers_the_question_without_it():
    answer = assert_refused_with_choices("revenue in Narnia last week")
    assert answer.choices[0] == "revenue last week"
    assert answer.unknown == ("Narnia",)


def test_an_unknown_breakdown_offers_the_nearest_breakdown():
    answer = assert_refused_with_choices("revenue by weekday")
    assert answer.choices[0] == "revenue by week"


def test_a_question_with_no_metric_offers_the_main_metrics():
    answer = assert_refused_with_choices("how did we do last week")
    assert answer.choices == ("revenue last week", "orders last week", "mrr last week")


# --- class 2: typos beyond swapped letters --------------------------------------------

@pytest.mark.parametrize(("text", "expected", "read"), [
    ("revnue yestrday", Q("revenue", period=YESTERDAY), "read 'yestrday' as 'yesterday'"),
    ("reveneu last week", Q("revenue", period=LAST_WEEK), "read 'reveneu' as 'revenue'"),
    ("ordrs last month", Q("orders", period=LAST_MONTH), "read 'ordrs' as 'orders'"),
    ("custmers this month", Q("customers", period=THIS_MONTH),
     "read 'custmers' as 'customers'"),
    ("revenue lastweek", Q("revenue", period=LAST_WEEK), "read 'lastweek' as 'last week'"),
    ("orders thismonth", Q("orders", period=THIS_MONTH), "read 'thismonth' as 'this month'"),
    ("mrrr last month", Q("mrr", period=LAST_MONTH), "read 'mrrr' as 'mrr'"),
    ("avarage order value last month", Q("aov", period=LAST_MONTH),
     "read 'avarage' as 'average'"),
])
def test_revnue_yestrday_is_revenue_yesterday(text, expected, read):
    parsed = assert_parses(text, expected)
    assert read in parsed.assumed


def test_leaderbord_is_the_leaderboard():
    parsed = ask("leaderbord")
    assert isinstance(parsed, Parsed) and parsed.intent == "leaderboard"
    assert parsed.assumed == ("read 'leaderbord' as 'leaderboard'",)


def test_a_short_typo_is_offered_not_applied():
    answer = assert_refused_with_choices("ordr last month")
    assert answer.choices == ("orders last month",)


def test_a_real_word_is_never_turned_into_a_value():
    # "shift" is one letter from the stored "Shirt": asked about, never read as it.
    answer = assert_refused_with_choices("how many units did we shift last month")
    assert answer.unknown == ("shift",)


def test_a_known_value_is_never_corrected_into_another():
    vocabulary = Vocabulary(values={"product": ["Canvas Tote", "Canvas Tone"]},
                            verticals=frozenset({"shop"}))
    spelled = respell("units sold canvas tone", index_for(vocabulary))
    assert spelled.text == "units sold canvas tone" and spelled.corrected == ()


def test_two_equally_close_words_are_a_choice_not_a_guess():
    answer = assert_refused_with_choices("orders on tursday")
    assert answer.unknown == ("tursday",)
    assert answer.choices[:2] == ("orders on thursday", "orders on tuesday")


def test_a_dropped_letter_reads_as_the_longer_word():
    assert_parses("churnd mrr last month", Q("churned_mrr", period=LAST_MONTH))


def test_a_plural_of_a_known_word_is_not_split_or_corrected():
    spelled = respell("roi on moneylines", index_for(ALL))
    assert spelled.text == "roi on moneylines" and spelled.corrected == ()


def test_an_everyday_word_is_not_corrected_into_a_shorter_one():
    spelled = respell("black friday revenue", index_for(ALL))
    assert "back" not in spelled.text


# --- the answer path ------------------------------------------------------------------

def _query() -> Query:
    period = Period(date(2025, 11, 18), date(2025, 11, 19), "day", "yesterday")
    return Query(("revenue",), period, ("sales_channel",), (Filter("country", ("BR",)),))


def test_the_reading_line_restates_the_query_in_words():
    assert reading_line(_query()) == ("Reading this as: revenue by sales channel, BR, "
                                      "yesterday (Tue Nov 18, 2025).")


def test_the_reading_line_goes_in_front_only_when_something_was_assumed():
    assert with_reading("R$ 10", _query(), ()) == "R$ 10"
    assert with_reading("R$ 10", _query(), ("read 'revnue' as 'revenue'",)).endswith(
        ".\nR$ 10")


def test_a_refusal_reply_carries_its_choices_and_unknown_words():
    reply = unanswerable_reply("revenue in Narnia", ("metric: revenue",),
                               "Narnia is not a country in your data", frozenset({"shop"}),
                               ("revenue",), ("Narnia",))
    assert reply.choices == ("revenue",) and not reply.ok
    assert reply.data["choices"] == ["revenue"] and reply.data["unknown"] == ["Narnia"]
    assert "1. revenue" in reply.as_text()


def test_an_ambiguous_date_offers_both_readings():
    answer = assert_refused_with_choices("revenue on 3/4")
    assert answer.choices[:2] == ("revenue on 2025-03-04", "revenue on 2025-04-03")


def test_a_running_total_per_day_is_refused_with_both_readings():
    answer = assert_refused_with_choices("running total of orders by day last month")
    assert answer.choices[0] == "orders by day last month"


def test_two_periods_offer_each_period_alone():
    answer = assert_refused_with_choices("revenue in march vs june")
    assert answer.choices == ("revenue march", "revenue june")


def test_a_missing_space_is_only_put_back_into_a_known_phrase():
    index = index_for(ALL)
    assert respell("lead time by supplier", index).text == "lead time by supplier"
    assert respell("leadtime by supplier", index).text == "lead time by supplier"
    assert respell("revenue per salesperson", index).text == "revenue per salesperson"


def test_a_breakdown_that_cannot_be_offers_the_question_without_it():
    answer = assert_refused_with_choices("revenue by sport", vocabulary=SHOP_ONLY)
    assert answer.choices == ("revenue",)


def test_the_reading_line_names_a_list_not_its_columns():
    query = Query(("profit_units", "roi", "record", "bets"), None, ("bettor",))
    assert reading_line(query, "leaderboard") == "Reading this as: the leaderboard."
    assert reading_line(Query(("revenue", "orders"), None)) == \
        "Reading this as: revenue and orders."


def test_a_whole_word_is_not_read_as_a_longer_phrase_it_starts():
    # "average" alone is not a misspelt "average mrr" or "average cpc": no tie to refuse.
    answer = ask("how many orders on average")
    assert not (isinstance(answer, Unanswerable) and "could mean" in answer.missing)


def test_the_reading_line_names_metrics_by_their_catalog_labels():
    from storage.catalog.model import Query

    assert reading_line(Query(("aov", "roas"), dimensions=("sales_channel",))) == (
        "Reading this as: average order value and ROAS by sales channel.")
