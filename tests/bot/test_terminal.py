"""The terminal is a channel: `tally chat` and `tally ask` take the pipeline's one path, so
every chat command of the README answers there as in the playground (which refuses later posts)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.channels.base import ConversationRef, InboundMessage
from bot.middleware import NO_LATER_POSTS
from bot.runtime import build_runtime
from bot.settings import Settings
from storage.catalog import AsOf
from storage.state import ChannelBindingRow
from tests.conftest import FIXTURES

TALLY = [sys.executable, "-m", "bot.cli"]
#: The chat commands the README shows, in the order a person would try them.
README_COMMANDS = (
    "subscribe daily digest at 8:00",
    "alert me when daily revenue drops below 1000",
    "list my alerts",
    "snooze revenue alerts for 3 days",
    "send the weekly report every Monday 9am",
    "list my subscriptions",
    "record Sharpie",
    "help",
)


def tally(*args: str, data: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TALLY_DATA_DIR": str(data), "COLUMNS": "1000"}
    return subprocess.run([*TALLY, *args], capture_output=True, text=True, env=env, input=stdin,
                          timeout=300, cwd=Path(__file__).parents[2])


def shop_folder(folder: Path) -> Path:
    done = tally("import", str(FIXTURES / "shop"), "--workspace", "shop", "--create",
                 "--timezone", "America/Sao_Paulo", data=folder)
    assert done.returncode == 0, done.stderr
    return folder


def chat_replies(stdout: str) -> list[str]:
    """What `tally chat` answered, one entry per line typed."""
    turns = stdout.split("you › ")[1:-1]  # before the first: the banner; after the last: EOF
    return [normalized(turn.removeprefix("tally › ")) for turn in turns]


def normalized(text: str) -> str:
    """Trailing spaces off every line, and a snooze's end minute (the runs are seconds apart)."""
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"until [A-Z][a-z]{2} [A-Z][a-z]{2} \d+ \d\d:\d\d", "until <when>", text)


async def playground_replies(folder: Path) -> list[str]:
    """The same commands as the playground sends them: a signed-in owner's tab, its name cli."""
    runtime = build_runtime(Settings(TALLY_DATA_DIR=folder))
    try:
        pipeline = runtime.dispatcher
        pipeline.bind("playground", "shop", "shop", "playground")
        ref = ConversationRef("playground", "tab:1:c1", space_id="shop")
        replies = []
        for text in README_COMMANDS:
            reply = await pipeline.handle(InboundMessage(ref, text, "cli", "cli", role="owner"))
            assert reply is not None
            replies.append(normalized(reply.as_text()))
        return replies
    finally:
        runtime.app.close()


@pytest.fixture(scope="module")
def terminal_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shop_folder(tmp_path_factory.mktemp("terminal"))


def test_every_readme_chat_command_answers_in_tally_chat_and_the_playground_refuses_only_later_posts(
        tmp_path_factory):
    folder = shop_folder(tmp_path_factory.mktemp("chat"))
    done = tally("chat", "-w", "shop", data=folder, stdin="\n".join(README_COMMANDS) + "\n")
    assert done.returncode == 0, done.stderr
    in_terminal = chat_replies(done.stdout)
    in_playground = asyncio.run(playground_replies(shop_folder(tmp_path_factory.mktemp("pg"))))
    # the terminal has an outbox; the playground cannot post later (a digest, an alert)
    refused = [n for n, reply in enumerate(in_playground) if reply == normalized(NO_LATER_POSTS)]
    assert refused == [0, 1, 4]
    assert in_terminal[6:] == in_playground[6:]  # record Sharpie, help
    assert in_terminal[0].startswith("Subscribed: the daily digest every day at 08:00")
    assert in_terminal[1].startswith("Alert #1 set: Revenue daily below $1,000.00")
    assert "#1" in in_terminal[2] and in_terminal[3].startswith("Snoozed 1 alert (#1)")
    assert in_terminal[4].startswith("Subscribed: the weekly report every Monday at 09:00")
    assert "daily digest" in in_terminal[5] and "weekly report" in in_terminal[5]


def test_tally_ask_runs_chat_commands_and_the_terminal_is_one_chat_per_workspace(terminal_folder):
    made = tally("ask", "-w", "shop", "--json", "alert me when daily revenue drops below 1000",
                 data=terminal_folder)
    assert made.returncode == 0, made.stderr
    assert "Alert #1 set" in json.loads(made.stdout)["text"]
    listed = tally("ask", "-w", "shop", "list my alerts", data=terminal_folder)
    assert listed.returncode == 0 and "Revenue daily below $1,000.00" in listed.stdout


def test_the_terminal_chat_is_bound_to_its_workspace_as_owner_once(terminal_folder):
    for _ in range(2):
        assert tally("ask", "-w", "shop", "list my subscriptions", data=terminal_folder).returncode == 0
    engine = sa.create_engine(f"sqlite:///{terminal_folder / 'state.db'}")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(ChannelBindingRow.workspace, ChannelBindingRow.role)
                                  .where(ChannelBindingRow.platform == "terminal")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [("shop", "owner")]


def test_a_question_in_tally_ask_json_has_no_answer_id_added(terminal_folder):
    done = tally("ask", "-w", "shop", "--as-of", "2025-04-10", "--json", "revenue march 2025",
                 data=terminal_folder)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["value"] == 240 and "answer_id" not in answer


def test_a_digest_subscribed_from_the_terminal_waits_for_the_next_tally_chat(tmp_path_factory):
    folder = shop_folder(tmp_path_factory.mktemp("outbox"))
    assert tally("ask", "-w", "shop", "subscribe daily digest at 8:00", data=folder).returncode == 0
    runtime = build_runtime(Settings(TALLY_DATA_DIR=folder))
    try:
        as_of = AsOf.now(runtime.app.workspace("shop").tz, datetime(2025, 4, 10, 12, tzinfo=UTC))
        outcomes = asyncio.run(runtime.proactive.send_now("shop", "digest", as_of, "manual:test"))
    finally:
        runtime.app.close()
    assert [(s.ref.platform, status) for s, status in outcomes] == [("terminal", "sent")]
    first = tally("chat", "-w", "shop", data=folder, stdin="exit\n")
    assert "while you were away" in first.stdout
    again = tally("chat", "-w", "shop", data=folder, stdin="exit\n")
    assert "while you were away" not in again.stdout


def test_a_new_tally_chat_session_remembers_nothing_of_the_last_one(tmp_path_factory):
    # A stranger's "refund rate last month" in a new session came back "(in MX)" from the
    # session before: each `tally chat` is a conversation of its own.
    folder = shop_folder(tmp_path_factory.mktemp("sessions"))
    first = tally("chat", "-w", "shop", "--as-of", "2025-04-10", data=folder,
                  stdin="revenue march 2025\nand the month before?\nexit\n")
    assert "February 2025" in chat_replies(first.stdout)[1]
    again = tally("chat", "-w", "shop", "--as-of", "2025-04-10", data=folder,
                  stdin="and the month before?\nexit\n")
    assert "February 2025" not in chat_replies(again.stdout)[0]
    assert "January 2025" not in chat_replies(again.stdout)[0]
