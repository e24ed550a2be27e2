"""One generated demo (scale 1.0, so the planted anomalies stand out), shared by the insight tests.

Generated and imported once per test session into a temporary folder (about 5 s).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from datetime import date
from pathlib import Path

from storage.catalog import Engine
from storage.demo import DEMO_WORKSPACES, generate_demo
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace

END = date(2025, 6, 2)  # a Monday: the data ends Sunday Jun 1
SCALE = 1.0


@functools.cache
def demo_folder() -> Path:
    """The folder holding ``demo.duckdb`` and ``demo-guild.duckdb``, imported once."""
    folder = Path(tempfile.mkdtemp(prefix="tally-insights-"))
    atexit.register(shutil.rmtree, folder, True)
    generate_demo(folder, end=END, scale=SCALE)
    for name in DEMO_WORKSPACES:
        warehouse = Warehouse(str(folder / f"{name}.duckdb"))
        import_directory(warehouse, folder / name)
        warehouse.close()
    return folder


def demo_engine(name: str = "demo") -> Engine:
    """An engine on the shared demo workspace ``name`` (a new connection each time)."""
    settings = DEMO_WORKSPACES[name]
    warehouse = Warehouse(str(demo_folder() / f"{name}.duckdb"))
    return Engine(Workspace(name, settings["currency"], settings["timezone"]), warehouse)
