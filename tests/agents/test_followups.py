"""Follow-ups: what a message takes from the conversation, and what it never does.

Each conversation runs like the runtime: a turn is a follow-up of the last answered
one, or parsed on its own (issue #15: follow-ups only fill what is missing; an explicit
metric, period or dimension is never overridden; an explicit comparison resets filters).
"""

from __future__ import annotations

from agents.followups import Resolution, resolve_followup
from agents.parser import ParseContext, Parsed, parse
from storage.catalog.model import Filter, Order, Query
from tests.agents.parser_cases import ALL, AS_OF, LAST_7_DAYS, LAST_MONTH, LAST_WEEK, YESTERDAY, F, Span

CTX = ParseContext(AS_OF, ALL, "Sharpie")


def talk(*turns: str) -> Parsed | Resolution | None:
    """The last turn's plan; every earlier turn must be answered."""
    last: Parsed | Resolution | None = None
    for turn in turns:
        previous = last.query if last is not None else None
        plan = resolve_followup(turn, previous, last.intent if last is not None else "", CTX)
        answered = plan if plan is not None else parse(turn, CTX)
        if turn is turns[-1]:
            return answered if isinstance(answered, Parsed | Resolution) else None
        assert isinstance(answered, Parsed | Resolution), f"{turn!r} -> {answered}"
        last = answered
    return None


def query_of(*turns: str) -> Query:
    plan = talk(*turns)
    assert plan is not None, turns
    return plan.query


def span(query: Query) -> Span | None:
    return None if query.period is None else (query.period.start.isoformat(), query.period.end.isoformat())


def test_and_the_week_before_moves_the_period_and_keeps_the_rest():
    q = query_of("revenue in mexico last week", "and the week before?")
    assert q.metrics == ("revenue",) and span(q) == ("2025-11-03", "2025-11-10")
    assert q.filters == (F("country", "MX"),) and q.compare is None


def test_vs_the_week_before_compares_and_keeps_the_period():
    q = query_of("revenue in mexico last week", "vs the week before?")
    assert span(q) == LAST_WEEK and q.compare == "previous" and q.filters == (F("country", "MX"),)


def test_the_7_days_before_moves_a_seven_day_period_and_no_other_length():
    q = query_of("orders last 7 days", "and the 7 days before that?")
    assert q.metrics == ("orders",) and span(q) == ("2025-11-05", "2025-11-12")
    plan = talk("orders last 7 days", "and the 14 days before?")
    assert plan is None or span(plan.query) != ("2025-11-05", "2025-11-12")


def test_same_for_orders_swaps_the_metric_and_keeps_period_and_filters():
    q = query_of("revenue in mexico last week", "same for orders")
    assert q.metrics == ("orders",) and span(q) == LAST_WEEK and q.filters == (F("country", "MX"),)


def test_a_bare_metric_fills_only_what_it_leaves_unsaid():
    q = query_of("ad spend on meta yesterday", "roas?")
    assert q.metrics == ("roas",) and span(q) == YESTERDAY and q.filters == (F("channel", "meta"),)
    q = query_of("ad spend on meta yesterday", "roas last month")
    assert span(q) == LAST_MONTH and q.filters == (F("channel", "meta"),)  # its own period wins


def test_top_3_instead_changes_only_the_limit():
    q = query_of("top 5 products by revenue last month", "top 3 instead")
    assert q.dimensions == ("product",) and span(q) == LAST_MONTH and q.limit == 3
    assert q.order is not None and q.order.descending


def test_best_and_worst_follow_the_metric_direction():
    q = query_of("worst campaign by roas last month", "worst 3 instead")
    assert q.order == Order("roas", descending=False) and q.limit == 3
    q = query_of("worst campaign by roas last month", "worst 3 instead", "and the best 3?")
    assert q.order == Order("roas", descending=True) and q.limit == 3
    q = query_of("cpa by campaign last month", "best 2")  # the best CPA is the lowest
    assert q.order == Order("cpa", descending=False) and q.limit == 2


def test_a_ranking_without_a_metric_ranks_by_the_last_metric():
    q = query_of("mrr by country", "top 2 countries")
    assert q.metrics == ("mrr",) and q.order == Order("mrr") and q.limit == 2


def test_by_units_reranks_the_same_top_n():
    q = query_of("top 3 products by revenue last month", "by units instead")
    assert q.metrics == ("units_sold",) and q.dimensions == ("product",)
    assert q.order == Order("units_sold") and q.limit == 3 and span(q) == LAST_MONTH


def test_by_campaign_instead_swaps_the_breakdown():
    q = query_of("cpc by channel last 7 days", "by campaign instead")
    assert q.metrics == ("cpc",) and q.dimensions == ("campaign",) and span(q) == LAST_7_DAYS


def test_a_whole_question_keeps_nothing_from_the_conversation():
    plan = talk("revenue by country last week", "only online store",
                "how many orders did we get yesterday?")
    assert isinstance(plan, Parsed)  # parsed on its own, not a follow-up
    assert plan.query.metrics == ("orders",) and span(plan.query) == YESTERDAY
    assert not plan.query.filters and not plan.query.dimensions


def test_an_explicit_comparison_resets_the_filters_it_does_not_repeat():
    plan = talk("top 5 products last month", "only Mexico",
                "compare revenue last week with the week before")
    assert isinstance(plan, Parsed) and plan.query.metrics == ("revenue",)
    assert span(plan.query) == LAST_WEEK and plan.query.compare == "previous"
    assert not plan.query.filters and not plan.query.dimensions and plan.query.limit is None
    plan = talk("aov on the online store yesterday", "by country", "aov yesterday vs same day last week")
    assert isinstance(plan, Parsed) and plan.query.compare == "week"
    assert not plan.query.filters and not plan.query.dimensions


def test_vs_a_named_period_is_a_comparison_of_the_last_one():
    q = query_of("aov in march 2025", "vs february?")
    assert span(q) == ("2025-03-01", "2025-04-01") and q.compare == "previous"
    q = query_of("aov in march 2025", "vs last year?")
    assert span(q) == ("2025-03-01", "2025-04-01") and q.compare == "year"


def test_and_churned_after_new_mrr_is_churned_mrr():
    assert query_of("new mrr last month", "and churned?").metrics == ("churned_mrr",)
    assert query_of("new customers last month", "and returning?").metrics == ("returning_customers",)


def test_only_narrows_a_leaderboard_and_keeps_it_a_leaderboard():
    plan = talk("leaderboard this year", "only bets on basketball")
    assert isinstance(plan, Resolution) and plan.intent == "leaderboard"
    assert plan.query.dimensions == ("bettor",) and plan.query.filters == (F("sport", "basketball"),)
    assert not isinstance(talk("leaderboard this year", "by sport"), Resolution)  # it ranks bettors


def test_another_bettor_keeps_the_metric_and_his_is_that_bettor():
    q = query_of("am i on a streak?", "and LuckyLou's?")
    assert q.metrics == ("streak",) and q.filters == (F("bettor", "LuckyLou"),)
    q = query_of("am i on a streak?", "and LuckyLou's?", "what's his record")
    assert q.metrics == ("record",) and q.filters == (F("bettor", "LuckyLou"),)


def test_a_stock_list_takes_another_horizon_and_keeps_its_filters():
    q = query_of("what runs out in 14 days", "just apparel", "and 30 days?")
    days = [f for f in q.filters if f.dimension == "days_of_stock_below"]
    assert days == [Filter("days_of_stock_below", ("30",))]
    assert F("category", "Apparel") in q.filters


def test_why_and_how_are_their_own_kinds():
    why = talk("revenue last week", "why so low?")
    how = talk("revenue last week", "how did you work that out")
    assert isinstance(why, Resolution) and why.kind == "why" and why.query.metrics == ("revenue",)
    assert isinstance(how, Resolution) and how.kind == "how"
    own = talk("orders last week", "why did revenue drop last week?")
    assert isinstance(own, Resolution) and own.query.metrics == ("revenue",)


def test_a_comparison_of_another_length_is_not_made_up():
    plan = talk("revenue by country last month", "how does that compare to last week?")
    assert not isinstance(plan, Resolution)  # last month is no week: refused, not guessed
    q = query_of("revenue by country last month", "how does that compare to the month before?")
    assert span(q) == LAST_MONTH and q.compare == "previous"


def test_just_the_top_one_keeps_the_best_row():
    q = query_of("revenue by country last month", "just the top one")
    assert q.order == Order("revenue") and q.limit == 1 and q.dimensions == ("country",)


def test_by_roi_instead_reranks_the_leaderboard():
    plan = talk("leaderboard this month", "by roi instead")
    assert isinstance(plan, Resolution) and plan.intent == "leaderboard"
    assert plan.query.order == Order("roi") and plan.query.dimensions == ("bettor",)
    q = query_of("leaderboard this month", "my roi")
    assert q.metrics == ("roi",) and q.filters == (F("bettor", "Sharpie"),) and not q.dimensions


def test_why_naming_its_own_metric_explains_that_metric():
    own = talk("revenue last week vs the week before", "why is aov so low yesterday?")
    assert isinstance(own, Resolution) and own.kind == "why"
    assert own.query.metrics == ("aov",) and span(own.query) == YESTERDAY


def test_how_come_and_what_happened_ask_why_and_the_formula_asks_how():
    for asked in ("how come?", "what happened?", "what's driving it?", "which countries drove that?"):
        plan = talk("revenue last week vs the week before", asked)
        assert isinstance(plan, Resolution) and plan.kind == "why", asked
        assert plan.query.metrics == ("revenue",), asked
    plan = talk("revenue last week", "what's the formula?")
    assert isinstance(plan, Resolution) and plan.kind == "how"


def test_the_previous_week_in_a_follow_up_is_the_week_before_the_last_one():
    for asked in ("and the previous week?", "what about the prior week", "n the wk before?", "the one before?"):
        q = query_of("revenue last week", asked)
        assert span(q) == ("2025-11-03", "2025-11-10") and q.compare is None, asked
    q = query_of("revenue last week", "vs the previous week")
    assert span(q) == LAST_WEEK and q.compare == "previous"
    assert not isinstance(talk("revenue last 7 days", "and the prior 14 days"), Resolution)


def test_overall_and_the_whole_guild_drop_the_filters():
    q = query_of("revenue in mexico last week", "and overall?")
    assert q.metrics == ("revenue",) and span(q) == LAST_WEEK and not q.filters
    q = query_of("my roi this month", "and the whole guild?")
    assert q.metrics == ("roi",) and not q.filters


def test_by_the_filtered_dimension_opens_it_to_every_value():
    q = query_of("revenue in mexico last week", "all countries")
    assert q.dimensions == ("country",) and not q.filters
    q = query_of("revenue in mexico last week", "by channel")
    assert q.dimensions == ("sales_channel",) and q.filters == (F("country", "MX"),)


def test_a_question_without_its_own_period_takes_the_conversations():
    q = query_of("orders in mexico last week", "what's the aov?")
    assert q.metrics == ("aov",) and span(q) == LAST_WEEK and q.filters == (F("country", "MX"),)
    q = query_of("orders in mexico last week", "show me revenue by country")
    assert q.dimensions == ("country",) and not q.filters and span(q) == LAST_WEEK


def test_wow_after_a_day_is_that_day_a_week_earlier_and_mom_is_refused():
    q = query_of("revenue yesterday", "and wow?")
    assert span(q) == YESTERDAY and q.compare == "week"
    assert not isinstance(talk("revenue yesterday", "mom?"), Resolution)


def test_a_comparison_of_its_own_inside_a_follow_up_is_not_a_move_back():
    q = query_of("revenue this month", "and last week vs the week before?")
    assert span(q) == LAST_WEEK and q.compare == "previous"


def test_the_month_before_a_month_to_date_is_the_whole_month():
    q = query_of("revenue this month", "and the month before?")
    assert span(q) == LAST_MONTH
    assert not isinstance(talk("revenue this month", "and the week before?"), Resolution)


def test_only_with_another_metric_swaps_the_metric():
    q = query_of("revenue by source last week", "only orders from google")
    assert q.metrics == ("orders",) and q.filters == (F("source", "google"),) and span(q) == LAST_WEEK


def test_ok_or_now_before_a_whole_question_does_not_make_it_a_follow_up():
    q = query_of("revenue in mexico last week", "ok, how many orders did we get yesterday?")
    assert q.metrics == ("orders",) and span(q) == YESTERDAY and not q.filters
    q = query_of("revenue in mexico last week", "ok now by channel")
    assert q.dimensions == ("sales_channel",) and q.filters == (F("country", "MX"),)


def test_a_word_with_two_senses_reads_in_the_conversations():
    q = query_of("new subscriptions this month", "what about cancellations")
    assert q.metrics == ("churned_customers",)
    assert query_of("orders this month", "what about cancellations").metrics == ("cancelled_orders",)
    assert query_of("sessions last week", "and conversions?").metrics == ("web_conversions",)
    assert query_of("ad spend last week", "and conversions?").metrics == ("conversions",)
    assert query_of("new subscriptions this month", "and customers?").metrics == ("active_customers",)


def test_a_fragment_is_never_answered_with_the_last_metric_when_it_names_another():
    plan = talk("revenue last week", "and orders in Narnia?")
    assert not (isinstance(plan, Resolution) and plan.query.metrics == ("revenue",))


def test_which_was_best_after_a_breakdown_is_its_top_row():
    q = query_of("units sold by category last month", "which was best?")
    assert q.order == Order("units_sold") and q.limit == 1 and q.dimensions == ("category",)
    q = query_of("units sold by category last month", "and worst?")
    assert q.order == Order("units_sold", descending=False) and q.limit == 1
    assert not isinstance(talk("revenue last month", "which was best?"), Resolution)  # best of what?
