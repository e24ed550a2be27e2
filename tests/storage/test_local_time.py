"""Local time by offset arithmetic (RelationContext.local_within) equals DuckDB's timezone().

Time dimensions and the stock relation's demand days shift each row by the zone's offset
computed in Python for the statement's range; these tests compare it with the ICU
conversion on rows around every kind of offset change.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.catalog.relations import OFFSET_SPAN, RelationContext, utc_offsets


def _ctx(timezone: str) -> RelationContext:
    epoch = datetime(1970, 1, 1)
    return RelationContext(start=epoch, end=epoch, t=epoch, as_of_day=date(2026, 1, 1),
                           period_start_day=date(2026, 1, 1), period_end_day=date(2026, 1, 2),
                           timezone=timezone, currency="USD", foreign=frozenset())


def _compare(timezone: str, start: datetime, end: datetime, rows: list[datetime],
             every_minutes: int = 0) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (ts TIMESTAMP)")
    if every_minutes:
        con.execute(f"INSERT INTO t SELECT range FROM range(?::TIMESTAMP, ?::TIMESTAMP, "
                    f"INTERVAL {every_minutes} MINUTE)", [start, end])
    inside = [[r] for r in rows if start <= r < end]
    if inside:
        con.executemany("INSERT INTO t VALUES (?)", inside)
    ctx = _ctx(timezone)
    fast, icu = ctx.local_within("ts", start, end), ctx.local("ts")
    differing = con.execute(f"SELECT ts, {fast}, {icu} FROM t WHERE {fast} <> {icu}").fetchall()
    assert differing == []
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] > 0


@pytest.mark.parametrize(("timezone", "start", "end"), [
    ("America/New_York", datetime(2026, 10, 3, 4), datetime(2026, 11, 15, 5)),  # DST ends Nov 1
    ("Europe/Berlin", datetime(2026, 3, 1), datetime(2026, 11, 1)),  # both changes
    ("Australia/Lord_Howe", datetime(2025, 9, 1), datetime(2026, 5, 1)),  # 30-minute DST
    ("America/Sao_Paulo", datetime(2025, 1, 1, 3), datetime(2026, 1, 1, 3)),  # no DST
    ("Asia/Kathmandu", datetime(2025, 1, 1), datetime(2025, 2, 1)),  # +05:45
])
def test_every_row_around_the_changes_gets_its_local_time(timezone, start, end):
    rows: list[datetime] = []
    _first, changes = utc_offsets(timezone, start, end)
    for at, _ in changes:  # exactly at, and a second and a microsecond around, each change
        rows += [at, at - timedelta(seconds=1), at - timedelta(microseconds=1), at + timedelta(seconds=1)]
    _compare(timezone, start, end, rows, every_minutes=7)


def test_new_york_autumn_change_is_found_to_the_second():
    first, changes = utc_offsets("America/New_York", datetime(2026, 10, 1), datetime(2026, 12, 1))
    assert first == -4 * 3600
    assert changes == ((datetime(2026, 11, 1, 6), -5 * 3600),)


def test_long_ranges_keep_timezone():
    ctx = _ctx("Europe/Berlin")
    start = datetime(2020, 1, 1)
    assert ctx.local_within("ts", start, start + OFFSET_SPAN + timedelta(days=1)) == ctx.local("ts")
    assert ctx.local_within("ts", start, start + timedelta(days=3)).startswith("(ts + INTERVAL")


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney", "America/Santiago"]),
       st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2030, 1, 1)),
       st.integers(min_value=1, max_value=400))
def test_any_range_matches_icu(timezone, start, days):
    end = start + timedelta(days=days)
    rows = [start + (end - start) * i / 500 for i in range(500)]
    _compare(timezone, start, end, rows)


def test_days_in_summer_and_winter_each_use_their_own_offset(tmp_path):
    from storage.catalog import AsOf, Engine, Query, resolve_period
    from storage.importer import import_directory
    from storage.warehouse import Warehouse
    from storage.workspaces import Workspace

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "orders.csv").write_text(
        "order_id,created_at,status,currency,subtotal,discount,shipping,tax,total\n"
        "summer,2026-07-10T04:30:00Z,paid,USD,10,0,0,0,10\n"   # 00:30 EDT on Jul 10
        "winter,2026-01-10T04:30:00Z,paid,USD,20,0,0,0,20\n",  # 23:30 EST on Jan 9
        encoding="utf-8")
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, folder)
    engine = Engine(Workspace("ny", "USD", "America/New_York"), warehouse)
    as_of = AsOf.for_day(date(2026, 8, 1), engine.workspace.tz)
    days = {}
    for month in ("July 2026", "January 2026"):  # one query shape, two offsets
        result = engine.run(Query(("revenue",), resolve_period(month, as_of), ("day",)), as_of)
        days.update({r["day"]: r["revenue"] for r in result.rows})
    assert days == {date(2026, 7, 10): 10, date(2026, 1, 9): 20}
