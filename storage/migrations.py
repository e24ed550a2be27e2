"""Versioned schema migrations of the workspace warehouse (DuckDB).

A migration is applied once, in a transaction, when a warehouse is opened;
``_tally_schema`` records which have run. Never edit a released migration:
add a new one with the next version number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.schema import TABLES, create_table_sql


@dataclass(frozen=True)
class Migration:
    """One schema change: a version, what it does, and its SQL statements."""

    version: int
    description: str
    statements: Callable[[], list[str]]


def _v1() -> list[str]:
    statements = [create_table_sql(t) for t in TABLES]
    statements.append(
        "CREATE TABLE IF NOT EXISTS _tally_loads "
        "(table_name VARCHAR, loaded_at TIMESTAMP, origin VARCHAR, rows BIGINT)"
    )
    return statements


def _v2() -> list[str]:
    return [
        "CREATE TABLE IF NOT EXISTS _tally_cursors (connector VARCHAR, stream VARCHAR, "
        "cursor VARCHAR, updated_at TIMESTAMP, PRIMARY KEY (connector, stream))",
    ]


def _v3() -> list[str]:
    from storage.derived import backfill

    return backfill()


def _v4() -> list[str]:
    from storage.derived import add_rates

    return add_rates()


def _v5() -> list[str]:
    from storage.derived import add_row_rates

    return add_row_rates()


def _v6() -> list[str]:
    from storage.derived import add_first_order_dimensions

    return add_first_order_dimensions()


def _v7() -> list[str]:
    from storage.rollups import add_product_days

    return add_product_days()


def _v8() -> list[str]:
    from storage.refund_rows import add_refunds

    return add_refunds()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "normalized tables of data-model.md and the load log", _v1),
    Migration(2, "connector sync cursors, written in the same transaction as their rows", _v2),
    Migration(3, "derived tables _order_lines and _first_orders, kept in step by every write", _v3),
    Migration(4, "workspace settings and the exchange rate of each order line", _v4),
    Migration(5, "the exchange rate of each order and each MRR span", _v5),
    Migration(6, "the country, channel and source of each customer's first order", _v6),
    Migration(7, "the daily product rollup _product_days", _v7),
    Migration(8, "_refunds: each refund with its order's currency, dimensions and rate", _v8),
)
