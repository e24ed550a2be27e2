"""The durable webhook queue, in the state database: one row per event, unique by event id.

Receiving is group-committed: concurrent requests wait on one transaction that
inserts all of them (``ON CONFLICT DO NOTHING`` on the event id, so a
redelivery is absorbed here), and each request is acknowledged only after that
commit. The worker claims due events in id order, and either completes them or
schedules a retry with exponential backoff; after the last attempt an event is
``failed`` and stays for inspection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.state import WebhookEntityVersionRow, WebhookEventRow
from storage.state_store import StateStore

logger = logging.getLogger(__name__)

_TABLE = cast(sa.Table, WebhookEventRow.__table__)
_VERSIONS = cast(sa.Table, WebhookEntityVersionRow.__table__)
_CHUNK = 500  # bound parameters per IN (...) list


@dataclass(frozen=True)
class QueuedEvent:
    """A received event, as stored."""

    id: int
    connector: str
    workspace: str
    event_id: str
    topic: str
    payload: bytes
    received_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class Incoming:
    """An event to store (before it has a row id)."""

    connector: str
    workspace: str
    event_id: str
    topic: str
    payload: bytes
    received_at: datetime


class WebhookQueue:
    """Stores, claims, completes and retries webhook events.

    Args:
        state: the state store.
        max_attempts: tries before an event is marked failed.
        base_delay: seconds before the first retry, doubled each time (capped at an hour).
    """

    def __init__(self, state: StateStore, max_attempts: int = 8, base_delay: float = 2.0) -> None:
        self.state = state
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self._pending: list[tuple[Incoming, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self.stored = asyncio.Event()  # set after each commit: the worker's doorbell
        dialect = state.engine.dialect.name
        # Dialects with INSERT ... ON CONFLICT; others take the portable, slower path.
        self._insert: Any = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)

    async def put(self, event: Incoming) -> None:
        """Returns once ``event`` is durably stored (a redelivery is absorbed, not duplicated)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        self._wakeup.set()
        await future

    async def run_writer(self, stop: asyncio.Event) -> None:
        """Commits waiting events in groups until ``stop``; each group is one transaction."""
        while not (stop.is_set() and not self._pending):
            if not self._pending:
                waiter = asyncio.ensure_future(self._wakeup.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
                self._wakeup.clear()
                continue
            group, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._store, [event for event, _ in group])
            except Exception as exc:  # the senders get a 5xx and the provider redelivers
                logger.exception("storing %d webhook events failed", len(group))
                for _, future in group:
                    future.set_exception(exc)
                continue
            for _, future in group:
                if not future.done():
                    future.set_result(None)
            self.stored.set()

    def _store(self, events: Sequence[Incoming]) -> None:
        rows = [{"connector": e.connector, "workspace": e.workspace, "event_id": e.event_id,
                 "topic": e.topic, "payload": e.payload, "received_at": e.received_at,
                 "status": "pending", "attempts": 0, "next_attempt_at": e.received_at}
                for e in events]
        with self.state.engine.begin() as conn:
            if self._insert is not None:
                conn.execute(self._insert(_TABLE).on_conflict_do_nothing(), rows)
                return
            for row in rows:  # other databases: skip the ids already present, one by one
                exists = conn.execute(sa.select(_TABLE.c.id).where(
                    _TABLE.c.connector == row["connector"], _TABLE.c.workspace == row["workspace"],
                    _TABLE.c.event_id == row["event_id"])).first()
                if exists is None:
                    conn.execute(_TABLE.insert(), row)

    def claim(self, now: datetime, limit: int = 1000) -> list[QueuedEvent]:
        """Due pending events, oldest first."""
        query = (sa.select(_TABLE.c.id, _TABLE.c.connector, _TABLE.c.workspace, _TABLE.c.event_id,
                           _TABLE.c.topic, _TABLE.c.payload, _TABLE.c.received_at, _TABLE.c.attempts)
                 .where(_TABLE.c.status == "pending", _TABLE.c.next_attempt_at <= now)
                 .order_by(_TABLE.c.id).limit(limit))
        with self.state.engine.connect() as conn:
            return [QueuedEvent(*row) for row in conn.execute(query)]

    def versions(self, connector: str, workspace: str, entities: Sequence[str]) -> dict[str, str]:
        """The newest applied version of each record that has one."""
        found: dict[str, str] = {}
        with self.state.engine.connect() as conn:
            for start in range(0, len(entities), _CHUNK):
                query = sa.select(_VERSIONS.c.entity, _VERSIONS.c.version).where(
                    _VERSIONS.c.connector == connector, _VERSIONS.c.workspace == workspace,
                    _VERSIONS.c.entity.in_(entities[start:start + _CHUNK]))
                found.update({entity: version for entity, version in conn.execute(query)})
        return found

    def complete(self, ids: Sequence[int], now: datetime, connector: str = "", workspace: str = "",
                 versions: Mapping[str, str] | None = None) -> None:
        """Marks events processed and records the versions they applied, in one transaction.

        The rows were committed to the warehouse just before: if the process dies in
        between, the events are still pending and are applied again, to the same rows.
        """
        with self.state.engine.begin() as conn:
            for start in range(0, len(ids), _CHUNK):
                conn.execute(_TABLE.update().where(_TABLE.c.id.in_(ids[start:start + _CHUNK]))
                             .values(status="done", processed_at=now, attempts=_TABLE.c.attempts + 1))
            if versions:
                self._upsert_versions(conn, connector, workspace, versions)

    def _upsert_versions(self, conn: sa.Connection, connector: str, workspace: str,
                         versions: Mapping[str, str]) -> None:
        rows = [{"connector": connector, "workspace": workspace, "entity": e, "version": v}
                for e, v in versions.items()]
        if self._insert is not None:
            insert = self._insert(_VERSIONS)
            conn.execute(insert.on_conflict_do_update(
                index_elements=["connector", "workspace", "entity"],
                set_={"version": insert.excluded.version}), rows)
            return
        for row in rows:
            conn.execute(_VERSIONS.delete().where(_VERSIONS.c.connector == connector,
                                                  _VERSIONS.c.workspace == workspace,
                                                  _VERSIONS.c.entity == row["entity"]))
            conn.execute(_VERSIONS.insert(), row)

    def retry_later(self, events: Sequence[QueuedEvent], error: str, now: datetime) -> None:
        """Schedules another try with backoff, or marks events failed after the last attempt."""
        with self.state.engine.begin() as conn:
            for event in events:
                attempts = event.attempts + 1
                delay = min(self.base_delay * 2 ** (attempts - 1), 3600.0)
                status = "failed" if attempts >= self.max_attempts else "pending"
                conn.execute(_TABLE.update().where(_TABLE.c.id == event.id).values(
                    status=status, attempts=attempts, last_error=error[:2000],
                    next_attempt_at=now + timedelta(seconds=delay)))
        logger.warning("%d webhook events will be retried: %s", len(events), error)

    def counts(self) -> dict[str, int]:
        """Events per status (for metrics and tests)."""
        with self.state.engine.connect() as conn:
            rows = conn.execute(sa.select(_TABLE.c.status, sa.func.count()).group_by(_TABLE.c.status))
            return {status: int(n) for status, n in rows}
