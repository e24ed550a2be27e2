"""``tally audit``: who changed which configuration, when (the audit log, newest first)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click
from rich.table import Table

from bot.cli.common import console, make_app, user_errors
from storage.audit import DEFAULT_LIMIT, AuditEntry, list_audit

VALUE_WIDTH = 60


@click.command("audit")
@click.option("--workspace", "-w", "workspace_name", default=None, help="Only this workspace's changes.")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=DEFAULT_LIMIT, show_default=True,
              help="At most this many entries, newest first.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), default=None,
              help="Only changes at or after this UTC day or time (YYYY-MM-DD[THH:MM]).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@user_errors
def audit_command(workspace_name: str | None, limit: int, since: datetime | None,
                  as_json: bool) -> None:
    """Show the audit log: bindings, connections, subscriptions, alerts, bets, workspaces."""
    app = make_app()
    try:
        if workspace_name:
            app.workspaces.get(workspace_name)  # a typo gets the known names, not an empty log
        entries = list_audit(app.state, workspace_name, limit=limit, since=since)
    finally:
        app.close()
    if as_json:
        for entry in entries:
            sys.stdout.write(json.dumps(entry.as_json(), sort_keys=True) + "\n")
        return
    if not entries:
        console.print("No audit entries" + (f" for {workspace_name}." if workspace_name else "."))
        return
    table = Table()
    for column in ("time (UTC)", "actor", "action", "workspace"):
        table.add_column(column, no_wrap=True)
    table.add_column("what changed", overflow="fold", min_width=20)
    for entry in entries:
        table.add_row(f"{entry.at:%Y-%m-%d %H:%M:%S}", entry.actor, entry.action,
                      entry.workspace or "", describe_change(entry))
    console.print(table, highlight=False)


def describe_change(entry: AuditEntry) -> str:
    """What an entry changed, in a line or a few: new fields, removed fields, or old → new."""
    before, after = entry.before, entry.after
    if before is None and after is None:
        return ""
    if before is None or after is None:
        fields = ", ".join(f"{k}={_short(v)}" for k, v in (after or before or {}).items()
                           if v not in (None, "", {}, []))
        return fields if before is None else f"removed: {fields}"
    changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    if not changed:
        return "no change"
    return "; ".join(f"{k}: {_short(before.get(k))} → {_short(after.get(k))}" for k in changed)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 1] + "…"
