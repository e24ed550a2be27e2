"""What connectors are given by the runtime: their settings and a way to open warehouses.

Connectors never see the runtime: ``bot/`` passes its settings (any object with these
fields, such as ``bot.settings.Settings``) and its application (the state store and the
workspaces, which open a workspace's warehouse).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from storage.state_store import StateStore
from storage.warehouse import Warehouse
from storage.workspaces import Workspace


class ConnectorSettings(Protocol):
    """The settings connectors read: provider base URLs, the secret key, sync and retry limits."""

    @property
    def data_dir(self) -> Path: ...
    @property
    def secret_key(self) -> SecretStr | None: ...
    @property
    def secret_key_file(self) -> Path | None: ...
    @property
    def shopify_api_url(self) -> str | None: ...
    @property
    def stripe_api_url(self) -> str: ...
    @property
    def ga4_api_url(self) -> str: ...
    @property
    def meta_api_url(self) -> str: ...
    @property
    def google_ads_api_url(self) -> str: ...
    @property
    def google_oauth_url(self) -> str: ...
    @property
    def s3_endpoint_url(self) -> str | None: ...
    @property
    def sync_interval_minutes(self) -> int: ...
    @property
    def webhook_max_attempts(self) -> int: ...


class WarehouseOpener(Protocol):
    """Finds a workspace and opens its warehouse."""

    def get(self, name: str) -> Workspace:
        """The workspace called ``name`` (WorkspaceError when there is none)."""
        ...

    def warehouse(self, name: str) -> Warehouse:
        """The workspace's open warehouse."""
        ...


class ConnectorHost(Protocol):
    """The runtime as connectors see it: settings, the state store, the warehouses."""

    @property
    def settings(self) -> ConnectorSettings: ...
    @property
    def state(self) -> StateStore: ...
    @property
    def workspaces(self) -> WarehouseOpener: ...
