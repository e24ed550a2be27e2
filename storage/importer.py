"""``tally import DIR``: load normalized tables from CSV and Parquet files.

All files are staged and validated first; only when every file is clean are
the rows upserted, in one transaction. A bad row anywhere means nothing is
written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from storage.errors import ImportError_
from storage.fx_check import check_rates
from storage.import_files import check_regular_file
from storage.loading import RawSource, Staged, csv_source, parquet_source, stage
from storage.schema import TABLE_MAP
from storage.warehouse import Warehouse

SUFFIXES = {".csv": csv_source, ".parquet": parquet_source}


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: rows per table, and columns it did not use."""

    rows: dict[str, int]
    ignored_columns: dict[str, tuple[str, ...]]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def discover(directory: Path) -> list[tuple[str, Path]]:
    """The (table, file) pairs of an import directory, checked against the data model."""
    if not directory.is_dir():
        raise ImportError_(f"{directory} is not a directory; pass the folder that holds the files")
    # Sub-folders are skipped unless named like a table's file, which is then refused below.
    paths = {p.name: p for p in sorted(directory.iterdir()) if not p.is_dir() or _table_file(p.name)}
    found = [(table, paths[name]) for table, name in tables_of_files(paths, str(directory))]
    for _, path in found:
        check_regular_file(path)  # a FIFO or a device would hang or never end the import
    return found


def _table_file(name: str) -> bool:
    stem, _, suffix = name.rpartition(".")
    return f".{suffix.lower()}" in SUFFIXES and stem in TABLE_MAP


def tables_of_files(names: Iterable[str], where: str) -> list[tuple[str, str]]:
    """(table, file name) pairs of a folder's file names (local or a bucket), in data-model order.

    Hidden files are skipped; any other file must be ``<table>.csv`` or ``<table>.parquet``.
    """
    found: dict[str, str] = {}
    for name in sorted(names):
        if name.startswith("."):
            continue
        stem, dot, suffix = name.rpartition(".")
        table, suffix = (stem, f".{suffix.lower()}") if dot else (name, "")
        if suffix not in SUFFIXES or table not in TABLE_MAP:
            raise ImportError_(
                f"{name}: unknown file; name each file <table>.csv or <table>.parquet "
                f"with a table of the data model ({', '.join(TABLE_MAP)})"
            )
        if table in found:
            raise ImportError_(f"{name} and {found[table]} both hold {table}; keep one")
        found[table] = name
    if not found:
        raise ImportError_(f"{where} holds no <table>.csv or <table>.parquet files")
    order = list(TABLE_MAP)
    return sorted(found.items(), key=lambda item: order.index(item[0]))


Progress = Callable[[str, str], None]


def import_directory(warehouse: Warehouse, directory: Path,
                     progress: Progress | None = None) -> ImportResult:
    """Validates every file of ``directory`` then upserts them all atomically.

    Args:
        warehouse: the workspace's warehouse.
        directory: the folder of ``<table>.csv`` / ``<table>.parquet`` files.
        progress: called with (step, file name) as work advances: "staged", "written".

    Raises:
        ImportError_: naming file, line, column and value of the first problem, or the
            currency and dates of rows no exchange rate converts (fx_check.py).
    """
    files = discover(directory)
    staged: list[Staged] = []
    try:
        with warehouse.lock:  # the file attached for writing; staging uses its connection
            for index, (table_name, path) in enumerate(files):
                source: RawSource = SUFFIXES[path.suffix.lower()](path)
                staged.append(stage(warehouse.con, TABLE_MAP[table_name], source,
                                    f"_stage_{index}_{table_name}"))
                if progress:
                    progress("staged", path.name)
            check_rates(warehouse.con, staged)
            rows = warehouse.apply(
                staged, origin=f"import {directory.name}",
                on_table=(lambda b: progress("written", b.label)) if progress else None,
            )
    finally:
        warehouse.drop_temp(b.temp_name for b in staged)
    ignored = {b.table.name: b.ignored_columns for b in staged if b.ignored_columns}
    return ImportResult(rows, ignored)
