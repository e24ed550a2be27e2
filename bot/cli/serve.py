"""``tally serve``: the bot on every chat platform with credentials, the HTTP server and
the scheduler, in one process.

The runtime's imports (uvicorn, APScheduler, every channel) wait until ``serve`` runs:
they are a good half second that no other command needs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import click

from bot.cli.common import console, gc_paused, user_errors
from bot.cli.users import announce_sign_in
from bot.settings import Settings


@click.command("serve")
@user_errors
def serve() -> None:
    """Run the bot: every chat platform with credentials, the HTTP server, the scheduler."""
    with gc_paused():  # start-up objects live as long as the process: frozen, never re-scanned
        from bot.http import configure_logging
        from bot.runtime import build_runtime

        settings = Settings()
        configure_logging(settings)
        runtime = build_runtime(settings)
    platforms = ", ".join(c.platform for c in runtime.channels)
    console.print(f"Tally on http://{settings.http_host}:{settings.http_port} "
                  f"(playground at /playground; channels: {platforms}). Ctrl+C stops.")
    asyncio.run(serve_and_announce(runtime))


async def serve_and_announce(runtime: Any) -> None:
    """Runs the runtime; once it listens, prints how to sign in to the playground.

    On a fresh install that is the first owner's one-time sign-in link (with the port
    really bound, so ``TALLY_HTTP_PORT=0`` prints a link that works).
    """
    async def announce() -> None:
        await runtime.started.wait()
        if not runtime.settings.playground:
            return
        try:
            await asyncio.to_thread(announce_sign_in, runtime.app, runtime.port)
        except Exception:  # e.g. a second replica created the first owner at the same moment
            logging.getLogger(__name__).exception("could not print the sign-in link: run "
                                                  "`tally user link EMAIL`")

    task = asyncio.create_task(announce())
    try:
        await runtime.run()
    finally:
        task.cancel()
