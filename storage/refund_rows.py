"""``_refunds``: each refund with its order's currency and dimensions.

A refund's money is in its order's currency and it is split by its order's country,
channel, source and customer (definitions.yaml): answered from ``refunds`` alone, every
refund question joined the ten million orders (a second or more at that size). This
table holds that join, kept exact inside every write transaction (storage/derived.py):
the rows of the refunds a batch re-states and of the orders it re-states are recomputed.
Like the join it replaces, it leaves out refunds whose order is not (yet) loaded; they
come in with their order.

Columns: the refund's ``refund_id``, ``order_id``, ``created_at`` and ``amount``; the
order's ``currency``, ``customer_id``, ``country``, ``sales_channel`` and ``source``;
``rate``, the rate of that currency on the refund's local date, filled by derived.py
like every stored rate (NULL: no rate, which the catalog reports as missing).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

CREATE = ("CREATE TABLE IF NOT EXISTS _refunds (refund_id VARCHAR, order_id VARCHAR, "
          "created_at TIMESTAMP, amount DECIMAL(18,4), currency VARCHAR, customer_id VARCHAR, "
          "country VARCHAR, sales_channel VARCHAR, source VARCHAR, rate DECIMAL(24,10))")
COLUMNS = ("r.refund_id, r.order_id, r.created_at, r.amount, o.currency, o.customer_id, "
           "o.country, o.sales_channel, o.source")


def _insert(where: str) -> str:
    # Sorted by time: each row group then covers a short span, so a period's scan skips the rest.
    return (f"INSERT INTO _refunds SELECT {COLUMNS}, NULL FROM refunds AS r "
            f"JOIN orders AS o ON o.order_id = r.order_id WHERE {where} ORDER BY r.created_at")


def add_refunds() -> list[str]:
    """Migration 8: the table, filled; forgetting the settings makes the next configure
    compute its rates (with every other stored rate)."""
    return [CREATE, "DELETE FROM _refunds", _insert("TRUE"), "DELETE FROM _tally_settings"]


def refresh(con: duckdb.DuckDBPyConnection, staged: Mapping[str, str]) -> bool:
    """Recomputes the rows of the refunds and orders in ``staged`` ({table: staged table}).

    Returns whether any row was written (its rate is then still to be filled).
    """
    parts = []
    if "refunds" in staged:
        parts.append(f"refund_id IN (SELECT refund_id FROM {staged['refunds']})")
    if "orders" in staged:  # an order's currency or dimensions, or a refund's order arriving
        parts.append(f"order_id IN (SELECT order_id FROM {staged['orders']})")
    if not parts:
        return False
    con.execute(f"DELETE FROM _refunds WHERE {' OR '.join(parts)}")
    con.execute(_insert(" OR ".join(f"r.{part}" for part in parts)))
    return True
