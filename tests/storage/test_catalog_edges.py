"""Catalog edges a reply shows: the values a question can name, default and all-time periods.

Shop fixture (São Paulo, USD) and multi fixture (UTC, USD): see tests/conftest.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from storage.catalog import AsOf, Filter, Query, resolve_period
from storage.catalog.periods import default_flow_period
from storage.errors import UnsupportedDimensionError

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOV_19 = AsOf.for_day(date(2025, 11, 19), SAO_PAULO)


def test_dimension_values_are_the_distinct_stored_values_sorted(shop):
    assert shop.dimension_values("country") == ["BR", "MX", "US"]
    assert shop.dimension_values("product") == ["Canvas Tote", "Linen Shirt", "Wool Scarf"]
    assert shop.dimension_values("sales_channel") == ["marketplace", "online_store", "pos"]
    assert shop.dimension_values("source") == ["amazon", "google", "meta"]  # o5 has none
    assert shop.dimension_values("nothing such") == []


def test_dimension_values_reach_the_tables_only_a_relation_knows(multi):
    locations = multi.dimension_values("location")
    suppliers = multi.dimension_values("supplier")
    assert locations and suppliers
    assert set(locations) == {r[0] for r in multi.warehouse.fetch("SELECT name FROM locations")}
    assert set(suppliers) == {r[0] for r in multi.warehouse.fetch("SELECT name FROM suppliers")}


def test_dimension_values_stop_at_the_limit_in_each_table(shop):
    # The limit caps each table's list (the union of several tables may hold more values).
    capped = shop.dimension_values_by_source("country", limit=1)
    assert capped and all(len(values) <= 1 for values in capped.values())
    assert len(shop.dimension_values("country")) == 3


def test_a_stock_metric_refused_a_filter_names_the_ones_it_takes(multi, multi_as_of):
    with pytest.raises(UnsupportedDimensionError) as refused:
        multi.run(Query(("on_hand",), filters=(Filter("country", ("US",)),)), multi_as_of)
    assert str(refused.value) == (
        "On hand can't be filtered by country; ask for it separately without that filter "
        "(it can be filtered by category, location, product, product_status, sku, supplier)")


def test_the_default_period_of_a_flow_is_the_last_30_days_said_so():
    period = default_flow_period(NOV_19)
    assert (period.start, period.end) == (date(2025, 10, 20), date(2025, 11, 19))
    assert period.describe() == "last 30 days (Oct 20 – Nov 18, 2025)"


def test_all_time_reads_all_time_and_ends_today():
    period = resolve_period("all time", NOV_19)
    assert period.describe() == "all time"
    assert (period.start, period.end) == (date(2000, 1, 1), date(2025, 11, 20))


@pytest.mark.parametrize(("phrase", "shown", "previous"), [
    ("2024", "2024", ("2023-01-01", "2024-01-01")),
    ("Q2 2025", "Q2 2025", ("2025-01-01", "2025-04-01")),
    ("March 2025", "March 2025", ("2025-02-01", "2025-03-01")),
    ("2025-03-04", "Tue Mar 4, 2025", ("2025-03-03", "2025-03-04")),
    ("from 2025-03-01 to 2025-03-10", "Mar 1 – Mar 10, 2025", ("2025-02-19", "2025-03-01")),
    ("from 2024-12-20 to 2025-01-05", "Dec 20, 2024 – Jan 5, 2025", ("2024-12-03", "2024-12-20")),
])
def test_named_periods_read_in_calendar_words_and_compare_with_the_one_before(phrase, shown, previous):
    period = resolve_period(phrase, NOV_19)
    assert period.plain() == shown
    before = period.previous()
    assert (before.start.isoformat(), before.end.isoformat()) == previous


def test_mrr_now_compares_with_the_same_instant_a_month_and_a_year_earlier(multi, multi_as_of):
    # Mar 28: s1 150 + s3 100 EUR × 1.1 + s4 250 + s6 60 = 570. Feb 28: s1 100 + s2 200 + s4 300.
    month = multi.run(Query(("mrr",), compare="previous"), multi_as_of)
    assert month.value == Decimal("570") and month.comparison is not None
    assert month.comparison.period.start == date(2025, 2, 28)
    assert month.comparison.values["mrr"] == Decimal("600")
    assert month.comparison.change["mrr"] == Decimal("-30")
    assert month.comparison.change_rate["mrr"] == pytest.approx(-0.05)
    year = multi.run(Query(("mrr",), compare="year"), multi_as_of)
    assert year.comparison is not None and year.comparison.period.start == date(2024, 3, 28)
    assert not year.comparison.values["mrr"] and year.comparison.change_rate["mrr"] is None


def test_a_small_profit_is_signed():
    from storage.catalog.display import format_value

    assert format_value(Decimal("0.5"), "bet_profit", "") == "+0.50u"
