"""``tally metrics``: every metric you can ask for, with its definition and breakdowns."""

from __future__ import annotations

import click
from rich.table import Table

from bot.cli.common import console
from storage.catalog.definitions import load_definitions
from storage.schema import TABLE_MAP


@click.command("metrics")
@click.option("--vertical", type=click.Choice(["shop", "saas", "marketing", "ops", "betting"]),
              default=None, help="Only the metrics of one vertical.")
def metrics_command(vertical: str | None) -> None:
    """List every metric you can ask for, with its definition and breakdowns."""
    defs = load_definitions()
    table = Table("metric", "what it is", "by", title="Tally's metric catalog")
    for name, metric in defs.metrics.items():
        sources = defs.sources_of(name)
        verticals = {_vertical_of(s.from_sql or s.relation or "") for s in sources}
        if vertical and vertical not in verticals:
            continue
        table.add_row(f"[bold]{name}[/bold]\n{metric.label}", metric.description,
                      ", ".join(defs.dimensions_of(name)))
    console.print(table)


def _vertical_of(from_sql: str) -> str:
    first = from_sql.split()[0] if from_sql else ""
    mapping = {"mrr_movements": "saas", "stock": "ops", "sell_through": "ops", "streaks": "betting"}
    if first in mapping:
        return mapping[first]
    return TABLE_MAP[first].vertical if first in TABLE_MAP else ""



