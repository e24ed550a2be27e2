"""Shared machinery of the demo generator: calendars, seeded RNGs and Parquet writing.

Every value that reaches a file goes through the helpers here, so the column
types always follow :mod:`storage.schema` (money as DECIMAL(18,4), never a float)
and the bytes only depend on ``(end, scale, seed)``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from storage.schema import TABLE_MAP

DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
}

Progress = Callable[[str, int], None]
Columns = dict[str, pa.Array | np.ndarray]


def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow type written for a column of SQL type ``sql_type`` (DECIMAL stays DECIMAL)."""
    match = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", sql_type)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    return _ARROW_TYPES[sql_type]


def rng_for(seed: int, *parts: str) -> np.random.Generator:
    """Returns an independent generator for one stream of the demo.

    Args:
        seed: the user's seed.
        parts: names of the stream (e.g. ``"shop", "chunk", "3"``); stable across
            processes because they are hashed with CRC-32, not ``hash()``.

    Returns:
        A numpy Generator seeded from ``seed`` and the stream names.
    """
    return np.random.default_rng([seed, *(zlib.crc32(p.encode()) for p in parts)])


def epoch_day(d: date) -> int:
    """Days since 1970-01-01."""
    return d.toordinal() - _EPOCH_ORDINAL


@dataclass(frozen=True)
class Window:
    """The span of generated days and the run's parameters.

    Attributes:
        end: "today": data covers the days before it.
        n_days: how many days of data end the day before ``end``.
        scale: volume multiplier (1.0 ≈ 40,000 orders).
        seed: the user's seed.
    """

    end: date
    n_days: int
    scale: float
    seed: int

    @property
    def start(self) -> date:
        """The first day with data."""
        return self.end - timedelta(days=self.n_days)

    def day_index(self, days_before_end: int) -> int:
        """Index (0 = ``start``) of the day ``end - days_before_end``."""
        return self.n_days - days_before_end


class Calendar:
    """Local days of a workspace and their conversion to naive UTC timestamps.

    Args:
        start: the first local day (index 0).
        n_days: number of local days.
        tz: IANA timezone of the workspace.
    """

    def __init__(self, start: date, n_days: int, tz: str) -> None:
        self.start = start
        self.n_days = n_days
        self.first_epoch_day = epoch_day(start)
        zone = ZoneInfo(tz)
        offsets = np.empty((n_days + 2) * 24, dtype=np.int64)
        for i in range(n_days + 2):
            base = datetime.combine(start + timedelta(days=i - 1), datetime.min.time())
            for h in range(24):
                off = base.replace(hour=h, tzinfo=zone).utcoffset()
                offsets[i * 24 + h] = int(off.total_seconds()) if off else 0
        self._offsets = offsets

    def local_seconds(self, day: np.ndarray, sec_of_day: np.ndarray) -> np.ndarray:
        """Naive local epoch seconds of ``day`` (index) at ``sec_of_day``."""
        return (self.first_epoch_day + day.astype(np.int64)) * DAY + sec_of_day

    def to_utc(self, day: np.ndarray, sec_of_day: np.ndarray) -> np.ndarray:
        """UTC epoch seconds of local ``day`` (index, -1..n_days) at ``sec_of_day``."""
        day = day.astype(np.int64)
        if day.size and (day.min() < -1 or day.max() > self.n_days):
            raise ValueError(f"day index outside -1..{self.n_days}")
        hour = np.clip(sec_of_day // 3600, 0, 23)
        return self.local_seconds(day, sec_of_day) - self._offsets[(day + 1) * 24 + hour]

    def utc_midnight(self, day: int) -> int:
        """UTC epoch seconds of local midnight starting ``day`` (index)."""
        return int(self.to_utc(np.array([day]), np.array([0]))[0])


# --- array builders ------------------------------------------------------------


def decimal(scaled: np.ndarray, scale: int = 4, precision: int = 18,
            mask: np.ndarray | None = None) -> pa.Array:
    """Builds a decimal128 array from integers already multiplied by 10**scale.

    Args:
        scaled: int64 values, e.g. 12.5 at scale 4 is 125000.
        scale: digits after the point.
        precision: total digits.
        mask: True where the value is NULL.

    Returns:
        A ``decimal128(precision, scale)`` array; no float ever involved.
    """
    v = np.ascontiguousarray(scaled, dtype=np.int64)
    words = np.empty((len(v), 2), dtype=np.int64)
    words[:, 0] = v
    words[:, 1] = v >> 63
    validity = None
    nulls = 0
    if mask is not None and mask.any():
        validity = pa.py_buffer(np.packbits(~mask, bitorder="little").tobytes())
        nulls = int(mask.sum())
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(v),
                                 [validity, pa.py_buffer(words.tobytes())], null_count=nulls)


def money(cents: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """DECIMAL(18,4) from integer cents."""
    return decimal(np.asarray(cents, dtype=np.int64) * 100, mask=mask)


def dec4(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """DECIMAL(18,4) from floats, rounded half-even to 4 places (NULL where ``mask``)."""
    scaled = np.rint(np.asarray(values, dtype=np.float64) * 1e4).astype(np.int64)
    return decimal(scaled, mask=mask)


def timestamps(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Naive (UTC) microsecond timestamps from epoch seconds."""
    micros = np.asarray(seconds, dtype=np.int64) * 1_000_000
    return pa.array(micros, type=pa.int64(), mask=mask).cast(pa.timestamp("us"))


def dates(epoch_days: np.ndarray) -> pa.Array:
    """date32 from days since the epoch."""
    return pa.array(np.asarray(epoch_days, dtype=np.int32), type=pa.date32())


def labels(values: list[str] | tuple[str, ...], codes: np.ndarray,
           mask: np.ndarray | None = None) -> pa.Array:
    """Strings picked from ``values`` by integer ``codes`` (NULL where ``mask``)."""
    idx = pa.array(np.asarray(codes, dtype=np.int64), mask=mask)
    return pa.array(list(values), type=pa.string()).take(idx)


def ids(prefix: str, numbers: np.ndarray, width: int,
        mask: np.ndarray | None = None) -> pa.Array:
    """Ids such as ``o00000042``: ``prefix`` and the zero-padded number (NULL where ``mask``)."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64), mask=mask), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width=width, padding="0"), "")


def texts(values: list[str]) -> pa.Array:
    """A string array from a (small) list of Python strings."""
    return pa.array(values, type=pa.string())


# --- writing ---------------------------------------------------------------------


class TableWriter:
    """Writes one normalized table to ``<dir>/<table>.parquet`` in row groups.

    Columns are given as Arrow arrays and cast to the schema's type; a nullable
    column left out is written as NULL.

    Args:
        directory: the workspace's folder.
        table: a table name of :mod:`storage.schema`.
    """

    def __init__(self, directory: Path, table: str) -> None:
        self.table = TABLE_MAP[table]
        self.schema = pa.schema([
            pa.field(c.name, arrow_type(c.sql_type), nullable=c.nullable)
            for c in self.table.columns
        ])
        self.rows = 0
        self._writer = pq.ParquetWriter(directory / f"{table}.parquet", self.schema)

    def write(self, columns: Columns) -> None:
        """Appends the rows of ``columns`` (same length) as row groups."""
        n = len(next(iter(columns.values())))
        arrays = [self._column(name, columns, n) for name in self.schema.names]
        batch = pa.Table.from_arrays(arrays, schema=self.schema)
        self._writer.write_table(batch)
        self.rows += n

    def _column(self, name: str, columns: Columns, n: int) -> pa.Array:
        field = self.schema.field(name)
        if name not in columns:
            if not field.nullable:
                raise KeyError(f"demo table {self.table.name}: column {name} is missing")
            return pa.nulls(n, type=field.type)
        value = columns[name]
        if isinstance(value, np.ndarray) and pa.types.is_decimal(field.type):
            if value.dtype.kind not in "iu":
                raise TypeError(f"demo table {self.table.name}: {name} must be integers")
            t = field.type
            return decimal(value.astype(np.int64) * 10**t.scale, t.scale, t.precision)
        arr = value if isinstance(value, pa.Array) else pa.array(value)
        if len(arr) != n:
            raise ValueError(f"demo table {self.table.name}: column {name} has {len(arr)} rows")
        return arr if arr.type == field.type else arr.cast(field.type)

    def close(self) -> None:
        """Finishes the file."""
        self._writer.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def write_table(directory: Path, table: str, columns: Columns,
                progress: Progress | None = None) -> int:
    """Writes a whole (small) table at once and returns its row count."""
    with TableWriter(directory, table) as writer:
        writer.write(columns)
    if progress is not None:
        progress(table, writer.rows)
    return writer.rows


def stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Rounds non-negative ``x`` up or down at random, keeping the expectation."""
    return np.floor(x + rng.random(x.shape)).astype(np.int64)
