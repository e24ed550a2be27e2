"""Teach Tally in chat, through the wiring of ``tally serve``: admins teach and forget the
workspace's words, everyone lists them, and every later question is read with them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage
from bot.commands.teach import teach_command_for_text, teaching
from bot.runtime import Runtime, build_runtime
from storage.access import Role
from storage.audit import list_audit
from storage.synonyms import SynonymStore
from tests.bot.test_runtime_http import shop_settings

MEMORY = {"memory": "tests.bot.test_runtime_lifecycle:build_memory"}
ROOM, VIEWER_ROOM = "shop-room", "viewer-room"
_events = itertools.count()


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    runtime = build_runtime(shop_settings(tmp_path, TALLY_PLAYGROUND=False), builders=MEMORY)
    runtime.dispatcher.bind("memory", ROOM, "shop", "cli:root")
    runtime.dispatcher.bind("memory", VIEWER_ROOM, "shop", "cli:root", role=Role.VIEWER)
    yield runtime
    runtime.app.close()


async def say(runtime: Runtime, text: str, room: str = ROOM, *, admin: bool = False) -> Reply:
    message = InboundMessage(ConversationRef("memory", room), text, "u1", "Ana",
                             event_id=f"teach-{next(_events)}", is_admin=admin)
    reply = await runtime.dispatcher.handle(message)
    assert reply is not None
    return reply


def taught(runtime: Runtime) -> dict[str, str]:
    return {s.phrase: s.meaning for s in SynonymStore(runtime.app.state).list("shop")}


@pytest.mark.parametrize(("said", "command"), [
    ("when we say takings we mean revenue", "teach"), ("When I say wh1, I mean the Store.", "teach"),
    ("'wh1' is the Sao Paulo Store", "teach"), ("“net” means net revenue", "teach"),
    ("list synonyms", "synonyms"), ("what have you learned?", "synonyms"), ("synonyms", "synonyms"),
    ("forget takings", "forget"), ("revenue last week", None), ("what is revenue", None),
    ("wh1 is the store", None)])
def test_teaching_words_are_routed_and_questions_are_not(said, command):
    assert teach_command_for_text(said) == command


def test_a_slash_teach_also_reads_x_equals_y():
    assert teaching("takings = revenue", explicit=True) == ("takings", "revenue")
    assert teaching("takings = revenue", explicit=False) is None


@pytest.mark.asyncio
async def test_an_admin_teaches_a_metric_word_and_every_later_question_reads_it(runtime):
    assert not (await say(runtime, "moolah march 2025")).ok
    learned = await say(runtime, "when we say moolah we mean revenue", admin=True)
    assert learned.ok and "“moolah” means revenue" in learned.text, learned.text
    assert (await say(runtime, "Moolah march 2025")).data["value"] == 240
    entry = list_audit(runtime.app.state, "shop")[0]
    assert (entry.action, entry.actor) == ("synonym.teach", "memory:u1")
    assert entry.after == {"phrase": "moolah", "meaning": "revenue", "kind": "metric"}


@pytest.mark.asyncio
async def test_a_value_word_reads_as_that_value(runtime):
    learned = await say(runtime, "'zone9' is Brazil", admin=True)
    assert learned.ok and "country = BR" in learned.text, learned.text
    plainly = await say(runtime, "revenue in Brazil march 2025")
    assert (await say(runtime, "revenue in zone9 march 2025")).data["value"] == plainly.data["value"]


@pytest.mark.asyncio
async def test_a_meaning_tally_does_not_understand_is_refused_and_nothing_is_stored(runtime):
    refused = await say(runtime, "when we say vibes we mean the weather", admin=True)
    assert not refused.ok and "I don't know “the weather”" in refused.text
    assert "stored nothing" in refused.text and taught(runtime) == {}


@pytest.mark.asyncio
async def test_a_member_may_not_teach_or_forget_and_gets_a_clear_refusal(runtime):
    refused = await say(runtime, "when we say moolah we mean revenue")
    assert not refused.ok and "Only an admin can teach me words" in refused.text
    assert "needs the admin role" in refused.text and taught(runtime) == {}
    await say(runtime, "when we say moolah we mean revenue", admin=True)
    assert not (await say(runtime, "forget moolah")).ok
    assert taught(runtime) == {"moolah": "revenue"}


@pytest.mark.asyncio
async def test_anyone_lists_the_words_and_an_admin_forgets_one(runtime):
    assert "No words have been taught" in (await say(runtime, "list synonyms", VIEWER_ROOM)).text
    await say(runtime, "when we say moolah we mean revenue", admin=True)
    await say(runtime, "when we say lastmo we mean last month", admin=True)
    listed = await say(runtime, "what have you learned?", VIEWER_ROOM)
    assert listed.table is not None and listed.table.rows == (
        ("lastmo", "last month", "period"), ("moolah", "revenue", "metric"))
    gone = await say(runtime, "forget moolah", admin=True)
    assert gone.ok and "no longer means revenue" in gone.text
    assert list_audit(runtime.app.state, "shop")[0].action == "synonym.forget"
    assert not (await say(runtime, "moolah march 2025")).ok
    assert not (await say(runtime, "forget moolah", admin=True)).ok  # nothing left to forget
