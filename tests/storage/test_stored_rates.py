"""Exchange rates stored with the rows they convert (storage/derived.py) stay exact.

Orders, order lines and MRR spans carry the rate of their currency on their local
date, filled by every write and recomputed when fx_rates or the workspace's currency
or timezone change: the catalog reads the column instead of joining fx_rates.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from storage.catalog import AsOf, Engine, Query, resolve_period
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace
from tests.conftest import FIXTURES, write_batch

ORDERS = "order_id,created_at,status,currency,subtotal,discount,shipping,tax,total"
RATES = "SELECT order_id, _rate FROM orders WHERE currency = 'BRL' ORDER BY 1"


def _march_revenue(engine: Engine) -> Decimal:
    as_of = AsOf.for_day(date(2025, 4, 30), engine.workspace.tz)
    period = resolve_period("March 2025", as_of)
    return engine.run(Query(("revenue",), period), as_of).value  # type: ignore[return-value]


def test_an_order_written_later_gets_the_rate_of_its_local_date(tmp_path):
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / "shop")
    engine = Engine(Workspace("shop", "USD", "America/Sao_Paulo"), warehouse)
    assert _march_revenue(engine) == Decimal("240")
    # 01:00Z on Mar 31 is still Mar 30 in São Paulo: the Mar 1 rate (0.2), not Mar 31's.
    import_directory(warehouse, write_batch(tmp_path, {"orders.csv": (
        f"{ORDERS}\no20,2025-03-31T01:00:00Z,paid,BRL,100,0,0,0,100\n")}))
    assert dict(warehouse.fetch(RATES))["o20"] == Decimal("0.2")
    assert _march_revenue(engine) == Decimal("260")  # 240 + 100 BRL × 0.2


def test_new_fx_rates_recompute_the_stored_rates(tmp_path):
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / "shop")
    engine = Engine(Workspace("shop", "USD", "America/Sao_Paulo"), warehouse)
    rates = {"fx_rates.csv": "date,currency,rate\n2025-03-31,BRL,0.5\n"}
    import_directory(warehouse, write_batch(tmp_path, rates))
    assert dict(warehouse.fetch(RATES))["o4"] == Decimal("0.5")
    lines = warehouse.fetch("SELECT DISTINCT rate FROM _order_lines WHERE order_id = 'o4'")
    assert lines == [(Decimal("0.5"),)]
    assert _march_revenue(engine) == Decimal("290")  # o4: 200 BRL × 0.5 instead of × 0.25


def test_a_timezone_change_moves_an_order_to_another_days_rate(tmp_path):
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / "shop")
    import_directory(warehouse, write_batch(tmp_path, {"orders.csv": (
        f"{ORDERS}\no20,2025-03-31T01:00:00Z,paid,BRL,100,0,0,0,100\n")}))
    Engine(Workspace("shop", "USD", "America/Sao_Paulo"), warehouse)
    assert dict(warehouse.fetch(RATES))["o20"] == Decimal("0.2")  # Mar 30 local
    Engine(Workspace("shop", "USD", "UTC"), warehouse)
    assert dict(warehouse.fetch(RATES))["o20"] == Decimal("0.25")  # Mar 31 in UTC


def test_mrr_spans_carry_their_rate():
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / "multi")
    Engine(Workspace("multi", "USD", "UTC"), warehouse)
    spans = warehouse.fetch("SELECT currency, _rate FROM subscription_mrr ORDER BY subscription_id, "
                            "valid_from")
    assert {c: r for c, r in spans} == {"USD": Decimal("1"), "EUR": Decimal("1.1")}


def test_a_warehouse_from_before_stored_rates_is_filled_when_opened(tmp_path):
    path = tmp_path / "old.duckdb"
    warehouse = Warehouse(path)
    import_directory(warehouse, FIXTURES / "shop")
    warehouse.configure("USD", "America/Sao_Paulo")
    # Back to schema version 4: no rate on orders or MRR spans.
    with warehouse.lock as con:
        for table in ("orders", "subscription_mrr"):
            con.execute(f"ALTER TABLE {table} DROP COLUMN _rate")
        con.execute("DELETE FROM _tally_schema WHERE version >= 5")
    warehouse.close()
    reopened = Warehouse(path)
    engine = Engine(Workspace("shop", "USD", "America/Sao_Paulo"), reopened)
    assert dict(reopened.fetch(RATES)) == {"o4": Decimal("0.25")}
    assert _march_revenue(engine) == Decimal("240")
    reopened.close()
