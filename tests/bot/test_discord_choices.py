"""Choices on Discord: the readings Tally offers are buttons whose ``custom_id`` names the
answer and the choice's number; a click asks the chosen question as the clicker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from agents.graph import TallyGraph
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.discord_render import render
from bot.pipeline import Pipeline
from storage.state import AnswerRow
from tests.bot.choosing import CHOICES, VAGUE, ChoosingBrain
from tests.bot.test_discord import ANA, discord_bot, fake, inject_interaction, sent
from tests.fakes import discord_api as fd

__all__ = ["discord_bot", "fake"]  # the Discord fixtures, over this module's dispatcher
BIA = fd.user("1400000000000000002", "Bia")


@pytest.fixture
def dispatcher(app: App, tmp_path) -> Iterator[Pipeline]:
    graph = TallyGraph(brain_ports(app), memory_path=tmp_path / "memory.sqlite")
    dispatcher = Pipeline(app, ChoosingBrain(graph), rate_limit_per_minute=1000)
    dispatcher.bind("discord", fd.GUILD, "shop", "test")
    yield dispatcher
    graph.close()


async def offered(bot, fake, interaction_id: str) -> fd.Sent:
    inject_interaction(bot, fd.slash_command(interaction_id, "ask", ANA, question=VAGUE))
    return (await sent(fake, "followup"))[-1]


@pytest.mark.asyncio
async def test_choices_are_a_row_of_buttons_above_the_votes(discord_bot, fake):
    followup = await offered(discord_bot, fake, "1610000000000000001")
    choices, votes = followup.payload["components"]
    assert [b["label"] for b in choices["components"]] == list(CHOICES)
    answer_id = votes["components"][0]["custom_id"].rsplit(":", 1)[1]
    assert [b["custom_id"] for b in choices["components"]] == [
        f"tally:choice:{n}:{answer_id}" for n in (1, 2, 3)]
    assert all(len(b["custom_id"]) <= 100 for b in choices["components"])


@pytest.mark.asyncio
async def test_a_click_asks_the_chosen_question_as_the_person_who_clicked(discord_bot, fake, app):
    followup = await offered(discord_bot, fake, "1610000000000000002")
    second = followup.payload["components"][0]["components"][1]["custom_id"]
    inject_interaction(discord_bot, fd.button_click("1610000000000000003", second, BIA,
                                                    followup.response))
    answer = (await sent(fake, "followup", 2))[-1]
    assert answer.payload["embeds"][0]["description"].startswith("Orders in March 2025 were 4.")
    assert (await sent(fake, "callback", 2))[-1].payload["type"] == 5  # deferred, then answered
    with app.state.session() as s:
        row = s.scalars(sa.select(AnswerRow).order_by(AnswerRow.created_at.desc())).first()
    assert (row.question, row.user_id) == ("orders march 2025", BIA["id"])


@pytest.mark.asyncio
async def test_a_choice_whose_answer_is_gone_is_told_privately(discord_bot, fake, app):
    followup = await offered(discord_bot, fake, "1610000000000000004")
    second = followup.payload["components"][0]["components"][1]["custom_id"]
    with app.state.session() as s, s.begin():
        s.execute(sa.delete(AnswerRow).where(AnswerRow.id == second.rsplit(":", 1)[1]))
    inject_interaction(discord_bot, fd.button_click("1610000000000000005", second, ANA,
                                                    followup.response))
    callback = (await sent(fake, "callback", 2))[-1]
    assert callback.payload["data"]["flags"] == 64
    assert "earlier question I can no longer find" in callback.payload["data"]["content"]
    assert len(fake.of("followup")) == 1


def test_without_a_recorded_answer_the_choices_are_numbered_in_the_embed():
    message = render(Reply("Which one?", ok=False, choices=CHOICES))
    assert message.choices == () and "2. orders march 2025" in (message.embed.description or "")
