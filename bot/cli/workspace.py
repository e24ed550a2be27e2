"""``tally workspace create|list|show``: the workspaces of a data folder."""

from __future__ import annotations

import click
from rich.table import Table

from bot.cli.common import console, make_app, user_errors
from storage.audit import cli_actor


@click.group()
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


