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
import hmac
import ipaddress
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.app import App
from bot.channels.base import PLATFORMS, Channel
from bot.logs import SecretMask, secret_values
from bot.settings import Settings

logger = logging.getLogger(__name__)

CONTEXT_FIELDS = ("platform", "conversation", "workspace")
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "tally_log_context", default=None)


class Registered(Protocol):
    """Metrics kept in their own Prometheus registry."""

    registry: CollectorRegistry


class Measured(Protocol):
    """What ``/metrics`` needs of the pipeline: its metrics' registry."""

    @property
    def metrics(self) -> Registered: ...


class SchedulerLike(Protocol):
    """What readiness needs of the scheduler (APScheduler's ``running``)."""

    @property
    def running(self) -> bool: ...


# --- the app -----------------------------------------------------------------------------
def build_http_app(*, app: App, dispatcher: Measured, scheduler: SchedulerLike,
                   channels: Sequence[Channel] = (), extra_routes: Sequence[BaseRoute] = (),
                   middleware: Sequence[Middleware] = ()) -> Starlette:
    """The Starlette app of ``tally serve``.

    Args:
        app: the wired application (its state database is checked by ``/readyz``).
        dispatcher: its metrics registry is what ``/metrics`` serves.
        scheduler: ``/readyz`` reports not ready while it is not running.
        channels: every channel's ``routes()`` is mounted (the playground's too).
        extra_routes: more routes, e.g. the connectors' webhooks.
        middleware: inside the access log, e.g. the web gate (sessions, CSRF, hosts).
    """
    routes = _probe_routes(app, dispatcher, scheduler)
    for channel in channels:
        routes.extend(channel.routes())
    routes.extend(extra_routes)
    starlette = Starlette(routes=routes, middleware=list(middleware))
    settings = app.settings
    starlette.add_middleware(BodyLimit, default=settings.http_max_body_bytes,
                             by_prefix=[(p, settings.webhook_max_bytes) for p in WEBHOOK_PREFIXES])
    starlette.add_middleware(AccessLog)  # added last: outermost, so it logs the 413s too
    return starlette


def _probe_routes(app: App, dispatcher: Measured, scheduler: SchedulerLike) -> list[BaseRoute]:
    """``/healthz``, ``/readyz`` and ``/metrics``: the routes every deployment has."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        database = await asyncio.to_thread(_database_ok, app)
        checks = {"database": database, "scheduler": bool(scheduler.running)}
        ready = all(checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", **checks},
                            status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        if not metrics_allowed(request, app.settings.metrics_token):
            return JSONResponse({"error": "metrics are served to loopback clients, or with "
                                          "Authorization: Bearer <TALLY_METRICS_TOKEN>"},
                                status_code=401)
        return Response(generate_latest(dispatcher.metrics.registry),
                        media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


def _database_ok(app: App) -> bool:
    try:
        with app.state.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready", with the reason in the log
        logger.warning("readiness: the state database does not answer: %s", type(exc).__name__)
        return False
    return True


def metrics_allowed(request: Request, token: SecretStr | None) -> bool:
    """Loopback clients, or a request bearing ``TALLY_METRICS_TOKEN`` (compared in constant time).

    Behind a proxy on the same machine the client is the one the proxy names in
    ``X-Forwarded-For`` (uvicorn trusts it from 127.0.0.1), so outside callers need the token.
    """
    host = request.client.host if request.client else ""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:  # not an address (a test client's name): not loopback
        pass
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    if token is None or scheme.lower() != "bearer" or not sent:
        return False
    return hmac.compare_digest(sent.strip().encode(), token.get_secret_value().encode())


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


# --- request bodies ----------------------------------------------------------------------
#: Paths whose bodies come from a platform or a provider (events, updates, webhooks).
WEBHOOK_PREFIXES = ("/slack/", "/whatsapp/", "/telegram/", "/webhooks/")


class _BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body grows past its limit."""


class BodyLimit:
    """ASGI middleware: a request body over its path's limit gets 413, before it is read.

    A ``Content-Length`` over the limit is refused without reading a byte; a chunked or
    understated body is counted as it arrives, and the request is cut off with 413 as
    soon as it passes the limit, so no more than the limit is ever held in memory. A
    ``Content-Length`` that is not a number gets 400.

    Args:
        app: the app inside.
        default: the limit, in bytes, of paths without a prefix of their own.
        by_prefix: ``(path prefix, limit)`` pairs; the first prefix that matches wins.
    """

    def __init__(self, app: ASGIApp, *, default: int, by_prefix: Sequence[tuple[str, int]] = ()
                 ) -> None:
        self.app = app
        self.default = default
        self.by_prefix = tuple(by_prefix)

    def limit_for(self, path: str) -> int:
        """The largest body, in bytes, accepted on ``path``."""
        return next((limit for prefix, limit in self.by_prefix if path.startswith(prefix)),
                    self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is None or declared > limit:
            status = 400 if declared is None else 413
            logger.warning("http %s %s refused: %s", scope["method"], scope["path"],
                           "Content-Length is not a number" if declared is None
                           else f"body of {declared} bytes over the {limit}-byte limit")
            await _plain(send, status, b"invalid Content-Length" if declared is None
                         else b"request body too large")
            return
        received, started = 0, False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except Exception as exc:
            if not _is_too_large(exc):
                raise
            logger.warning("http %s %s refused: streamed body over the %d-byte limit",
                           scope["method"], scope["path"], limit)
            if not started:
                await _plain(send, 413, b"request body too large")


def _content_length(scope: Scope) -> int | None:
    """The declared length (0 when absent), or None when it is not a plain number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else None
    return 0


def _is_too_large(exc: BaseException) -> bool:
    # Middleware running the app in a task group (BaseHTTPMiddleware) wraps it in a group.
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(_BodyTooLarge) is not None
    return isinstance(exc, _BodyTooLarge)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


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
