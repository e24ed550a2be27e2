"""Wiring: one place that turns :class:`~bot.settings.Settings` into working parts."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

from bot.settings import Settings
from storage.catalog import Engine
from storage.state_store import StateStore
from storage.workspaces import Workspace, WorkspaceStore

logger = logging.getLogger(__name__)


def private_data_dir(path: Path) -> None:
    """Creates the data folder owner-only (0700), or tightens an existing one that other
    users could enter, with one warning line: it holds password hashes, chat history and
    the business data."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            path.chmod(mode & 0o700)
        except OSError as exc:
            logger.warning("the data folder %s is open to other users (mode %o) and cannot be "
                           "made private (%s): chmod 700 it", path, mode, exc.strerror)
            return
        logger.warning("the data folder %s was open to other users (mode %o): made it owner-only "
                       "(700)", path, mode)


class App:
    """The state store, the workspaces and their catalog engines, opened lazily.

    Args:
        settings: the configuration (data directory, state URL, ...).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        private_data_dir(settings.data_dir)
        self.state = StateStore(settings.resolved_state_url)
        self.workspaces = WorkspaceStore(settings.data_dir, self.state)
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def engine(self, name: str) -> Engine:
        """The catalog engine of a workspace (raises WorkspaceError if unknown)."""
        with self._lock:
            if name not in self._engines:
                workspace = self.workspaces.get(name)
                self._engines[name] = Engine(workspace, self.workspaces.warehouse(name))
            return self._engines[name]

    def workspace(self, name: str) -> Workspace:
        """The workspace's settings."""
        return self.workspaces.get(name)

    def close(self) -> None:
        """Closes warehouses and the state database."""
        self.workspaces.close()
        self.state.close()
