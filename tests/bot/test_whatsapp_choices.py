"""Choices on WhatsApp: the readings Tally offers are numbered lines, and "2" (or "the
second one") sent next asks that reading, answered from the conversation's memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agents.graph import TallyGraph
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.whatsapp_render import render
from bot.pipeline import Pipeline
from tests.bot.choosing import CHOICES, VAGUE, ChoosingBrain
from tests.bot.test_whatsapp import ANA, channel, client, fake, post
from tests.fakes import whatsapp_api as graph

__all__ = ["channel", "client", "fake"]  # the WhatsApp fixtures, over this module's dispatcher


@pytest.fixture
def dispatcher(app: App, tmp_path) -> Iterator[Pipeline]:
    brain = TallyGraph(brain_ports(app), memory_path=tmp_path / "memory.sqlite")
    dispatcher = Pipeline(app, ChoosingBrain(brain), rate_limit_per_minute=1000)
    dispatcher.bind("whatsapp", f"+{ANA}", "shop", "test")
    yield dispatcher
    brain.close()


def test_choices_are_numbered_lines_with_how_to_pick():
    [body] = render(Reply("Which one?", ok=False, choices=CHOICES)).texts
    assert body == ("Which one?\n\n1. revenue march 2025\n2. orders march 2025\n"
                    "3. revenue by country march 2025\nReply with its number.")


@pytest.mark.asyncio
@pytest.mark.parametrize(("said", "answered"), [
    ("2", "Orders in March 2025 were 4."), ("the first one", "Revenue in March 2025 was $240.00.")])
async def test_a_number_sent_next_asks_that_reading(channel, client, fake, said, answered):
    await post(client, graph.text_webhook(ANA, VAGUE, f"wamid.V{said}"))
    await channel.drain()
    assert "2. orders march 2025" in fake.sent_to(ANA)[-1]["text"]["body"]
    await post(client, graph.text_webhook(ANA, said, f"wamid.P{said}"))
    await channel.drain()
    assert fake.sent_to(ANA)[-1]["text"]["body"].startswith(answered)
