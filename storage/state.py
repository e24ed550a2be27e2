"""Application state (workspaces; later bindings, subscriptions, audit) in SQLAlchemy 2.x.

SQLite under the data directory by default; any SQLAlchemy URL works
(``TALLY_STATE_URL=postgresql+psycopg://...``). Schema changes are versioned
migrations written with Alembic's operations and applied when the store opens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of the state models."""


class WorkspaceRow(Base):
    """A tenant: a business or a guild, with its reporting currency and timezone."""

    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


def _v1(op: Operations) -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


STATE_MIGRATIONS: tuple[tuple[int, str, Callable[[Operations], None]], ...] = (
    (1, "workspaces", _v1),
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
