"""The ``tally`` command line (interfaces.md): one module per command group.

``main`` is the click group behind ``[project.scripts] tally = "bot.cli:main"`` and
``python -m bot.cli``. Most commands are plain imports; three groups are loaded only
when they run, because their imports cost start-up time every other command would pay
(measured in docs/architecture.md): the agent graph (``ask``, ``chat``, ``demo``: about
half of ``tally ask``'s cold start) and the connectors (``connect``, ``sync``,
``disconnect``: httpx and the provider clients).

Exit status: 0 on success, 1 on a user error (one line on stderr), 2 on bad usage.
"""

from __future__ import annotations

import importlib
import os

import click

from bot.cli.audit import audit_command
from bot.cli.bets import bets
from bot.cli.bind import bind, bind_code
from bot.cli.common import gc_paused
from bot.cli.feedback import feedback
from bot.cli.imports import import_command
from bot.cli.metrics import metrics_command
from bot.cli.proactive import digest_command, subscribe_command, subscriptions_group
from bot.cli.reports import report_command
from bot.cli.serve import serve
from bot.cli.users import member, user
from bot.cli.workspace import workspace

#: The file-creation mask of every `tally` process: no group or other permissions.
PRIVATE_UMASK = 0o077


class LazyGroup(click.Group):
    """Imports the modules of the heavy commands only when they run (start-up time)."""

    lazy_commands: dict[str, tuple[str, str]] = {  # noqa: RUF012 - a constant table
        "ask": ("bot.cli.ask", "ask_command"), "chat": ("bot.cli.ask", "chat_command"),
        "demo": ("bot.cli.demo", "demo_command"),
        "connect": ("bot.cli.connect", "connect_command"),
        "disconnect": ("bot.cli.connect", "disconnect_command"),
        "sync": ("bot.cli.connect", "sync_command"),
        "unanswered": ("bot.cli.unanswered", "unanswered_command"),  # reads questions with the parser
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy_commands:
            module_name, attribute = self.lazy_commands[name]
            with gc_paused():  # the agent graph's objects live as long as the process
                module = importlib.import_module(module_name)
            self.add_command(getattr(module, attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="tally")
def main() -> None:
    """Tally: exact answers about your business, in the chat you already use."""
    # Every file and folder Tally creates (state.db, memory, warehouses, charts, keys) is
    # the owner's alone, whatever the shell's umask.
    os.umask(PRIVATE_UMASK)


for _command in (workspace, import_command, metrics_command, serve, feedback, bind, bind_code,
                 digest_command, subscribe_command, subscriptions_group, report_command, bets,
                 user, member, audit_command):
    main.add_command(_command)
