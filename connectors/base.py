"""The connector interface: what every data source implements, and the types it trades in.

A connector is built from its saved options and secrets (:class:`ConnectorContext`),
checks its credentials (:meth:`Connector.check`), and yields :class:`Batch` es per
stream from a cursor. Each batch carries rows mapped into the normalized tables of
``data-model.md`` *and* the cursor that resumes right after them; the runner
(:mod:`connectors.runner`) commits the two in one warehouse transaction, so a sync
killed anywhere resumes with neither gaps nor duplicates.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import httpx
import pyarrow as pa

from connectors.http import RetryPolicy
from connectors.ports import ConnectorSettings
from storage.clock import Clock, utc_now
from storage.schema import get_table

Row = Mapping[str, Any]
@dataclass(frozen=True)
class ConnectorContext:
    """Everything a connector needs from the outside, injected.

    Attributes:
        workspace: the workspace name (for messages and logs).
        options: the saved, non-secret options (shop domain, folder, account id).
        secrets: the decrypted secrets (tokens, keys); never logged.
        settings: base URLs and limits.
        client: the shared HTTP client (tests point it at a local fake).
        retry: backoff and Retry-After handling for every request.
        clock: "now", for snapshots such as today's inventory.
        currency: the workspace's reporting currency (reports that can convert ask for it).
    """

    workspace: str
    options: Mapping[str, Any]
    secrets: Mapping[str, str] = field(repr=False)
    settings: ConnectorSettings
    client: httpx.AsyncClient
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = utc_now
    currency: str = "USD"


@dataclass(frozen=True)
class Batch:
    """One page of a stream, mapped into normalized tables, and the cursor after it.

    Attributes:
        stream: the connector's stream ("orders", "customers").
        tables: rows per normalized table (only tables with rows).
        cursor: resumes the stream right after these rows (persisted with them).
    """

    stream: str
    tables: Mapping[str, pa.Table]
    cursor: str

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.tables.values())


@dataclass(frozen=True)
class Option:
    """A connection option, as ``tally connect`` asks for it.

    Attributes:
        name: the option's name (``shop``: ``--shop`` on the command line).
        help: what to pass.
        secret: never a flag (``tally connect`` reads it from ``--access-token-file``, the
            ``SHOPIFY_ACCESS_TOKEN`` variable or a prompt without echo), encrypted at rest,
            never printed.
        required: ``tally connect`` refuses to save without it.
    """

    name: str
    help: str
    secret: bool = False
    required: bool = True


class Connector(Protocol):
    """A data source. Implementations hold a :class:`ConnectorContext`; they do not subclass a core.

    Attributes:
        name: the CLI name (``shopify``, ``stripe``, ``files``, ...).
        streams: the streams a sync walks, in order (parents before children).
        options: what ``tally connect`` asks for; the secret ones are encrypted at rest.
    """

    name: ClassVar[str]
    streams: ClassVar[tuple[str, ...]]
    options: ClassVar[tuple[Option, ...]]

    async def check(self) -> str:
        """Validates the credentials with one cheap call; returns a description ("shop Acme").

        Raises:
            CredentialError: the provider rejected them.
            ConnectorConfigError: an option is missing or malformed.
        """
        ...

    def sync(self, stream: str, cursor: str | None) -> AsyncIterator[Batch]:
        """Yields batches of ``stream`` from ``cursor`` (None: from the beginning)."""
        ...


ConnectorFactory = Callable[[ConnectorContext], Connector]
Checker = Callable[[], Awaitable[str]]


# --- mapping helpers ------------------------------------------------------------------------

def text(value: Any) -> str | None:
    """A value as the import format's text (None stays NULL; Decimals keep every digit)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(str(value)), "f")
    return str(value)


def to_arrow(table_name: str, rows: Iterable[Row]) -> pa.Table:
    """Rows (dicts keyed by the data model's column names) as an all-text Arrow table.

    Text is what ``tally import`` reads too, so connector rows pass exactly the same
    conversions and checks; columns absent from every row take the table's default.
    """
    table = get_table(table_name)
    rows = list(rows)
    present = [c.name for c in table.columns if any(c.name in r for r in rows)]
    return pa.table({name: pa.array([text(r.get(name)) for r in rows], pa.string())
                     for name in present})


def tables_of(rows_by_table: Mapping[str, Sequence[Row]]) -> dict[str, pa.Table]:
    """Arrow tables for every non-empty list of rows, in data-model order."""
    return {name: to_arrow(name, rows) for name, rows in rows_by_table.items() if rows}


def dedupe_last(rows: Iterable[Row], key: tuple[str, ...]) -> list[Row]:
    """Keeps the last row per key: a page may list one record twice (it changed mid-sync)."""
    by_key: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        by_key[tuple(row[k] for k in key)] = row
    return list(by_key.values())


def load_cursor(cursor: str | None) -> dict[str, Any]:
    """A JSON cursor as a dict ({} for none)."""
    return json.loads(cursor) if cursor else {}


def dump_cursor(state: Mapping[str, Any]) -> str:
    """A cursor dict as stable JSON."""
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


# --- webhooks -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """What the gateway needs from a webhook before queueing it.

    Attributes:
        event_id: the provider's event id (redeliveries share it; idempotency key).
        topic: the event type ("orders/updated", "customer.subscription.updated").
        account: who sent it, to find the workspace (a shop domain), when the provider says.
    """

    event_id: str
    topic: str
    account: str | None = None


@dataclass(frozen=True)
class EntityUpdate:
    """The rows one webhook event brings for one record, and how new they are.

    Attributes:
        entity: the record ("order:450789469"); versions are kept per entity.
        version: sortable text (UTC ISO time, zero-padded epoch); an update older than
            the stored version of its entity is dropped, so out-of-order deliveries
            never overwrite newer data.
        rows: rows per normalized table.
    """

    entity: str
    version: str
    rows: Mapping[str, Sequence[Row]]


class WebhookSource(Protocol):
    """The webhook side of a connector (class-level: no API client is needed)."""

    name: ClassVar[str]

    @staticmethod
    def webhook_account(headers: Mapping[str, str]) -> str | None:
        """The account a delivery says it is for, from its headers alone (read before verifying)."""
        ...

    @staticmethod
    def webhook_delivery(headers: Mapping[str, str], body: bytes) -> Delivery:
        """Reads the event id, topic and account of a verified delivery; raises WebhookError
        when it is malformed or its payload does not have its topic's shape."""
        ...

    @staticmethod
    def verify_webhook(headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """Raises SignatureError unless the body is signed with ``secret``."""
        ...

    @staticmethod
    def account_of(options: Mapping[str, Any]) -> str | None:
        """The account a saved connection answers for (matched against ``webhook_account``)."""
        ...

    @staticmethod
    def webhook_updates(topic: str, body: bytes) -> list[EntityUpdate]:
        """The rows an event brings (none for topics Tally does not store)."""
        ...
