"""Answers "how did you get that?": the definition in words, the filters and period, the
SQL that ran, and how fresh the data is."""

from __future__ import annotations

from agents.reply import Reply
from storage.catalog import AsOf, Engine, Query
from storage.catalog.definitions import CatalogDefs

FRESHNESS_TABLES = {
    "shop": ("orders", "refunds", "order_items"), "saas": ("subscription_mrr", "subscriptions"),
    "marketing": ("ad_performance_daily", "web_traffic_daily"),
    "ops": ("inventory_levels", "purchase_orders"), "betting": ("bets",),
}


SOURCE_TABLES = {"mrr_movements": "subscription_mrr", "stock": "inventory_levels",
                 "_order_lines": "order_items", "sell_through": "inventory_levels", "streaks": "bets"}


def _tables_of(defs: CatalogDefs, query: Query) -> list[str]:
    tables: list[str] = []
    for metric in query.metrics:
        for source in defs.sources_of(metric):
            text = (source.from_sql or source.relation or "").split()
            name = SOURCE_TABLES.get(text[0], text[0])
            if name not in tables:
                tables.append(name)
    return tables


def explain(engine: Engine, query: Query, as_of: AsOf) -> Reply:
    """The derivation of the last answer, computed again so the SQL shown is the SQL run."""
    result = engine.run(query, as_of)
    defs = engine.defs
    lines = []
    for metric in query.metrics:
        definition = defs.metrics[metric]
        lines.append(f"• {definition.label}: {definition.description}.")
    tz = engine.workspace.timezone
    if result.period is not None:
        last = result.period.end.toordinal() - 1
        from datetime import date

        lines.append(f"• Period: {result.period.describe()}, from {result.period.start} 00:00 to "
                     f"{date.fromordinal(last)} 24:00 in {tz}.")
    else:
        lines.append(f"• Measured at {as_of.instant:%Y-%m-%d %H:%M} UTC ({tz} calendar).")
    if query.filters:
        parts = [f"{f.dimension} {'not in' if f.exclude else 'in'} {', '.join(f.values)}"
                 for f in query.filters]
        lines.append("• Filters: " + "; ".join(parts) + ".")
    if query.dimensions:
        lines.append("• Broken down by " + ", ".join(query.dimensions) + ".")
    if result.comparison:
        lines.append(f"• Compared with {result.comparison.period.plain()}.")
    lines.append(f"• Money in {engine.workspace.currency}; other currencies converted with the "
                 "latest fx_rates row on or before each row's local date.")
    loads = {load.table: load for load in engine.warehouse.last_loads()}
    fresh = [loads[t] for t in _tables_of(defs, query) if t in loads]
    if fresh:
        newest = max(fresh, key=lambda load: load.loaded_at)
        lines.append(f"• Data as fresh as {newest.loaded_at:%Y-%m-%d %H:%M} UTC "
                     f"({newest.origin}, table {newest.table}).")
    sql = result.sql[-1] if result.sql else ""
    text = "Here's how I got that:\n" + "\n".join(lines) + f"\n\nSQL:\n```\n{sql}\n```"
    return Reply(text, data={"explain": True, "sql": list(result.sql), "metrics": list(query.metrics)})
