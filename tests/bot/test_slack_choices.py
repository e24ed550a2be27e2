"""Choices on Slack: the readings Tally offers are Block Kit buttons, and a click asks the
chosen question, as the person who clicked, in the answer's thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agents.graph import TallyGraph
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.slack_render import render
from bot.pipeline import Pipeline
from tests.bot.choosing import CHOICES, VAGUE, ChoosingBrain
from tests.bot.test_slack import ANA, BOSS, BOUND, answers, deliver, fake, slack, text_of
from tests.fakes import slack_api as fs

__all__ = ["fake", "slack"]  # the Slack fixtures, over this module's dispatcher
THREAD = "1712000100.000100"


@pytest.fixture
def dispatcher(app: App, tmp_path) -> Iterator[Pipeline]:
    graph = TallyGraph(brain_ports(app), memory_path=tmp_path / "memory.sqlite")
    dispatcher = Pipeline(app, ChoosingBrain(graph), rate_limit_per_minute=1000)
    dispatcher.bind("slack", BOUND, "shop", "test")
    yield dispatcher
    graph.close()


async def offer(channel, fake, event_id: str) -> tuple[dict, str]:
    fake.calls.clear()
    await deliver(channel, fs.event_callback(fs.mention(BOUND, ANA, VAGUE, THREAD), event_id))
    [post] = fake.posts()
    return post, fake.results()[0]["ts"]


@pytest.mark.asyncio
async def test_choices_are_buttons_keyed_by_answer_and_number(slack, fake, app):
    post, _ = await offer(slack, fake, "Ev0CH1")
    [buttons] = [b["elements"] for b in post["blocks"] if b.get("block_id") == "tally_choices"]
    assert [b["text"]["text"] for b in buttons] == list(CHOICES)
    assert [b["action_id"] for b in buttons] == ["tally_choice_1", "tally_choice_2", "tally_choice_3"]
    [row] = answers(app, f"slack:{fs.TEAM_ID}:{BOUND}:{THREAD}")
    assert {b["value"] for b in buttons} == {row.id}


@pytest.mark.asyncio
async def test_a_click_answers_the_chosen_question_in_the_thread_as_the_clicker(slack, fake, app):
    post, ts = await offer(slack, fake, "Ev0CH2")
    answer_id = post["blocks"][-1]["elements"][0]["value"]
    fake.calls.clear()
    click = fs.button_click(BOUND, BOSS, "tally_choice_1", answer_id, ts, thread_ts=THREAD)
    assert (await deliver(slack, click, form=True)).status_code == 200
    [answer] = fake.posts()
    assert answer["thread_ts"] == THREAD and "Revenue in March 2025 was $240.00." in text_of(answer)
    recorded = answers(app, f"slack:{fs.TEAM_ID}:{BOUND}:{THREAD}")[-1]
    assert (recorded.question, recorded.user_id) == ("revenue march 2025", BOSS)


@pytest.mark.asyncio
async def test_a_stale_or_foreign_choice_says_so_politely_and_answers_nothing(slack, fake):
    post, ts = await offer(slack, fake, "Ev0CH3")
    answer_id = post["blocks"][-1]["elements"][0]["value"]
    for click in (fs.button_click(BOUND, ANA, "tally_choice_2", "0" * 16, ts, thread_ts=THREAD),
                  fs.button_click(BOUND, ANA, "tally_choice_9", answer_id, ts, thread_ts=THREAD),
                  fs.button_click(BOUND, ANA, "tally_choice_2", answer_id, ts)):  # not its thread
        fake.calls.clear()
        await deliver(slack, click, form=True)
        assert fake.posts() == []
        [said] = fake.posts("chat.postEphemeral")
        assert said["user"] == ANA and "earlier question I can no longer find" in said["text"]


def test_choices_without_a_recorded_answer_are_numbered_lines():
    from agents.reply import Reply

    blocks = render(Reply("Which one?", ok=False, choices=CHOICES)).blocks
    assert "1. revenue march 2025\n2. orders march 2025" in text_of({"blocks": blocks})
    assert not any(b["type"] == "actions" for b in blocks)


@pytest.mark.asyncio
async def test_the_parsers_own_choices_are_buttons_and_a_click_answers_one(slack, fake):
    fake.calls.clear()
    await deliver(slack, fs.event_callback(fs.mention(BOUND, ANA, "revenue by weekday march 2025",
                                                      THREAD), "Ev0CH4"))
    [post] = fake.posts()
    [buttons] = [b["elements"] for b in post["blocks"] if b.get("block_id") == "tally_choices"]
    assert buttons[0]["text"]["text"] == "revenue by week march 2025"
    ts = fake.results()[0]["ts"]
    fake.calls.clear()
    click = fs.button_click(BOUND, ANA, "tally_choice_1", buttons[0]["value"], ts, thread_ts=THREAD)
    await deliver(slack, click, form=True)
    assert "Revenue by week in March 2025: $240.00" in text_of(fake.posts()[0])
