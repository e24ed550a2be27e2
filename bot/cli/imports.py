"""``tally import DIRECTORY``: load normalized tables into a workspace, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.common import console, err_console, make_app, user_errors
from storage.audit import cli_actor
from storage.importer import discover, import_directory


@click.command("import")
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
    rows = f"{result.total:,} row{'' if result.total == 1 else 's'}"
    console.print(f"Imported {rows} into [bold]{workspace_name}[/bold]: " + ", ".join(
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


