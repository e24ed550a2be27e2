"""Derived tables the catalog reads instead of re-joining big tables on every question.

- ``_order_lines``: every order item with its order's time, status, currency and
  dimensions (country, channel, source, customer). Item-level metrics (units, product
  revenue, margin, stock demand) scan one table filtered by time instead of joining
  millions of items to their orders.
- ``_product_days``: counted lines summed per local day and product (storage/rollups.py).
- ``_first_orders``: each customer's first counted order (its time, country, sales
  channel and source; ties in time go to the lower order id), for new and returning
  customers: new customers in a period are the rows whose ``first_at`` falls in it.

- ``_refunds``: every refund whose order exists, with that order's currency and
  dimensions (country, channel, source, customer) and the rate of its own local date,
  so refund questions never join ten million orders (storage/refund_rows.py).

All are kept exact by :func:`refresh`, which runs inside the same transaction as every
write (import, sync, webhook): only the orders and customers a batch touched are
recomputed, so a webhook of one order costs one order's work.

Exchange rates are stored with the rows whose money they convert: ``_order_lines.rate``,
``orders._rate`` and ``subscription_mrr._rate`` hold the rate of the row's currency into
the workspace currency on the row's local date (metrics.md: the order's ``created_at``,
the span's ``valid_from``), so money needs no ``ASOF JOIN`` at question time (at ten
million orders that join, and the planning of its union, cost more than the scan).
Every write leaves its new rows' rate NULL and :func:`refresh` fills exactly those rows;
a row with no rate available stays NULL, which the catalog reports as a missing rate.
The rates depend on the workspace's currency and timezone, kept in ``_tally_settings``
(:func:`configure`): a change of either, or new ``fx_rates``, recomputes every rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from storage import refund_rows, rollups
from storage.loading import Staged

COUNTED = "('paid', 'refunded', 'partially_refunded')"
LINE_COLUMNS = (
    "i.order_id, i.line_no, i.product_id, i.quantity, i.unit_price, i.discount, o.created_at, "
    "o.status, o.currency, o.customer_id, o.country, o.sales_channel, o.source"
)

CREATE = (
    "CREATE TABLE IF NOT EXISTS _order_lines (order_id VARCHAR, line_no BIGINT, product_id VARCHAR, "
    "quantity DECIMAL(18,4), unit_price DECIMAL(18,4), discount DECIMAL(18,4), created_at TIMESTAMP, "
    "status VARCHAR, currency VARCHAR, customer_id VARCHAR, country VARCHAR, sales_channel VARCHAR, "
    "source VARCHAR)",
    "CREATE TABLE IF NOT EXISTS _first_orders (customer_id VARCHAR, first_at TIMESTAMP)",
)


FIRST_ORDER_COLUMNS = ("customer_id", "first_at", "country", "sales_channel", "source")


def first_orders_insert(where: str) -> str:
    """Inserts the first counted order of the customers matching ``where`` (on orders).

    One hash aggregation (4x faster than sorting with DISTINCT ON); the dimensions travel
    in one struct because ``arg_min`` skips NULL values and a first order may have none.
    """
    return (f"INSERT INTO _first_orders ({', '.join(FIRST_ORDER_COLUMNS)}) "
            "SELECT customer_id, first_at, first.country, first.sales_channel, first.source FROM ("
            "SELECT customer_id, min(created_at) AS first_at, arg_min({'country': country, "
            "'sales_channel': sales_channel, 'source': source}, (created_at, order_id)) AS first "
            f"FROM orders WHERE status IN {COUNTED} AND customer_id IS NOT NULL AND ({where}) "
            "GROUP BY customer_id)")


def add_first_order_dimensions() -> list[str]:
    """Migration 6: the first order's country, channel and source, refilled for every customer."""
    return [*(f"ALTER TABLE _first_orders ADD COLUMN IF NOT EXISTS {c} VARCHAR"
              for c in FIRST_ORDER_COLUMNS[2:]),
            "DELETE FROM _first_orders", first_orders_insert("TRUE")]


def add_rates() -> list[str]:
    """Migration 4: the settings table and the precomputed rate column."""
    return [
        "CREATE TABLE IF NOT EXISTS _tally_settings (key VARCHAR PRIMARY KEY, value VARCHAR)",
        "ALTER TABLE _order_lines ADD COLUMN IF NOT EXISTS rate DECIMAL(24,10)",
    ]


def backfill() -> list[str]:
    """Statements that fill the derived tables from what the warehouse already holds."""
    return [
        *CREATE,
        "DELETE FROM _order_lines",
        f"INSERT INTO _order_lines SELECT {LINE_COLUMNS} FROM order_items AS i "
        "JOIN orders AS o ON o.order_id = i.order_id ORDER BY o.created_at",
        "DELETE FROM _first_orders",
        f"INSERT INTO _first_orders SELECT customer_id, min(created_at) FROM orders "
        f"WHERE status IN {COUNTED} AND customer_id IS NOT NULL GROUP BY customer_id",
    ]


def settings(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The workspace (currency, timezone) the derived rates are computed for."""
    rows = dict(con.execute("SELECT key, value FROM _tally_settings").fetchall())
    return rows.get("currency", "USD"), rows.get("timezone", "UTC")


def _fx_starts(timezone: str) -> str:
    zone = "'" + timezone.replace("'", "''") + "'"
    return (f"(SELECT currency, rate, CAST(timezone({zone}, CAST(date AS TIMESTAMP)) AS TIMESTAMP) "
            "AS starts FROM fx_rates)")


@dataclass(frozen=True)
class RatedTable:
    """A table whose rows carry their exchange rate (see the module docstring)."""

    name: str
    key: tuple[str, ...]
    rate: str  # the column holding the rate
    time: str  # the timestamp whose local date picks the rate


RATED = (RatedTable("_order_lines", ("order_id", "line_no"), "rate", "created_at"),
         RatedTable("orders", ("order_id",), "_rate", "created_at"),
         RatedTable("subscription_mrr", ("subscription_id", "valid_from"), "_rate", "valid_from"),
         RatedTable("_refunds", ("refund_id",), "rate", "created_at"))


def add_row_rates() -> list[str]:
    """Migration 5: orders and MRR spans carry their rate; the next configure fills them.

    Forgetting the recorded settings makes :func:`configure` (run whenever a catalog
    engine opens the workspace) recompute every rate for the workspace's settings.
    """
    return [*(f"ALTER TABLE {t.name} ADD COLUMN IF NOT EXISTS {t.rate} DECIMAL(24,10)"
              for t in RATED[1:3]),  # orders and subscription_mrr (a released migration)
            "DELETE FROM _tally_settings"]


def _fill_rates(con: duckdb.DuckDBPyConnection, table: RatedTable) -> None:
    """Sets the rate of ``table``'s rows that have none yet (1 in the workspace currency)."""
    currency, timezone = settings(con)
    ws = "'" + currency.replace("'", "''") + "'"
    con.execute(f"UPDATE {table.name} SET {table.rate} = 1 "
                f"WHERE {table.rate} IS NULL AND currency = {ws}")
    match = " AND ".join(f"{table.name}.{k} = r.{k}" for k in table.key)
    keys = ", ".join(f"t.{k}" for k in table.key)
    con.execute(
        f"UPDATE {table.name} SET {table.rate} = r.rate FROM ("
        f"SELECT {keys}, fx.rate FROM {table.name} AS t "
        f"ASOF JOIN {_fx_starts(timezone)} AS fx ON fx.currency = t.currency "
        f"AND t.{table.time} >= fx.starts WHERE t.{table.rate} IS NULL AND t.currency <> {ws}"
        f") AS r WHERE {match}")


def recompute_rates(con: duckdb.DuckDBPyConnection) -> None:
    """Recomputes every stored rate (new fx_rates, or new workspace settings), and the
    daily product rollup whose money and days depend on them."""
    for table in RATED:
        con.execute(f"UPDATE {table.name} SET {table.rate} = NULL")
        _fill_rates(con, table)
    rollups.rebuild(con, settings(con)[1])


def is_configured(con: duckdb.DuckDBPyConnection, currency: str, timezone: str) -> bool:
    """Whether the rates are already computed for this currency and timezone (reads only)."""
    return settings(con) == (currency, timezone) and con.execute(
        "SELECT count(*) FROM _tally_settings").fetchall()[0][0] == 2


def configure(con: duckdb.DuckDBPyConnection, currency: str, timezone: str) -> bool:
    """Records the workspace's currency and timezone; recomputes the rates when they changed."""
    if is_configured(con, currency, timezone):
        return False
    con.execute("INSERT OR REPLACE INTO _tally_settings VALUES ('currency', ?), ('timezone', ?)",
                [currency, timezone])
    recompute_rates(con)
    return True


def prepare(con: duckdb.DuckDBPyConnection, batches: Iterable[Staged]) -> None:
    """Before an upsert: remember the customers of the orders about to be re-stated.

    An order that moves to another customer, or stops counting, can change the first
    order of the customer it leaves.
    """
    staged = {b.table.name: b.temp_name for b in batches}
    if "orders" in staged:
        con.execute("CREATE OR REPLACE TEMP TABLE _previous_customers AS SELECT DISTINCT customer_id "
                    f"FROM orders WHERE order_id IN (SELECT order_id FROM {staged['orders']}) "
                    "AND customer_id IS NOT NULL")


def refresh(con: duckdb.DuckDBPyConnection, batches: Iterable[Staged]) -> None:
    """Recomputes the derived rows of the orders and customers that ``batches`` touched."""
    by_table = {b.table.name: b.temp_name for b in batches}
    if "fx_rates" in by_table:
        recompute_rates(con)
    elif "subscription_mrr" in by_table:
        _fill_rates(con, RATED[2])
    if refund_rows.refresh(con, by_table):
        _fill_rates(con, RATED[3])
    order_sources = [f"SELECT order_id FROM {by_table[t]}" for t in ("orders", "order_items")
                     if t in by_table]
    if not order_sources:
        return
    con.execute("CREATE OR REPLACE TEMP TABLE _touched_orders AS SELECT DISTINCT order_id FROM ("
                + " UNION ALL ".join(order_sources) + ")")
    timezone = settings(con)[1]
    touched = "SELECT order_id FROM _touched_orders"
    rollups.remember_days(con, timezone, touched)  # the days and products the lines leave
    con.execute(f"DELETE FROM _order_lines WHERE order_id IN ({touched})")
    con.execute(
        f"INSERT INTO _order_lines SELECT {LINE_COLUMNS}, NULL FROM order_items AS i "
        "JOIN orders AS o ON o.order_id = i.order_id "
        "WHERE i.order_id IN (SELECT order_id FROM _touched_orders) ORDER BY o.created_at")
    for table in RATED[:2]:  # the rows just written (a recompute above ran before the lines)
        _fill_rates(con, table)
    rollups.remember_days(con, timezone, touched)  # ... and the ones they join
    rollups.refresh_days(con, timezone)
    if "orders" in by_table:
        # A customer's first order can change when any of their orders is added or re-stated.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _touched_customers AS SELECT DISTINCT customer_id FROM "
            "orders WHERE order_id IN (SELECT order_id FROM _touched_orders) "
            "AND customer_id IS NOT NULL "
            "UNION SELECT customer_id FROM _previous_customers")
        con.execute("DELETE FROM _first_orders WHERE customer_id IN "
                    "(SELECT customer_id FROM _touched_customers)")
        con.execute(first_orders_insert(
            "customer_id IN (SELECT customer_id FROM _touched_customers)"))
        con.execute("DROP TABLE IF EXISTS _touched_customers")
        con.execute("DROP TABLE IF EXISTS _previous_customers")
    con.execute("DROP TABLE IF EXISTS _touched_orders")
