"""``_product_days``: counted order lines summed per local day and product.

Product questions over long periods ("units sold by category this year", "gross margin
by category", a product's daily demand) would otherwise scan every order line of the
period: twelve million lines for a year at ten million orders. The catalog reads this
table instead whenever a question needs no order-level dimension (the rollup of the
``order_items`` source in ``definitions.yaml``); sums of exact decimals give exactly
the numbers the lines give.

Columns: ``day`` (local date in the workspace timezone), ``product_id``, ``units``
(Σ quantity), ``item_revenue`` (Σ (quantity × unit_price − discount) × rate, in the
workspace currency) and ``fx_missing`` (the largest "CUR on DATE" of a line without an
exchange rate, which the catalog reports as a missing rate).

It is kept exact inside every write transaction (storage/derived.py): the (day,
product) pairs a batch's orders had before and have after are recomputed; new rates
or new workspace settings (a timezone moves lines to other days) rebuild it whole.
"""

from __future__ import annotations

import duckdb

COUNTED = "('paid', 'refunded', 'partially_refunded')"
CREATE = ("CREATE TABLE IF NOT EXISTS _product_days (day DATE, product_id VARCHAR, "
          "units DECIMAL(38,4), item_revenue DECIMAL(38,18), fx_missing VARCHAR)")


def _zone(timezone: str) -> str:
    return "'" + timezone.replace("'", "''") + "'"


def _local_day(column: str, timezone: str) -> str:
    return f"CAST(timezone({_zone(timezone)}, timezone('UTC', {column})) AS DATE)"


def _insert(timezone: str, where: str = "TRUE", join: str = "") -> str:
    day = _local_day("l.created_at", timezone)
    return (
        f"INSERT INTO _product_days SELECT {day} AS day, l.product_id, sum(l.quantity), "
        "sum((l.quantity * l.unit_price - l.discount) * l.rate), "
        f"max(CASE WHEN l.rate IS NULL THEN l.currency || ' on ' || CAST({day} AS VARCHAR) END) "
        f"FROM _order_lines AS l{join} WHERE l.status IN {COUNTED} AND ({where}) GROUP BY ALL")


def add_product_days() -> list[str]:
    """Migration 7: the table; forgetting the settings makes the next configure fill it."""
    return [CREATE, "DELETE FROM _tally_settings"]


def rebuild(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """Recomputes the whole table (new rates, another timezone)."""
    con.execute("DELETE FROM _product_days")
    con.execute(_insert(timezone))


def remember_days(con: duckdb.DuckDBPyConnection, timezone: str, orders: str) -> None:
    """Adds the (day, product) pairs of the lines of ``orders`` (a subquery of order ids).

    Called before a batch's lines are replaced and again after, so both the pairs they
    leave and the pairs they join are recomputed by :func:`refresh_days`.
    """
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _touched_days (day DATE, product_id VARCHAR)")
    con.execute(f"INSERT INTO _touched_days SELECT DISTINCT {_local_day('created_at', timezone)}, "
                f"product_id FROM _order_lines WHERE order_id IN ({orders})")


def refresh_days(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """Recomputes the remembered (day, product) pairs from the order lines."""
    con.execute("CREATE OR REPLACE TEMP TABLE _touched_pairs AS "
                "SELECT DISTINCT day, product_id FROM _touched_days")
    con.execute("DELETE FROM _product_days USING _touched_pairs AS t "
                "WHERE _product_days.day = t.day AND _product_days.product_id = t.product_id")
    # Only lines near the touched days are read (a webhook's one order reads one day), the
    # bounds a day wider than the local days so any UTC offset is inside them.
    bounds = ("l.created_at >= (SELECT CAST(min(day) - INTERVAL 1 DAY AS TIMESTAMP) FROM _touched_pairs) "
              "AND l.created_at < (SELECT CAST(max(day) + INTERVAL 2 DAY AS TIMESTAMP) FROM _touched_pairs)")
    join = (" SEMI JOIN _touched_pairs AS t ON t.product_id = l.product_id "
            f"AND t.day = {_local_day('l.created_at', timezone)}")
    con.execute(_insert(timezone, bounds, join))
    con.execute("DROP TABLE IF EXISTS _touched_pairs")
    con.execute("DROP TABLE IF EXISTS _touched_days")
