"""The state database's schema versions and the store that opens it.

Kept apart from :mod:`storage.state` (the models) because later migrations create tables
defined in modules that build on those models (:mod:`storage.access`), and
:mod:`storage.inbound` builds on the store: with the migrations here, no module of
``storage`` imports one that imports it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from storage.access import migrate_access
from storage.state import (
    _utcnow,
    _v1,
    _v2_connectors,
    _v3_runtime,
    _v4_subscriptions,
    _v5_alert_rules,
    _v8_synonyms,
)

if TYPE_CHECKING:  # Alembic is imported only when a migration runs (it costs start-up time).
    from alembic.operations import Operations


def migrate_inbound_claims(op: Operations) -> None:
    """State migration 7: status, attempts, lease, message and answer time on processed_events.

    Existing rows get ``answered`` and one attempt (they were taken on and are done).
    Migration 3 creates the table from its model, which already has these columns on a
    new database: only the missing ones are added.
    """
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    have = {c["name"] for c in inspector.get_columns("processed_events")}
    columns: list[sa.Column[Any]] = [
        sa.Column("status", sa.String(16), nullable=False, server_default="answered"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("lease_until", sa.DateTime, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("answered_at", sa.DateTime, nullable=True),
    ]
    for column in columns:
        if column.name not in have:
            op.add_column("processed_events", column)
    if "ix_processed_events_due" not in {i["name"] for i in inspector.get_indexes("processed_events")}:
        op.create_index("ix_processed_events_due", "processed_events", ["status", "lease_until"])


def _v6_access(op: Operations) -> None:
    """Users, memberships, sign-in links, web sessions, bind codes, API keys (storage.access)."""
    migrate_access(op)


def _v7_inbound_claims(op: Operations) -> None:
    """Processed events become claims with a lease until answered (storage.inbound)."""
    migrate_inbound_claims(op)


STATE_MIGRATIONS: tuple[tuple[int, str, Callable[[Operations], None]], ...] = (
    (1, "workspaces", _v1),
    (2, "connectors: configs with encrypted secrets, webhook event queue, record versions", _v2_connectors),
    (3, "chat runtime: channel bindings, processed events, answers, feedback, audit", _v3_runtime),
    (4, "subscriptions, their delivery log, scheduler jobs", _v4_subscriptions),
    (5, "alert rules and their firings", _v5_alert_rules),
    (6, "access: users, memberships, sign-in links, sessions, bind codes, API keys", _v6_access),
    (7, "inbound claims: processed events get status, attempts, lease, message", _v7_inbound_claims),
    (8, "synonyms: words a workspace's admins taught Tally", _v8_synonyms),
)

_VERSION_TABLE = sa.Table(
    "tally_state_version", sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.String(200)),
    sa.Column("applied_at", sa.DateTime),
)


def migrate_state(engine: sa.Engine) -> list[int]:
    """Applies pending state migrations; returns the versions applied."""
    applied: list[int] = []
    _VERSION_TABLE.create(engine, checkfirst=True)
    with engine.begin() as conn:
        current = conn.execute(sa.select(sa.func.max(_VERSION_TABLE.c.version))).scalar() or 0
    for version, description, change in STATE_MIGRATIONS:
        if version <= current:
            continue
        from alembic.operations import Operations
        from alembic.runtime.migration import MigrationContext

        with engine.begin() as conn:
            change(Operations(MigrationContext.configure(conn)))
            conn.execute(_VERSION_TABLE.insert().values(
                version=version, description=description, applied_at=_utcnow()))
        applied.append(version)
    return applied


class StateStore:
    """Opens the state database, migrates it and hands out sessions.

    Args:
        url: a SQLAlchemy URL, e.g. ``sqlite:///data/state.db``.
    """

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        migrate_state(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new ORM session; use it as a context manager."""
        return self.sessions()

    def close(self) -> None:
        """Releases pooled connections."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
