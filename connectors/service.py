"""Connecting sources to workspaces and syncing them: what the CLI, scheduler and gateway share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import httpx

from connectors.base import Connector, ConnectorContext
from connectors.credentials import SavedConnector, open_store
from connectors.errors import ConnectorConfigError, TransientError
from connectors.hooks import DataHooks
from connectors.http import RetryPolicy
from connectors.ports import ConnectorHost
from connectors.registry import connector_class
from connectors.runner import BatchCallback, SyncReport, run_sync
from storage.clock import Clock, utc_now
from storage.errors import TallyError
from storage.masking import mask_also

logger = logging.getLogger(__name__)

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Connections:
    """The workspaces' data sources: connect, build, sync, schedule.

    Args:
        app: the application (settings, state, workspaces).
        retry: the retry policy of every request (tests inject a recording sleep).
        clock: the clock (tests inject a fixed one).
        hooks: new-data callbacks fired after each sync that wrote rows.
    """

    def __init__(self, app: ConnectorHost, *, retry: RetryPolicy | None = None, clock: Clock = utc_now,
                 hooks: DataHooks | None = None) -> None:
        self.app = app
        self.store = open_store(app.state, app.settings)
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.hooks = hooks or DataHooks()

    def build(self, saved: SavedConnector, client: httpx.AsyncClient) -> Connector:
        """A connector from a saved configuration."""
        currency = self.app.workspaces.get(saved.workspace).currency
        secrets = saved.plain_secrets()
        mask_also(secrets.values())  # a provider error quoting one never reaches a log line
        context = ConnectorContext(saved.workspace, saved.options, secrets,
                                   self.app.settings, client, self.retry, self.clock, currency)
        connector: Connector = connector_class(saved.connector)(context)
        return connector

    async def connect(self, workspace: str, name: str, values: Mapping[str, Any],
                      interval_minutes: int | None = None, *, actor: str = "unknown") -> str:
        """Validates the options and credentials with the provider, then saves them encrypted
        (with an audit record by ``actor``).

        Returns:
            what was connected ("shop Acme Store"), for the user.
        """
        currency = self.app.workspaces.get(workspace).currency
        cls = connector_class(name)
        missing = [o.name for o in cls.options if o.required and not values.get(o.name)]
        if missing:
            flags = ", ".join("--" + m.replace("_", "-") for m in missing)
            raise ConnectorConfigError(f"{name} needs {flags}")
        secret_names = {o.name for o in cls.options if o.secret}
        options = {k: v for k, v in values.items() if v is not None and k not in secret_names}
        secrets = {k: str(v) for k, v in values.items() if v and k in secret_names}
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            context = ConnectorContext(workspace, options, secrets, self.app.settings, client,
                                       self.retry, self.clock, currency)
            try:
                description = await cls(context).check()
            except TransientError as exc:
                raise TransientError(
                    f"could not check the {name} connection: {exc}. Nothing was saved: check "
                    f"the network and the address, then run `tally connect {name}` again"
                ) from None
        self.store.save(workspace, name, options, secrets, interval_minutes, actor=actor)
        return str(description)

    async def sync(self, workspace: str, name: str, *, full: bool = False,
                   streams: Sequence[str] | None = None,
                   on_batch: BatchCallback | None = None, actor: str | None = None) -> SyncReport:
        """Runs one connector's sync now and records its outcome; a full sync started by
        someone (``actor``) is in the audit log."""
        saved = self.store.get(workspace, name)
        if full and actor is not None:
            self.store.record_full_sync(workspace, name, actor=actor)
        warehouse = self.app.workspaces.warehouse(workspace)
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
                report = await run_sync(self.build(saved, client), warehouse, workspace, full=full,
                                        streams=streams, on_batch=on_batch, hooks=self.hooks)
        except TransientError as exc:  # the batches committed before it keep their cursors
            message = f"{exc}; what was loaded is kept, and the next sync resumes from there"
            self.store.record_sync(workspace, name, self._naive_now(), "failed", message)
            raise TransientError(message) from None
        except TallyError as exc:
            self.store.record_sync(workspace, name, self._naive_now(), "failed", str(exc))
            raise
        self.store.record_sync(workspace, name, self._naive_now(), "ok")
        return report

    def due(self) -> list[SavedConnector]:
        """Connections whose interval has passed since their last sync (or never synced)."""
        now = self._naive_now()
        default = self.app.settings.sync_interval_minutes
        return [c for c in self.store.list()
                if c.last_sync_at is None
                or c.last_sync_at + timedelta(minutes=c.interval_minutes or default) <= now]

    async def run_schedule(self, stop: asyncio.Event, tick_seconds: float = 30.0) -> None:
        """Syncs due connections until ``stop`` is set; one failure never stops the others."""
        while not stop.is_set():
            for saved in self.due():
                try:
                    await self.sync(saved.workspace, saved.connector)
                except TallyError as exc:
                    logger.warning("scheduled sync %s/%s failed: %s", saved.workspace,
                                   saved.connector, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), tick_seconds)

    def _naive_now(self) -> Any:
        return self.clock().replace(tzinfo=None)
