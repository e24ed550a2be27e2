"""The number guard and the ad-hoc SQL checks."""

from __future__ import annotations

import pytest

from agents.number_guard import Allowed, numbers_supported
from agents.sqlguard import check_select, run_select
from storage.errors import QueryError
from storage.importer import import_directory
from storage.warehouse import Warehouse
from tests.conftest import FIXTURES


def allowed(*values: object) -> Allowed:
    found = Allowed()
    for value in values:
        found.add(value)
    return found


@pytest.mark.parametrize(("text", "bad"), [
    ("Revenue was $48,210.55.", []),
    ("Revenue was $48,210.6 or about $48.2k.", []),
    ("Up 6.9% vs September.", []),
    ("Revenue was $48,211.55.", ["$48,211.55"]),
    ("Up 7.9%.", ["7.9%"]),
    ("ROAS 4.67x over 2 campaigns.", ["2"]),
])
def test_numbers_must_come_from_results(text, bad):
    results = allowed({"value": 48210.55, "change_rate": 0.0689, "roas": 4.6666667})
    assert numbers_supported(text, results) == bad


@pytest.mark.parametrize("sql", [
    "select * from read_csv('/etc/passwd')", "attach 'other.duckdb'", "copy orders to '/tmp/x'",
    "select 1; drop table orders", "pragma version", "select * from other.orders",
    "delete from orders", "select * from secrets", "select getenv('HOME')",
])
def test_adhoc_sql_refuses_anything_but_one_select_on_own_tables(sql):
    with pytest.raises(QueryError):
        check_select(sql, 10)


def test_adhoc_sql_runs_with_a_row_limit():
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / "shop")
    names, rows = run_select(warehouse, "select order_id from orders order by 1", 3, 5)
    assert names == ["order_id"] and rows == [("o1",), ("o2",), ("o3",)]
