"""What every ``tally`` command shares: the consoles, the user-error funnel, the app.

Exit status: 0 on success, 1 on a user error (one line on stderr), 2 on bad usage.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, TypeVar

from rich.console import Console

from bot.app import App
from bot.logs import SecretMask, configure_cli_logging
from bot.settings import Settings
from storage.catalog import AsOf
from storage.errors import TallyError, WorkspaceError

F = TypeVar("F", bound=Callable[..., Any])
console = Console()
err_console = Console(stderr=True)


def user_errors(func: F) -> F:
    """Turns a TallyError into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TallyError as exc:
            message = SecretMask()(str(exc))  # a provider may quote a credential it refused
            err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Start-up without the cyclic garbage collector, then collection as usual.

    Importing the agent graph (LangGraph, langchain-core, pydantic models) creates some
    270,000 objects that live as long as the process; collecting while they are created
    finds nothing and costs about a fifth of ``tally ask``'s cold start. Afterwards they
    are frozen out of future collections and the collector runs normally (a long
    ``--batch`` or chat collects as any process does).
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def make_app() -> App:
    """The app on the configured data folder, with the CLI's logging."""
    settings = Settings()
    configure_cli_logging(settings)
    return App(settings)


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
    """``--as-of DAY`` as the end of that day in the workspace's timezone (None: now)."""
    if day is None:
        return None
    return AsOf.for_day(day, app.workspace(workspace).tz)
