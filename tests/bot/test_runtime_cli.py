"""`tally feedback export` and `tally bind` (bind_platform): what an operator sees."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agents.answer import Answerer
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage
from bot.cli import main
from bot.cli.bind import BindError, bind_platform
from bot.cli.feedback import export_feedback
from bot.pipeline import Pipeline
from storage.errors import WorkspaceError
from tests.bot.test_runtime_http import shop_settings


@pytest.fixture(scope="module")
def rated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir where Slack user U2 rated "revenue march 2025" down and "orders" up."""
    import asyncio

    data_dir = tmp_path_factory.mktemp("feedback")
    app = App(shop_settings(data_dir))
    dispatcher = Pipeline(app, Answerer(brain_ports(app)))
    dispatcher.bind("slack", "C0SALES01", "shop", actor="test", team_id="T0ACME001")
    ref = ConversationRef("slack", "C0SALES01", space_id="T0ACME001")
    for text, score in (("revenue march 2025", -1), ("orders march 2025", 1)):
        reply = asyncio.run(dispatcher.handle(InboundMessage(ref, text, user_id="U1")))
        assert reply is not None and reply.answer_id is not None
        assert dispatcher.feedback(reply.answer_id, "U2", score)
    app.close()
    return data_dir


def test_feedback_export_csv_has_question_query_answer_score_user_time(rated):
    result = CliRunner().invoke(main, ["feedback", "export", "--format", "csv"],
                                env={"TALLY_DATA_DIR": str(rated)})
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["question"] for r in rows] == ["revenue march 2025", "orders march 2025"]
    wrong = rows[0]
    assert wrong["score"] == "-1" and wrong["user"] == "U2" and wrong["platform"] == "slack"
    assert wrong["workspace"] == "shop" and wrong["time"][:2] == "20"
    assert "$240.00" in wrong["answer"]
    query = json.loads(wrong["query"])
    assert query["metrics"] == ["revenue"] and query["value"] == 240
    assert query["period"] == {"start": "2025-03-01", "end": "2025-04-01"}
    assert rows[1]["score"] == "1"


def test_feedback_export_jsonl_to_a_file(rated, tmp_path):
    out = tmp_path / "votes.jsonl"
    result = CliRunner().invoke(main, ["feedback", "export", "--format", "jsonl", "--output", str(out),
                                       "--workspace", "shop"], env={"TALLY_DATA_DIR": str(rated)})
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(line["question"], line["score"]) for line in lines] == [
        ("revenue march 2025", -1), ("orders march 2025", 1)]
    assert lines[1]["query"]["value"] == 4
    assert "Exported 2 rated answers" in result.stderr


def test_feedback_export_of_another_workspace_is_only_the_header(rated):
    app = App(shop_settings(rated))
    out = io.StringIO()
    count = export_feedback(app, out, "csv", workspace="other")
    app.close()
    assert count == 0
    assert out.getvalue().strip() == "answer_id,time,workspace,platform,user,score,question,query,answer"


@pytest.mark.parametrize(("platform", "chat", "stored", "asked_in"), [
    ("slack", "C0123ABCD", "C0123ABCD", "C0123ABCD"),
    ("slack", "c0123abcd", "C0123ABCD", "C0123ABCD"),
    ("slack", "t0999team/c0123abcd", "T0999TEAM/C0123ABCD", "C0123ABCD"),
    ("Slack", "T0123ABCD/*", "T0123ABCD/*", "C0ANYWHERE"),
    ("discord", "123456789012345678", "123456789012345678", "123456789012345678"),
    ("telegram", "-1001234567890", "-1001234567890", "-1001234567890"),
    ("telegram", "42", "42", "42"),
    ("whatsapp", "+55 11 98765-4321", "+5511987654321", "+5511987654321"),
])
def test_bind_normalizes_and_stores_the_chat_for_its_slack_team_only(rated, platform, chat, stored,
                                                                     asked_in):
    app = App(shop_settings(rated))
    assert bind_platform(app, platform, chat, "shop") == stored
    dispatcher = Pipeline(app, Answerer(brain_ports(app)))
    dispatcher.slack_team = "T0123ABCD"  # the bot token's team: a channel named without one
    slack = platform.lower() == "slack"
    team = stored.partition("/")[0] if slack and "/" in stored else "T0123ABCD"
    bound = dispatcher.workspace_for(ConversationRef(platform.lower(), asked_in, None,
                                                     team if slack else None))
    stranger = dispatcher.workspace_for(ConversationRef("slack", asked_in, None, "T0STRANGER"))
    app.close()
    assert bound == "shop"
    assert stranger is None  # another Slack team is never answered from these bindings


@pytest.mark.parametrize(("platform", "chat", "hint"), [
    ("slack", "general", "C0123456789"),
    ("slack", "T0123ABCD", "TEAM_ID/*"),
    ("discord", "my-guild", "17-20"),
    ("discord", "12345", "17-20"),
    ("telegram", "@mygroup", "not a @username"),
    ("whatsapp", "5511987654321", "+5511987654321"),
    ("whatsapp", "+0123", "E.164"),
    ("teams", "19:abc", "slack, discord, telegram, whatsapp"),
])
def test_bind_explains_a_wrong_chat_id(rated, platform, chat, hint):
    app = App(shop_settings(rated))
    with pytest.raises(BindError, match=hint.replace("+", r"\+").replace("*", r"\*")):
        bind_platform(app, platform, chat, "shop")
    app.close()


def test_bind_to_an_unknown_workspace_names_the_known_ones(rated):
    app = App(shop_settings(rated))
    with pytest.raises(WorkspaceError, match="shop"):
        bind_platform(app, "telegram", "-100123", "nope")
    app.close()


def test_bind_command_exits_1_with_one_line(rated):
    result = CliRunner().invoke(main, ["bind", "discord", "abc", "--workspace", "shop"],
                                env={"TALLY_DATA_DIR": str(rated)})
    assert result.exit_code == 1
    assert "not a Discord server (guild) id" in result.stderr
