"""Shared fixtures: small hand-written workspaces whose right answers are worked out in the tests."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from bot.app import App
from bot.settings import Settings
from storage.catalog import AsOf, Engine
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace

FIXTURES = Path(__file__).parent / "fixtures"

# `make mutants` runs with --hypothesis-profile=mutants: a failing example is reported
# as found, without minutes of shrinking (a killed mutant needs no minimal example).
settings.register_profile("mutants", phases=(Phase.explicit, Phase.reuse, Phase.generate),
                          deadline=None)

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")) \
            and self.family in (socket.AF_INET, socket.AF_INET6):
        raise RuntimeError(f"tests must not reach the network (tried {host})")
    return _real_connect(self, address)  # type: ignore[arg-type]


_CACHED = ("storage.catalog.", "agents.parser.")


@pytest.fixture(autouse=True, scope="session")
def _fresh_caches_under_mutation() -> None:
    """Under `make mutants`, forget what the unmutated code computed and cached.

    mutmut forks each mutant's worker from a process that already ran the tests: compiled
    SQL, the loaded catalog and the parser's vocabulary indexes would be served from its
    caches, and a mutant of the code that builds them would never run. Each mutant's run
    is a pytest session of its own, and this runs before any other fixture of it.
    """
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    for name, module in list(sys.modules.items()):
        if not name.startswith(_CACHED) or module is None:
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
        cache = vars(module).get("_CACHE")
        if isinstance(cache, dict):
            cache.clear()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails any test that tries to connect anywhere but loopback."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


def write_batch(tmp_path: Path, files: dict[str, str]) -> Path:
    """A fresh import folder under ``tmp_path`` holding ``files`` (name -> CSV text)."""
    folder = tmp_path / "batch"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def make_engine(fixture: str, workspace: Workspace) -> Engine:
    """A fresh in-memory warehouse loaded with a fixture directory."""
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / fixture)
    return Engine(workspace, warehouse)


def _engine(fixture: str, workspace: Workspace) -> Iterator[Engine]:
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, FIXTURES / fixture)
    yield Engine(workspace, warehouse)
    warehouse.close()


@pytest.fixture(scope="module")
def shop() -> Iterator[Engine]:
    """The shop fixture in America/Sao_Paulo (UTC−3), reporting in USD, with BRL orders."""
    yield from _engine("shop", Workspace("shop", "USD", "America/Sao_Paulo"))


@pytest.fixture(scope="module")
def multi() -> Iterator[Engine]:
    """SaaS, marketing, inventory and betting fixture in UTC, reporting in USD."""
    yield from _engine("multi", Workspace("multi", "USD", "UTC"))


@pytest.fixture
def shop_as_of() -> AsOf:
    import zoneinfo

    return AsOf.for_day(date(2025, 4, 10), zoneinfo.ZoneInfo("America/Sao_Paulo"))


@pytest.fixture
def multi_as_of() -> AsOf:
    import zoneinfo

    return AsOf.for_day(date(2025, 3, 28), zoneinfo.ZoneInfo("UTC"))


SHOP = ("shop", "USD", "America/Sao_Paulo", "shop")
MULTI = ("multi", "USD", "UTC", "multi")


def build_app(data_dir: Path, *workspaces: tuple[str, str, str, str]) -> App:
    """An App in ``data_dir`` with fixture workspaces: (name, currency, timezone, fixture dir)."""
    app = App(Settings(TALLY_DATA_DIR=data_dir))
    for name, currency, timezone, fixture in workspaces:
        app.workspaces.create(name, currency, timezone)
        import_directory(app.workspaces.warehouse(name), FIXTURES / fixture)
    return app
