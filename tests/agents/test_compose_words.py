"""How an answer reads: a breakdown's total only where its rows add up (issue #15, found by a
stranger: "Days of stock by product …: 54.7 days in total", "Streak by bettor …: W3 in total")."""

from __future__ import annotations

from datetime import date

import pytest

from agents.compose import compose
from storage.catalog import AsOf, Filter, Query, resolve_period
from tests.agents.demo_workspaces import demo_engine

SHOP = demo_engine("demo")
GUILD = demo_engine("demo-guild")
AS_OF = AsOf.for_day(date(2025, 6, 1), SHOP.workspace.tz)


def breakdown_text(engine, metric: str, dimension: str, period: str | None) -> str:
    when = resolve_period(period, AS_OF) if period else None
    result = engine.run(Query((metric,), when, (dimension,)), AS_OF)
    return compose(result, engine.defs, engine.workspace.currency).text


def test_revenue_by_country_has_a_total():
    assert ": $" in breakdown_text(SHOP, "revenue", "country", "last month")
    assert " in total." in breakdown_text(SHOP, "revenue", "country", "last month")


@pytest.mark.parametrize(("metric", "dimension", "period"), [
    ("aov", "country", "last month"),
    ("refund_rate", "country", "last month"),
    ("days_of_stock", "product", None),
])
def test_an_average_or_a_rate_by_a_dimension_is_overall_not_in_total(metric, dimension, period):
    text = breakdown_text(SHOP, metric, dimension, period)
    assert "in total" not in text and " overall." in text, text


def test_a_streak_by_bettor_has_no_total():
    text = breakdown_text(GUILD, "streak", "bettor", None)
    assert "in total" not in text and "overall" not in text, text
    assert text.startswith("Streak by bettor") and text.endswith(".")


def test_parlay_petes_roi_in_a_month_without_settled_bets_says_why_it_is_na():
    query = Query(("roi",), resolve_period("from 2020-01-01 to 2020-01-31", AS_OF),
                  filters=(Filter("bettor", ("Parlay Pete",)),))
    text = compose(GUILD.run(query, AS_OF), GUILD.defs, GUILD.workspace.currency).text
    assert text == ("Parlay Pete's ROI over Jan 1 – Jan 31, 2020 was n/a "
                    "(no settled bets in that period)."), text


def test_an_aov_without_orders_says_there_is_no_data_for_that_period():
    query = Query(("aov",), resolve_period("from 2020-01-01 to 2020-01-31", AS_OF))
    text = compose(SHOP.run(query, AS_OF), SHOP.defs, SHOP.workspace.currency).text
    assert "n/a (no data for that period)" in text, text
