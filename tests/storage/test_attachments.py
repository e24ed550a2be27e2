"""A workspace file shared with other real processes: waits, messages, and others' writes.

The other process is a plain DuckDB client holding the file (read-only or read-write)
until the test tells it to let go by creating a file.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.errors import WarehouseBusyError
from storage.importer import import_directory
from storage.warehouse import Warehouse
from tests.conftest import FIXTURES, write_batch

HOLD = """
import pathlib, sys, time, duckdb
path, read_only, ready = sys.argv[1], sys.argv[2] == "ro", pathlib.Path(sys.argv[3])
con = duckdb.connect(path, read_only=read_only)
if not read_only:
    con.execute("INSERT INTO _tally_loads VALUES ('orders', now()::TIMESTAMP, 'other', 0)")
ready.touch()
deadline = time.monotonic() + 60
while not ready.with_suffix(".go").exists() and time.monotonic() < deadline:
    time.sleep(0.02)
"""


@pytest.fixture
def shop_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    with Warehouse(path) as warehouse:
        import_directory(warehouse, FIXTURES / "shop")
    return path


@contextmanager
def held(path: Path, mode: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Another process holding ``path`` (``ro`` or ``rw``) until the block ends."""
    ready = tmp_path / f"held-{mode}.ready"
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path), mode, str(ready)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert process.poll() is None and time.monotonic() < deadline, "the holder did not start"
            time.sleep(0.02)
        yield process
    finally:
        ready.with_suffix(".go").touch()
        process.wait(timeout=30)


def test_a_warehouse_holds_no_file_between_uses_so_another_process_can_write(shop_file, tmp_path):
    warehouse = Warehouse(shop_file)
    before = warehouse.load_version()
    time.sleep(0.8)  # longer than the linger: the file is let go
    with held(shop_file, "rw", tmp_path):
        pass
    assert warehouse.load_version() != before  # the other process's load is noticed
    assert warehouse.fetch("SELECT count(*) FROM _tally_loads WHERE origin = 'other'") == [(1,)]
    warehouse.close()


def test_readers_in_other_processes_share_the_file(shop_file, tmp_path):
    warehouse = Warehouse(shop_file, wait_seconds=0.5)
    with held(shop_file, "ro", tmp_path):
        time.sleep(0.8)
        assert warehouse.fetch("SELECT count(*) FROM orders")[0][0] > 0
    warehouse.close()


def test_a_read_during_another_process_write_names_the_writer(shop_file, tmp_path):
    warehouse = Warehouse(shop_file, wait_seconds=0.3)
    time.sleep(0.8)
    with held(shop_file, "rw", tmp_path) as holder, pytest.raises(WarehouseBusyError) as error:
        warehouse.fetch("SELECT count(*) FROM orders")
    assert str(error.value).startswith("workspace shop is being written by another program")
    assert f"(pid {holder.pid}); try again in a moment" in str(error.value)
    assert warehouse.fetch("SELECT count(*) FROM orders")[0][0] > 0  # and works once it is done
    warehouse.close()


def test_a_write_waits_for_a_reader_that_lets_go_within_the_wait(shop_file, tmp_path):
    warehouse = Warehouse(shop_file, wait_seconds=10)
    time.sleep(0.8)
    batch = write_batch(tmp_path, {"customers.csv": "customer_id,email,created_at,country\n"
                                   "c77,new@example.com,2025-03-01T00:00:00Z,BR\n"})
    with held(shop_file, "ro", tmp_path) as holder:
        releaser = subprocess.Popen([sys.executable, "-c", "import time, pathlib, sys; "
                                     "time.sleep(0.5); pathlib.Path(sys.argv[1]).touch()",
                                     str(tmp_path / "held-ro.go")])
        started = time.monotonic()
        result = import_directory(warehouse, batch)
        waited = time.monotonic() - started
        releaser.wait(timeout=30)
        assert holder.wait(timeout=30) == 0
    assert result.rows == {"customers": 1} and 0.3 < waited < 10
    warehouse.close()


def test_a_write_while_another_process_reads_says_in_use(shop_file, tmp_path):
    warehouse = Warehouse(shop_file, wait_seconds=0.3)
    time.sleep(0.8)
    with held(shop_file, "ro", tmp_path) as holder, pytest.raises(WarehouseBusyError) as error:
        warehouse.recompute_rates()
    assert "workspace shop is in use by another program, " in str(error.value)
    assert f"(pid {holder.pid})" in str(error.value)
    warehouse.close()


def test_a_write_in_this_process_waits_for_its_readers_then_goes_first(shop_file):
    import threading

    reader, writer = Warehouse(shop_file), Warehouse(shop_file)
    reading, done = threading.Event(), threading.Event()

    def read_for_a_while() -> None:
        with reader.using():
            reading.set()
            time.sleep(0.3)
        done.set()

    thread = threading.Thread(target=read_for_a_while)
    thread.start()
    reading.wait(5)
    started = time.monotonic()
    writer.recompute_rates()  # needs the file for writing: waits for the reader to finish
    assert done.is_set() and time.monotonic() - started >= 0.2
    thread.join()
    assert reader.fetch("SELECT count(*) FROM orders")[0][0] > 0
    reader.close()
    writer.close()
