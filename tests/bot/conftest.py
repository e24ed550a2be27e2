"""Fixtures shared by the channel tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import App
from tests.conftest import SHOP, build_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The shop fixture workspace (São Paulo, USD) in a fresh data directory."""
    found = build_app(tmp_path_factory.mktemp("data"), SHOP)
    yield found
    found.close()
