"""The webhook gateway: ``POST /webhooks/{connector}``, verified, queued, applied.

A delivery is verified with its provider's signature scheme against the
webhook secret of each workspace connected to that provider (narrowed by the
shop domain when the provider sends one, or by ``?workspace=``), stored in the
durable queue, and acknowledged. A worker applies queued events in batches
(:mod:`connectors.webhook_apply`) and fires the new-data hooks. Build it with
:class:`WebhookGateway`; the runtime mounts :meth:`WebhookGateway.routes` and
runs :meth:`WebhookGateway.run` beside the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from connectors.base import WebhookSource
from connectors.credentials import open_store
from connectors.errors import SignatureError, WebhookError
from connectors.hooks import DataHooks, NewData
from connectors.ports import ConnectorHost
from connectors.queue import Incoming, QueuedEvent, WebhookQueue
from connectors.registry import connector_class
from connectors.webhook_apply import apply_events
from storage.clock import Clock, utc_now
from storage.errors import TallyError

logger = logging.getLogger(__name__)

#: The runtime's error funnel: ``report(what, *args, log=logger) -> error id``.
ErrorReporter = Callable[..., str]

WEBHOOK_CONNECTORS = ("shopify", "stripe")
_SECRETS_TTL = 30.0


@dataclass(frozen=True)
class _Endpoint:
    """A workspace's connection as the gateway needs it: who it answers for, and its secret."""

    workspace: str
    account: str | None
    secret: str


class WebhookGateway:
    """Receives, verifies, queues and applies connector webhooks.

    Args:
        app: the application (state, workspaces, settings).
        hooks: new-data callbacks (anomaly and rule checks subscribe here).
        clock: the clock.
        batch_size: events applied per warehouse transaction at most.
    """

    def __init__(self, app: ConnectorHost, *, hooks: DataHooks | None = None, clock: Clock = utc_now,
                 batch_size: int = 2000, report_error: ErrorReporter | None = None) -> None:
        self.app = app
        #: the runtime's error funnel (an error id, the traceback in the log); given, since
        #: connectors import nothing from the runtime
        self.report_error = report_error
        self.hooks = hooks or DataHooks()
        self.clock = clock
        self.batch_size = batch_size
        self.queue = WebhookQueue(app.state, app.settings.webhook_max_attempts)
        self.store = open_store(app.state, app.settings)
        self._endpoints: dict[str, list[_Endpoint]] = {}
        self._loaded_at = -_SECRETS_TTL

    # --- receiving ------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        """The routes to mount on the runtime's ASGI app."""
        # A bare ASGI endpoint: this path takes thousands of requests a second, and Request /
        # Response objects would double its cost.
        return [Route("/webhooks/{connector}", _ReceiveEndpoint(self), methods=["POST"])]

    async def receive(self, name: str, headers: Mapping[str, str], body: bytes,
                      workspace: str | None = None) -> tuple[int, bytes]:
        """Verifies and queues one delivery; returns the HTTP status and body to answer with.

        200 once the event is durably stored (a redelivery too: it is absorbed), 401 for a
        bad signature, 400 for a malformed delivery or a payload that does not fit its topic
        (nothing stored: a retry cannot succeed), 404 for a connector without webhooks. The
        signature is checked before the body is parsed.
        """
        received_at = self._now()
        if name not in WEBHOOK_CONNECTORS:
            return 404, json.dumps({"error": f"no webhooks for {name[:60]!r}"}).encode()
        source: WebhookSource = connector_class(name)
        try:
            workspace = self._verify(source, headers, body, source.webhook_account(headers),
                                     workspace)
        except SignatureError:
            logger.warning("%s webhook with a missing or bad signature refused", name)
            return 401, b'{"error": "invalid signature"}'
        try:
            delivery = source.webhook_delivery(headers, body)
        except WebhookError as exc:
            logger.warning("%s webhook for %s refused: %s", name, workspace, exc)
            return 400, json.dumps({"error": str(exc)}).encode()
        await self.queue.put(Incoming(name, workspace, delivery.event_id, delivery.topic, body,
                                      received_at))
        return 200, b'{"ok": true}'

    def _verify(self, source: WebhookSource, headers: Mapping[str, str], body: bytes,
                account: str | None, workspace: str | None) -> str:
        """The workspace whose secret signed the body; raises SignatureError when none did."""
        for reload in (False, True):
            candidates = [e for e in self._endpoints_of(source, reload)
                          if (account is None or e.account == account)
                          and (workspace is None or e.workspace == workspace)]
            for endpoint in candidates:
                with contextlib.suppress(SignatureError):
                    source.verify_webhook(headers, body, endpoint.secret)
                    return endpoint.workspace
        raise SignatureError(f"no {source.name} connection's secret verifies this delivery")

    def _endpoints_of(self, source: WebhookSource, reload: bool) -> list[_Endpoint]:
        # Secrets are decrypted once and cached; a miss reloads them (a new connection), at
        # most once a second so a flood of forged deliveries cannot hammer the state database.
        age = time.monotonic() - self._loaded_at
        if age > _SECRETS_TTL or (reload and age > 1.0):
            endpoints: dict[str, list[_Endpoint]] = {}
            for saved in self.store.list():
                secret = saved.plain_secrets().get("webhook_secret")
                if secret and saved.connector in WEBHOOK_CONNECTORS:
                    cls: WebhookSource = connector_class(saved.connector)
                    endpoints.setdefault(saved.connector, []).append(
                        _Endpoint(saved.workspace, cls.account_of(saved.options), secret))
            self._endpoints, self._loaded_at = endpoints, time.monotonic()
        return self._endpoints.get(source.name, [])

    # --- processing -----------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Runs the queue writer and the worker until ``stop`` is set, then drains both."""
        writer = asyncio.create_task(self.queue.run_writer(stop))
        await self._work(stop)
        await writer
        while await self.process_due():  # events the writer committed after the worker's last look
            pass

    async def _work(self, stop: asyncio.Event) -> None:
        while True:
            handled = await self.process_due()
            if handled:
                continue
            if stop.is_set():
                return
            self.queue.stored.clear()
            # Retries come due with time, not with a commit: look again within a second.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(self.queue.stored, stop), 1.0)

    async def process_due(self) -> int:
        """Applies every due event once (grouped per workspace and connector); returns how many."""
        events = await asyncio.to_thread(self.queue.claim, self._now(), self.batch_size)
        key = attrgetter("workspace", "connector")
        for (workspace, connector), group in groupby(sorted(events, key=key), key=key):
            await self._apply(workspace, connector, list(group))
        return len(events)

    async def _apply(self, workspace: str, connector: str, events: Sequence[QueuedEvent]) -> None:
        try:
            source: WebhookSource = connector_class(connector)
            warehouse = self.app.workspaces.warehouse(workspace)
            written, versions = await asyncio.to_thread(
                apply_events, warehouse, source, events,
                lambda entities: self.queue.versions(connector, workspace, entities))
        except Exception as exc:  # the worker's error funnel: log, retry later, keep running
            if len(events) > 1:  # isolate the bad event so the others are not held back
                for event in events:
                    await self._apply(workspace, connector, [event])
                return
            if self.report_error is not None and not isinstance(exc, TallyError):
                self.report_error("applying webhook %s/%s event %s", workspace, connector,
                                  events[0].event_id, log=logger)
            else:
                logger.warning("webhook %s/%s event %s failed: %s", workspace, connector,
                               events[0].event_id, exc, exc_info=not isinstance(exc, TallyError))
            await asyncio.to_thread(self.queue.retry_later, events, str(exc), self._now())
            return
        await asyncio.to_thread(self.queue.complete, [e.id for e in events], self._now(), connector,
                                workspace, versions)
        if written:
            await self.hooks.fire(NewData(workspace, written, f"webhook {connector}"))

    def asgi(self) -> Starlette:
        """A standalone app serving only the webhook routes (tests, bench)."""
        @contextlib.asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            stop = asyncio.Event()
            task = asyncio.create_task(self.run(stop))
            yield
            stop.set()
            await task
        return Starlette(routes=self.routes(), lifespan=lifespan)

    def _now(self) -> Any:
        return self.clock().replace(tzinfo=None)


class _ReceiveEndpoint:
    """The ASGI app of ``POST /webhooks/{connector}`` (an object, so Starlette passes ASGI through)."""

    def __init__(self, gateway: WebhookGateway) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        status, payload = await self.gateway.receive(scope["path_params"]["connector"], headers,
                                                     bytes(body), (query.get("workspace") or [None])[0])
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


async def _first(*events: asyncio.Event) -> None:
    """Returns when any of ``events`` is set."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
