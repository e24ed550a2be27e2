"""Runs a connector's sync into a workspace's warehouse, batch by batch.

Each batch's rows and its stream cursor are committed in one warehouse
transaction (:meth:`storage.warehouse.Warehouse.upsert_arrow`): a sync killed at
any point leaves the warehouse at a batch boundary, and the next run resumes
there. Writes are whole batches (a provider page), never row by row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from connectors.base import Batch, Connector
from connectors.errors import ConnectorConfigError
from connectors.hooks import DataHooks, NewData
from storage.warehouse import Warehouse

logger = logging.getLogger(__name__)

BatchCallback = Callable[[Batch], None]


@dataclass
class SyncReport:
    """What one sync wrote: rows per table and per stream, and batches committed."""

    connector: str
    workspace: str
    rows: dict[str, int] = field(default_factory=dict)
    streams: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def run_sync(connector: Connector, warehouse: Warehouse, workspace: str, *,
                   full: bool = False, streams: Sequence[str] | None = None,
                   on_batch: BatchCallback | None = None,
                   hooks: DataHooks | None = None) -> SyncReport:
    """Syncs ``connector``'s streams into ``warehouse``.

    Args:
        connector: a configured connector.
        warehouse: the workspace's warehouse.
        workspace: the workspace's name (for hooks and logs).
        full: start every stream from the beginning instead of its saved cursor.
        streams: a subset of the connector's streams (all by default).
        on_batch: called after each committed batch (progress bars).
        hooks: new-data callbacks, fired once at the end when rows were written.

    Returns:
        the rows written.
    """
    chosen = _chosen_streams(connector, streams)
    report = SyncReport(connector.name, workspace)
    origin = f"sync {connector.name}"
    for stream in chosen:
        cursor = None if full else warehouse.cursor(connector.name, stream)
        async for batch in connector.sync(stream, cursor):
            written = await asyncio.to_thread(
                warehouse.upsert_arrow, batch.tables, origin, {(connector.name, stream): batch.cursor})
            report.batches += 1
            report.streams[stream] = report.streams.get(stream, 0) + batch.rows
            for table, rows in written.items():
                report.rows[table] = report.rows.get(table, 0) + rows
            if on_batch:
                on_batch(batch)
        logger.info("%s/%s: stream %s synced (%d rows)", workspace, connector.name, stream,
                    report.streams.get(stream, 0))
    if hooks and report.total:
        await hooks.fire(NewData(workspace, dict(report.rows), origin))
    return report


def _chosen_streams(connector: Connector, streams: Sequence[str] | None) -> list[str]:
    """The streams to sync: ``streams`` (all the connector's by default), each one it has.

    Raises:
        ConnectorConfigError: a stream the connector does not have, naming the ones it has.
    """
    chosen = list(streams or connector.streams)
    unknown = [s for s in chosen if s not in connector.streams]
    if unknown:
        raise ConnectorConfigError(f"{connector.name} has no stream {unknown[0]!r}; "
                                   f"its streams are {', '.join(connector.streams)}")
    return chosen
