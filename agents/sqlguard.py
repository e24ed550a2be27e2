"""The optional ad-hoc SQL tool: one read-only SELECT over the workspace's own tables.

Off unless ``TALLY_ADHOC_SQL=true``. The statement is parsed with sqlglot and refused
unless it is a single SELECT that reads only normalized tables (no table functions
such as ``read_csv``, no ``ATTACH``/``COPY``/``PRAGMA``, no writes); a row limit is
added and the query is interrupted after the time limit.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlglot
from sqlglot import exp

from storage.errors import QueryError
from storage.schema import TABLE_MAP
from storage.warehouse import Warehouse

FORBIDDEN = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Command,
             exp.Copy, exp.Merge, exp.Pragma, exp.Attach, exp.Detach, exp.Use, exp.Set,
             exp.Transaction, exp.Commit, exp.Rollback)


def check_select(sql: str, row_limit: int) -> str:
    """The checked statement with a row limit, or QueryError saying why it is refused."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"not valid SQL: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryError("exactly one statement, please")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except):
        raise QueryError("only SELECT queries are allowed")
    for node in tree.walk():
        if isinstance(node, FORBIDDEN):
            raise QueryError(f"{type(node).__name__.upper()} is not allowed")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func) or table.args.get("db") or table.args.get("catalog"):
            raise QueryError("only the workspace's own tables can be read")
        if table.name not in TABLE_MAP and table.name not in ctes:
            raise QueryError(f"unknown table {table.name!r}; tables: {', '.join(TABLE_MAP)}")
    for func in tree.find_all(exp.Anonymous):
        if func.name.lower().startswith(("read_", "glob", "getenv", "current_setting")):
            raise QueryError(f"function {func.name} is not allowed")
    limited = exp.select("*").from_(tree.subquery("q")).limit(row_limit)
    return limited.sql(dialect="duckdb")


def run_select(warehouse: Warehouse, sql: str, row_limit: int, timeout_seconds: float
               ) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Runs a checked SELECT with a row limit and a time limit."""
    checked = check_select(sql, row_limit)
    with warehouse.reading_cursor() as cursor:
        timer = threading.Timer(timeout_seconds, cursor.interrupt)
        timer.start()
        try:
            cursor.execute(checked)
            names = [d[0] for d in cursor.description or []]
            return names, cursor.fetchall()
        except Exception as exc:  # interrupted, or a runtime error in the user's SQL
            raise QueryError(f"the query failed or took longer than {timeout_seconds:g} s: "
                             f"{str(exc).splitlines()[0]}") from None
        finally:
            timer.cancel()
