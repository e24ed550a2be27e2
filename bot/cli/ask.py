"""``tally ask`` and ``tally chat``: questions from the terminal.

Every line goes through the pipeline as the terminal channel
(:class:`bot.cli.terminal.TerminalSession`), so chat commands work as on every other
surface. This module imports the agent graph: :mod:`bot.cli` loads it only for these
two commands, with the garbage collector paused (:func:`bot.cli.common.gc_paused`).
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import click

from bot.brain_ports import make_graph
from bot.cli.answers import answer_batch, chat, print_reply
from bot.cli.common import as_of_for, console, gc_paused, make_app, pick_workspace, user_errors
from bot.cli.terminal import TerminalSession


@click.command("ask")
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


@click.command("chat")
@click.option("--workspace", "-w", "workspace_name", default=None, help="Workspace to ask.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Answer as if it were the end of this day (YYYY-MM-DD).")
@user_errors
def chat_command(workspace_name: str | None, as_of: Any) -> None:
    """Chat with Tally in the terminal (the same brain as every chat platform)."""
    with gc_paused():
        app = make_app()
        workspace_name = pick_workspace(app, workspace_name)
        graph = make_graph(app)
        when = as_of_for(app, workspace_name, as_of.date() if as_of else None)
        session = TerminalSession(app, graph, workspace_name, when, chart=False)
    # Each chat session is a conversation of its own: a follow-up never reaches into
    # yesterday's session (`tally ask` keeps one conversation across commands on purpose).
    chat(graph, workspace_name, when, console, app.settings.data_dir / ".chat_history",
         f"terminal:chat:{uuid.uuid4().hex[:12]}", asker=session.ask, waiting=session.waiting())


