"""When Slack's Web API does not answer, ``POST /slack/events`` still answers within Slack's 3 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from agents.answer import Answerer
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.slack import AUTH_TEST_TIMEOUT, SlackChannel, build
from bot.pipeline import Pipeline
from bot.settings import Settings
from tests.conftest import SHOP, build_app
from tests.fakes import slack_api as fs
from tests.fakes.server import serve

CHANNEL, ANA = "C0SHOP0001", "U0ANA00001"
SLACKS_DEADLINE = 3.0


class Hanging:
    """The fake Slack API, hanging every call while ``hang`` is set (as a Slack outage does)."""

    def __init__(self, fake: fs.FakeSlack) -> None:
        self.fake, self.hang, self.held = fake, True, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.held += self.hang
            while self.hang:
                await asyncio.sleep(0.02)
        await self.fake.app(scope, receive, send)


@pytest.fixture(scope="module")
def slack_api() -> Iterator[tuple[Hanging, str]]:
    api = Hanging(fs.FakeSlack(users={ANA: fs.user(ANA, "Ana")}))
    with serve(api) as url:
        yield api, url
        api.hang = False


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    found = build_app(tmp_path_factory.mktemp("data"), SHOP)
    yield found
    found.close()


@pytest_asyncio.fixture
async def channel(slack_api: tuple[Hanging, str], app: App) -> AsyncIterator[SlackChannel]:
    slack_api[0].hang, slack_api[0].held = True, 0
    slack_api[0].fake.calls.clear()
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    dispatcher.bind("slack", CHANNEL, "shop", "test")
    settings = Settings(TALLY_DATA_DIR=app.settings.data_dir, SLACK_BOT_TOKEN=fs.BOT_TOKEN,
                        SLACK_SIGNING_SECRET=fs.SIGNING_SECRET, SLACK_API_URL=f"{slack_api[1]}/api/")
    found = build(settings, dispatcher)
    assert isinstance(found, SlackChannel)
    yield found
    slack_api[0].hang = False
    await found.stop()


async def mention(channel: SlackChannel, event_id: str) -> tuple[httpx.Response, float]:
    body = fs.event_callback(fs.mention(CHANNEL, ANA, "revenue march 2025", f"1712000100.{event_id}"),
                             f"Ev0DOWN{event_id}")
    transport = httpx.ASGITransport(app=Starlette(routes=list(channel.routes())))
    async with httpx.AsyncClient(transport=transport, base_url="http://tally.test") as client:
        started = time.monotonic()
        response = await client.post("/slack/events", content=body, headers=fs.signed_headers(body))
        return response, time.monotonic() - started


@pytest.mark.asyncio
async def test_the_first_event_while_slack_hangs_is_refused_within_slacks_deadline(slack_api, channel):
    api, _ = slack_api

    response, took = await mention(channel, "1")

    assert api.held >= 1  # auth.test reached the hanging API
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    assert took < SLACKS_DEADLINE and took >= AUTH_TEST_TIMEOUT - 0.1


@pytest.mark.asyncio
async def test_once_slack_answers_again_the_retried_event_is_answered(slack_api, channel):
    api, _ = slack_api
    first, _ = await mention(channel, "2")
    api.hang = False

    retry, took = await mention(channel, "2")
    await channel.wait_idle()

    assert (first.status_code, retry.status_code) == (503, 200)
    assert took < SLACKS_DEADLINE
    [post] = api.fake.posts()
    assert post["channel"] == CHANNEL and "$240.00" in post["blocks"][0]["text"]["text"]
