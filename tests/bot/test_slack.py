"""Slack end to end: the real bolt AsyncApp behind ``POST /slack/events`` and the real
AsyncWebClient against a fake Slack Web API on 127.0.0.1.

Requests are signed the way Slack signs them; answers come from the real dispatcher and
offline brain on the shop fixture, and the fake records what the bot posts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from starlette.applications import Starlette

from agents.answer import Answerer
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import Channel
from bot.channels.slack import SlackChannel, build
from bot.pipeline import Pipeline
from bot.settings import Settings
from storage.access import Role
from storage.bind_codes import create_bind_code
from storage.state import AnswerRow, ChannelBindingRow, FeedbackRow
from tests.fakes import slack_api as fs
from tests.fakes.server import serve

BOUND, DM, UNBOUND = "C0SHOP0001", "D0ANA00001", "C0OTHER001"
ANA, BOSS = "U0ANA00001", "U0BOSS0001"
# The smallest valid PNG (1×1, transparent): what a chart upload carries.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfab"
                    "d40000000049454e44ae426082")


@pytest.fixture(scope="module")
def fake() -> Iterator[fs.FakeSlack]:
    fake = fs.FakeSlack(users={ANA: fs.user(ANA, "Ana"), BOSS: fs.user(BOSS, "Bia", admin=True)},
                        not_member_of={"C0NOTMEMBR"})
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def dispatcher(app: App) -> Pipeline:
    dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    for chat in (BOUND, DM, "C0NOTMEMBR"):
        dispatcher.bind("slack", chat, "shop", "test")
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


async def deliver(channel: SlackChannel, body: str, *, retry: int | None = None,
                  headers: dict[str, str] | None = None, form: bool = False) -> httpx.Response:
    """POSTs ``body`` to /slack/events as Slack would, then waits for the answers to be sent."""
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    sent = fs.signed_headers(body, content_type=content_type) if headers is None else headers
    if retry is not None:
        sent = {**sent, "X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    transport = httpx.ASGITransport(app=Starlette(routes=list(channel.routes())))
    async with httpx.AsyncClient(transport=transport, base_url="http://tally.test") as client:
        response = await client.post("/slack/events", content=body, headers=sent)
    await channel.wait_idle()
    return response


def text_of(post: dict) -> str:
    return "\n".join(b["text"]["text"] for b in post["blocks"] if b["type"] == "section")


def answers(app: App, conversation: str) -> list[AnswerRow]:
    with app.state.session() as s:
        return list(s.scalars(sa.select(AnswerRow).where(AnswerRow.conversation == conversation)))


def test_the_channel_implements_the_protocol_and_needs_credentials(slack, app, dispatcher):
    assert isinstance(slack, Channel)
    assert build(Settings(TALLY_DATA_DIR=app.settings.data_dir), dispatcher) is None
    assert build(Settings(TALLY_DATA_DIR=app.settings.data_dir, SLACK_BOT_TOKEN="xoxb-1"),
                 dispatcher) is None


@pytest.mark.asyncio
async def test_a_signed_mention_is_answered_in_its_thread_with_the_catalog_numbers(slack, fake, app,
                                                                                   dispatcher):
    event = fs.mention(BOUND, ANA, "revenue march 2025", "1712000000.000100")
    response = await deliver(slack, fs.event_callback(event, "Ev0MENTION1"))
    assert response.status_code == 200
    [post] = fake.posts()
    assert post["channel"] == BOUND and post["thread_ts"] == "1712000000.000100"
    assert "Revenue in March 2025 was $240.00." in text_of(post)
    buttons = post["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["tally_feedback_up", "tally_feedback_down"]
    [row] = answers(app, f"slack:{fs.TEAM_ID}:{BOUND}:1712000000.000100")
    assert buttons[0]["value"] == row.id
    [result] = fake.results()
    assert dispatcher.answer_for_message("slack", f"{BOUND}:{result['ts']}") == row.id


@pytest.mark.parametrize("headers", [
    {"X-Slack-Request-Timestamp": "0", "X-Slack-Signature": "v0=deadbeef"},
    {},
], ids=["bad-signature", "missing-signature"])
@pytest.mark.asyncio
async def test_unsigned_or_badly_signed_requests_get_401_and_no_post(slack, fake, headers):
    body = fs.event_callback(fs.mention(BOUND, ANA, "revenue march 2025", "1712000001.0001"), "Ev0BAD")
    assert (await deliver(slack, body, headers=headers)).status_code == 401
    forged = fs.signed_headers(body, secret="not-the-secret")
    assert (await deliver(slack, body, headers=forged)).status_code == 401
    assert fake.posts() == []


@pytest.mark.asyncio
async def test_a_retry_of_an_answered_event_gets_no_second_answer(slack, fake):
    body = fs.event_callback(fs.mention(BOUND, ANA, "orders march 2025", "1712000002.0001"), "Ev0RETRY1")
    assert (await deliver(slack, body)).status_code == 200
    assert (await deliver(slack, body, retry=1)).status_code == 200
    assert (await deliver(slack, body, retry=2)).status_code == 200
    assert len(fake.posts()) == 1


@pytest.mark.asyncio
async def test_a_retry_of_an_event_whose_first_delivery_was_lost_is_answered(slack, fake):
    body = fs.event_callback(fs.mention(BOUND, ANA, "orders march 2025", "1712000003.0001"), "Ev0LOST1")
    assert (await deliver(slack, body, retry=1)).status_code == 200
    [post] = fake.posts()
    assert "4" in text_of(post)


@pytest.mark.asyncio
async def test_a_reply_in_tallys_thread_is_a_follow_up_in_the_same_thread(slack, fake, app):
    root = "1712000004.000100"
    await deliver(slack, fs.event_callback(fs.mention(BOUND, ANA, "revenue march 2025", root), "Ev0T1"))
    follow_up = fs.message(BOUND, ANA, "revenue by country march 2025", "1712000004.000300",
                           channel_type="channel", thread_ts=root)
    await deliver(slack, fs.event_callback(follow_up, "Ev0T2"))
    first, second = fake.posts()
    assert first["thread_ts"] == second["thread_ts"] == root
    assert "```" in text_of(second) and "BR" in text_of(second) and "$110.00" in text_of(second)
    assert len(answers(app, f"slack:{fs.TEAM_ID}:{BOUND}:{root}")) == 2


@pytest.mark.asyncio
async def test_chatter_in_other_threads_and_channels_is_left_alone(slack, fake):
    stranger = fs.message(BOUND, ANA, "revenue march 2025", "1712000005.0002", channel_type="channel",
                          thread_ts="1712000005.0001")
    plain = fs.message(BOUND, ANA, "lunch?", "1712000005.0003", channel_type="channel")
    # The message twin of a mention: the app_mention event answers it, not this one.
    twin = fs.message(BOUND, ANA, f"<@{fs.BOT_USER_ID}> revenue", "1712000005.0004",
                      channel_type="channel", thread_ts="1712000004.000100")
    for i, event in enumerate((stranger, plain, twin)):
        assert (await deliver(slack, fs.event_callback(event, f"Ev0CHAT{i}"))).status_code == 200
    assert fake.posts() == []


@pytest.mark.asyncio
async def test_a_direct_message_is_answered_in_the_dm(slack, fake):
    await deliver(slack, fs.event_callback(fs.message(DM, ANA, "aov march 2025", "1712000006.0001"),
                                           "Ev0DM1"))
    [post] = fake.posts()
    assert post["channel"] == DM and "thread_ts" not in post
    assert "$60.00" in text_of(post)


@pytest.mark.asyncio
async def test_the_slash_command_acks_at_once_and_answers_in_the_channel(slack, fake):
    body = fs.slash_command(BOUND, ANA, "revenue march 2025", f"{fake.url}/response/1")
    response = await deliver(slack, body, form=True)
    assert response.status_code == 200 and response.text == ""
    [post] = fake.posts()
    assert post["channel"] == BOUND and "$240.00" in text_of(post)


@pytest.mark.asyncio
async def test_the_slash_command_answers_via_its_response_url_where_tally_is_no_member(slack, fake):
    fake.responses.clear()
    body = fs.slash_command("C0NOTMEMBR", ANA, "revenue march 2025", f"{fake.url}/response/2",
                            trigger_id="1337.99.trigger")
    await deliver(slack, body, form=True)
    [response] = fake.responses
    assert response["response_type"] == "in_channel" and "$240.00" in response["text"]


@pytest.mark.asyncio
async def test_slash_subcommands_reach_the_dispatchers_command_handlers(slack, fake, dispatcher):
    seen = []

    async def digest(message, workspace):
        seen.append((message.command, message.text, workspace))
        return Reply("Daily digest for shop")

    dispatcher.commands["digest"] = digest
    await deliver(slack, fs.slash_command(BOUND, ANA, "digest now", f"{fake.url}/response/3",
                                          trigger_id="1337.77.trigger"), form=True)
    assert seen == [("digest", "now", "shop")]
    assert "Daily digest for shop" in text_of(fake.posts()[0])


@pytest.mark.asyncio
async def test_a_feedback_click_is_stored(slack, fake, app):
    await deliver(slack, fs.event_callback(fs.mention(BOUND, ANA, "refunds march 2025", "1712000007.1"),
                                           "Ev0FB1"))
    [post] = fake.posts()
    answer_id = post["blocks"][-1]["elements"][1]["value"]
    click = fs.button_click(BOUND, ANA, "tally_feedback_down", answer_id, fake.results()[0]["ts"])
    assert (await deliver(slack, click, form=True)).status_code == 200
    with app.state.session() as s:
        assert s.get(FeedbackRow, (answer_id, ANA)).score == -1
    assert fake.posts("chat.postEphemeral")[0]["user"] == ANA


@pytest.mark.asyncio
async def test_an_unbound_channel_gets_instructions_and_a_code_not_a_name_connects_it(slack, fake, app):
    await deliver(slack, fs.event_callback(fs.mention(UNBOUND, ANA, "revenue", "1712000008.1"), "Ev0UB1"))
    assert f"tally connect slack {fs.TEAM_ID}/{UNBOUND} --workspace NAME" in text_of(fake.posts()[0])
    await deliver(slack, fs.event_callback(fs.mention(UNBOUND, BOSS, "connect shop", "1712000008.2"),
                                           "Ev0UB2"))
    assert "one-time code" in text_of(fake.posts()[1])  # a Slack admin typing a name binds nothing
    issued = create_bind_code(app.state, workspace="shop", role=Role.MEMBER, actor="cli:test",
                              now=datetime.now(UTC).replace(tzinfo=None))
    said = f"connect {issued.code.lower()}"
    await deliver(slack, fs.event_callback(fs.mention(UNBOUND, ANA, said, "1712000008.3"), "Ev0UB3"))
    assert "Connected" in text_of(fake.posts()[2])
    with app.state.session() as s:
        row = s.scalar(sa.select(ChannelBindingRow).where(ChannelBindingRow.chat_id == UNBOUND))
    assert (row.workspace, row.role, row.team_id) == ("shop", "member", fs.TEAM_ID)


@pytest.mark.asyncio
async def test_a_chart_is_uploaded_into_the_answers_thread(slack, fake, app, tmp_path):
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)

    class ChartingBrain(Answerer):
        async def respond(self, **kwargs: str) -> Reply:  # type: ignore[override]
            reply = await super().respond(**kwargs)  # type: ignore[arg-type]
            return dataclasses.replace(reply, chart=str(chart))

    slack.dispatcher.responder = ChartingBrain(brain_ports(app))
    root = "1712000009.0001"
    await deliver(slack, fs.event_callback(fs.mention(BOUND, ANA, "revenue march 2025", root), "Ev0CH1"))
    [complete] = fake.posts("files.completeUploadExternal")
    assert complete["channel_id"] == BOUND and complete["thread_ts"] == root
    [file_id] = [f["id"] for f in json.loads(complete["files"])]
    assert fake.uploads[file_id] == PNG


@pytest.mark.asyncio
async def test_slacks_url_verification_challenge_is_answered(slack):
    body = json.dumps({"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    response = await deliver(slack, body)
    assert response.status_code == 200
    assert response.json()["challenge"].startswith("3eZbrw1a")
