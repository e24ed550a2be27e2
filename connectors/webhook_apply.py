"""Applying queued webhook events to a warehouse: the newest version per record wins.

Each event maps to entity updates (``order:123`` at version ``2025-03-01T...Z``).
Per record only the newest update of the batch is kept, and only if it is not
older than the version already applied; the caller records the new versions
with the events' completion (:meth:`connectors.queue.WebhookQueue.complete`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from connectors.base import EntityUpdate, WebhookSource, dedupe_last, tables_of
from connectors.queue import QueuedEvent
from storage.schema import get_table
from storage.warehouse import Warehouse

VersionLookup = Callable[[Sequence[str]], dict[str, str]]


def newest_updates(source: WebhookSource, events: Sequence[QueuedEvent]) -> list[EntityUpdate]:
    """The newest update per record among ``events`` (ties: the one received last)."""
    newest: dict[str, EntityUpdate] = {}
    for event in sorted(events, key=lambda e: e.id):
        for update in source.webhook_updates(event.topic, event.payload):
            held = newest.get(update.entity)
            if held is None or update.version >= held.version:
                newest[update.entity] = update
    return list(newest.values())


def apply_events(warehouse: Warehouse, source: WebhookSource, events: Sequence[QueuedEvent],
                 applied: VersionLookup) -> tuple[dict[str, int], dict[str, str]]:
    """Writes the rows of ``events`` newer than what was applied before.

    Args:
        warehouse: the workspace's warehouse.
        source: the connector's webhook side.
        events: queued events of one workspace and connector.
        applied: the stored versions of the given records.

    Returns:
        rows written per table, and the new version of each record written.
    """
    updates = newest_updates(source, events)
    stored = applied([u.entity for u in updates])
    fresh = [u for u in updates if u.entity not in stored or u.version >= stored[u.entity]]
    if not fresh:
        return {}, {}
    rows: dict[str, list[Any]] = {}
    for update in fresh:
        for table, found in update.rows.items():
            rows.setdefault(table, []).extend(found)
    # Two records may carry the same row (an order and its refund event): keep one per key.
    rows = {t: dedupe_last(r, get_table(t).key) for t, r in rows.items()}
    written = warehouse.upsert_arrow(tables_of(rows), f"webhook {source.name}")
    return written, {u.entity: u.version for u in fresh}
