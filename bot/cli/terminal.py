"""The terminal channel wired for the CLI: ``tally ask`` and ``tally chat`` sessions.

:class:`TerminalSession` builds what ``tally serve`` builds for a chat, minus the
server: a :class:`~bot.pipeline.Pipeline` with every chat command
(:func:`bot.commands.registry.install_commands`) and the brain behind it, and the
terminal channel bound to the chosen workspace (:mod:`bot.channels.terminal`). Each line
then takes the one path of a message; the CLI is synchronous, so each line runs in
its own short event loop.
"""

from __future__ import annotations

import asyncio

from agents.graph import TallyGraph
from agents.reply import Reply
from bot.app import App
from bot.channels.terminal import TerminalChannel, TerminalOutbox
from bot.cli.answers import answer_one
from bot.commands.registry import install_commands
from bot.pipeline import Pipeline
from bot.scheduler import ProactiveScheduler
from storage.catalog import AsOf


class TerminalResponder:
    """The brain as the terminal asks it: :func:`bot.cli.answers.answer_one`, with ``--as-of``.

    It answers under the terminal's own conversation names (``terminal:ask``,
    ``terminal``, one per batch: :attr:`memory`, set by the session for each line), so
    follow-ups find the same memory as before, and a batch starts with none.
    """

    def __init__(self, graph: TallyGraph, as_of: AsOf | None, *, chart: bool) -> None:
        self.graph = graph
        self.as_of = as_of
        self.chart = chart
        self.memory = "terminal"

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        """One question; never raises for what was asked (:func:`bot.cli.answers.answer_one`)."""
        return answer_one(self.graph, workspace, text, self.memory, self.as_of, chart=self.chart)


class TerminalSession:
    """The terminal channel on one workspace, as the operator (the owner role).

    Args:
        app: the opened app; graph: the brain; workspace: the chosen workspace.
        as_of: answer as of this day (``--as-of``); chart: draw charts (``tally ask``).
    """

    def __init__(self, app: App, graph: TallyGraph, workspace: str, as_of: AsOf | None, *,
                 chart: bool = True) -> None:
        # No rate limit: the operator's own terminal (a --batch may hold thousands of lines).
        self.responder = TerminalResponder(graph, as_of, chart=chart)
        pipeline = Pipeline(app, self.responder, None)
        install_commands(pipeline, ProactiveScheduler(app, [], charts_dir=app.settings.data_dir / "charts"))
        self.channel = TerminalChannel(pipeline, workspace, TerminalOutbox(app.settings.data_dir))
        self.channel.bind()

    def ask(self, text: str, conversation: str) -> Reply:
        """One line of a conversation through the pipeline; the reply to print."""
        self.responder.memory = conversation  # the CLI asks one line at a time
        return asyncio.run(self.channel.ask(text))

    def waiting(self) -> list[str]:
        """The proactive messages the scheduler left for this workspace (taken out)."""
        return [entry["text"] + (f"\n\nChart: {entry['chart']}" if entry.get("chart") else "")
                for entry in self.channel.outbox.take(self.channel.workspace)]
