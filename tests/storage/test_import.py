"""`tally import`: atomic, idempotent, and precise about what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from storage.errors import ImportError_
from storage.importer import import_directory
from storage.warehouse import Warehouse
from tests.conftest import FIXTURES

HEADER = "order_id,created_at,status,currency,subtotal,discount,shipping,tax,total"
GOOD = "o9,2025-03-01T10:00:00-03:00,paid,USD,10,0,0,0,10"


@pytest.fixture
def loaded(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    import_directory(warehouse, FIXTURES / "shop")
    return warehouse


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {t: sorted(map(str, warehouse.fetch(f"SELECT * FROM {t}")))
            for t in ("orders", "order_items", "customers", "products", "refunds", "fx_rates")}


def write(tmp_path: Path, name: str, text: str, extra: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "in"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    for other, content in (extra or {}).items():
        (folder / other).write_text(content, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("body", "message"), [
    (f"{HEADER}\n{GOOD}\no2,2025-03-01,shipped,USD,1,0,0,0,1\n",
     "orders.csv, line 3, column status: unknown value; expected one of paid, refunded"),
    (f"{HEADER}\n{GOOD}\no2,2025-13-01,paid,USD,1,0,0,0,1\n",
     "orders.csv, line 3, column created_at: not a valid ISO 8601 timestamp"),
    (f"{HEADER}\n{GOOD}\no2,2025-03-01,paid,USD,1O,0,0,0,1\n",
     "orders.csv, line 3, column subtotal: not a valid decimal number such as 1234.50 (got '1O')"),
    (HEADER.rsplit(",", 1)[0] + "\no2,2025-03-01,paid,USD,1,0,0,0\n",
     "orders.csv: missing column total"),
    (f"{HEADER}\n{GOOD}\no2,2025-03-01,paid,USD,1,0,0,0,1\n{GOOD}\n",
     "orders.csv: duplicate key order_id='o9' on line 2 and line 4"),
    (f"{HEADER}\n,2025-03-01,paid,USD,1,0,0,0,1\n", "line 2, column order_id: missing key"),
    (f"{HEADER}\n{GOOD}\no2,2025-03-01,paid,USD,1,0,0,0,1,7\n",
     "orders.csv, line 3: 10 fields where the header has 9"),
    (f'{HEADER},source\n{GOOD},"multi\nline"\no2,2025-03-01,paid,USD,x,0,0,0,1,a\n',
     "orders.csv, line 4, column subtotal"),  # a quoted newline shifts the physical line
])
def test_bad_file_is_rejected_and_nothing_changes(loaded, tmp_path, body, message):
    before = snapshot(loaded)
    # A valid second file proves the whole import is rejected, not just the bad file.
    folder = write(tmp_path, "orders.csv", body, {"locations.csv": "location_id,name\nx,X\n"})
    with pytest.raises(ImportError_) as info:
        import_directory(loaded, folder)
    assert message in str(info.value)
    assert snapshot(loaded) == before
    assert loaded.fetch("SELECT count(*) FROM locations") == [(0,)]


def test_unknown_file_is_named(loaded, tmp_path):
    folder = write(tmp_path, "order.csv", "a\n1\n")
    with pytest.raises(ImportError_, match=r"order\.csv: unknown file"):
        import_directory(loaded, folder)


def test_bad_bet_odds_and_stake_are_rejected(tmp_path):
    header = ("bet_id,user_id,placed_at,sport,event,market,selection,odds_decimal,stake_units,status")
    folder = write(tmp_path, "bets.csv", f"{header}\nb1,u1,2025-03-01,nba,A,moneyline,A,0.9,1,won\n")
    with pytest.raises(ImportError_, match=r"odds_decimal: must be decimal odds above 1\.0"):
        import_directory(Warehouse(":memory:"), folder)
    folder = write(tmp_path, "bets.csv", f"{header}\nb1,u1,2025-03-01,nba,A,moneyline,A,1.9,-1,won\n")
    with pytest.raises(ImportError_, match=r"stake_units: must be a stake above 0"):
        import_directory(Warehouse(":memory:"), folder)


def test_reimport_upserts_instead_of_duplicating(loaded, tmp_path):
    before = snapshot(loaded)
    import_directory(loaded, FIXTURES / "shop")
    assert snapshot(loaded) == before
    folder = write(tmp_path, "orders.csv", f"{HEADER}\no1,2025-02-15T12:00:00-03:00,paid,USD,80,0,0,0,81\n")
    import_directory(loaded, folder)
    assert loaded.fetch("SELECT total FROM orders WHERE order_id = 'o1'")[0][0] == 81
    assert loaded.fetch("SELECT count(*) FROM orders") == [(8,)]


def test_parquet_and_offsets_and_empty_text_keys(tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{FIXTURES}/shop/orders.csv', all_varchar=true)) "
                f"TO '{folder}/orders.parquet' (FORMAT parquet)")
    (folder / "web_traffic_daily.csv").write_text(
        "date,source,medium,campaign,sessions,users,new_users,conversions,revenue\n"
        "2025-03-01,direct,(none),,5,4,1,0,0\n")
    # o4 is in BRL: its rates come along (an import of money it cannot convert is refused).
    (folder / "fx_rates.csv").write_text((FIXTURES / "shop" / "fx_rates.csv").read_text())
    warehouse = Warehouse(":memory:")
    result = import_directory(warehouse, folder)
    assert result.rows == {"orders": 8, "fx_rates": 2, "web_traffic_daily": 1}
    # 14:05 at UTC−3 is stored as 17:05 UTC; an empty text key is the empty string.
    assert str(warehouse.fetch("SELECT created_at FROM orders WHERE order_id = 'o2'")[0][0]) == \
        "2025-03-01 03:30:00"
    assert warehouse.fetch("SELECT campaign FROM web_traffic_daily") == [("",)]


def test_migrations_are_versioned_and_applied_once(tmp_path):
    path = tmp_path / "m.duckdb"
    Warehouse(path).close()
    again = Warehouse(path)
    versions = again.fetch("SELECT version FROM _tally_schema ORDER BY version")
    assert versions == [(1,), (2,), (3,), (4,), (5,), (6,), (7,), (8,)]


def test_derived_tables_follow_every_write(tmp_path):
    """_order_lines and _first_orders stay exact after re-stated and moved orders."""
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / "shop")
    lines = "SELECT count(*) FROM _order_lines"
    assert warehouse.fetch(lines) == warehouse.fetch("SELECT count(*) FROM order_items")
    first = "SELECT customer_id, first_at FROM _first_orders ORDER BY 1"
    assert [r[0] for r in warehouse.fetch(first)] == ["c1", "c2", "c3"]
    # o1 (c1's first order, Feb) is cancelled and o2 moves from c1 to c3.
    folder = write(tmp_path, "orders.csv",
                   f"{HEADER},customer_id\n"
                   "o1,2025-02-15T12:00:00-03:00,cancelled,USD,80,0,0,0,80,c1\n"
                   "o2,2025-03-01T00:30:00-03:00,paid,USD,100,0,10,0,110,c3\n")
    import_directory(warehouse, folder)
    assert [r[0] for r in warehouse.fetch(first)] == ["c2", "c3"]  # c1 has no counted order left
    c3 = warehouse.fetch("SELECT first_at FROM _first_orders WHERE customer_id = 'c3'")[0][0]
    assert str(c3) == "2025-03-01 03:30:00"
    statuses = warehouse.fetch("SELECT DISTINCT status FROM _order_lines WHERE order_id = 'o1'")
    assert statuses == [("cancelled",)]
    assert warehouse.fetch("SELECT customer_id FROM _order_lines WHERE order_id = 'o2' LIMIT 1") == \
        [("c3",)]


def test_a_long_statement_prints_nothing_on_stdout(capfd):
    # DuckDB's progress bar would land in `tally ask --json` output.
    warehouse = Warehouse(":memory:")
    warehouse.con.execute("SET progress_bar_time = 0")
    warehouse.fetch("SELECT count(*) FROM range(20000000) AS t(x) WHERE x % 7 = 1")
    assert capfd.readouterr().out == ""
