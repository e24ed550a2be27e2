"""``tally ask`` and ``tally chat``: the brain from the terminal."""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from rich.console import Console

from agents.graph import TallyGraph
from bot.app import App
from bot.reply import Reply
from storage.catalog import AsOf
from storage.errors import WorkspaceError


def pick_workspace(app: App, name: str | None) -> str:
    """The workspace asked for, or the only one, or `demo`; else a helpful error."""
    if name:
        app.workspaces.get(name)
        return name
    names = [w.name for w in app.workspaces.list()]
    if len(names) == 1:
        return names[0]
    if "demo" in names:
        return "demo"
    if not names:
        raise WorkspaceError("there is no workspace yet: run `tally demo`, or "
                             "`tally import DIR --workspace NAME --create`")
    raise WorkspaceError(f"say which workspace with --workspace ({', '.join(names)})")


def as_of_for(app: App, workspace: str, day: date | None) -> AsOf | None:
    if day is None:
        return None
    return AsOf.for_day(day, app.workspace(workspace).tz)


def reply_json(reply: Reply) -> str:
    return json.dumps(reply.data, ensure_ascii=False, default=str)


def answer_batch(graph: TallyGraph, workspace: str, lines: Iterable[str], as_of: AsOf | None,
                 out: IO[str]) -> int:
    """One JSON object per question line (JSON Lines); returns how many were unanswerable.

    The lines are one conversation: "and the month before?" follows the line above it.
    """
    refused = 0
    conversation = f"batch:{uuid.uuid4().hex}"
    for line in lines:
        question = line.strip()
        if not question:
            continue
        reply = with_chart(graph.app, workspace, graph.ask(workspace, question, conversation, as_of))
        refused += not reply.ok
        out.write(reply_json(reply) + "\n")
        out.flush()
    return refused


def chat(graph: TallyGraph, workspace: str, as_of: AsOf | None, console: Console,
         history: Path, conversation: str = "terminal") -> None:
    """An interactive chat with readline history; `exit` or Ctrl-D leaves."""
    try:
        import readline

        history.parent.mkdir(parents=True, exist_ok=True)
        if history.exists():
            readline.read_history_file(history)
    except (ImportError, OSError):  # pragma: no cover - readline is missing on some platforms
        readline = None  # type: ignore[assignment]
    console.print(f"[bold]Tally[/bold] · workspace [bold]{workspace}[/bold] · "
                  "ask about your numbers, 'help' for examples, 'exit' to leave.", highlight=False)
    while True:
        try:
            question = input("you › ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if question.lower() in ("exit", "quit", ":q"):
            break
        if not question:
            continue
        reply = graph.ask(workspace, question, conversation, as_of)
        console.print(f"[bold cyan]tally ›[/bold cyan] {_markup_safe(reply.as_text())}\n",
                      highlight=False)
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)


def _markup_safe(text: str) -> str:
    return text.replace("[", r"\[")


def with_chart(app: App, workspace: str, reply: Reply) -> Reply:
    """Adds a chart (PNG under the data directory) to answers that are a series or a breakdown."""
    if not reply.data.get("rows") or len(reply.data["rows"]) < 2:
        return reply
    from bot.charts import chart_for  # matplotlib only when there is something to draw

    path = chart_for(reply.data, app.workspace(workspace).currency, app.settings.data_dir / "charts")
    if path is None:
        return reply
    data = {**reply.data, "chart": str(path)}
    return Reply(reply.text, reply.table, str(path), reply.suggestions, data, reply.ok)


def print_reply(reply: Reply, as_json: bool, console: Console) -> None:
    if as_json:
        sys.stdout.write(reply_json(reply) + "\n")
    else:
        console.print(_markup_safe(reply.as_text()), highlight=False)


def data_of(reply: Reply) -> dict[str, Any]:
    return reply.data


def make_graph(app: App) -> TallyGraph:
    """The agent graph, with the LLM when one is configured."""
    from agents.llm import make_chat_model

    return TallyGraph(app, make_chat_model(app.settings))
