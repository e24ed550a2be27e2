"""The audit log: who changed which configuration, when, and what it was before and after.

Every change of access or configuration (chat bindings, connections, subscriptions,
alert rules, bet corrections, workspaces, users and keys) adds one row through
:func:`record_audit`, inside the transaction that makes the change, so the change and
its record commit together or not at all. ``tally audit`` reads them back with
:func:`list_audit`.

A secret never reaches the log: a field whose name says it holds one (``access_token``,
``webhook_secret``, ``api_key``, ``password``...) is stored as ``"(set)"``, and callers
recording a connection pass the names of the secrets that were set, not their values.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.state import AuditRow
from storage.state_store import StateStore

SECRET_FIELD = re.compile(r"secret|token|password|passwd|api_?key|private_?key|credential",
                          re.IGNORECASE)
SET = "(set)"
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class AuditEntry:
    """One audit record, as read back.

    Attributes:
        at: when (naive UTC).
        actor: who: ``cli:<os user>``, ``slack:U123``, ``discord:42``, ``playground:...``.
        action: what kind of change (``bind``, ``connector.connect``, ``bet.edit``, ...).
        workspace: the workspace changed, when there is one.
        before: the changed thing before (None: it did not exist).
        after: the changed thing after (None: it was deleted).
    """

    at: datetime
    actor: str
    action: str
    workspace: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict (``at`` in ISO 8601, UTC)."""
        return {"at": self.at.replace(tzinfo=UTC).isoformat(), "actor": self.actor,
                "action": self.action, "workspace": self.workspace,
                "before": self.before, "after": self.after}


def cli_actor() -> str:
    """Who runs a ``tally`` command, as the audit log names them: ``cli:<os user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:  # no login name and no passwd entry (some containers)
        return f"cli:uid-{os.getuid()}"


def record_audit(session: Session, *, actor: str, action: str, workspace: str | None,
                 before: Mapping[str, Any] | None = None,
                 after: Mapping[str, Any] | None = None) -> AuditRow:
    """Adds an audit row to ``session`` (committed with the change it records).

    Args:
        session: the session of the transaction making the change.
        actor: who did it (``cli:alice``, ``slack:U123``).
        action: the change (``bind``, ``subscribe``, ``bet.edit``, ``connector.connect``).
        workspace: the workspace it concerns (None for changes outside any).
        before: the thing before the change (None when it is new); JSON-encoded.
        after: the thing after the change (None when it was deleted); JSON-encoded.

    Returns:
        The row (callers with an injected clock may set its ``at``).
    """
    row = AuditRow(actor=actor, action=action, workspace=workspace,
                   before=_encode(before), after=_encode(after))
    session.add(row)
    return row


def list_audit(state: StateStore, workspace: str | None = None, limit: int = DEFAULT_LIMIT,
               since: datetime | None = None) -> list[AuditEntry]:
    """The newest audit entries first.

    Args:
        state: the state store.
        workspace: only this workspace's entries.
        limit: at most this many.
        since: only entries at or after this instant (aware, or naive UTC).
    """
    query = sa.select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
    if workspace is not None:
        query = query.where(AuditRow.workspace == workspace)
    if since is not None:
        if since.tzinfo is not None:
            since = since.astimezone(UTC).replace(tzinfo=None)
        query = query.where(AuditRow.at >= since)
    with state.session() as s:
        rows = s.scalars(query).all()
    return [AuditEntry(r.at, r.actor, r.action, r.workspace, _decode(r.before), _decode(r.after))
            for r in rows]


def _encode(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(_without_secrets(value), sort_keys=True, default=str)


def _without_secrets(value: Any, hidden: bool = False) -> Any:
    """``value`` with every value under a secret-named field replaced by ``"(set)"``.

    Below such a field (``"secrets": {"api_key": ...}``) the structure stays, so a
    record still says which secrets were set; every scalar in it becomes ``"(set)"``.
    """
    if isinstance(value, Mapping):
        return {str(k): _without_secrets(v, hidden or bool(SECRET_FIELD.search(str(k))))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_secrets(v, hidden) for v in value]
    if hidden:
        return SET if value not in (None, "") else None
    return value


def _decode(text: str | None) -> dict[str, Any] | None:
    """A stored JSON object (older rows may hold other JSON: wrapped as ``{"value": ...}``)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"value": text}
    return value if isinstance(value, dict) else {"value": value}
