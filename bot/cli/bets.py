"""Betting commands of ``tally``: ``tally bets export``.

Added to :data:`bot.cli.main` by :mod:`bot.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agents.betting.export import export_bets, export_directory
from bot.app import App
from bot.cli.common import user_errors
from bot.settings import Settings


@click.group("bets")
def bets() -> None:
    """A betting guild's bets: export them as CSV."""


@bets.command("export")
@click.option("--workspace", "-w", required=True, help="The guild's workspace (e.g. guild-1234).")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="A .csv file for the bets, or a folder for bets.csv and bettors.csv "
                   "(importable with `tally import`). Default: the bets on standard output.")
@user_errors
def bets_export(workspace: str, output: Path | None) -> None:
    """Export a workspace's bets as CSV, in the import format."""
    app = App(Settings())
    try:
        app.workspaces.get(workspace)  # a WorkspaceError naming the known ones
        warehouse = app.workspaces.warehouse(workspace)
        if output is None:
            export_bets(warehouse, sys.stdout)
        elif output.suffix.lower() == ".csv":
            with output.open("w", encoding="utf-8", newline="") as out:
                count = export_bets(warehouse, out)
            click.echo(f"Exported {count} bets to {output}.", err=True)
        else:
            written = export_directory(warehouse, output)
            click.echo(f"Exported {written['bets']} bets and {written['bettors']} bettors to "
                       f"{output}/.", err=True)
    finally:
        app.close()
