"""Betting questions in plain words go through the same brain as every other question; "my"
means the asker's bettor (their display name), passed by the channel as ``user_name``.

Expected numbers are the hand counts of ``test_betting_metrics`` (as of 2025-04-10).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agents.graph import TallyGraph
from bot.app import App
from bot.brain_ports import brain_ports
from bot.settings import Settings
from storage.importer import import_directory
from tests.agents.test_betting_metrics import as_of, write_fixture


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TallyGraph]:
    data = tmp_path_factory.mktemp("data")
    app = App(Settings(TALLY_DATA_DIR=data))
    app.workspaces.create("guild-42")
    import_directory(app.workspaces.warehouse("guild-42"), write_fixture(data / "fixture"))
    found = TallyGraph(brain_ports(app), memory_path=data / "memory.sqlite")
    yield found
    found.close()
    app.close()


@pytest.mark.parametrize(("question", "user", "says"), [
    ("who's the top capper this month?", None, "Sharpie had the highest profit this month"),
    ("my ROI on NBA", "Sharpie", "Sharpie's ROI (league NBA)"),
    ("Sharpie's record last week", None, "was 2-0-2"),
    ("profit by sport this year", None, "+6.80u in total. football leads with +3.10u"),
    ("what's my CLV", "Sharpie", "Sharpie's CLV"),
    ("how many pending bets", None, "Pending bets are 2"),
    ("my pending bets", "LockSmith", "LockSmith's pending bets are 1"),
    ("my streak", "Sharpie", "Sharpie's streak is W3"),
    ("who has the best roi this month", None, "had the highest ROI this month"),  # not "profit"
    ("profit all time", None, "Profit all time was"),
])
def test_betting_questions_are_answered_by_the_brain(graph, question, user, says):
    reply = graph.ask("guild-42", question, f"conversation-{question}", as_of(), user)
    assert reply.ok and says in reply.text, reply.text


def test_my_roi_is_the_askers_own_number(graph):
    sharpie = graph.ask("guild-42", "my ROI on NBA", "roi-1", as_of(), "Sharpie")
    # Sharpie's NBA bets: +1 −2 +3.2 +0.5 +0 on 1+2+2+1+1 staked = 2.7 / 7
    assert sharpie.data["value"] == pytest.approx(2.7 / 7)
    lock = graph.ask("guild-42", "my ROI on NBA", "roi-2", as_of(), "LockSmith")
    # LockSmith's NBA bets, last 30 days: +2 −1 −2 −1 +0 on 2+1+2+1+2 = −2 / 8
    assert lock.data["value"] == pytest.approx(-2 / 8)


def test_my_without_a_known_bettor_is_refused_not_guessed(graph):
    reply = graph.ask("guild-42", "my ROI", "roi-3", as_of(), "Stranger")
    assert not reply.ok and "Stranger" in reply.text
