"""``tally connect CONNECTOR``, ``tally disconnect`` and ``tally sync``: data sources.

``tally connect`` is shared with chat bindings (``tally connect slack C123``):
a chat platform name is handed to :data:`CHAT_BINDERS`, which the chat side fills.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bot.cli.bind import bind_platform, bound_line  # the chat side validates the ids
from bot.cli.common import console, err_console, make_app, user_errors
from bot.cli.connect_secrets import (
    FILE_SUFFIX,
    SECRETS_EPILOG,
    flag,
    read_secrets,
    refuse_secrets_in_argv,
    secret_options,
)
from bot.logs import SecretMask
from connectors.base import Batch
from connectors.credentials import store_for_removal
from connectors.errors import ConnectorConfigError, UnknownConnectorError
from connectors.registry import CONNECTORS, connector_class
from connectors.service import Connections
from storage.audit import cli_actor
from storage.errors import TallyError

# Chat platforms bind with `tally connect PLATFORM CHAT_ID --workspace W`; bot/ registers a
# binder per platform here: binder(chat_id, workspace, role) -> a line to print.
CHAT_PLATFORMS = ("slack", "discord", "telegram", "whatsapp")


def _chat_binder(platform: str) -> Callable[[str, str, str], str]:
    def bind(chat_id: str, workspace: str, role: str) -> str:
        app = make_app()
        try:
            normalized = bind_platform(app, platform, chat_id, workspace, cli_actor(), role=role)
        finally:
            app.close()
        return bound_line(platform, normalized, workspace)

    return bind


CHAT_BINDERS: dict[str, Callable[[str, str, str], str]] = {p: _chat_binder(p) for p in CHAT_PLATFORMS}

# The non-secret options; secrets come from files, the environment or a prompt (bot/cli/connect_secrets.py).
_OPTIONS = {
    "path": "files: the folder of <table>.csv / <table>.parquet files, or s3://bucket/folder",
    "endpoint_url": "files: an S3-compatible endpoint for s3:// paths (MinIO, R2; default AWS)",
    "region": "files: the bucket's region (s3:// paths)",
    "shop": "shopify: the shop's domain, e.g. acme.myshopify.com",
    "property_id": "ga4: the numeric property id",
    "ad_account": "meta-ads: the ad account id, e.g. act_1234567890",
    "customer_id": "google-ads: the account id, e.g. 123-456-7890",
    "login_customer_id": "google-ads: the manager account id, when access goes through one",
    "client_id": "ga4, google-ads: the OAuth client id",
    "start_date": "ga4, meta-ads, google-ads: first day of the first sync (default 90 days ago)",
}


def _connector_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds one ``--flag`` per connector option (the union of every connector's), then the
    secrets' ``--NAME-file`` options."""
    func = secret_options(func)
    for name, help_text in reversed(_OPTIONS.items()):
        func = click.option(flag(name), name, default=None, help=help_text)(func)
    return func


@click.command("connect", epilog=SECRETS_EPILOG)
@click.argument("target")
@click.argument("chat_id", required=False)
@click.option("--workspace", "-w", "workspace_name", required=True, help="The workspace.")
@click.option("--interval", type=click.IntRange(min=1), default=None,
              help="Minutes between scheduled syncs (default TALLY_SYNC_INTERVAL_MINUTES).")
@click.option("--role", "chat_role", default=None,
              help="Chats: the role the bound chat acts with: viewer, member (default) or admin.")
@_connector_options
@user_errors
def connect_command(target: str, chat_id: str | None, workspace_name: str, interval: int | None,
                    chat_role: str | None, **values: str | None) -> None:
    """Connect a data source (shopify, stripe, files, ...) or bind a chat to a workspace."""
    refuse_secrets_in_argv(target, values)
    if target in CHAT_PLATFORMS:
        if target not in CHAT_BINDERS:
            raise click.UsageError(f"binding {target} chats is not available in this build")
        if not chat_id:
            raise click.UsageError(f"tally connect {target} needs a CHAT_ID")
        console.print(CHAT_BINDERS[target](chat_id, workspace_name, chat_role or "member"))
        return
    if chat_role:
        raise click.UsageError("--role is for chats (tally connect slack CHANNEL --role viewer)")
    if chat_id:
        raise click.UsageError(f"{target} takes no CHAT_ID; data sources take options, "
                               f"see `tally connect --help`")
    cls = connector_class(target)
    unused = [k for k, v in values.items()
              if v and not k.endswith(FILE_SUFFIX) and k not in {o.name for o in cls.options}]
    if unused:
        raise ConnectorConfigError(f"{target} does not take {flag(unused[0])}")
    read_secrets(target, cls.options, values)
    if values.get("path"):  # scheduled syncs run from anywhere: keep the folder absolute
        values["path"] = str(Path(str(values["path"])).expanduser().resolve())
    app = make_app()
    try:
        description = asyncio.run(Connections(app).connect(workspace_name, target, values, interval,
                                                           actor=cli_actor()))
    finally:
        app.close()
    console.print(f"Connected {target} ({description}) to [bold]{workspace_name}[/bold]. "
                  f"Run `tally sync --workspace {workspace_name} --connector {target}` to load it now.")


@click.command("disconnect")
@click.argument("connector", type=click.Choice(sorted(CONNECTORS)))
@click.option("--workspace", "-w", "workspace_name", required=True, help="The workspace.")
@user_errors
def disconnect_command(connector: str, workspace_name: str) -> None:
    """Remove a data source's connection and its stored credentials (loaded data stays)."""
    app = make_app()
    try:
        app.workspaces.get(workspace_name)
        store = store_for_removal(app.state, app.settings)  # works when the key is lost
        removed = store.delete(workspace_name, connector, actor=cli_actor())
        connected = [c.connector for c in store.list(workspace_name)]
    finally:
        app.close()
    if not removed:
        raise UnknownConnectorError(f"workspace {workspace_name!r} has no {connector} connection "
                                    f"(connected: {', '.join(connected) or 'none'})")
    console.print(f"Disconnected {connector} from [bold]{workspace_name}[/bold]: its credentials "
                  "are deleted; the rows it loaded stay.")


@click.command("sync")
@click.option("--workspace", "-w", "workspace_name", default=None, help="Only this workspace.")
@click.option("--connector", "connector_name", type=click.Choice(sorted(CONNECTORS)), default=None,
              help="Only this connector.")
@click.option("--full", is_flag=True, help="Start from the beginning instead of the saved cursors.")
@user_errors
def sync_command(workspace_name: str | None, connector_name: str | None, full: bool) -> None:
    """Run connector syncs now, incrementally unless --full."""
    app = make_app()
    try:
        connections = Connections(app)
        if workspace_name:
            app.workspaces.get(workspace_name)
        readable, unreadable = connections.store.scan(workspace_name)
        chosen = [c for c in readable if connector_name in (None, c.connector)]
        failed = [f"{u.workspace}/{u.connector}: skipped, {u.reason}" for u in unreadable
                  if connector_name in (None, u.connector)]
        if not chosen and not failed:
            console.print("Nothing to sync: connect a source with `tally connect CONNECTOR "
                          "--workspace W ...`.")
            return
        for line in failed:
            err_console.print(line, markup=False, highlight=False)
        failed += _sync_each(connections, chosen, full)
    finally:
        app.close()
    if failed:
        raise SystemExit(1)


def _sync_each(connections: Connections, chosen: list[Any], full: bool) -> list[str]:
    """Syncs each connection in turn; one failing is reported and the others still run."""
    failed: list[str] = []
    for saved in chosen:
        try:
            report = asyncio.run(_sync_with_progress(connections, saved.workspace,
                                                     saved.connector, full))
        except TallyError as exc:
            failed.append(f"{saved.workspace}/{saved.connector}: failed, {SecretMask()(str(exc))}")
            err_console.print(failed[-1], markup=False, highlight=False)
            continue
        written = ", ".join(f"{t} {n:,}" for t, n in report.rows.items()) or "nothing new"
        console.print(f"{saved.workspace}/{saved.connector}: {written}")
    return failed


async def _sync_with_progress(connections: Connections, workspace: str, connector: str,
                              full: bool) -> Any:
    """One sync with a progress line per stream: batches and rows as they are committed."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.fields[rows]:,} rows"),
                  TimeElapsedColumn(), console=err_console, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def step(batch: Batch) -> None:
            if batch.stream not in tasks:
                tasks[batch.stream] = progress.add_task(f"{workspace}/{connector} {batch.stream}",
                                                        total=None, rows=0)
            task = tasks[batch.stream]
            rows = progress.tasks[task].fields["rows"] + batch.rows
            progress.update(task, advance=1, rows=rows)

        return await connections.sync(workspace, connector, full=full, on_batch=step,
                                      actor=cli_actor() if full else None)
