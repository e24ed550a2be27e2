"""``tally report``: export the weekly report as PDF, HTML or CSV.

``tally report --workspace W --week (YYYY-Www|DATE|"last week") --format pdf|html|csv
[--output PATH]`` writes the file (default ``report-<workspace>-<YYYY>-W<ww>.<format>`` in
the current folder) and prints its path. Added to :data:`bot.cli.main` by :mod:`bot.cli`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from agents.insights.report import build_report, resolve_week, to_csv
from bot.cli.common import console, make_app, pick_workspace, user_errors
from bot.report_export import to_html, to_pdf
from storage.catalog import AsOf


@click.command("report")
@click.option("--workspace", "-w", "workspace_name", default=None, help="The workspace.")
@click.option("--week", default="last week", show_default=True,
              help='The ISO week: YYYY-Www, a date inside it, or "last week".')
@click.option("--format", "fmt", type=click.Choice(["pdf", "html", "csv"]), default="html",
              show_default=True, help="The file format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write it (default: report-WORKSPACE-WEEK.FORMAT).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help='"Now" for "last week" (YYYY-MM-DD).')
@user_errors
def report_command(workspace_name: str | None, week: str, fmt: str, output: Path | None,
                   as_of: Any) -> None:
    """Export the weekly report of a workspace as PDF, HTML or CSV."""
    app = make_app()
    try:
        workspace_name = pick_workspace(app, workspace_name)
        tz = app.workspace(workspace_name).tz
        when = AsOf.for_day(as_of.date(), tz) if as_of else AsOf.now(tz, datetime.now(UTC))
        period = resolve_week(week, when)
        report = build_report(app.engine(workspace_name), when, period)
    finally:
        app.close()
    iso = period.start.isocalendar()
    path = output or Path(f"report-{workspace_name}-{iso.year}-W{iso.week:02d}.{fmt}")
    if fmt == "pdf":
        to_pdf(report, path)
    else:
        path.write_text(to_csv(report) if fmt == "csv" else to_html(report), encoding="utf-8")
    console.print(f"Wrote {report.title} to {path}", highlight=False)
