"""The files connector: a folder of ``<table>.csv`` / ``<table>.parquet`` in the import format.

Picked up on the sync schedule: a file is loaded when it is new or has changed
(size or modification time) since the last sync. One file is one batch; the
cursor remembers each loaded file's signature, so a file is loaded once per change.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from connectors.base import Batch, ConnectorContext, Option, dump_cursor, load_cursor
from connectors.errors import ConnectorConfigError
from storage.errors import ImportError_
from storage.importer import discover


class FilesConnector:
    """Loads changed files from a folder.

    Options:
        path: the folder holding the files.
    """

    name: ClassVar[str] = "files"
    streams: ClassVar[tuple[str, ...]] = ("files",)
    options: ClassVar[tuple[Option, ...]] = (Option("path", "the folder of <table>.csv/.parquet files"),)

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        path = context.options.get("path")
        if not path:
            raise ConnectorConfigError("the files connector needs --path FOLDER")
        self.folder = Path(str(path)).expanduser()

    async def check(self) -> str:
        """Checks that the folder exists and holds only files of the import format."""
        if not self.folder.is_dir():
            raise ConnectorConfigError(f"{self.folder} is not a folder; pass --path with an existing one")
        try:
            files = discover(self.folder)
        except ImportError_ as exc:
            if "holds no" in str(exc):  # an empty folder is fine: files may arrive later
                return f"folder {self.folder} (empty for now)"
            raise
        return f"folder {self.folder} ({len(files)} files)"

    async def sync(self, stream: str, cursor: str | None) -> AsyncIterator[Batch]:
        """Yields one batch per new or changed file, in data-model order."""
        seen = load_cursor(cursor)
        if not self.folder.is_dir():
            raise ConnectorConfigError(f"{self.folder} is no longer a folder; reconnect with --path")
        try:
            files = discover(self.folder)
        except ImportError_ as exc:
            if "holds no" in str(exc):
                return
            raise
        for table, path in files:
            stat = path.stat()
            signature = f"{stat.st_size}:{stat.st_mtime_ns}"
            if seen.get(path.name) == signature:
                continue
            data = await asyncio.to_thread(_read, path)
            seen[path.name] = signature
            yield Batch(stream, {table: data}, dump_cursor(seen))


def _read(path: Path) -> pa.Table:
    """A file as an Arrow table; CSV cells stay text so the importer's rules apply unchanged."""
    if path.suffix.lower() == ".parquet":
        return pq.read_table(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh), [])
    if not header:
        raise ImportError_(f"{path.name}: the file is empty; it needs a header row")
    convert = pacsv.ConvertOptions(column_types={name: pa.string() for name in header},
                                   strings_can_be_null=True, null_values=[""],
                                   quoted_strings_can_be_null=True)
    try:
        return pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="utf8"),
                              convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise ImportError_(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from exc
