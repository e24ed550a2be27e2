"""The ``tally`` command line (interfaces.md).

Exit status: 0 on success, 1 on a user error (one line on stderr), 2 on bad usage.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.app import App
from bot.logs import SecretMask, configure_cli_logging
from bot.settings import Settings
from storage.audit import cli_actor
from storage.catalog.definitions import load_definitions
from storage.errors import TallyError
from storage.importer import discover, import_directory
from storage.schema import TABLE_MAP

F = TypeVar("F", bound=Callable[..., Any])
console = Console()
err_console = Console(stderr=True)


#: The file-creation mask of every `tally` process: no group or other permissions.
PRIVATE_UMASK = 0o077


def user_errors(func: F) -> F:
    """Turns a TallyError into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TallyError as exc:
            message = SecretMask()(str(exc))  # a provider may quote a credential it refused
            err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Start-up without the cyclic garbage collector, then collection as usual.

    Importing the agent graph (LangGraph, langchain-core, pydantic models) creates some
    270,000 objects that live as long as the process; collecting while they are created
    finds nothing and costs about a fifth of ``tally ask``'s cold start. Afterwards they
    are frozen out of future collections and the collector runs normally (a long
    ``--batch`` or chat collects as any process does).
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def make_app() -> App:
    settings = Settings()
    configure_cli_logging(settings)
    return App(settings)


class LazyGroup(click.Group):
    """Imports the modules of rarely used commands only when they run (start-up time)."""

    lazy_modules: dict[str, str] = {  # noqa: RUF012 - a constant table
        "connect": "bot.cli_connect", "sync": "bot.cli_connect", "disconnect": "bot.cli_connect",
        "audit": "bot.cli_audit",
        "serve": "bot.cli_runtime", "feedback": "bot.cli_runtime", "bind": "bot.cli_runtime",
        "bind-code": "bot.cli_runtime",
        "report": "bot.cli_reports",
        "digest": "bot.cli_proactive", "subscribe": "bot.cli_proactive", "subscriptions": "bot.cli_proactive",
        "bets": "bot.cli_betting",
        "user": "bot.cli_users", "member": "bot.cli_users",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_modules))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy_modules:
            importlib.import_module(self.lazy_modules[name])
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="tally")
def main() -> None:
    """Tally: exact answers about your business, in the chat you already use."""
    # Every file and folder Tally creates (state.db, memory, warehouses, charts, keys) is
    # the owner's alone, whatever the shell's umask.
    os.umask(PRIVATE_UMASK)


# --- workspaces --------------------------------------------------------------------------
@main.group()
def workspace() -> None:
    """Create, list and inspect workspaces."""


@workspace.command("create")
@click.argument("name")
@click.option("--currency", default="USD", show_default=True, help="Reporting currency (ISO 4217).")
@click.option("--timezone", default="UTC", show_default=True, help="IANA timezone of the calendar.")
@user_errors
def workspace_create(name: str, currency: str, timezone: str) -> None:
    """Create a workspace."""
    app = make_app()
    ws = app.workspaces.create(name, currency, timezone, actor=cli_actor())
    console.print(f"Created workspace [bold]{ws.name}[/bold] ({ws.currency}, {ws.timezone}).")


@workspace.command("list")
@user_errors
def workspace_list() -> None:
    """List workspaces."""
    app = make_app()
    table = Table("name", "currency", "timezone")
    for ws in app.workspaces.list():
        table.add_row(ws.name, ws.currency, ws.timezone)
    console.print(table)


@workspace.command("show")
@click.argument("name")
@user_errors
def workspace_show(name: str) -> None:
    """Show a workspace's settings, tables and last loads."""
    app = make_app()
    ws = app.workspaces.get(name)
    warehouse = app.workspaces.warehouse(name)
    console.print(f"[bold]{ws.name}[/bold]: currency {ws.currency}, timezone {ws.timezone}")
    loads = {r.table: r for r in warehouse.last_loads()}
    table = Table("table", "rows", "last load (UTC)", "from")
    for name_, rows in warehouse.row_counts().items():
        if rows or name_ in loads:
            load = loads.get(name_)
            table.add_row(name_, f"{rows:,}", f"{load.loaded_at:%Y-%m-%d %H:%M}" if load else "",
                          load.origin if load else "")
    console.print(table)


# --- import ------------------------------------------------------------------------------
@main.command("import")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--workspace", "-w", "workspace_name", required=True, help="Target workspace.")
@click.option("--create", is_flag=True, help="Create the workspace if it does not exist.")
@click.option("--currency", default=None, help="Reporting currency for a new workspace.")
@click.option("--timezone", default=None, help="IANA timezone for a new workspace.")
@user_errors
def import_command(directory: Path, workspace_name: str, create: bool, currency: str | None,
                   timezone: str | None) -> None:
    """Load the normalized tables from DIRECTORY (<table>.csv / <table>.parquet)."""
    app = make_app()
    files = discover(directory)
    if create and workspace_name not in {w.name for w in app.workspaces.list()}:
        # The workspace exists only once its import succeeded: a failed one leaves nothing.
        _, result = app.workspaces.create_filled(
            workspace_name, currency or app.settings.default_currency,
            timezone or app.settings.default_timezone,
            lambda warehouse: run_import_with_progress(warehouse, directory, len(files)),
            actor=cli_actor())
    else:
        ws = app.workspaces.get(workspace_name)
        warehouse = app.workspaces.warehouse(workspace_name)
        warehouse.configure(ws.currency, ws.timezone)  # the exchange rates the import checks
        result = run_import_with_progress(warehouse, directory, len(files))
    console.print(f"Imported {result.total:,} rows into [bold]{workspace_name}[/bold]: " + ", ".join(
        f"{t} {n:,}" for t, n in result.rows.items()))
    for table, cols in result.ignored_columns.items():
        console.print(f"[yellow]note:[/yellow] {table}: ignored unknown columns {', '.join(cols)}")


def run_import_with_progress(warehouse: Any, directory: Path, files: int) -> Any:
    """Imports with a rich progress bar: one step per file staged, one per file written."""
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TimeElapsedColumn(), console=err_console,
                  transient=True) as progress:
        task = progress.add_task("validating", total=files * 2)

        def step(stage: str, name: str) -> None:
            label = "validated" if stage == "staged" else "wrote"
            progress.update(task, advance=1, description=f"{label} {name}")

        return import_directory(warehouse, directory, step)


# --- demo --------------------------------------------------------------------------------
@main.command("demo")
@click.option("--scale", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
              help="Data size: 1 ≈ 40,000 orders; 250 ≈ 10 million.")
@click.option("--chat/--no-chat", "chat_after", default=True, show_default=True,
              help="Open the terminal chat afterwards (when run in a terminal).")
@user_errors
def demo_command(scale: float, chat_after: bool) -> None:
    """Create (or refresh) the demo workspaces `demo` and `demo-guild`."""
    from bot.demo import build_demo, print_summary

    app = make_app()
    counts = build_demo(app, err_console, scale, actor=cli_actor())
    print_summary(app, console, counts)
    if chat_after and sys.stdin.isatty():
        from bot.ask import chat, make_graph
        from bot.terminal import TerminalSession

        graph = make_graph(app)
        session = TerminalSession(app, graph, "demo", None, chart=False)
        chat(graph, "demo", None, console, app.settings.data_dir / ".chat_history",
             asker=session.ask, waiting=session.waiting())


# --- questions ---------------------------------------------------------------------------
@main.command("ask")
@click.argument("question", required=False)
@click.option("--workspace", "-w", "workspace_name", default=None, help="Workspace to ask.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Answer as if it were the end of this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (interfaces.md).")
@click.option("--batch", type=click.File("rb"), default=None,
              help="Answer one question per line of FILE ('-' for stdin), as JSON Lines.")
@user_errors
def ask_command(question: str | None, workspace_name: str | None, as_of: Any, as_json: bool,
                batch: Any) -> None:
    """Answer one question (or a batch of questions) and exit."""
    if (question is None) == (batch is None):
        raise click.UsageError("give either a QUESTION or --batch FILE")
    if batch is not None and not as_json:
        raise click.UsageError("--batch writes JSON Lines: add --json")
    with gc_paused():
        from bot.ask import answer_batch, as_of_for, make_graph, pick_workspace, print_reply
        from bot.terminal import TerminalSession

        app = make_app()
        workspace_name = pick_workspace(app, workspace_name)
        when = as_of_for(app, workspace_name, as_of.date() if as_of else None)
        graph = make_graph(app)
        session = TerminalSession(app, graph, workspace_name, when)  # the terminal channel
    if batch is not None:
        # Every line is answered; the status says whether any failed (interfaces.md).
        sys.exit(1 if answer_batch(graph, workspace_name, batch, when, sys.stdout,
                                   asker=session.ask) else 0)
    reply = session.ask(question or "", "terminal:ask")
    print_reply(reply, as_json, console)
    if not reply.ok:
        sys.exit(1)


@main.command("chat")
@click.option("--workspace", "-w", "workspace_name", default=None, help="Workspace to ask.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Answer as if it were the end of this day (YYYY-MM-DD).")
@user_errors
def chat_command(workspace_name: str | None, as_of: Any) -> None:
    """Chat with Tally in the terminal (the same brain as every chat platform)."""
    with gc_paused():
        from bot.ask import as_of_for, chat, make_graph, pick_workspace
        from bot.terminal import TerminalSession

        app = make_app()
        workspace_name = pick_workspace(app, workspace_name)
        graph = make_graph(app)
        when = as_of_for(app, workspace_name, as_of.date() if as_of else None)
        session = TerminalSession(app, graph, workspace_name, when, chart=False)
    chat(graph, workspace_name, when, console, app.settings.data_dir / ".chat_history",
         asker=session.ask, waiting=session.waiting())


# --- catalog -----------------------------------------------------------------------------
@main.command("metrics")
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



if __name__ == "__main__":  # pragma: no cover
    # Lazily loaded commands register on ``bot.cli.main``, not on this ``__main__`` copy.
    from bot.cli import main as canonical_main

    canonical_main()
