"""Two Slack teams, one Slack Connect channel: a binding answers only the team it was made for.

The real bolt app behind ``POST /slack/events`` with signed events, the real Web API client
against the fake Slack API on 127.0.0.1, the real dispatcher and offline brain. Team A's
installation (the bot token's team, ``fs.TEAM_ID``) binds the shared channel to ``shop``;
team B's Slack admin, writing in that channel, must neither move it to ``tenantb`` (by
name or by code) nor get an answer from either workspace.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa

from agents.answer import Answerer
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef
from bot.channels.slack import SlackChannel, build
from bot.pipeline import Pipeline
from bot.settings import Settings
from storage.access import Role
from storage.bind_codes import create_bind_code
from storage.state import ChannelBindingRow
from tests.bot.test_slack import deliver, text_of
from tests.conftest import SHOP, build_app
from tests.fakes import slack_api as fs
from tests.fakes.server import serve

TEAM_B = "T0TEAMB001"
SHARED, B_ONLY = "C0SHARED01", "C0BONLY001"
ANA, BOSS_B, GUEST_B = "U0ANA00001", "U0BOSSB001", "U0GUESTB01"
_mentions = itertools.count(1)


@pytest.fixture(scope="module")
def fake() -> Iterator[fs.FakeSlack]:
    fake = fs.FakeSlack(users={ANA: fs.user(ANA, "Ana"),
                               BOSS_B: fs.user(BOSS_B, "Bruno", admin=True, team=TEAM_B),
                               GUEST_B: fs.user(GUEST_B, "Bea", team=TEAM_B)})
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    found = build_app(tmp_path, SHOP, ("tenantb", "USD", "UTC", "shop"))  # B has data too
    yield found
    found.close()


@pytest.fixture
def dispatcher(app: App) -> Pipeline:
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    dispatcher.bind("slack", SHARED, "shop", "cli:test")  # `tally connect slack C…`: no team named
    return dispatcher


@pytest_asyncio.fixture
async def slack(fake: fs.FakeSlack, app: App, dispatcher: Pipeline) -> AsyncIterator[SlackChannel]:
    fake.calls.clear()
    settings = Settings(TALLY_DATA_DIR=app.settings.data_dir, SLACK_BOT_TOKEN=fs.BOT_TOKEN,
                        SLACK_SIGNING_SECRET=fs.SIGNING_SECRET,
                        SLACK_API_URL=f"{fake.url}/api/")  # type: ignore[attr-defined]
    channel = build(settings, dispatcher)
    assert isinstance(channel, SlackChannel)
    yield channel
    await channel.stop()


async def say(channel: SlackChannel, fake: fs.FakeSlack, where: str, user: str, text: str, *,
              team: str | None = None) -> str:
    """Mentions Tally as ``user`` (of ``team``, or the installation's) and returns the answer."""
    n = next(_mentions)
    event = fs.mention(where, user, text, f"1713000000.{n:06d}")
    before = len(fake.posts())
    await deliver(channel, fs.event_callback(event, f"Ev0TEAMS{n}", user_team=team))
    posts = fake.posts()
    assert len(posts) == before + 1, "every mention gets exactly one answer"
    return text_of(posts[-1])


def binding(app: App, chat: str) -> tuple[str, str, str | None] | None:
    with app.state.session() as s:
        row = s.scalar(sa.select(ChannelBindingRow).where(ChannelBindingRow.chat_id == chat))
        return None if row is None else (row.workspace, row.role, row.team_id)


def code_for(app: App, workspace: str) -> str:
    return create_bind_code(app.state, workspace=workspace, role=Role.MEMBER, actor="cli:test",
                            now=datetime.now(UTC).replace(tzinfo=None)).code


def no_data_nor_names(text: str) -> bool:
    return "$" not in text and "shop" not in text and "tenantb" not in text


@pytest.mark.asyncio
async def test_team_bs_admin_typing_a_workspace_name_in_team_as_channel_binds_nothing(slack, fake, app):
    assert "$240.00" in await say(slack, fake, SHARED, ANA, "revenue march 2025")
    refused = await say(slack, fake, SHARED, BOSS_B, "connect tenantb", team=TEAM_B)
    assert no_data_nor_names(refused)
    assert binding(app, SHARED) == ("shop", "member", None)
    question = await say(slack, fake, SHARED, BOSS_B, "revenue march 2025", team=TEAM_B)
    assert no_data_nor_names(question) and "isn't connected" in question
    assert "$240.00" in await say(slack, fake, SHARED, ANA, "revenue march 2025")


@pytest.mark.asyncio
async def test_a_code_for_b_cannot_take_team_as_channel_but_binds_bs_own(slack, fake, app):
    code = code_for(app, "tenantb")
    refused = await say(slack, fake, SHARED, BOSS_B, f"connect {code}", team=TEAM_B)
    assert "already connected" in refused and no_data_nor_names(refused)
    assert binding(app, SHARED) == ("shop", "member", None)
    assert no_data_nor_names(await say(slack, fake, SHARED, GUEST_B, "revenue march 2025", team=TEAM_B))

    # The refusal spent nothing: the code still binds a channel of B's own, for team B only.
    assert "Connected" in await say(slack, fake, B_ONLY, BOSS_B, f"connect {code}", team=TEAM_B)
    assert binding(app, B_ONLY) == ("tenantb", "member", TEAM_B)
    # tenantb's calendar is UTC: its March is $160.00, shop's (São Paulo) $240.00.
    assert "$160.00" in await say(slack, fake, B_ONLY, GUEST_B, "revenue march 2025", team=TEAM_B)
    assert no_data_nor_names(await say(slack, fake, B_ONLY, ANA, "revenue march 2025"))


@pytest.mark.asyncio
async def test_a_whole_team_binding_answers_that_team_only(slack, fake, app, dispatcher):
    dispatcher.bind("slack", f"{fs.TEAM_ID}/*", "shop", "cli:test")
    assert "$240.00" in await say(slack, fake, "C0ANYWHERE1", ANA, "revenue march 2025")
    assert no_data_nor_names(await say(slack, fake, "C0ANYWHERE1", GUEST_B, "revenue march 2025",
                                       team=TEAM_B))


@pytest.mark.asyncio
async def test_users_info_decides_the_senders_team_when_the_event_claims_the_installations(slack, fake):
    # The event names team A, but users.info says the sender is of team B: no answer from A.
    answer = await say(slack, fake, SHARED, BOSS_B, "revenue march 2025")
    assert no_data_nor_names(answer) and "isn't connected" in answer


@pytest.mark.asyncio
async def test_a_binding_without_a_team_answers_nobody_until_the_installations_team_is_known(
        fake, app):
    # No auth.test answer yet (the channel never looked it up): closed, not open to every team.
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    dispatcher.bind("slack", SHARED, "shop", "cli:test")
    assert dispatcher.workspace_for(ConversationRef("slack", SHARED, None, fs.TEAM_ID)) is None
    dispatcher.slack_team = fs.TEAM_ID
    assert dispatcher.workspace_for(ConversationRef("slack", SHARED, None, fs.TEAM_ID)) == "shop"
    assert dispatcher.workspace_for(ConversationRef("slack", SHARED, None, TEAM_B)) is None
