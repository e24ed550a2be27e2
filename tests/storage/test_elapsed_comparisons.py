"""A period running up to now is compared up to the same elapsed time (metrics.md).

A São Paulo shop (UTC−3) asked at 09:30 on Thursday 2025-04-10: today it sold 100 at
08:00. The same Thursday a week earlier (Apr 3) it sold 40 at 08:00 and 60 at 11:00;
on Mar 10 it sold 7 at 09:00 and 1000 at 10:00. "today vs the same day last week" sets
100 against 40 (Apr 3 up to 09:30), not against the whole day's 100, and "MTD vs last
month" against Mar 1 – Mar 10 09:30. Asked ``--as-of 2025-04-10`` (the end of the day),
whole days are compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage.catalog import Engine, Query, resolve_period
from storage.catalog.periods import AsOf
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
ORDERS = [  # id, local time, total
    ("o1", "2025-03-10T09:00:00-03:00", 7),
    ("o2", "2025-03-10T10:00:00-03:00", 1000),
    ("o3", "2025-04-03T08:00:00-03:00", 40),
    ("o4", "2025-04-03T11:00:00-03:00", 60),
    ("o5", "2025-04-10T08:00:00-03:00", 100),
]
MORNING = AsOf.now(SAO_PAULO, datetime(2025, 4, 10, 12, 30, tzinfo=UTC))  # 09:30 local
END_OF_DAY = AsOf.for_day(date(2025, 4, 10), SAO_PAULO)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder: Path = tmp_path_factory.mktemp("elapsed")
    header = ("order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total,"
              "country,sales_channel,source")
    rows = [f"{oid},c1,{at},paid,USD,{total},0,0,0,{total},BR,online_store,google"
            for oid, at, total in ORDERS]
    (folder / "orders.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, folder)
    yield Engine(Workspace("shop", "USD", "America/Sao_Paulo"), warehouse)
    warehouse.close()


def _compare(engine: Engine, phrase: str, compare: str, as_of: AsOf) -> tuple[object, object]:
    query = Query(("revenue",), resolve_period(phrase, as_of), compare=compare)  # type: ignore[arg-type]
    result = engine.run(query, as_of)
    assert result.comparison is not None
    return result.value, result.comparison.values["revenue"]


def test_today_at_0930_vs_the_same_day_last_week_counts_that_day_up_to_0930(engine):
    assert _compare(engine, "today", "week", MORNING) == (Decimal("100"), Decimal("40"))


def test_the_same_day_last_week_is_seven_days_earlier(engine):
    result = engine.run(Query(("revenue",), resolve_period("today", MORNING), compare="week"), MORNING)
    assert result.comparison is not None
    other = result.comparison.period
    assert (other.start, other.end) == (date(2025, 4, 3), date(2025, 4, 4))


def test_month_to_date_at_0930_vs_last_month_stops_at_0930_on_the_10th(engine):
    assert _compare(engine, "this month", "previous", MORNING) == (Decimal("200"), Decimal("7"))


def test_an_as_of_day_compares_whole_days(engine):
    assert _compare(engine, "today", "week", END_OF_DAY) == (Decimal("100"), Decimal("100"))
    assert _compare(engine, "this month", "previous", END_OF_DAY) == (Decimal("200"), Decimal("1007"))


def test_a_whole_past_period_is_compared_whole_whatever_the_time(engine):
    # last week (Mar 31 – Apr 6) vs the week before: whole weeks, 09:30 changes nothing.
    assert _compare(engine, "last week", "week", MORNING) == (Decimal("100"), Decimal("0"))


def test_betting_metrics_with_no_period_cover_all_time(multi):
    as_of = AsOf.for_day(date(2025, 6, 1), ZoneInfo("UTC"))
    result = multi.run(Query(("bets", "profit_units")), as_of)
    assert result.period.start <= date(2000, 1, 1)
    assert result.period.end == date(2025, 6, 2)
    assert result.values == multi.run(Query(("bets", "profit_units"), resolve_period("all time", as_of)),
                                      as_of).values


def test_shop_flows_with_no_period_still_cover_the_last_30_days(engine):
    result = engine.run(Query(("revenue",)), END_OF_DAY)
    assert (result.period.start, result.period.end) == (date(2025, 3, 11), date(2025, 4, 10))
