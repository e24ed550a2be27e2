"""The runtime's one ASGI app: health, readiness, metrics, and every channel's routes.

Paths (docs/runtime.md has the whole list): ``GET /healthz`` (liveness), ``GET /readyz``
(the state database answers and the scheduler runs; 503 otherwise), ``GET /metrics``
(Prometheus text of the dispatcher's registry), the playground, each platform channel's
webhook routes and the connectors' ``POST /webhooks/{connector}``.

Logs are one line per record, ``key=value`` pairs, carrying ``platform``,
``conversation`` and ``workspace`` when known (set with :func:`log_context`), and never
a secret: every secret setting's value is masked in the final line.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App
from bot.channels.base import PLATFORMS, Channel
from bot.dispatch import Dispatcher
from bot.logs import SecretMask, secret_values
from bot.settings import Settings

logger = logging.getLogger(__name__)

CONTEXT_FIELDS = ("platform", "conversation", "workspace")
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "tally_log_context", default=None)


class SchedulerLike(Protocol):
    """What readiness needs of the scheduler (APScheduler's ``running``)."""

    @property
    def running(self) -> bool: ...


# --- the app -----------------------------------------------------------------------------
def build_http_app(*, app: App, dispatcher: Dispatcher, scheduler: SchedulerLike,
                   channels: Sequence[Channel] = (), extra_routes: Sequence[BaseRoute] = ()
                   ) -> Starlette:
    """The Starlette app of ``tally serve``.

    Args:
        app: the wired application (its state database is checked by ``/readyz``).
        dispatcher: its metrics registry is what ``/metrics`` serves.
        scheduler: ``/readyz`` reports not ready while it is not running.
        channels: every channel's ``routes()`` is mounted (the playground's too).
        extra_routes: more routes, e.g. the connectors' webhooks.
    """

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        database = await asyncio.to_thread(_database_ok, app)
        checks = {"database": database, "scheduler": bool(scheduler.running)}
        ready = all(checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", **checks},
                            status_code=200 if ready else 503)

    async def metrics(_request: Request) -> Response:
        return Response(generate_latest(dispatcher.metrics.registry),
                        media_type=CONTENT_TYPE_LATEST)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    for channel in channels:
        routes.extend(channel.routes())
    routes.extend(extra_routes)
    starlette = Starlette(routes=routes)
    starlette.add_middleware(AccessLog)
    return starlette


def _database_ok(app: App) -> bool:
    try:
        with app.state.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready", with the reason in the log
        logger.warning("readiness: the state database does not answer: %s", type(exc).__name__)
        return False
    return True


class AccessLog:
    """ASGI middleware: one log line per request (method, path, status, duration).

    The query string is never logged: verification handshakes carry tokens in it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        first = scope["path"].strip("/").split("/")[0]
        fields = {"platform": first} if first in PLATFORMS else {}
        with log_context(**fields):
            try:
                await self.app(scope, receive, send_with_status)
            finally:
                logger.info("http %s %s %d %.1fms", scope["method"], scope["path"], status,
                            (time.perf_counter() - started) * 1000)


# --- structured logs ---------------------------------------------------------------------
@contextlib.contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Adds ``platform``/``conversation``/``workspace`` to every log record inside the block.

    It follows the task (and ``asyncio.to_thread`` workers, which copy the context).
    """
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


class KeyValueFormatter(logging.Formatter):
    """``time=… level=… logger=… msg="…" platform=… conversation=… workspace=…``.

    Args:
        secrets: values masked wherever they appear (tokens, signing secrets).
    """

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self.mask = SecretMask(secrets)

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        context = _context.get() or {}
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None) or context.get(key)
            if value:
                fields[key] = value
        line = " ".join(f"{key}={_quote(str(value))}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self.mask(line)


def _quote(value: str) -> str:
    if value and not any(c in value for c in ' "=\n\t'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def configure_logging(settings: Settings) -> None:
    """Sends every logger (uvicorn's too) to stderr as key=value lines, secrets masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter(secret_values(settings)))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler], force=True)
