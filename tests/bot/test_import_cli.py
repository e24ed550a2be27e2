"""`tally import --create` creates the workspace only when its import succeeds.

Before, a failed import still created the workspace (a state row and an empty DuckDB
file), so the next attempt with --create imported into a workspace with the wrong
settings, and `tally workspace list` showed a workspace nobody had filled.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES

TALLY = [sys.executable, "-m", "bot.cli"]
ORDERS = "order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total\n"


def tally(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TALLY_DATA_DIR": str(data)}
    return subprocess.run([*TALLY, *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).parents[2])


def bad_folders(tmp_path: Path) -> list[tuple[Path, str]]:
    fifo, fx, quote = (tmp_path / name for name in ("fifo", "fx", "quote"))
    for folder in (fifo, fx, quote):
        folder.mkdir()
    os.mkfifo(fifo / "orders.csv")
    (fx / "orders.csv").write_text(ORDERS + "o1,c1,2025-03-01,paid,EUR,1,0,0,0,1\n")
    (quote / "orders.csv").write_text(ORDERS + 'o1,"c1,2025-03-01,paid,USD,1,0,0,0,1\n')
    return [(fifo, "orders.csv is a named pipe (FIFO)"), (fx, "1 row in EUR on 2025-03-01"),
            (quote, "orders.csv, line 2: a quote opened on this line is never closed")]


def test_a_failed_import_with_create_leaves_no_workspace_behind(tmp_path):
    data = tmp_path / "data"
    for folder, message in bad_folders(tmp_path):
        done = tally("import", str(folder), "-w", "fresh", "--create", data=data)
        assert done.returncode == 1 and message in done.stderr
        assert "Traceback" not in done.stderr
    listing = tally("workspace", "list", data=data)
    assert listing.returncode == 0 and "fresh" not in listing.stdout
    assert not list((data / "workspaces").glob("fresh*"))
    done = tally("import", str(FIXTURES / "shop"), "-w", "fresh", "--create", "--timezone",
                 "America/Sao_Paulo", data=data)
    assert done.returncode == 0 and "Imported 26 rows into fresh" in done.stdout
    assert "America/Sao_Paulo" in tally("workspace", "list", data=data).stdout


def test_a_failed_import_into_an_existing_workspace_keeps_it_and_its_rows(tmp_path):
    data = tmp_path / "data"
    assert tally("import", str(FIXTURES / "shop"), "-w", "shop", "--create", data=data).returncode == 0
    for folder, _ in bad_folders(tmp_path):
        assert tally("import", str(folder), "-w", "shop", "--create", data=data).returncode == 1
    shown = tally("workspace", "show", "shop", data=data)
    assert shown.returncode == 0 and "orders" in shown.stdout and "8" in shown.stdout


def test_orders_in_the_workspace_currency_need_no_rate(tmp_path):
    currency = "EUR"
    folder = tmp_path / "eur"
    folder.mkdir()
    (folder / "orders.csv").write_text(ORDERS + f"o1,c1,2025-03-01,paid,{currency},1,0,0,0,1\n")
    done = tally("import", str(folder), "-w", "eu", "--create", "--currency", currency,
                 data=tmp_path / "data")
    assert done.returncode == 0, done.stderr


def test_an_import_of_one_row_says_row_not_rows(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "locations.csv").write_text("location_id,name\nl1,Depot\n")

    done = tally("import", str(folder), "-w", "fresh", "--create", data=tmp_path / "data")

    assert done.returncode == 0, done.stderr
    assert "Imported 1 row into fresh: locations 1" in done.stdout
