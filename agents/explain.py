"""Answers "how did you get that?" (the definition in words, the filters and period, the
SQL that ran, and how fresh the data is) and "why?" (the drivers of a change)."""

from __future__ import annotations

from datetime import date, timedelta

from agents.insights.drivers import describe_driver, find_drivers, share_words
from agents.reply import Reply, TableData
from storage.catalog import AsOf, Comparison, Engine, Query
from storage.catalog.definitions import CatalogDefs
from storage.catalog.display import format_change, shows_as_zero

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


def _sql_block(statements: tuple[str, ...], comparison: Comparison | None) -> str:
    """The statements that ran, then, for a comparison, a sentence saying the other period
    ran the same SQL (the engine records that as a comment line, which alone shows nothing)."""
    main = [s for s in statements if not s.lstrip().startswith("--")]
    block = "\n\n".join(main)
    text = f"\n\nSQL:\n```\n{block}\n```" if main else ""
    if comparison is not None:
        other = comparison.period
        text += (f"\nThe comparison ran the same SQL over {other.plain()} "
                 f"({other.start} to {other.end - timedelta(days=1)}).")
    return text


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
    text = "Here's how I got that:\n" + "\n".join(lines) + _sql_block(result.sql, result.comparison)
    return Reply(text, data={"explain": True, "sql": list(result.sql), "metrics": list(query.metrics)})


def why_reply(engine: Engine, query: Query, as_of: AsOf, question: str) -> Reply:
    """Answers "why?": how the metric moved vs the period before, and what drove it."""
    found = find_drivers(engine, query, as_of)
    metric = found.metric
    defs = engine.defs
    fmt = defs.metrics[metric].format
    cmp = found.total.comparison
    label = defs.metrics[metric].label
    if cmp is None or cmp.change.get(metric) is None or shows_as_zero(cmp.change[metric], fmt):
        head = f"{label} did not change vs {cmp.period.plain() if cmp else 'the period before'}."
    else:
        moved = format_change(cmp.change[metric], cmp.change_rate.get(metric), fmt,
                              engine.workspace.currency).lstrip("+-")
        direction = "up" if float(cmp.change[metric]) > 0 else "down"  # type: ignore[arg-type]
        verb = "were" if label.endswith("s") and not label.endswith("ss") else "was"
        head = f"{label} {verb} {direction} {moved} vs {cmp.period.plain()}."
    if not found.drivers:
        return Reply(head + " No single breakdown explains it.", data={"question": question})
    parts = [describe_driver(engine, metric, d) for d in found.drivers]
    text = head + " What drove it: " + "; ".join(parts) + "."
    table = TableData(("Breakdown", "Value", "Change", "Share of change"), tuple(
        (defs.dimensions[d.dimension].label, d.value,
         format_change(d.change, None, fmt, engine.workspace.currency).replace(" (new)", ""),
         share_words(d.share) if d.share is not None else "") for d in found.drivers))
    drivers = [{"dimension": d.dimension, "value": d.value, "change": d.change, "share": d.share}
               for d in found.drivers]
    return Reply(text, table, data={"question": question, "text": text, "metrics": [metric],
                                    "drivers": drivers})
