"""Wiring: one place that turns :class:`~bot.settings.Settings` into working parts."""

from __future__ import annotations

import logging
import threading

from bot.settings import Settings
from storage.catalog import Engine
from storage.state import StateStore
from storage.workspaces import Workspace, WorkspaceStore

logger = logging.getLogger(__name__)


class App:
    """The state store, the workspaces and their catalog engines, opened lazily.

    Args:
        settings: the configuration (data directory, state URL, ...).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
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
