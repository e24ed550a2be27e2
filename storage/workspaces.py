"""Workspaces: tenants with their settings (state DB) and their own DuckDB file.

Each workspace's rows live in ``<data_dir>/workspaces/<name>.duckdb``; a query
opens only that file, so one tenant can never read another's rows.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa

from storage.audit import record_audit
from storage.errors import WorkspaceError
from storage.state import WorkspaceRow
from storage.state_store import StateStore
from storage.users import grant_instance_owners
from storage.warehouse import Warehouse

T = TypeVar("T")
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Workspace:
    """A workspace's identity and calendar: all periods are in ``timezone``."""

    name: str
    currency: str = "USD"
    timezone: str = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def validate_name(name: str) -> str:
    """Returns the name if it is a valid workspace name, else raises WorkspaceError."""
    if not NAME_PATTERN.fullmatch(name):
        raise WorkspaceError(
            f"{name!r} is not a valid workspace name: use lower-case letters, digits, "
            "'-' and '_' (up to 63 characters), e.g. 'acme-shop'"
        )
    return name


def validate_currency(code: str) -> str:
    """Returns the upper-cased ISO 4217 code or raises WorkspaceError."""
    upper = code.strip().upper()
    if not CURRENCY_PATTERN.fullmatch(upper):
        raise WorkspaceError(f"{code!r} is not an ISO 4217 currency code; use e.g. USD, EUR, BRL")
    return upper


def validate_timezone(name: str) -> str:
    """Returns the IANA timezone name or raises WorkspaceError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = [z for z in available_timezones() if name.lower() in z.lower()][:3]
        extra = f" (did you mean {', '.join(sorted(hint))}?)" if hint else ""
        raise WorkspaceError(
            f"{name!r} is not an IANA timezone such as America/Sao_Paulo{extra}"
        ) from None
    return name


class WorkspaceStore:
    """Creates, finds and opens workspaces.

    Args:
        data_dir: holds ``workspaces/<name>.duckdb``.
        state: the application state store.
    """

    def __init__(self, data_dir: Path, state: StateStore) -> None:
        self.dir = data_dir / "workspaces"
        self.state = state
        self._open: dict[str, Warehouse] = {}
        self._lock = threading.Lock()

    def create(self, name: str, currency: str = "USD", timezone: str = "UTC",
               *, exist_ok: bool = False, actor: str = "unknown") -> Workspace:
        """Creates a workspace (and its empty warehouse), with an audit record.

        Args:
            name, currency, timezone: the workspace and its settings.
            exist_ok: an existing workspace takes the given settings instead of an error.
            actor: who creates it (``cli:alice``, ``discord:42``), for the audit log.
        """
        ws = Workspace(validate_name(name), validate_currency(currency), validate_timezone(timezone))
        after = {"name": ws.name, "currency": ws.currency, "timezone": ws.timezone}
        with self.state.session() as s, s.begin():
            row = s.scalar(sa.select(WorkspaceRow).where(WorkspaceRow.name == name))
            if row is None:
                s.add(WorkspaceRow(name=ws.name, currency=ws.currency, timezone=ws.timezone))
                record_audit(s, actor=actor, action="workspace.create", workspace=ws.name,
                             after=after)
                grant_instance_owners(s, ws.name, actor)
            elif not exist_ok:
                raise WorkspaceError(f"workspace {name!r} already exists")
            elif (row.currency, row.timezone) != (ws.currency, ws.timezone):
                before = {"name": row.name, "currency": row.currency, "timezone": row.timezone}
                row.currency, row.timezone = ws.currency, ws.timezone
                record_audit(s, actor=actor, action="workspace.update", workspace=ws.name,
                             before=before, after=after)
        self.warehouse(ws.name)
        return ws

    def create_filled(self, name: str, currency: str, timezone: str,
                      fill: Callable[[Warehouse], T], *, actor: str = "unknown") -> tuple[Workspace, T]:
        """Creates a workspace whose warehouse ``fill`` loads before the workspace exists.

        If ``fill`` raises (a bad import), nothing is left behind: no state row and no
        DuckDB file, so a failed ``tally import --create`` can simply be run again.

        Raises:
            WorkspaceError: the name is taken or a setting is invalid.
        """
        ws = Workspace(validate_name(name), validate_currency(currency), validate_timezone(timezone))
        if name in {w.name for w in self.list()}:
            raise WorkspaceError(f"workspace {name!r} already exists")
        path = self.path(ws.name)
        self.dir.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        warehouse = Warehouse(path)
        try:
            warehouse.configure(ws.currency, ws.timezone)
            result = fill(warehouse)
        except BaseException:
            warehouse.close()
            for leftover in (path, Path(f"{path}.wal")) if fresh else ():
                leftover.unlink(missing_ok=True)
            raise
        with self._lock:
            self._open[ws.name] = warehouse
        return self.create(ws.name, ws.currency, ws.timezone, actor=actor), result

    def get(self, name: str) -> Workspace:
        """The workspace called ``name``; raises WorkspaceError naming the known ones."""
        with self.state.session() as s:
            row = s.scalar(sa.select(WorkspaceRow).where(WorkspaceRow.name == name))
        if row is None:
            known = ", ".join(w.name for w in self.list()) or "none yet"
            raise WorkspaceError(
                f"no workspace named {name!r} (known: {known}); create it with "
                f"`tally workspace create {name}` or `tally import DIR --workspace {name} --create`"
            )
        return Workspace(row.name, row.currency, row.timezone)

    def list(self) -> list[Workspace]:
        """All workspaces, by name."""
        with self.state.session() as s:
            rows = s.scalars(sa.select(WorkspaceRow).order_by(WorkspaceRow.name)).all()
        return [Workspace(r.name, r.currency, r.timezone) for r in rows]

    def path(self, name: str) -> Path:
        """The DuckDB file of a workspace."""
        return self.dir / f"{validate_name(name)}.duckdb"

    def warehouse(self, name: str) -> Warehouse:
        """The open warehouse of a workspace (opened once per process)."""
        with self._lock:
            if name not in self._open:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._open[name] = Warehouse(self.path(name))
            return self._open[name]

    def close(self) -> None:
        """Closes every open warehouse."""
        with self._lock:
            for wh in self._open.values():
                wh.close()
            self._open.clear()
