"""`tally audit`: every configuration change made today is listed with who made it."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from agents.insights.rules_parse import RuleSpec
from agents.insights.rules_store import RuleStore
from bot.app import App
from bot.channels.base import ConversationRef
from bot.cli import main
from bot.cli.audit import describe_change
from bot.settings import Settings
from storage.audit import list_audit

ME = f"cli:{getpass.getuser()}"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TALLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TALLY_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)  # no stray .env
    return CliRunner()


def run(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def audit_json(cli: CliRunner, *args: str) -> list[dict]:
    return [json.loads(line) for line in run(cli, "audit", "--json", *args).splitlines()]


def test_cli_changes_are_audited_with_the_os_user_as_actor(cli, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "locations.csv").write_text("location_id,name\nl1,Depot\n")
    run(cli, "workspace", "create", "shop1", "--currency", "EUR")
    run(cli, "connect", "files", "--workspace", "shop1", "--path", str(folder))
    run(cli, "sync", "--workspace", "shop1", "--full")
    run(cli, "connect", "slack", "C0123456789", "--workspace", "shop1")
    run(cli, "subscribe", "slack", "C0123456789", "weekly", "report", "--workspace", "shop1")
    run(cli, "subscriptions", "delete", "1")
    run(cli, "disconnect", "files", "--workspace", "shop1")

    entries = list(reversed(audit_json(cli)))

    assert [e["action"] for e in entries if not e["action"].startswith("member")] == [
        "workspace.create", "connector.connect", "connector.full_sync", "bind", "subscribe",
        "unsubscribe", "connector.disconnect"]
    assert {e["actor"] for e in entries} == {ME}
    assert {e["workspace"] for e in entries} == {"shop1"}
    assert entries[0]["after"] == {"name": "shop1", "currency": "EUR", "timezone": "UTC"}
    connected = next(e for e in entries if e["action"] == "connector.connect")
    assert connected["before"] is None
    assert connected["after"]["options"] == {"path": str(folder.resolve())}
    assert next(e for e in entries if e["action"] == "connector.disconnect")["after"] is None


def test_chat_changes_carry_the_chat_user_and_show_before_and_after(cli):
    run(cli, "workspace", "create", "shop1")
    app = App(Settings())
    rules = RuleStore(app.state)
    chat = ConversationRef("slack", "C0123456789")
    rule = rules.add("shop1", chat, RuleSpec(metric="revenue", op="<", threshold=1000.0), "slack:U9")
    rules.snooze(chat, datetime(2030, 1, 2, tzinfo=UTC), rule_id=rule.id, actor="slack:U9")
    app.close()

    snooze, add = audit_json(cli, "--limit", "2")
    table = run(cli, "audit", "--workspace", "shop1")

    assert (add["action"], add["actor"], snooze["action"]) == ("alert_rule_add", "slack:U9",
                                                               "alert_rule_snooze")
    assert snooze["before"]["snoozed_until"] is None
    assert snooze["after"]["snoozed_until"] == "2030-01-02T00:00:00"
    assert "slack:U9" in table and "alert_rule_snooze" in table
    [entry] = [e for e in list_audit(App(Settings()).state, limit=1)]
    assert describe_change(entry) == "snoozed_until: null → 2030-01-02T00:00:00"


def test_audit_filters_by_workspace_limit_and_since(cli):
    run(cli, "workspace", "create", "shop1")
    run(cli, "workspace", "create", "shop2")
    run(cli, "workspace", "create", "shop3")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")

    assert [e["workspace"] for e in audit_json(cli, "--workspace", "shop2")
            if e["action"] == "workspace.create"] == ["shop2"]
    assert len(audit_json(cli, "--limit", "1")) == 1
    assert audit_json(cli, "--since", tomorrow) == []
    assert "No audit entries." in run(cli, "audit", "--since", tomorrow)


def test_audit_of_an_unknown_workspace_is_one_line_and_exit_1(cli):
    result = cli.invoke(main, ["audit", "--workspace", "nope"])

    assert result.exit_code == 1
    assert "no workspace named 'nope'" in result.output
    assert len(result.output.strip().splitlines()) == 1
