"""Stored exchange rates follow the workspace: its timezone picks the day, its currency the unit.

b1 is 100 BRL at 01:00 UTC on Mar 10, 2025: Mar 10 in UTC (BRL 0.25 from Mar 10) but still
Mar 9 in São Paulo (BRL 0.2 from Mar 1). u1 is 50 USD on Mar 12.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from storage import derived
from storage.catalog import AsOf, Engine, Query, resolve_period
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace
from tests.conftest import write_batch

ORDERS = "order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total,country"
FILES = {
    "fx_rates.csv": "date,currency,rate\n2025-03-01,BRL,0.2\n2025-03-10,BRL,0.25\n"
                    "2025-03-01,USD,5\n2025-03-11,USD,4\n",
    "orders.csv": f"{ORDERS}\nb1,c1,2025-03-10T01:00:00Z,paid,BRL,100,0,0,0,100,BR\n"
                  "u1,c2,2025-03-12T12:00:00Z,paid,USD,50,0,0,0,50,US\n",
    "order_items.csv": "order_id,line_no,product_id,quantity,unit_price,discount\n"
                       "b1,1,p1,1,100,0\nu1,1,p1,1,50,0\n",
}


@pytest.fixture
def warehouse(tmp_path):
    found = Warehouse(":memory:")
    import_directory(found, write_batch(tmp_path, FILES))
    yield found
    found.close()


def march(warehouse: Warehouse, currency: str, timezone: str) -> dict[str, object]:
    engine = Engine(Workspace("w", currency, timezone), warehouse)
    as_of = AsOf.for_day(date(2025, 4, 10), engine.workspace.tz)
    return engine.run(Query(("revenue", "product_revenue"), resolve_period("March 2025", as_of)),
                      as_of).values


def test_the_workspace_timezone_picks_the_rate_of_the_local_day(warehouse):
    assert march(warehouse, "USD", "UTC") == {"revenue": Decimal("75"), "product_revenue": Decimal("75")}
    # Reopened in São Paulo: b1 is a Mar 9 order, at the Mar 1 rate.
    assert march(warehouse, "USD", "America/Sao_Paulo") == {
        "revenue": Decimal("70"), "product_revenue": Decimal("70")}
    assert march(warehouse, "USD", "UTC")["revenue"] == Decimal("75")


def test_the_workspace_currency_is_the_unit_every_rate_converts_into(warehouse):
    # In BRL: b1 counts as is, u1 (Mar 12) at 4 BRL per USD.
    assert march(warehouse, "BRL", "UTC") == {"revenue": Decimal("300"), "product_revenue": Decimal("300")}


def test_settings_unchanged_recompute_nothing(warehouse):
    con = warehouse.con
    assert derived.configure(con, "USD", "UTC") is True  # the import recorded none yet
    assert derived.configure(con, "USD", "UTC") is False
    assert derived.settings(con) == ("USD", "UTC")
    assert derived.configure(con, "USD", "Asia/Tokyo") is True
    assert derived.configure(con, "BRL", "Asia/Tokyo") is True
    assert derived.settings(con) == ("BRL", "Asia/Tokyo")


def test_a_workspace_with_no_settings_recorded_reads_usd_in_utc():
    warehouse = Warehouse(":memory:")
    warehouse.con.execute("DELETE FROM _tally_settings")
    assert derived.settings(warehouse.con) == ("USD", "UTC")
    warehouse.close()


def test_mrr_spans_imported_later_carry_their_rate(warehouse, tmp_path):
    engine = Engine(Workspace("w", "USD", "UTC"), warehouse)
    import_directory(warehouse, write_batch(tmp_path, {
        "subscription_mrr.csv": "subscription_id,valid_from,valid_to,customer_id,mrr,currency\n"
                                "s1,2025-03-02T00:00:00Z,,k1,100,BRL\ns2,2025-03-02T00:00:00Z,,k2,10,USD\n"}))
    as_of = AsOf.for_day(date(2025, 3, 28), engine.workspace.tz)
    assert engine.run(Query(("mrr",)), as_of).value == Decimal("30")  # 100 × 0.2 + 10
    rates = dict(warehouse.fetch("SELECT subscription_id, _rate FROM subscription_mrr"))
    assert rates == {"s1": Decimal("0.2"), "s2": Decimal("1")}
