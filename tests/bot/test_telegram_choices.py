"""Choices on Telegram: the readings Tally offers are an inline keyboard whose
``callback_data`` names the choice's number and the answer (≤ 64 bytes); a click asks the
chosen question as the person who clicked, in the same chat."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from agents.graph import TallyGraph
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.telegram_render import choice_from_callback, render
from bot.pipeline import Pipeline
from storage.state import AnswerRow
from tests.bot.choosing import CHOICES, VAGUE, ChoosingBrain
from tests.bot.test_telegram import GROUP, PRIVATE, fake, polling, wait_until
from tests.fakes.telegram_api import FakeTelegram, callback_query, private_text, user

__all__ = ["fake", "polling"]  # the Telegram fixtures, over this module's dispatcher


@pytest.fixture
def dispatcher(app: App, tmp_path) -> Iterator[Pipeline]:
    graph = TallyGraph(brain_ports(app), memory_path=tmp_path / "memory.sqlite")
    dispatcher = Pipeline(app, ChoosingBrain(graph), rate_limit_per_minute=1000)
    dispatcher.bind("telegram", str(PRIVATE), "shop", "test")
    dispatcher.bind("telegram", str(GROUP), "shop", "test")
    yield dispatcher
    graph.close()


async def offered(fake: FakeTelegram):
    fake.push(private_text(PRIVATE, VAGUE))
    await wait_until(lambda: fake.sent_to(PRIVATE), "the choices")
    return fake.sent_to(PRIVATE)[-1]


@pytest.mark.asyncio
async def test_choices_are_an_inline_keyboard_keyed_by_number_and_answer(polling, fake, app):
    offer = await offered(fake)
    assert [b["text"] for b in offer.buttons] == list(CHOICES)
    with app.state.session() as s:
        answer_id = s.scalar(sa.select(AnswerRow.id).where(AnswerRow.question == VAGUE))
    assert [b["callback_data"] for b in offer.buttons] == [f"choice:{n}:{answer_id}" for n in (1, 2, 3)]
    assert all(len(b["callback_data"].encode()) <= 64 for b in offer.buttons)


@pytest.mark.asyncio
async def test_a_click_answers_the_chosen_question_in_the_chat(polling, fake, app):
    offer = await offered(fake)
    fake.push_callback(callback_query(offer, offer.buttons[2]["callback_data"], user(PRIVATE)))
    await wait_until(lambda: len(fake.sent_to(PRIVATE)) == 2, "the chosen question's answer")
    answer = fake.sent_to(PRIVATE)[-1]
    assert answer.text.startswith("Revenue by country in March 2025: $240.00 in total.")
    assert fake.called("answerCallbackQuery")[-1].get("text") is None  # the spinner just stops
    with app.state.session() as s:
        row = s.scalars(sa.select(AnswerRow).order_by(AnswerRow.created_at.desc())).first()
    assert (row.question, row.user_id) == ("revenue by country march 2025", str(PRIVATE))


@pytest.mark.asyncio
async def test_a_stale_click_is_answered_with_a_polite_note_and_nothing_else(polling, fake):
    offer = await offered(fake)
    fake.push_callback(callback_query(offer, f"choice:2:{'0' * 16}", user(PRIVATE)))
    await wait_until(lambda: fake.called("answerCallbackQuery"), "the callback's answer")
    assert "earlier question I can no longer find" in fake.called("answerCallbackQuery")[0]["text"]
    assert len(fake.sent_to(PRIVATE)) == 1


def test_without_a_recorded_answer_choices_are_numbered_lines_and_callbacks_read_back():
    rendered = render(Reply("Which one?", ok=False, choices=CHOICES))
    assert rendered.buttons == () and "3. revenue by country march 2025" in rendered.texts[0]
    assert choice_from_callback("choice:2:abc123") == ("abc123", 2)
    assert choice_from_callback("feedback:up:abc") is None and choice_from_callback(None) is None
