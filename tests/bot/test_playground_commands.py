"""The playground takes only what it can honour: no later posts, no bind codes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa

from bot.runtime import Runtime, build_runtime
from storage.access import Role
from storage.bind_codes import create_bind_code
from storage.state import AlertRuleRow, ChannelBindingRow, SubscriptionRow
from tests.bot.test_runtime_http import ask, client, shop_and_globex, shop_settings


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shop_and_globex(tmp_path_factory.mktemp("playground-commands"))


@pytest_asyncio.fixture
async def runtime(data_dir: Path) -> Runtime:
    built = build_runtime(shop_settings(data_dir), builders={})
    yield built
    built.app.close()


def _count(runtime: Runtime, row: type) -> int:
    with runtime.app.state.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(row)) or 0


@pytest.mark.asyncio
@pytest.mark.parametrize("text", ["subscribe daily digest at 8:00",
                                  "alert me when revenue drops below 1000"])
async def test_the_playground_refuses_later_posts_and_says_where_they_work(runtime, text):
    async with client(runtime) as http:
        response = await ask(http, text)
        listed = await ask(http, "list my alerts")

    body = response.json()
    assert response.status_code == 200 and "will be posted here" not in body["text"]
    assert "cannot post" in body["text"] and "tally subscribe" in body["text"]
    assert _count(runtime, SubscriptionRow) == _count(runtime, AlertRuleRow) == 0
    assert listed.status_code == 200  # reading still works


@pytest.mark.asyncio
async def test_a_bind_code_in_the_playground_is_refused_and_binds_nothing(runtime):
    code = create_bind_code(runtime.app.state, workspace="globex", role=Role.VIEWER, actor="test",
                            now=datetime.now(UTC).replace(tzinfo=None))
    async with client(runtime) as http:
        refused = await ask(http, f"connect {code.code}")
        after = await ask(http, "orders march 2025")

    with runtime.app.state.session() as s:
        bound = s.scalars(sa.select(ChannelBindingRow.workspace).where(
            ChannelBindingRow.platform == "playground")).all()
    assert "Bind codes connect a chat" in refused.json()["text"]
    assert "globex" not in bound
    assert after.status_code == 200 and "4" in after.json()["text"]  # still the shop, as owner
