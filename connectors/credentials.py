"""Connector configurations in the state database, secrets encrypted at rest with Fernet.

The key is ``TALLY_SECRET_KEY``, or the file ``TALLY_SECRET_KEY_FILE`` names (keep it
outside the data folder, so a backup of the data does not carry the key that opens
it); with neither, the file is ``<data_dir>/secret.key``. A missing file is generated
once (mode 0600). Losing the key means reconnecting every source: the secrets cannot
be read back without it.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from connectors.errors import ConnectorConfigError, UnknownConnectorError
from connectors.ports import ConnectorSettings
from storage.audit import SET, record_audit
from storage.state import ConnectorConfigRow
from storage.state_store import StateStore

logger = logging.getLogger(__name__)


def load_key(settings: ConnectorSettings, *, create: bool = True) -> bytes:
    """The Fernet key: ``TALLY_SECRET_KEY``, else the key file (created 0600 on first use).

    Args:
        settings: where the key is.
        create: whether a missing key file may be generated; False while credentials
            encrypted with the old key exist (:func:`has_credentials`), since a new key
            would leave them unreadable for good.

    Raises:
        ConnectorConfigError: both settings are set, the key is not a Fernet key, or the
            key file is missing while ``create`` is False.
    """
    if settings.secret_key is not None:
        if settings.secret_key_file is not None:
            raise ConnectorConfigError("set TALLY_SECRET_KEY or TALLY_SECRET_KEY_FILE, not both")
        return _checked(settings.secret_key.get_secret_value().encode(), "TALLY_SECRET_KEY")
    if settings.secret_key_file is not None:
        path = settings.secret_key_file.expanduser()
        where = f"TALLY_SECRET_KEY_FILE {path}"
    else:
        path = settings.data_dir / "secret.key"
        where = str(path)
    if not create and not path.exists():
        raise ConnectorConfigError(
            f"the key file {where} is missing, but connections hold credentials encrypted "
            "with it: restore the file (or set TALLY_SECRET_KEY / TALLY_SECRET_KEY_FILE to "
            "the key), or drop those connections with `tally disconnect CONNECTOR --workspace W`")
    key = _read_or_create(path, where)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        logger.warning("%s is readable by other users: chmod 600 it", where)
    return _checked(key, where)


def key_location(settings: ConnectorSettings) -> str:
    """Where the key comes from, for a start-up log line (never the key itself)."""
    if settings.secret_key is not None:
        return "TALLY_SECRET_KEY"
    if settings.secret_key_file is not None:
        return f"TALLY_SECRET_KEY_FILE {settings.secret_key_file.expanduser()}"
    return str(settings.data_dir / "secret.key")


def has_credentials(state: StateStore) -> bool:
    """Whether any connection's credentials are saved (encrypted with some key)."""
    with state.session() as s:
        return s.scalar(sa.select(ConnectorConfigRow.workspace).limit(1)) is not None


def open_store(state: StateStore, settings: ConnectorSettings) -> ConnectorStore:
    """The connector store with its key; a missing key is generated only while no
    credentials exist (a new key would leave them unreadable for good)."""
    return ConnectorStore(state, load_key(settings, create=not has_credentials(state)))


def store_for_removal(state: StateStore, settings: ConnectorSettings) -> ConnectorStore:
    """A store that can delete connections even when their key is lost (`tally disconnect`).

    Without a usable key it holds a throwaway one that only ever fails to decrypt: the
    audit record then names the secrets as set, names unknown.
    """
    try:
        key = load_key(settings, create=False)
    except ConnectorConfigError:
        key = Fernet.generate_key()
    return ConnectorStore(state, key)


def _read_or_create(path: Path, where: str) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        except OSError as exc:
            raise ConnectorConfigError(f"cannot create the key file {where}: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
        logger.warning("generated %s to encrypt connector credentials; back it up apart from "
                       "the data (or set TALLY_SECRET_KEY / TALLY_SECRET_KEY_FILE)", where)
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        raise ConnectorConfigError(f"cannot read the key file {where}: {exc.strerror}") from None


def _checked(key: bytes, where: str) -> bytes:
    try:
        Fernet(key)
    except ValueError:
        raise ConnectorConfigError(
            f"{where} does not hold a Fernet key (44 characters of url-safe base64); restore "
            "the right key, or remove the file to start afresh (and reconnect every source)"
        ) from None
    return key


@dataclass(frozen=True)
class SavedConnector:
    """A connector as saved for a workspace; ``secrets`` is decrypted but never printed."""

    workspace: str
    connector: str
    options: Mapping[str, Any]
    secrets: Mapping[str, SecretStr] = field(repr=False)
    interval_minutes: int | None = None
    last_sync_at: datetime | None = None
    last_status: str | None = None

    def plain_secrets(self) -> dict[str, str]:
        """The secret values, for the connector that needs them."""
        return {k: v.get_secret_value() for k, v in self.secrets.items()}


UNDECRYPTABLE = "undecryptable"


@dataclass(frozen=True)
class Unreadable:
    """A saved connection whose credentials the current key cannot decrypt."""

    workspace: str
    connector: str
    reason: str


class ConnectorStore:
    """Saves and loads connector configurations.

    Args:
        state: the state store.
        key: the Fernet key (:func:`load_key`).
    """

    def __init__(self, state: StateStore, key: bytes) -> None:
        self.state = state
        self._fernet = Fernet(key)

    def save(self, workspace: str, connector: str, options: Mapping[str, Any],
             secrets: Mapping[str, str], interval_minutes: int | None = None,
             *, actor: str = "unknown") -> None:
        """Creates or replaces a workspace's connector configuration, with an audit record
        naming the secrets that were set (never their values)."""
        token = self._fernet.encrypt(json.dumps(dict(secrets)).encode())
        with self.state.session() as s, s.begin():
            row = s.scalar(self._select(workspace, connector))
            before = None if row is None else self._audited(row)
            if row is None:
                row = ConnectorConfigRow(workspace=workspace, connector=connector)
                s.add(row)
            row.options, row.secrets = json.dumps(dict(options), sort_keys=True), token
            row.interval_minutes = interval_minutes
            record_audit(s, actor=actor, action="connector.connect", workspace=workspace,
                         before=before, after=self._audited(row, secrets))

    def delete(self, workspace: str, connector: str, *, actor: str = "unknown") -> bool:
        """Removes a connection and its credentials (audited); False when there was none."""
        with self.state.session() as s, s.begin():
            row = s.scalar(self._select(workspace, connector))
            if row is None:
                return False
            record_audit(s, actor=actor, action="connector.disconnect", workspace=workspace,
                         before=self._audited(row))
            s.delete(row)
        return True

    def record_full_sync(self, workspace: str, connector: str, *, actor: str) -> None:
        """Notes in the audit log that someone started a sync from the beginning."""
        with self.state.session() as s, s.begin():
            record_audit(s, actor=actor, action="connector.full_sync", workspace=workspace,
                         after={"connector": connector})

    def get(self, workspace: str, connector: str) -> SavedConnector:
        """The saved configuration; raises UnknownConnectorError when not connected."""
        with self.state.session() as s:
            row = s.scalar(self._select(workspace, connector))
        if row is None:
            raise UnknownConnectorError(
                f"workspace {workspace!r} has no {connector} connection; run "
                f"`tally connect {connector} --workspace {workspace} ...` first")
        return self._saved(row)

    def list(self, workspace: str | None = None) -> list[SavedConnector]:
        """Every saved connection this key opens (of one workspace, when given); see :meth:`scan`."""
        return self.scan(workspace)[0]

    def scan(self, workspace: str | None = None
             ) -> tuple[builtins.list[SavedConnector], builtins.list[Unreadable]]:
        """The saved connections, and those whose credentials this key cannot decrypt.

        An unreadable one is marked (``last_status`` ``undecryptable``, ``last_error`` the
        reason) and logged once, when it is first found so: it never stops the others.
        """
        query = sa.select(ConnectorConfigRow).order_by(ConnectorConfigRow.workspace,
                                                       ConnectorConfigRow.connector)
        if workspace is not None:
            query = query.where(ConnectorConfigRow.workspace == workspace)
        readable: builtins.list[SavedConnector] = []
        unreadable: builtins.list[Unreadable] = []
        with self.state.session() as s, s.begin():
            for row in s.scalars(query).all():
                try:
                    readable.append(self._saved(row))
                except ConnectorConfigError as exc:
                    unreadable.append(Unreadable(row.workspace, row.connector, str(exc)))
                    if row.last_status != UNDECRYPTABLE:
                        logger.error("skipping %s/%s: %s", row.workspace, row.connector, exc)
                        row.last_status, row.last_error = UNDECRYPTABLE, str(exc)
        return readable, unreadable

    def record_sync(self, workspace: str, connector: str, at: datetime, status: str,
                    error: str | None = None) -> None:
        """Notes a sync's outcome (the scheduler reads ``last_sync_at``)."""
        with self.state.session() as s, s.begin():
            row = s.scalar(self._select(workspace, connector))
            if row is not None:
                row.last_sync_at, row.last_status, row.last_error = at, status, error

    @staticmethod
    def _select(workspace: str, connector: str) -> sa.Select[ConnectorConfigRow]:
        return sa.select(ConnectorConfigRow).where(ConnectorConfigRow.workspace == workspace,
                                                   ConnectorConfigRow.connector == connector)

    def _audited(self, row: ConnectorConfigRow,
                 secrets: Mapping[str, str] | None = None) -> dict[str, Any]:
        """A connection as the audit log shows it: options, and which secrets are set."""
        names: dict[str, str] | str = SET  # saved under another key: set, names unknown
        if secrets is None:
            with contextlib.suppress(InvalidToken):
                secrets = json.loads(self._fernet.decrypt(row.secrets))
        if secrets is not None:
            names = {name: SET for name, value in sorted(secrets.items()) if value}
        return {"connector": row.connector, "options": json.loads(row.options),
                "secrets": names, "interval_minutes": row.interval_minutes}

    def _saved(self, row: ConnectorConfigRow) -> SavedConnector:
        try:
            secrets = json.loads(self._fernet.decrypt(row.secrets))
        except InvalidToken:
            raise ConnectorConfigError(
                f"the {row.connector} credentials of {row.workspace!r} cannot be decrypted with "
                "this key (was TALLY_SECRET_KEY or its file changed?): restore the old key, or "
                f"reconnect with `tally connect {row.connector} --workspace {row.workspace} ...` "
                f"(or drop it: `tally disconnect {row.connector} --workspace {row.workspace}`)"
            ) from None
        return SavedConnector(row.workspace, row.connector, json.loads(row.options),
                              {k: SecretStr(v) for k, v in secrets.items()},
                              row.interval_minutes, row.last_sync_at, row.last_status)
