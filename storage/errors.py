"""Errors raised by Tally's storage layer, written for the person who will read them.

Every error a user can cause derives from :class:`TallyError`; its message says
what happened and what to do. The CLI prints it on one line and exits 1; chat
channels turn it into a friendly reply.

::

    TallyError
    ├── WorkspaceError          unknown workspace, bad name, already exists
    ├── ImportError_            a file or row that cannot be imported (file, line, column, value)
    ├── WarehouseBusyError      the workspace's DuckDB file is locked by another process
    └── QueryError              a catalog query that cannot be answered
        ├── UnknownMetricError
        ├── UnsupportedDimensionError
        ├── PeriodError         a period phrase or date range that makes no sense
        └── MissingFxRateError  a row in a foreign currency with no rate on or before its date
"""

from __future__ import annotations


class TallyError(Exception):
    """Base of every user-facing error: the message is meant for a person."""


class WorkspaceError(TallyError):
    """A workspace that does not exist, already exists, or has an invalid name."""


class ImportError_(TallyError):
    """A file or a row that cannot be imported; nothing was written."""


class WarehouseBusyError(TallyError):
    """Another process holds the workspace's DuckDB file."""


class QueryError(TallyError):
    """A catalog query that cannot be answered as asked."""


class UnknownMetricError(QueryError):
    """A metric name that is not in the catalog."""


class UnsupportedDimensionError(QueryError):
    """A breakdown or filter the metric cannot be split by."""


class PeriodError(QueryError):
    """A period phrase or explicit range that is invalid."""


class MissingFxRateError(QueryError):
    """A foreign-currency row with no exchange rate on or before its date."""
