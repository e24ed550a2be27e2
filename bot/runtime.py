"""The runtime of ``tally serve``: the one place that wires everything, and its lifecycle.

:func:`build_runtime` turns :class:`~bot.settings.Settings` into a :class:`Runtime`: the
app, the brain behind the dispatcher, every chat platform that has credentials (found
through :data:`CHANNEL_BUILDERS`), the playground, the connectors' webhook gateway and
sync schedule, the answers left unsent by a previous process (:mod:`bot.answering`), the
APScheduler scheduler, and the HTTP app. :meth:`Runtime.run` runs
them in one event loop until SIGINT or SIGTERM, then shuts down gracefully: it stops
accepting (HTTP listener closed, channels stopped), finishes the answers in flight, and
stops the background services and the scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from agents.insights.rules import evaluate_rules
from bot.answering import AnswerRecovery
from bot.app import App
from bot.channels.base import Channel, Responder
from bot.channels.playground import PlaygroundChannel
from bot.channels.terminal import TerminalChannel, TerminalOutbox
from bot.charts import ChartingResponder
from bot.commands.registry import install_commands
from bot.delivery import Outgoing
from bot.funnel import process_error
from bot.http import build_http_app
from bot.pipeline import Pipeline
from bot.scheduler import ProactiveScheduler, alerts_key
from bot.settings import Settings
from bot.web_auth import WebAuth, WebGate
from bot.web_sign_in import SignInPages
from storage.catalog import AsOf, Engine
from storage.errors import TallyError
from storage.sign_in import SignIn
from storage.users import Users

logger = logging.getLogger(__name__)

#: platform → ``"module:function"``; ``function(settings, dispatcher) -> Channel | None``
#: returns None when the platform has no credentials.
CHANNEL_BUILDERS: dict[str, str] = {
    "slack": "bot.channels.slack:build",
    "discord": "bot.channels.discord:build",
    "telegram": "bot.channels.telegram:build",
    "whatsapp": "bot.channels.whatsapp:build",
}
SHUTDOWN_TIMEOUT_SECONDS = 30.0
#: The first pause before a failed background service is restarted (it doubles, to a minute).
SERVICE_RESTART_SECONDS = 1.0

#: A background service: runs until the event is set, then returns.
Service = Callable[[asyncio.Event], Awaitable[None]]


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Runtime:
    """Everything ``tally serve`` runs, wired; :meth:`run` runs it.

    Attributes:
        scheduler: APScheduler's ``AsyncIOScheduler`` (started by :meth:`start`); add jobs to it.
        channels: the platforms that had credentials, and the playground.
        http: the ASGI app (tests may serve it on their own).
        services: background loops run beside the server (webhook worker, sync schedule).
    """

    settings: Settings
    app: App
    dispatcher: Pipeline
    channels: list[Channel]
    scheduler: AsyncIOScheduler
    http: Starlette
    services: list[Service] = field(default_factory=list)
    data_hooks: Any = None
    proactive: Any = None  # bot.scheduler.ProactiveScheduler: subscriptions and their jobs
    shutdown_timeout: float = SHUTDOWN_TIMEOUT_SECONDS
    started: asyncio.Event = field(default_factory=asyncio.Event)
    server: uvicorn.Server | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _services_stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def port(self) -> int | None:
        """The port the HTTP server listens on, once started (useful with port 0)."""
        if self.server is None or not self.server.servers:
            return None
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Starts the scheduler, every channel and the background services (not the server)."""
        self.scheduler.start()
        for channel in self.channels:
            self._tasks.append(asyncio.create_task(self._run_channel(channel),
                                                   name=f"channel-{channel.platform}"))
        for service in self.services:
            self._tasks.append(asyncio.create_task(self._run_service(service),
                                                   name=f"service-{_name(service)}"))

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        """Serves until :meth:`request_stop` (SIGINT, SIGTERM), then shuts down gracefully.

        Raises:
            TallyError: the HTTP server could not start (e.g. the port is taken).
        """
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM) if install_signal_handlers else ()
        for sig in signals:
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            await self.start()
            self.server = _Server(uvicorn.Config(
                self.http, host=self.settings.http_host, port=self.settings.http_port,
                lifespan="off", log_config=None, access_log=False, server_header=False,
                timeout_graceful_shutdown=int(self.shutdown_timeout)))
            serving = asyncio.create_task(self._serve(self.server), name="http")
            while not self.server.started and not serving.done():
                await asyncio.sleep(0.01)
            if self.server.started:
                self.started.set()
                logger.info("serving on %s:%s with %s", self.settings.http_host, self.port,
                            ", ".join(c.platform for c in self.channels))
                stopping = asyncio.create_task(self._stop.wait())
                await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
            await self.shutdown(serving)
            failure = None if serving.cancelled() else serving.exception()
            if failure is not None:
                raise TallyError(f"the HTTP server could not run on {self.settings.http_host}:"
                                 f"{self.settings.http_port}: {failure}")
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)

    def request_stop(self) -> None:
        """Begins the graceful shutdown (what SIGINT and SIGTERM do)."""
        self._stop.set()

    def _on_signal(self, sig: int) -> None:
        if self._stop.is_set() and sig == signal.SIGINT and self.server is not None:
            logger.warning("second interrupt: not waiting for connections any longer")
            self.server.force_exit = True
        logger.info("received %s: shutting down", signal.Signals(sig).name)
        self.request_stop()

    async def shutdown(self, serving: asyncio.Task[None] | None = None) -> None:
        """Stops accepting, finishes answers in flight, stops services and the scheduler."""
        logger.info("shutting down: %d answers in flight", self.dispatcher.in_flight)
        if self.server is not None:
            self.server.should_exit = True  # closes the listener; open requests finish
        await asyncio.gather(*(self._stop_channel(c) for c in self.channels))
        if serving is not None:
            with contextlib.suppress(Exception):
                await serving
        if not await self.dispatcher.drain(self.shutdown_timeout):
            logger.warning("%d answers still in flight after %.0fs; stopping anyway",
                           self.dispatcher.in_flight, self.shutdown_timeout)
        self._services_stop.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=self.shutdown_timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.app.close()
        logger.info("stopped")

    async def _serve(self, server: uvicorn.Server) -> None:
        try:
            await server.serve()
        except SystemExit as exc:  # uvicorn exits when it cannot bind; keep it inside the loop
            raise OSError("the address is in use or cannot be bound") from exc

    async def _run_channel(self, channel: Channel) -> None:
        # A channel's start() may return at once or run until stopped: both are fine here.
        try:
            await channel.start()
        except asyncio.CancelledError:
            raise
        except Exception:  # one platform failing (a revoked token) never stops the others
            logger.exception("the %s channel stopped with an error", channel.platform)

    async def _stop_channel(self, channel: Channel) -> None:
        try:
            await asyncio.wait_for(channel.stop(), self.shutdown_timeout)
        except Exception:
            logger.exception("the %s channel did not stop cleanly", channel.platform)

    async def _run_service(self, service: Service) -> None:
        # A service that fails is restarted after a pause (doubling up to a minute): the
        # first failure is logged with its traceback, later ones as one line each.
        pause, failures = SERVICE_RESTART_SECONDS, 0
        while not self._services_stop.is_set():
            try:
                await service(self._services_stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures == 1:
                    logger.exception("background service %s failed; restarting it in %.0fs",
                                     _name(service), pause)
                else:
                    logger.error("background service %s failed again (%d times): %s; restarting "
                                 "it in %.0fs", _name(service), failures, exc, pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._services_stop.wait(), pause)
            pause = min(pause * 2, 60.0)


def _name(service: Service) -> str:
    return getattr(service, "__qualname__", None) or type(service).__name__


# --- building --------------------------------------------------------------------------------
def build_runtime(settings: Settings, *, responder: Responder | None = None,
                  builders: Mapping[str, str] | None = None) -> Runtime:
    """Wires the runtime from settings (nothing runs until :meth:`Runtime.run`).

    Args:
        settings: the configuration.
        responder: the brain; by default :func:`make_responder` (tests pass their own).
        builders: the platform registry; by default :data:`CHANNEL_BUILDERS`.
    """
    app = App(settings)
    dispatcher = Pipeline(app, responder or make_responder(app), settings.user_rate_limit_per_minute)
    channels = load_channels(settings, dispatcher, CHANNEL_BUILDERS if builders is None else builders)
    auth = web_auth(app)
    if settings.playground:
        channels.append(PlaygroundChannel(dispatcher, charts_dir(settings), auth))
    else:
        logger.info("playground off (TALLY_PLAYGROUND=false)")
    hooks, webhook_routes, services = connector_services(app)
    # The terminal gets proactive messages too: into the outbox the next `tally chat` shows.
    terminal = TerminalChannel(dispatcher, "", TerminalOutbox(settings.data_dir))
    proactive = ProactiveScheduler(app, [*channels, terminal], charts_dir=charts_dir(settings),
                                   data_hooks=hooks)
    install_commands(dispatcher, proactive)
    install_checks(app, proactive)
    services.append(proactive.run)
    scheduler = proactive.scheduler
    http = build_http_app(app=app, dispatcher=dispatcher, scheduler=scheduler, channels=channels,
                          extra_routes=[*webhook_routes, *SignInPages(auth).routes()],
                          middleware=[Middleware(WebGate, auth=auth)])
    runtime = Runtime(settings, app, dispatcher, channels, scheduler, http, services, hooks,
                      proactive=proactive)
    runtime.services.append(AnswerRecovery(dispatcher, channels, settings.answer_lease_seconds,
                                           ready=runtime.started).run)
    return runtime


def web_auth(app: App) -> WebAuth:
    """Users, sign-in links and sessions: what the web gate and the sign-in pages share."""
    return WebAuth(Users(app.state), SignIn(app.state), app.settings)


def install_checks(app: App, proactive: ProactiveScheduler) -> None:
    """Alert rules and anomaly alerts, checked on a schedule and after new data."""
    clock = proactive.clock

    def check(engine: Engine, as_of: AsOf, workspace: str) -> list[Outgoing]:
        return [Outgoing(ref, reply) for ref, reply in evaluate_rules(app, workspace, as_of, clock())]

    proactive.add_check("rules", check, interval_seconds=app.settings.rule_check_minutes * 60)
    proactive.add_check("anomalies", anomaly_check(proactive))


def anomaly_check(proactive: ProactiveScheduler) -> Callable[[Engine, AsOf, str], list[Any]]:
    """After new data: the anomaly alerts of chats subscribed to them, once per reported day.

    The subscription's own schedule re-checks too; both claim the same key, so a day's
    alert goes out once whichever finds it first.
    """
    from agents.insights.digest import build_alerts

    def check(engine: Engine, as_of: AsOf, workspace: str) -> list[Outgoing]:
        subscriptions = proactive.store.list(workspace=workspace, kind="alerts")
        reply = build_alerts(engine, as_of) if subscriptions else None
        if reply is None:
            return []
        day = as_of.day - timedelta(days=1)
        return [Outgoing(s.ref, reply, key=alerts_key(s.id, day)) for s in subscriptions]

    return check


def make_responder(app: App) -> Responder:
    """The brain every platform talks to, with charts added to answers that have rows."""
    from bot.brain_ports import make_graph

    brain: Responder = make_graph(app)
    return ChartingResponder(brain, lambda workspace: app.workspace(workspace).currency,
                             charts_dir(app.settings))


def charts_dir(settings: Settings) -> Path:
    """Where generated charts are written (and the only place the playground serves from)."""
    return settings.data_dir / "charts"


def load_channels(settings: Settings, dispatcher: Pipeline,
                  builders: Mapping[str, str]) -> list[Channel]:
    """Builds every platform that has credentials; one log line for each one skipped."""
    channels: list[Channel] = []
    for platform, target in builders.items():
        module_name, _, function = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                logger.info("%s: skipped (no %s module in this version)", platform, module_name)
            else:
                logger.warning("%s: skipped (missing package %r: pip install it)", platform, exc.name)
            continue
        channel = getattr(module, function)(settings, dispatcher)
        if channel is None:
            logger.info("%s: skipped (its credentials are not set)", platform)
            continue
        channels.append(channel)
    return channels


def connector_services(app: App) -> tuple[Any, list[BaseRoute], list[Service]]:
    """The connectors' new-data hooks, webhook routes and background loops, when available.

    Imported defensively: the runtime still serves chat when the connectors cannot load.
    """
    try:
        from connectors.credentials import key_location
        from connectors.hooks import DataHooks
        from connectors.service import Connections
        from connectors.webhooks import WebhookGateway
    except ImportError as exc:
        logger.warning("connectors unavailable (%s): no webhooks, no scheduled syncs", exc)
        return None, [], []
    hooks = DataHooks()
    gateway = WebhookGateway(app, hooks=hooks, report_error=process_error)
    connections = Connections(app, hooks=hooks)
    logger.info("connector credentials are encrypted with the key from %s (keep it apart from "
                "the data folder's backups)", key_location(app.settings))
    return hooks, list(gateway.routes()), [gateway.run, connections.run_schedule]
