"""An import refuses money it could not convert into the workspace currency.

A row in another currency is converted with the latest ``fx_rates`` row of its currency
on or before its local date (metrics.md). An import that brings rows with no such rate
used to be accepted, and from then on every revenue question covering them failed; now
the import is refused, naming the currency, the dates and the rate to add. Rates
imported in the same batch count, as do the ones the workspace already holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from storage import derived
from storage.errors import ImportError_
from storage.loading import Staged

# The tables whose money the catalog converts, and the time that picks each row's rate.
RATED_TIMES = {"orders": "created_at", "subscription_mrr": "valid_from",
               "invoices": "created_at", "ad_performance_daily": "date"}


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_rates(con: duckdb.DuckDBPyConnection, batches: Sequence[Staged]) -> None:
    """Raises for the first staged table holding rows no exchange rate can convert.

    Raises:
        ImportError_: naming the file, every currency lacking rates, how many rows and
            their dates.
    """
    currency, timezone = derived.settings(con)
    staged = {b.table.name: b for b in batches}
    rates = "SELECT currency, date FROM fx_rates"
    if "fx_rates" in staged:
        rates += f" UNION ALL SELECT currency, date FROM {staged['fx_rates'].temp_name}"
    for name, column in RATED_TIMES.items():
        if name not in staged:
            continue
        batch = staged[name]
        kind = next(c.kind for c in batch.table.columns if c.name == column)
        day = column if kind == "date" or timezone == "UTC" else \
            f"timezone({_sql_string(timezone)}, timezone('UTC', {column}))"
        found = con.execute(
            f"WITH first AS (SELECT currency, min(date) AS first FROM ({rates}) GROUP BY currency) "
            f"SELECT s.currency, min(s.day), max(s.day), count(*), any_value(f.first) FROM "
            f"(SELECT currency, CAST({day} AS DATE) AS day FROM {batch.temp_name} "
            f"WHERE currency <> ?) AS s LEFT JOIN first AS f ON f.currency = s.currency "
            f"WHERE f.first IS NULL OR s.day < f.first GROUP BY s.currency ORDER BY 1",
            [currency]).fetchall()
        if len(found) == 1:
            raise ImportError_(_message(batch.label, currency, *found[0]))
        if found:
            raise ImportError_(_several(batch.label, currency, found))


def _message(label: str, workspace_currency: str, currency: str, first: object, last: object,
             rows: int, first_rate: object) -> str:
    span = f"on {first}" if first == last else f"from {first} to {last}"
    have = f"its first rate is on {first_rate}" if first_rate else "fx_rates has no rate for it"
    return (f"{label}: {rows:,} row{'s' if rows != 1 else ''} in {currency} {span} cannot be "
            f"converted to {workspace_currency} ({have}); add an fx_rates row for {currency} "
            f"dated {first} or earlier (units of {workspace_currency} per 1 {currency}), "
            "in fx_rates.csv beside this file or imported before it")


def _several(label: str, workspace_currency: str, found: Sequence[tuple[Any, ...]]) -> str:
    """The message for rows in several currencies without rates: each one, then the fix."""
    parts = []
    for currency, first, last, rows, first_rate in found:
        span = f"on {first}" if first == last else f"from {first} to {last}"
        have = f"its first rate is on {first_rate}" if first_rate else "no rate"
        parts.append(f"{rows:,} row{'s' if rows != 1 else ''} in {currency} {span} ({have})")
    needed = ", ".join(f"{currency} dated {first} or earlier" for currency, first, *_ in found)
    return (f"{label}: rows in {len(found)} currencies cannot be converted to "
            f"{workspace_currency}: {'; '.join(parts)}; add fx_rates rows for {needed} (units "
            f"of {workspace_currency} per 1 of the currency), in fx_rates.csv beside this file "
            "or imported before it")
