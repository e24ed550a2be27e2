"""Choices in the terminal: numbered lines, and "2" typed next asks that reading."""

from __future__ import annotations

import asyncio

from agents.graph import TallyGraph
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.terminal import TerminalChannel, TerminalOutbox
from bot.pipeline import Pipeline
from tests.bot.choosing import VAGUE, ChoosingBrain


def test_the_terminal_numbers_the_choices_and_a_typed_number_picks_one(app: App, tmp_path):
    graph = TallyGraph(brain_ports(app), memory_path=tmp_path / "memory.sqlite")
    terminal = TerminalChannel(Pipeline(app, ChoosingBrain(graph), None), "shop",
                               TerminalOutbox(tmp_path))
    terminal.bind()
    offer = asyncio.run(terminal.ask(VAGUE))
    assert "1. revenue march 2025\n2. orders march 2025\n3. revenue by country march 2025" in offer.as_text()
    assert asyncio.run(terminal.ask("#3")).text.startswith("Revenue by country in March 2025: $240.00")
    assert not asyncio.run(terminal.ask("3")).ok  # a number is a pick only right after choices
    graph.close()
