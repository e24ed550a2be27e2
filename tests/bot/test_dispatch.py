"""The dispatcher chain: dedup, bindings, rate limit, commands, feedback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from agents.answer import Answerer
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage
from bot.pipeline import Pipeline
from bot.settings import Settings
from storage.importer import import_directory
from storage.state import AuditRow, FeedbackRow
from tests.conftest import FIXTURES

REF = ConversationRef("slack", "C1", None, "T1")


@pytest.fixture
def dispatcher(tmp_path: Path) -> Pipeline:
    app = App(Settings(TALLY_DATA_DIR=tmp_path))
    app.workspaces.create("shop", "USD", "America/Sao_Paulo")
    import_directory(app.workspaces.warehouse("shop"), FIXTURES / "shop")
    clock = [0.0]
    found = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=3,
                       clock=lambda: clock[0])
    found.clock = clock  # type: ignore[attr-defined]
    found.slack_team = "T1"  # the installation's team, as the Slack channel learns it
    return found


def ask(dispatcher: Pipeline, text: str, *, event_id: str | None = None, ref=REF,
        admin: bool = False, user: str = "U1") -> Reply | None:
    message = InboundMessage(ref, text, user, "Ana", event_id=event_id, is_admin=admin)
    return asyncio.run(dispatcher.handle(message))


def test_unbound_chat_gets_instructions_not_data_nor_workspace_names(dispatcher):
    reply = ask(dispatcher, "revenue march 2025")
    assert not reply.ok and "tally connect slack T1/C1 --workspace NAME" in reply.text
    assert "tally bind-code create" in reply.text
    assert "$" not in reply.text and "shop" not in reply.text


def test_binding_a_whole_slack_team_answers_every_channel(dispatcher):
    dispatcher.bind("slack", "T1/*", "shop", "cli")
    reply = ask(dispatcher, "revenue march 2025", ref=ConversationRef("slack", "C9", None, "T1"))
    assert reply.ok and "$240.00" in reply.text and reply.answer_id


def test_a_workspace_name_typed_in_chat_never_binds_even_for_a_platform_admin(dispatcher):
    for admin in (False, True):
        reply = ask(dispatcher, "connect shop", admin=admin)
        assert not reply.ok and "one-time code" in reply.text and "shop" not in reply.text
    with dispatcher.app.state.session() as s:
        assert s.scalars(sa.select(AuditRow).where(AuditRow.action.like("bind%"))).all() == []
    assert "isn't connected" in ask(dispatcher, "revenue march 2025").text


def test_connect_to_unknown_workspace_names_no_workspace(dispatcher):
    reply = ask(dispatcher, "connect nope", admin=True)
    assert not reply.ok and "nope" not in reply.text and "shop" not in reply.text
    assert "known" not in reply.text


def test_a_retry_of_the_same_event_gets_no_second_answer(dispatcher):
    dispatcher.bind("slack", "C1", "shop", "cli")
    assert ask(dispatcher, "revenue march 2025", event_id="Ev1") is not None
    assert ask(dispatcher, "revenue march 2025", event_id="Ev1") is None
    assert ask(dispatcher, "revenue march 2025", event_id="Ev2") is not None


def test_rate_limit_per_user_is_friendly_and_recovers(dispatcher):
    dispatcher.bind("slack", "C1", "shop", "cli")
    replies = [ask(dispatcher, "orders march 2025") for _ in range(4)]
    assert [r.ok for r in replies] == [True, True, True, False]
    assert "give me a minute" in replies[-1].text
    assert ask(dispatcher, "orders march 2025", user="U2").ok  # another user is not limited
    dispatcher.clock[0] += 61
    assert ask(dispatcher, "orders march 2025").ok


def test_feedback_is_stored_once_per_user(dispatcher):
    dispatcher.bind("slack", "C1", "shop", "cli")
    answer = ask(dispatcher, "revenue march 2025").answer_id
    dispatcher.record_sent(answer, ("1700.01",))
    assert dispatcher.answer_for_message("slack", "1700.01") == answer
    assert dispatcher.feedback(answer, "U1", 1) and dispatcher.feedback(answer, "U1", -1)
    assert not dispatcher.feedback("missing", "U1", 1)
    with dispatcher.app.state.session() as s:
        assert [(f.user_id, f.score) for f in s.scalars(sa.select(FeedbackRow))] == [("U1", -1)]


def test_unknown_command_and_registered_command(dispatcher):
    dispatcher.bind("slack", "C1", "shop", "cli")
    message = InboundMessage(REF, "", "U1", command="digest")
    assert "don't know the command /digest" in asyncio.run(dispatcher.handle(message)).text

    async def digest(msg: InboundMessage, workspace: str) -> Reply:
        return Reply(f"digest of {workspace}")

    dispatcher.commands["digest"] = digest
    assert asyncio.run(dispatcher.handle(message)).text == "digest of shop"


def test_errors_in_the_brain_become_an_error_id(dispatcher):
    dispatcher.bind("slack", "C1", "shop", "cli")

    class Broken:
        async def respond(self, **_: object) -> Reply:
            raise RuntimeError("boom")

    dispatcher.responder = Broken()
    reply = ask(dispatcher, "revenue")
    assert not reply.ok and "error" in reply.text
    assert dispatcher.metrics.errors.labels("slack")._value.get() == 1
