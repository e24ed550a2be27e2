"""Staging and validation of rows bound for a normalized table.

Every writer (``tally import``, connectors, the webhook queue) brings rows here
first. :func:`stage` reads them with DuckDB's own readers into a typed temporary
table, converting and checking every value in one vectorized pass; the first
bad row raises :class:`~storage.errors.ImportError_` naming the file, line,
column and value. Nothing here writes to the normalized tables: the warehouse
swaps staged rows in, atomically, afterwards.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from storage.errors import ImportError_
from storage.import_files import check_regular_file, check_text, describe_csv_error, read_header
from storage.schema import Column, Table


@dataclass(frozen=True)
class RawSource:
    """Rows as they arrive: a SQL relation over a file or a registered Arrow table.

    Attributes:
        label: what the user calls it (a file name), for messages.
        relation: SQL for ``FROM`` yielding the raw columns and ``_line``.
        columns: raw column names as they appear in the source.
        path: the CSV file, so an error can name the exact physical line.
        unit: "line" for CSV, "row" for Parquet and API batches.
    """

    label: str
    relation: str
    columns: tuple[str, ...]
    path: Path | None = None
    unit: str = "line"


@dataclass
class Staged:
    """A validated batch in a temporary table, ready to be upserted."""

    table: Table
    temp_name: str
    rows: int
    label: str
    ignored_columns: tuple[str, ...] = field(default_factory=tuple)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def csv_source(path: Path) -> RawSource:
    """A CSV file in the import format: UTF-8, header row, RFC 4180 quoting.

    Raises:
        ImportError_: for a file that is not a regular file of UTF-8 text (import_files.py),
            an empty file or a repeated column.
    """
    check_regular_file(path)
    check_text(path)
    header = read_header(path)
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise ImportError_(f"{path.name}: column {dup!r} appears twice in the header")
    columns = "{" + ", ".join(f"{_literal(h)}: 'VARCHAR'" for h in header) + "}"
    reader = (
        f"read_csv({_literal(str(path))}, header=true, auto_detect=false, delim=',', "
        f"quote='\"', escape='\"', columns={columns}, encoding='utf-8')"
    )
    relation = f"(SELECT row_number() OVER () AS _line, * FROM {reader})"
    return RawSource(path.name, relation, tuple(header), path, "line")


def parquet_source(path: Path) -> RawSource:
    """A Parquet file in the import format (typed or text columns)."""
    check_regular_file(path)
    con = duckdb.connect()
    try:
        names = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_literal(str(path))})").fetchall()]
    except duckdb.Error as exc:
        raise ImportError_(f"{path.name}: not a readable Parquet file; export the table again "
                           "as Parquet, or as UTF-8 CSV") from exc
    finally:
        con.close()
    relation = (
        f"(SELECT file_row_number + 1 AS _line, * EXCLUDE (file_row_number) "
        f"FROM read_parquet({_literal(str(path))}, file_row_number=true))"
    )
    return RawSource(path.name, relation, tuple(names), None, "row")


def arrow_source(con: duckdb.DuckDBPyConnection, name: str, data: object, label: str) -> RawSource:
    """A batch from a connector: an Arrow table (or anything DuckDB can register)."""
    con.register(name, data)
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_quote(name)}").fetchall()]
    relation = f"(SELECT row_number() OVER () AS _line, * FROM {_quote(name)})"
    return RawSource(label, relation, tuple(names), None, "row")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0]


# --- conversion -------------------------------------------------------------------------

def _typed(col: Column, raw: str) -> str:
    """SQL converting the raw value to the column's type (NULL when it cannot)."""
    text = f"trim(CAST({raw} AS VARCHAR))"
    match col.kind:
        case "id" | "text":
            value = f"CAST({raw} AS VARCHAR)"
            return f"coalesce({value}, '')" if col.key and col.kind == "text" else value
        case "currency":
            return f"upper({text})"
        case "enum":
            return f"lower({text})"
        case "timestamp":
            return f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP)"
        case _:
            return f"TRY_CAST({text} AS {col.sql_type})"


# One row of the problem table: (column, problem) for each error code.
Problem = tuple[str, str]


def _checks(col: Column, raw: str, typed: str) -> list[tuple[str, str]]:
    """(SQL condition, problem) pairs that reject a row for this column."""
    found: list[tuple[str, str]] = []
    blank = f"({raw} IS NULL OR trim(CAST({raw} AS VARCHAR)) = '')"
    if col.key and col.kind != "text":
        found.append((blank, "missing key"))
    elif not col.nullable and not (col.key and col.kind == "text"):
        found.append((f"{raw} IS NULL", "missing value"))
    if col.kind not in ("id", "text"):
        found.append((f"NOT {blank} AND {typed} IS NULL", f"not a valid {_kind_word(col)}"))
    if col.kind == "enum":
        allowed = ", ".join(_literal(v) for v in col.values)
        found.append((f"{typed} IS NOT NULL AND {typed} NOT IN ({allowed})",
                      f"unknown value; expected one of {', '.join(col.values)}"))
    if col.kind == "currency":
        found.append((f"{typed} IS NOT NULL AND NOT regexp_full_match({typed}, '[A-Z]{{3}}')",
                      "not an ISO 4217 currency code such as USD"))
    if col.check:
        cond = col.check.replace("v", typed)
        found.append((f"{typed} IS NOT NULL AND NOT ({cond})", f"must be {col.check_text}"))
    return found


def _kind_word(col: Column) -> str:
    return {
        "timestamp": "ISO 8601 timestamp such as 2025-03-01T14:05:00-03:00",
        "date": "date such as 2025-03-01",
        "money": "decimal number such as 1234.50",
        "number": "number",
        "rate": "number",
        "int": "whole number",
        "bool": "boolean (true or false)",
        "enum": "value",
        "currency": "currency code",
    }.get(col.kind, col.kind)


def _resolve_columns(table: Table, source: RawSource) -> tuple[dict[str, str], tuple[str, ...]]:
    """Maps spec columns to source columns (case- and space-insensitive)."""
    by_norm = {c.strip().lower(): c for c in source.columns if c != "_line"}
    mapping = {c.name: by_norm[c.name] for c in table.columns if c.name in by_norm}
    missing = [c for c in table.required if c not in mapping]
    if missing:
        raise ImportError_(
            f"{source.label}: missing column {', '.join(missing)} "
            f"(the {table.name} table needs {', '.join(table.required)})"
        )
    used = set(mapping.values())
    ignored = tuple(c for c in source.columns if c not in used and c != "_line")
    return mapping, ignored


def stage(con: duckdb.DuckDBPyConnection, table: Table, source: RawSource, temp_name: str) -> Staged:
    """Converts and validates ``source`` into the temp table ``temp_name``.

    Raises:
        ImportError_: the first bad row (by line), a duplicate key, or an unreadable file.
    """
    mapping, ignored = _resolve_columns(table, source)
    selects: list[str] = ["_line"]
    conditions: list[str] = []
    problems: list[Problem] = []
    for col in table.columns:
        raw = f"r.{_quote(mapping[col.name])}" if col.name in mapping else (col.default or "NULL")
        typed = _typed(col, raw)
        selects.append(f"{typed} AS {col.name}")
        for cond, problem in _checks(col, raw, typed):
            conditions.append(f"WHEN {cond} THEN {len(problems)}")
            problems.append((col.name, problem))
    err = f"CASE {' '.join(conditions)} END AS _err" if conditions else "NULL AS _err"
    sql = (f"CREATE OR REPLACE TEMP TABLE {temp_name} AS "
           f"SELECT {', '.join(selects)}, {err} FROM {source.relation} AS r")
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        raise ImportError_(_reader_error(source, exc)) from exc
    bad = con.execute(
        f"SELECT _line, _err FROM {temp_name} WHERE _err IS NOT NULL ORDER BY _line LIMIT 1"
    ).fetchall()
    if bad:
        column, problem = problems[bad[0][1]]
        value = _raw_value(con, source, mapping.get(column), bad[0][0])
        where = _where(source, bad[0][0])
        raise ImportError_(f"{source.label}, {where}, column {column}: {problem} (got {value})")
    _check_duplicates(con, table, source, temp_name)
    rows = con.execute(f"SELECT count(*) FROM {temp_name}").fetchall()
    return Staged(table, temp_name, int(rows[0][0]), source.label, ignored)


def _check_duplicates(con: duckdb.DuckDBPyConnection, table: Table, source: RawSource,
                      temp_name: str) -> None:
    keys = ", ".join(table.key)
    dup = con.execute(
        f"SELECT {keys}, list(_line ORDER BY _line)[1], list(_line ORDER BY _line)[2] "
        f"FROM {temp_name} GROUP BY {keys} "
        f"HAVING count(*) > 1 ORDER BY min(_line) LIMIT 1"
    ).fetchall()
    if dup:
        row = dup[0]
        key_text = ", ".join(f"{k}={v!r}" for k, v in zip(table.key, row, strict=False))
        first, second = row[len(table.key)], row[len(table.key) + 1]
        raise ImportError_(
            f"{source.label}: duplicate key {key_text} on {_where(source, first)} and "
            f"{_where(source, second)}; each row's key must be unique within the file"
        )


def _raw_value(con: duckdb.DuckDBPyConnection, source: RawSource, column: str | None,
               line: int) -> str:
    if column is None:
        return "nothing (the column is absent)"
    row = con.execute(
        f"SELECT CAST({_quote(column)} AS VARCHAR) FROM {source.relation} WHERE _line = ?", [line]
    ).fetchall()
    if not row or row[0][0] is None or row[0][0] == "":
        return "an empty cell"
    return repr(row[0][0])


def _where(source: RawSource, record: int) -> str:
    if source.unit != "line" or source.path is None:
        return f"{source.unit} {record}"
    return f"line {_physical_line(source.path, record)}"


def _physical_line(path: Path, record: int) -> int:
    """The line where data record ``record`` (1-based) starts, counting the header."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        line = 1
        for _ in itertools.islice(reader, record):
            line = reader.line_num + 1
        return line


def _reader_error(source: RawSource, exc: duckdb.Error) -> str:
    """Translates a reader failure into the first malformed line, when it is a CSV."""
    if source.path is not None:
        return describe_csv_error(source.path, str(exc))
    return f"{source.label}: cannot be read ({_first_line(exc)})"
