"""``tally demo``: build (or refresh) the demo workspaces and show what they hold.

Then, in a terminal, the chat opens on ``demo`` (so this module imports the agent graph;
:mod:`bot.cli` loads it only when ``tally demo`` runs).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from agents.compose import compose
from bot.app import App
from bot.brain_ports import make_graph
from bot.cli.answers import chat
from bot.cli.common import console, err_console, make_app, user_errors
from bot.cli.terminal import TerminalSession
from storage.audit import cli_actor
from storage.catalog import AsOf, Filter, Order, Query, resolve_period
from storage.demo import DEMO_WORKSPACES, generate_demo
from storage.importer import import_directory


@dataclass(frozen=True)
class Headline:
    """A question shown at the end of the demo build, in catalog terms."""

    workspace: str
    query: Query
    intent: str = "metric"


def headlines(as_of: AsOf) -> list[Headline]:
    last30 = resolve_period("last 30 days", as_of)
    return [
        Headline("demo", Query(("revenue", "orders", "aov"), last30, compare="previous")),
        Headline("demo", Query(("mrr",), compare="previous")),
        Headline("demo", Query(("ad_spend", "roas"), last30)),
        Headline("demo", Query(("days_of_stock", "on_hand"), None, ("product",),
                               (Filter("days_of_stock_below", ("14",)),),
                               Order("days_of_stock", descending=False)), "stock_alert_list"),
        Headline("demo-guild", Query(("profit_units", "roi", "record"), last30, ("bettor",),
                                     order=Order("profit_units"), limit=5, min_count=5),
                 "leaderboard"),
    ]


def build_demo(app: App, console: Console, scale: float = 1.0,
               actor: str = "unknown") -> dict[str, dict[str, int]]:
    """Generates the demo data and (re)creates the demo workspaces from it."""
    today = datetime.now(ZoneInfo(DEMO_WORKSPACES["demo"]["timezone"])).date()
    tmp = Path(tempfile.mkdtemp(prefix="tally-demo-"))
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task("generating demo data", total=None)
            counts = generate_demo(tmp, end=today, scale=scale,
                                   progress=lambda name, _n: progress.update(
                                       task, description=f"generating {name}"))
            for name, meta in DEMO_WORKSPACES.items():
                progress.update(task, description=f"importing {name}")
                _recreate(app, name, meta["currency"], meta["timezone"], actor)
                import_directory(app.workspaces.warehouse(name), tmp / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return counts


def _recreate(app: App, name: str, currency: str, timezone: str, actor: str) -> None:
    """A refresh starts from an empty warehouse, so no stale demo rows survive."""
    app.workspaces.create(name, currency, timezone, exist_ok=True, actor=actor)
    app.workspaces.close()
    app._engines.pop(name, None)
    path = app.workspaces.path(name)
    for suffix in ("", ".wal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def print_summary(app: App, console: Console, counts: dict[str, dict[str, int]]) -> None:
    """Tables, row counts and a few headline numbers computed through the catalog."""
    for name, tables in counts.items():
        ws = app.workspace(name)
        total = sum(tables.values())
        listing = ", ".join(f"{t} {n:,}" for t, n in tables.items() if n)
        console.print(f"[bold]{name}[/bold] ({ws.currency}, {ws.timezone}): {total:,} rows — {listing}",
                      highlight=False)
    console.print()
    for item in headlines(AsOf.now(app.workspace("demo").tz)):
        engine = app.engine(item.workspace)
        as_of = AsOf.now(engine.workspace.tz)
        reply = compose(engine.run(item.query, as_of), engine.defs, engine.workspace.currency,
                        intent=item.intent)
        console.print(f"[dim]{item.workspace}[/dim] {reply.as_text()}", highlight=False)
        console.print()
    console.print("The web playground: run `tally serve` and open the sign-in link it prints.",
                  highlight=False)


@click.command("demo")
@click.option("--scale", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
              help="Data size: 1 ≈ 40,000 orders; 250 ≈ 10 million.")
@click.option("--chat/--no-chat", "chat_after", default=True, show_default=True,
              help="Open the terminal chat afterwards (when run in a terminal).")
@user_errors
def demo_command(scale: float, chat_after: bool) -> None:
    """Create (or refresh) the demo workspaces `demo` and `demo-guild`."""
    app = make_app()
    counts = build_demo(app, err_console, scale, actor=cli_actor())
    print_summary(app, console, counts)
    if chat_after and sys.stdin.isatty():
        graph = make_graph(app)
        session = TerminalSession(app, graph, "demo", None, chart=False)
        chat(graph, "demo", None, console, app.settings.data_dir / ".chat_history",
             asker=session.ask, waiting=session.waiting())
