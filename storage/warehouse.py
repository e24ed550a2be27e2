"""A workspace's analytics data: one DuckDB file per workspace.

Opening a warehouse applies the pending schema migrations. Writes go through
:meth:`Warehouse.apply`, which swaps staged batches in by key in one
transaction: a re-import upserts, never duplicates, and a failure leaves the
tables exactly as they were. Reads go through :meth:`Warehouse.fetch`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from storage import derived
from storage.attachments import BUSY_WAIT_SECONDS, Attachment, attachment_for, shared_cursor
from storage.loading import Staged, arrow_source, stage
from storage.migrations import MIGRATIONS
from storage.schema import TABLES, get_table

logger = logging.getLogger(__name__)
LATEST_VERSION = max(m.version for m in MIGRATIONS)


@dataclass(frozen=True)
class LoadRecord:
    """When a table last received data, and from where."""

    table: str
    loaded_at: datetime
    origin: str
    rows: int


class Warehouse:
    """One workspace's DuckDB database (timestamps stored as UTC).

    The file is attached only while used (storage/attachments.py): read-only for reads,
    read-write for writes, so other processes can read or write it in between.

    Args:
        path: the DuckDB file, or ``":memory:"`` for tests (a private database, always open).
        read_only: never attach the file for writing.
        wait_seconds: how long a use waits for a file another process holds.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False,
                 wait_seconds: float = BUSY_WAIT_SECONDS) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._version = 0
        self._load_version: str | None = None
        self._row_counts: tuple[str, dict[str, int]] | None = None
        self._read_only = read_only
        self._wait = wait_seconds
        memory = self.path == ":memory:"
        self._attachment = None if memory else attachment_for(Path(self.path))
        self._seen_changes = self._attachment.changes if self._attachment else 0
        self._in_use = False  # this connection has USEd the attachment
        self.con = duckdb.connect(":memory:") if memory else shared_cursor()
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB's own progress bar writes to stdout: it would break `tally ask --json` (and
        # JSON Lines) whenever a statement runs long. Tally draws its own, on stderr.
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute("SET enable_progress_bar_print = false")
        if memory:
            migrate(self.con)
        else:  # creates the file, or checks (and migrates) its schema
            with self.using(write=not Path(self.path).exists()):
                pass

    @contextmanager
    def using(self, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """:attr:`con` with the file attached for the block (read-write if ``write``).

        Raises:
            WarehouseBusyError: another process kept the file for longer than the wait.
        """
        with self._lock:
            if self._attachment is None:
                yield self.con
                return
            with self._attachment.use(write and not self._read_only, self._wait):
                self._follow(self._attachment)
                yield self.con

    def _follow(self, attachment: Attachment) -> None:
        """Points the connection at the file, migrates it once, notices others' writes."""
        if not self._in_use:
            self.con.execute(f"USE {attachment.alias}")
            self._in_use = True
        if not attachment.migrated:
            if stored_version(self.con) < LATEST_VERSION and not self._read_only:
                with attachment.use(True, self._wait):
                    migrate(self.con)
            attachment.migrated = True
        if attachment.changes != self._seen_changes:  # another process loaded data
            self._seen_changes = attachment.changes
            self._version += 1
            self._load_version = None

    @contextmanager
    def reading_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own, the file attached read-only: for one statement that
        another thread may interrupt (ad-hoc SQL with a time limit)."""
        cursor = self.con.cursor()
        try:
            if self._attachment is None:
                yield cursor
            else:
                with self._attachment.use(False, self._wait):
                    cursor.execute(f"USE {self._attachment.alias}")
                    yield cursor
        finally:
            cursor.close()

    @property
    def lock(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The file attached for writing, for this thread alone: hold it to read-then-write
        atomically (settling a bet) or to use :attr:`con` directly."""
        return self.using(write=True)

    # --- reads ---------------------------------------------------------------------
    def fetch(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
              ) -> list[tuple[Any, ...]]:
        """Runs one read query and returns all rows."""
        with self.using() as con:  # one statement at a time on this connection
            return con.execute(sql, params or []).fetchall()

    def fetch_with_columns(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
                           ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Like :meth:`fetch`, with the result's column names."""
        with self.using() as con:
            result = con.execute(sql, params or [])
            names = [d[0] for d in result.description or []]
            return names, result.fetchall()

    @property
    def data_version(self) -> int:
        """Increases whenever data changes (here, or in another process); caches key on it."""
        self._notice_others()
        return self._version

    def _notice_others(self) -> None:
        if self._attachment is not None and self._attachment.refresh() != self._seen_changes:
            with self._lock:
                self._seen_changes = self._attachment.changes
                self._version += 1
                self._load_version = None

    def load_version(self) -> str:
        """Changes whenever data is loaded (import, sync, webhook): for caches, also on disk.

        Read when first asked and again after another process wrote the file (seen when
        it is next attached); kept current by :meth:`apply`.
        """
        self._notice_others()
        if self._load_version is None:
            count, last = self.fetch("SELECT count(*), max(loaded_at) FROM _tally_loads")[0]
            self._load_version = f"{count}:{last}"
        return self._load_version

    def row_counts(self) -> dict[str, int]:
        """Rows per normalized table (cached until the next load: digests ask several times)."""
        version = self.load_version()
        if self._row_counts is None or self._row_counts[0] != version:
            union = " UNION ALL ".join(f"SELECT '{t.name}', count(*) FROM {t.name}" for t in TABLES)
            self._row_counts = (version, {name: int(n) for name, n in self.fetch(union)})
        return dict(self._row_counts[1])

    def last_loads(self) -> list[LoadRecord]:
        """The latest load of each table (import, sync or webhook)."""
        rows = self.fetch(
            "SELECT table_name, max(loaded_at), arg_max(origin, loaded_at), "
            "arg_max(rows, loaded_at) FROM _tally_loads GROUP BY table_name ORDER BY 1"
        )
        return [LoadRecord(t, at, origin, int(n)) for t, at, origin, n in rows]

    # --- writes --------------------------------------------------------------------
    def apply(self, batches: Iterable[Staged], origin: str,
              on_table: Callable[[Staged], None] | None = None,
              cursors: Mapping[tuple[str, str], str] | None = None) -> dict[str, int]:
        """Upserts staged batches by key, all in one transaction.

        Args:
            batches: validated batches from :func:`storage.loading.stage`.
            origin: where the rows came from ("import x", "sync shopify"), for freshness.
            on_table: called after each table is written (progress bars).
            cursors: connector cursors {(connector, stream): cursor} committed with the rows,
                so a sync killed halfway resumes exactly where its data ends.

        Returns:
            rows written per table.
        """
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.using(write=True):
            batches = list(batches)
            self.con.execute("BEGIN TRANSACTION")
            try:
                derived.prepare(self.con, batches)
                written = self._write_batches(batches, origin, now, on_table)
                derived.refresh(self.con, batches)
                self._save_cursors(cursors or {}, now)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self._version += 1
            self._load_version = None
        return written

    def _write_batches(self, batches: list[Staged], origin: str, now: datetime,
                       on_table: Callable[[Staged], None] | None) -> dict[str, int]:
        """Upserts each batch and records its load; inside :meth:`apply`'s transaction."""
        written: dict[str, int] = {}
        for batch in batches:
            self._upsert(batch)
            self.con.execute(
                "INSERT INTO _tally_loads VALUES (?, ?, ?, ?)",
                [batch.table.name, now, origin, batch.rows],
            )
            written[batch.table.name] = written.get(batch.table.name, 0) + batch.rows
            if on_table:
                on_table(batch)
        return written

    def _save_cursors(self, cursors: Mapping[tuple[str, str], str], now: datetime) -> None:
        """Saves connector cursors {(connector, stream): cursor}; inside :meth:`apply`'s transaction."""
        for (connector, stream), cursor in cursors.items():
            self.con.execute(
                "INSERT OR REPLACE INTO _tally_cursors VALUES (?, ?, ?, ?)",
                [connector, stream, cursor, now])

    def upsert_arrow(self, tables: Mapping[str, Any], origin: str,
                     cursors: Mapping[tuple[str, str], str] | None = None) -> dict[str, int]:
        """Validates and upserts in-memory batches (Arrow tables keyed by table name).

        The connectors' write path: the same checks as ``tally import`` and one
        transaction for all tables and the cursors.

        Raises:
            ImportError_: a row that does not fit the data model; nothing is written.
        """
        staged: list[Staged] = []
        with self.using(write=True):
            try:
                for index, (name, data) in enumerate(tables.items()):
                    view = f"_batch_{index}_{name}"
                    source = arrow_source(self.con, view, data, f"{origin}: {name}")
                    staged.append(stage(self.con, get_table(name), source, f"_stage_b{index}_{name}"))
                    self.con.unregister(view)
                return self.apply(staged, origin, cursors=cursors)
            finally:
                self.drop_temp(b.temp_name for b in staged)

    def cursor(self, connector: str, stream: str) -> str | None:
        """The persisted sync cursor of a connector's stream (None before the first sync)."""
        rows = self.fetch("SELECT cursor FROM _tally_cursors WHERE connector = ? AND stream = ?",
                          [connector, stream])
        return rows[0][0] if rows else None

    def _upsert(self, batch: Staged) -> None:
        table, temp = batch.table, batch.temp_name
        match = " AND ".join(f"{table.name}.{k} = s.{k}" for k in table.key)
        # Only the target's own key columns are compared, so the delete is one hash join.
        self.con.execute(f"DELETE FROM {table.name} USING {temp} AS s WHERE {match}")
        cols = ", ".join(c.name for c in table.columns)
        self.con.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {temp}")

    def configure(self, currency: str, timezone: str) -> None:
        """Tells the warehouse its workspace's currency and timezone (derived rates follow)."""
        with self.using() as con:  # usually unchanged: no need to wait for the write lock
            if derived.is_configured(con, currency, timezone):
                return
        with self.using(write=True):
            self.con.execute("BEGIN TRANSACTION")
            try:
                changed = derived.configure(self.con, currency, timezone)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            if changed:
                self._version += 1

    def recompute_rates(self) -> None:
        """Recomputes every stored exchange rate (after editing ``fx_rates`` outside :meth:`apply`)."""
        with self.using(write=True):
            self.con.execute("BEGIN TRANSACTION")
            try:
                derived.recompute_rates(self.con)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self._version += 1

    def drop_temp(self, names: Iterable[str]) -> None:
        """Drops staging tables once they are applied or abandoned (temporary: no write lock)."""
        with self.using():
            for name in names:
                self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        """Closes the connection and lets go of the file."""
        with self._lock:
            self.con.close()
            if self._attachment is not None:
                self._attachment.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stored_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied, read without writing (0 for a new file)."""
    try:
        row = con.execute("SELECT coalesce(max(version), 0) FROM _tally_schema").fetchall()
    except duckdb.CatalogException:  # a file from before the first migration
        return 0
    return int(row[0][0])


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database (0 for a new file)."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _tally_schema "
        "(version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)"
    )
    row = con.execute("SELECT coalesce(max(version), 0) FROM _tally_schema").fetchall()
    return int(row[0][0])


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Applies the migrations newer than the database's version, each in a transaction."""
    applied: list[int] = []
    current = schema_version(con)
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in migration.statements():
                con.execute(statement)
            con.execute(
                "INSERT INTO _tally_schema VALUES (?, ?, ?)",
                [migration.version, migration.description, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        logger.info("warehouse migrated to version %d (%s)", migration.version,
                    migration.description)
        applied.append(migration.version)
    return applied
