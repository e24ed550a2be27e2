"""The files connector: a folder in the import format, loaded when files change."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.service import Connections
from storage.errors import ImportError_

ORDERS = (
    "order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total\n"
    "o1,c1,2025-03-01T10:00:00-03:00,paid,usd,100,0,5,0,105\n"
    "o2,,2025-03-02T09:00:00,pending,USD,50.5,0,0,0,50.5\n"
)


def _connect(app, folder: Path) -> Connections:
    connections = Connections(app)
    asyncio.run(connections.connect("acme", "files", {"path": str(folder)}))
    return connections


def test_files_sync_loads_each_file_once_until_it_changes(app, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "orders.csv").write_text(ORDERS)
    connections = _connect(app, folder)

    first = asyncio.run(connections.sync("acme", "files"))
    again = asyncio.run(connections.sync("acme", "files"))
    (folder / "orders.csv").write_text(ORDERS.replace("o2,,", "o2,c9,").replace("50.5", "60"))
    os.utime(folder / "orders.csv", ns=(1, 2))  # a different mtime even on coarse filesystems
    changed = asyncio.run(connections.sync("acme", "files"))

    assert (first.rows, again.rows, changed.rows) == ({"orders": 2}, {}, {"orders": 2})
    rows = app.workspaces.warehouse("acme").fetch(
        "SELECT order_id, customer_id, created_at::VARCHAR, currency, total FROM orders ORDER BY 1")
    assert rows == [("o1", "c1", "2025-03-01 13:00:00", "USD", Decimal("105.0000")),
                    ("o2", "c9", "2025-03-02 09:00:00", "USD", Decimal("60.0000"))]


def test_files_sync_reads_parquet_and_leaves_csv_rules_intact(app, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    pq.write_table(pa.table({"location_id": ["l1", "l2"], "name": ["Depot", "Shop"]}),
                   folder / "locations.parquet")
    (folder / "web_traffic_daily.csv").write_text(
        "date,source,medium,campaign,sessions,users,new_users,conversions,revenue\n"
        "2025-03-01,google,organic,,10,8,3,1,20.5\n")
    connections = _connect(app, folder)

    report = asyncio.run(connections.sync("acme", "files"))

    warehouse = app.workspaces.warehouse("acme")
    assert report.rows == {"locations": 2, "web_traffic_daily": 1}
    # An empty text key cell is the empty string, as in `tally import`.
    assert warehouse.fetch("SELECT campaign, sessions FROM web_traffic_daily") == [("", 10)]


def test_a_bad_row_writes_nothing_and_names_file_row_and_column(app, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "orders.csv").write_text(ORDERS.replace("pending", "lost"))
    connections = _connect(app, folder)

    with pytest.raises(ImportError_, match=r"orders.*row 2, column status: unknown value"):
        asyncio.run(connections.sync("acme", "files"))

    warehouse = app.workspaces.warehouse("acme")
    assert warehouse.fetch("SELECT count(*) FROM orders") == [(0,)]
    assert warehouse.cursor("files", "files") is None
    assert connections.store.get("acme", "files").last_status == "failed"


def test_an_unknown_file_in_the_folder_is_refused_on_connect(app, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")

    with pytest.raises(ImportError_, match=r"notes\.txt: unknown file"):
        _connect(app, folder)
