"""Imports refuse what they cannot read or convert, in words, and write nothing.

What testers saw before: an ``orders.csv`` that is a FIFO hung the import forever,
``/dev/zero`` linked as ``orders.csv`` ate gigabytes and ended in a traceback, a header
followed by NUL bytes "imported 0 rows", orders in a currency with no exchange rate were
accepted (and every revenue question about them failed afterwards), and a bad CSV quote
was reported in DuckDB's or Python's words.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import duckdb
import pytest

from storage import import_files
from storage.errors import ImportError_
from storage.importer import import_directory
from storage.warehouse import Warehouse
from tests.conftest import write_batch

ORDERS = "order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total\n"
CUSTOMERS = "customer_id,created_at\nc1,2025-01-01\n"


def refusal(folder: Path, warehouse: Warehouse | None = None) -> str:
    """The import's error message, checking that nothing was written."""
    warehouse = warehouse or Warehouse(":memory:")
    before = warehouse.row_counts()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            import_directory(warehouse, folder)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the import hangs"
    assert outcome and isinstance(outcome[0], ImportError_), outcome
    assert warehouse.row_counts() == before
    return str(outcome[0])


def folder_with(tmp_path: Path, orders: str = "") -> Path:
    return write_batch(tmp_path, {"customers.csv": CUSTOMERS, **({"orders.csv": orders} if orders else {})})


def test_a_fifo_named_like_a_table_is_refused_without_waiting_for_a_writer(tmp_path):
    folder = folder_with(tmp_path)
    os.mkfifo(folder / "orders.csv")
    assert refusal(folder) == ("orders.csv is a named pipe (FIFO), not a regular file; export "
                               "the table to a file and import that")


def test_a_link_to_dev_zero_is_refused_as_a_device(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "orders.csv").symlink_to("/dev/zero")
    assert "orders.csv is a device, not a regular file" in refusal(folder)


def test_a_directory_or_socket_named_like_a_table_is_refused(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "orders.csv").mkdir()
    assert "orders.csv is a directory, not a regular file" in refusal(folder)
    (folder / "orders.csv").rmdir()
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(folder / "orders.csv"))
        assert "orders.csv is a socket, not a regular file" in refusal(folder)
    finally:
        server.close()


def test_a_dangling_link_is_refused_naming_the_file(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "orders.csv").symlink_to(tmp_path / "gone.csv")
    assert "orders.csv: cannot be read (No such file or directory)" in refusal(folder)


def test_other_folders_in_the_import_directory_are_still_skipped(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "archive").mkdir()
    assert import_directory(Warehouse(":memory:"), folder).rows == {"customers": 1}


def test_a_header_followed_by_nul_bytes_is_refused_not_imported_as_nothing(tmp_path):
    folder = folder_with(tmp_path)
    with (folder / "orders.csv").open("wb") as fh:
        fh.write(ORDERS.encode() + b"o1,c1,2025-03-01,paid,USD,1,0,0,0,1\n")
        fh.write(b"\0" * (8 * 1024**2))
    assert refusal(folder) == ("orders.csv, line 3: holds NUL bytes, so it is binary data, not "
                               "CSV text; export the table again as UTF-8 CSV")


def test_a_first_line_over_a_megabyte_is_not_read_as_a_header(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "orders.csv").write_bytes(b"x" * (3 * 1024**2))
    assert "the first line (the header) is longer than 1 MB" in refusal(folder)


def test_invalid_utf8_names_its_line(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "orders.csv").write_bytes(
        ORDERS.encode() + b"o1,c1,2025-03-01,paid,USD,1,0,0,0,1\no2,c\xe9,2025-03-01,paid,USD,1,0,0,0,1\n")
    assert refusal(folder).startswith("orders.csv, line 3: not UTF-8 text")


def test_a_file_over_the_size_cap_is_refused_by_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(import_files, "MAX_FILE_BYTES", 1024**3 // 2)
    folder = folder_with(tmp_path)
    with (folder / "orders.csv").open("wb") as fh:
        fh.truncate(1024**3)  # sparse: a gigabyte on paper, nothing on disk
    assert refusal(folder).startswith("orders.csv is 1.0 GB, over the 0.5 GB an import file may hold")


@pytest.mark.parametrize(("row", "message"), [
    ('o2,"c1"x,2025-03-01,paid,USD,1,0,0,0,1\n',
     "orders.csv, line 3: text follows a closing quote; a quoted field must end at a comma"),
    ('o2,"c1,2025-03-01,paid,USD,1,0,0,0,1\n',
     "orders.csv, line 3: a quote opened on this line is never closed"),
    ('o2,c1,2025-03-01,paid,USD,1,0,0\n',
     "orders.csv, line 3: 8 fields where the header has 10"),
    ('o2,c1,2025-03-01,paid,USD,1,0,0,0,1\r\n',
     "orders.csv, line 3: its line ending differs from the lines before"),
])
def test_csv_syntax_errors_name_file_and_line_in_tallys_words(tmp_path, row, message):
    folder = folder_with(tmp_path, ORDERS + "o1,c1,2025-03-01,paid,USD,1,0,0,0,1\n" + row
                         + "o3,c1,2025-03-01,paid,USD,1,0,0,0,1\n")
    text = refusal(folder)
    assert text.startswith(message)
    assert "Error" not in text and "expected after" not in text and "end of data" not in text


def test_a_file_that_is_not_parquet_is_refused_without_duckdbs_message(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "orders.parquet").write_bytes(b"PAR1 but not really")
    assert refusal(folder) == ("orders.parquet: not a readable Parquet file; export the table "
                               "again as Parquet, or as UTF-8 CSV")


# --- money that cannot be converted ------------------------------------------------------

EUR_ORDERS = (ORDERS + "o1,c1,2025-03-01T01:00:00Z,paid,EUR,10,0,0,0,10\n"
              "o2,c1,2025-03-05T12:00:00Z,paid,EUR,20,0,0,0,20\n"
              "o3,c1,2025-03-05T12:00:00Z,paid,USD,30,0,0,0,30\n")


def test_orders_in_a_currency_with_no_rate_are_refused_with_the_dates_to_add(tmp_path):
    folder = folder_with(tmp_path, EUR_ORDERS)
    assert refusal(folder) == (
        "orders.csv: 2 rows in EUR from 2025-03-01 to 2025-03-05 cannot be converted to USD "
        "(fx_rates has no rate for it); add an fx_rates row for EUR dated 2025-03-01 or "
        "earlier (units of USD per 1 EUR), in fx_rates.csv beside this file or imported before it")


def test_orders_in_two_currencies_without_rates_name_both(tmp_path):
    folder = folder_with(tmp_path, EUR_ORDERS + "o4,c1,2025-03-07T12:00:00Z,paid,GBP,5,0,0,0,5\n")
    assert refusal(folder) == (
        "orders.csv: rows in 2 currencies cannot be converted to USD: 2 rows in EUR from "
        "2025-03-01 to 2025-03-05 (no rate); 1 row in GBP on 2025-03-07 (no rate); add fx_rates "
        "rows for EUR dated 2025-03-01 or earlier, GBP dated 2025-03-07 or earlier (units of "
        "USD per 1 of the currency), in fx_rates.csv beside this file or imported before it")


def test_rates_that_start_too_late_are_refused_in_the_workspace_calendar(tmp_path):
    # 2025-03-01 01:00 UTC is still February 28 in São Paulo; the first rate is March 1.
    warehouse = Warehouse(":memory:")
    warehouse.configure("USD", "America/Sao_Paulo")
    folder = write_batch(tmp_path, {"orders.csv": EUR_ORDERS,
                                    "fx_rates.csv": "date,currency,rate\n2025-03-01,EUR,1.1\n"})
    assert refusal(folder, warehouse).startswith(
        "orders.csv: 1 row in EUR on 2025-02-28 cannot be converted to USD (its first rate is "
        "on 2025-03-01); add an fx_rates row for EUR dated 2025-02-28 or earlier")


def test_rates_in_the_same_import_or_already_stored_convert_the_orders(tmp_path):
    warehouse = Warehouse(":memory:")
    rates = write_batch(tmp_path, {"fx_rates.csv": "date,currency,rate\n2025-02-01,EUR,1.1\n"})
    import_directory(warehouse, rates)
    assert import_directory(warehouse, folder_with(tmp_path, EUR_ORDERS)).rows["orders"] == 3
    together = write_batch(tmp_path, {"orders.csv": EUR_ORDERS,
                                      "fx_rates.csv": "date,currency,rate\n2025-03-01,EUR,1.1\n"})
    assert import_directory(Warehouse(":memory:"), together).rows == {"orders": 3, "fx_rates": 1}


def test_the_workspace_currency_needs_no_rate(tmp_path):
    warehouse = Warehouse(":memory:")
    warehouse.configure("EUR", "UTC")
    result = import_directory(warehouse, write_batch(tmp_path, {"orders.csv": EUR_ORDERS.replace(
        ",USD,", ",EUR,")}))
    assert result.rows == {"orders": 3}


def test_ad_spend_in_a_currency_with_no_rate_is_refused_too(tmp_path):
    folder = write_batch(tmp_path, {"ad_performance_daily.csv":
                                    "date,campaign_id,channel,impressions,clicks,spend,conversions,"
                                    "conversion_value,currency\n2025-03-02,k1,meta,1,1,5,0,0,GBP\n"})
    assert refusal(folder).startswith("ad_performance_daily.csv: 1 row in GBP on 2025-03-02")


def test_a_refused_import_leaves_a_duckdb_file_unchanged(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as warehouse:
        import_directory(warehouse, folder_with(tmp_path))
        refusal(folder_with(tmp_path, EUR_ORDERS), warehouse)
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT count(*) FROM orders").fetchall() == [(0,)]
