"""CSV export of a guild's bets (and bettors), in the import format of data-model.md.

The files re-import with ``tally import DIR``: same columns, ISO 8601 UTC times, plain
decimal numbers, empty cells for NULL.
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from storage.schema import get_table
from storage.warehouse import Warehouse


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat() + "Z"  # stored as naive UTC
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def export_table(warehouse: Warehouse, table: str, out: TextIO) -> int:
    """Writes one table (``bets`` or ``bettors``) as CSV, ordered by key; returns the row count."""
    columns = [c.name for c in get_table(table).columns]
    order = ", ".join(get_table(table).key)
    names, rows = warehouse.fetch_with_columns(
        f"SELECT {', '.join(columns)} FROM {table} ORDER BY "
        f"TRY_CAST({order} AS BIGINT) NULLS LAST, {order}")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return len(rows)


def export_bets(warehouse: Warehouse, out: TextIO) -> int:
    """The guild's bets as CSV; returns how many."""
    return export_table(warehouse, "bets", out)


def export_directory(warehouse: Warehouse, directory: Path) -> dict[str, int]:
    """``bets.csv`` and ``bettors.csv`` in ``directory`` (importable as is); rows per file."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for table in ("bettors", "bets"):
        with (directory / f"{table}.csv").open("w", encoding="utf-8", newline="") as out:
            written[table] = export_table(warehouse, table, out)
    return written
