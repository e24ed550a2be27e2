"""Fixtures of the connector tests: an App on a temporary data dir, and no network but loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.app import App
from bot.settings import Settings
from connectors.http import RetryPolicy

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(host, str) \
            and not (host.startswith("127.") or host in ("localhost", "::1")):
        raise RuntimeError(f"connector tests must not reach the network (tried {host})")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _loopback_network_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails any test that connects anywhere but loopback (fakes listen on 127.0.0.1)."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


class RecordedSleeps(list[float]):
    """The waits a retry policy asked for; awaiting returns at once so tests never wait."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


@pytest.fixture
def retry(sleeps: RecordedSleeps) -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay=0.01, sleep=sleeps)


def make_settings(data_dir: Path, **urls: str) -> Settings:
    """Settings on a temporary data dir, with a fixed Fernet key and fake base URLs."""
    values = {"TALLY_DATA_DIR": str(data_dir), "TALLY_SECRET_KEY": Fernet.generate_key().decode(),
              **urls}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    """An App on a temporary data dir with a workspace ``acme`` (USD, UTC)."""
    application = App(make_settings(tmp_path / "data"))
    application.workspaces.create("acme")
    yield application
    application.close()
