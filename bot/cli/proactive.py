"""Proactive commands of ``tally``: ``digest``, ``subscribe`` and ``subscriptions``.

Added to :data:`bot.cli.main` by :mod:`bot.cli`.

- ``tally digest [--workspace W] [--as-of DATE] [--send]`` prints the daily digest; with
  ``--send`` it delivers it to every chat of the workspace subscribed to the digest (once
  per day and chat: a second ``--send`` for the same day sends nothing).
- ``tally subscribe PLATFORM CHAT_ID [WORDS...] --workspace W`` subscribes a chat, with the
  words a chat would use ("weekly report every Monday 9am", "digest at 8:00 only when
  notable") or ``--cron``. A running ``tally serve`` picks it up within a minute.
- ``tally subscriptions [--workspace W]`` lists them; ``tally subscriptions delete ID``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
from datetime import UTC, datetime
from typing import Any

import click
from rich.table import Table

from agents.reply import Reply
from bot.app import App
from bot.channels.base import PLATFORMS, Channel, ConversationRef
from bot.channels.terminal import TerminalChannel, TerminalOutbox
from bot.cli.common import console, err_console, make_app, pick_workspace, user_errors
from bot.logs import SecretMask, secret_values
from bot.pipeline import Pipeline
from bot.subscriptions import (
    KINDS,
    Subscription,
    SubscriptionError,
    SubscriptionStore,
    describe_schedule,
    parse_request,
)
from storage.audit import cli_actor
from storage.catalog import AsOf


class _NoAnswers:
    """The responder of a dispatcher that only sends (channels need one to be built)."""

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        return Reply("Tally is not answering questions from this process.", ok=False)


# --- digest --------------------------------------------------------------------------------
@click.command("digest")
@click.option("--workspace", "-w", "workspace_name", default=None, help="The workspace.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The digest as if it were the end of this day (YYYY-MM-DD).")
@click.option("--send", is_flag=True, help="Deliver it to the workspace's subscribed chats.")
@user_errors
def digest_command(workspace_name: str | None, as_of: Any, send: bool) -> None:
    """Print the daily digest; --send delivers it to the subscribed chats."""

    app = make_app()
    try:
        workspace_name = pick_workspace(app, workspace_name)
        tz = app.workspace(workspace_name).tz
        when = AsOf.for_day(as_of.date(), tz) if as_of else AsOf.now(tz, datetime.now(UTC))
        failed = asyncio.run(_digest(app, workspace_name, when, send))
    finally:
        app.close()
    if failed:
        sys.exit(1)


async def _open_channels(app: App, dispatcher: Pipeline) -> list[Channel]:
    """The configured platforms, ready to send; one that cannot connect is left out.

    Its chats then get "failed" (recorded), and the others are delivered all the same.
    """
    from bot.runtime import CHANNEL_BUILDERS, load_channels

    mask = SecretMask(secret_values(app.settings))
    opened = []
    for channel in load_channels(app.settings, dispatcher, CHANNEL_BUILDERS):
        try:
            await channel.open_outbound()
        except Exception as exc:  # a revoked token: this platform only
            err_console.print(f"{channel.platform}: could not connect ({mask(str(exc))}); "
                              "its chats get nothing this time", highlight=False)
            with contextlib.suppress(Exception):
                await channel.stop()
            continue
        opened.append(channel)
    return opened


async def _digest(app: App, workspace: str, as_of: AsOf, send: bool) -> bool:
    """Prints (or sends) the digest; True when some delivery failed."""
    from bot.runtime import charts_dir  # the runtime and the scheduler: only for a digest
    from bot.scheduler import ProactiveScheduler

    dispatcher = Pipeline(app, _NoAnswers())
    # The terminal's subscriptions go to its outbox, for the next `tally chat`.
    terminal = TerminalChannel(dispatcher, "", TerminalOutbox(app.settings.data_dir))
    channels = [*await _open_channels(app, dispatcher), terminal] if send else []
    proactive = ProactiveScheduler(app, channels, charts_dir=charts_dir(app.settings))
    try:
        if not send:
            adhoc = Subscription(0, workspace, ConversationRef("terminal", "cli"), "digest",
                                 KINDS["digest"].default_schedule, app.workspace(workspace).timezone)
            reply = await proactive.build(adhoc, as_of)
            text = reply.as_text() if reply else "Nothing notable to report."
            console.print(text + (f"\n\nChart: {reply.chart}" if reply and reply.chart else ""),
                          highlight=False)
            return False
        outcomes = await proactive.send_now(workspace, "digest", as_of, f"manual:{as_of.day.isoformat()}")
    finally:
        for channel in channels:
            with contextlib.suppress(Exception):
                await channel.stop()
    if not outcomes:
        console.print(f"No chat is subscribed to the digest of {workspace}: "
                      f"`tally subscribe PLATFORM CHAT_ID digest --workspace {workspace}`.")
    for subscription, status in outcomes:
        console.print(f"{subscription.ref.platform} {subscription.ref.chat_id}: {status}", highlight=False)
    return any(status == "failed" for _, status in outcomes)


# --- subscribe -----------------------------------------------------------------------------
@click.command("subscribe")
@click.argument("platform", type=click.Choice([p for p in PLATFORMS if p != "terminal"]))
@click.argument("chat_id")
@click.argument("words", nargs=-1)
@click.option("--workspace", "-w", "workspace_name", required=True, help="The workspace reported on.")
@click.option("--thread", default=None, help="A thread or forum topic id to post in.")
@click.option("--space", default=None, help="The Slack team or Discord guild id.")
@click.option("--cron", default=None, help='A crontab in the workspace timezone, e.g. "0 8 * * *".')
@click.option("--only-when-notable", is_flag=True, help="Skip the days with nothing notable.")
@user_errors
def subscribe_command(platform: str, chat_id: str, words: tuple[str, ...], workspace_name: str,
                      thread: str | None, space: str | None, cron: str | None,
                      only_when_notable: bool) -> None:
    """Subscribe a chat: WORDS like "weekly report every Monday 9am" (default: daily digest at 8:00)."""
    app = make_app()
    try:
        timezone = app.workspace(workspace_name).timezone
        request = parse_request(" ".join(words), "subscribe")
        if only_when_notable:
            request = dataclasses.replace(request, only_when_notable=True)
        subscription = SubscriptionStore(app.state).apply(
            request, workspace_name, ConversationRef(platform, chat_id, thread, space), timezone,
            schedule=cron, actor=cli_actor())
    finally:
        app.close()
    console.print(f"Subscription {subscription.id}: the {subscription.describe()} "
                  f"to {platform} {chat_id}.", highlight=False)


# --- subscriptions -------------------------------------------------------------------------
@click.group("subscriptions", invoke_without_command=True)
@click.option("--workspace", "-w", "workspace_name", default=None, help="Only this workspace's.")
@click.pass_context
@user_errors
def subscriptions_group(ctx: click.Context, workspace_name: str | None) -> None:
    """List subscriptions (or delete one: `tally subscriptions delete ID`)."""
    if ctx.invoked_subcommand is not None:
        return
    app = make_app()
    try:
        if workspace_name:
            app.workspaces.get(workspace_name)
        found = SubscriptionStore(app.state).list(workspace=workspace_name)
    finally:
        app.close()
    if not found:
        console.print("No subscriptions.")
        return
    table = Table("id", "workspace", "platform", "chat", "report", "when", "timezone", "notable only")
    for s in found:
        chat = s.ref.chat_id + (f" ({s.ref.thread_id})" if s.ref.thread_id else "")
        table.add_row(str(s.id), s.workspace, s.ref.platform, chat, s.label,
                      describe_schedule(s.schedule), s.timezone, "yes" if s.only_when_notable else "no")
    console.print(table)


@subscriptions_group.command("delete")
@click.argument("subscription_id", type=int)
@user_errors
def delete_command(subscription_id: int) -> None:
    """Delete a subscription by its id."""
    app = make_app()
    try:
        removed = SubscriptionStore(app.state).delete(subscription_id, actor=cli_actor())
    finally:
        app.close()
    if removed is None:
        raise SubscriptionError(f"there is no subscription {subscription_id}: see `tally subscriptions`")
    console.print(f"Deleted subscription {subscription_id}: {removed.describe()}.", highlight=False)
