"""The `tally` command line as a user runs it: exit codes, JSON, batches, the demo."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from agents.help import EXAMPLES
from bot.app import App
from bot.settings import Settings
from storage.access import BindCodeRow
from storage.state import ChannelBindingRow
from tests.conftest import FIXTURES

TALLY = [sys.executable, "-m", "bot.cli"]


def tally(*args: str, data: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TALLY_DATA_DIR": str(data)}
    return subprocess.run([*TALLY, *args], capture_output=True, text=True, env=env, input=stdin,
                          timeout=300, cwd=Path(__file__).parents[2])


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    done = tally("import", str(FIXTURES / "shop"), "--workspace", "shop", "--create",
                 "--timezone", "America/Sao_Paulo", data=folder)
    assert done.returncode == 0, done.stderr
    assert "Imported 26 rows into shop" in done.stdout
    return folder


def test_ask_json_prints_one_object_with_the_spec_shape(data):
    done = tally("ask", "-w", "shop", "--as-of", "2025-04-10", "--json", "revenue by country march 2025",
                 data=data)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["value"] == 240 and answer["agent"] == "analytics"
    assert answer["period"] == {"start": "2025-03-01", "end": "2025-04-01"}
    assert answer["rows"][0] == {"country": "BR", "revenue": 110}
    assert set(answer) >= {"question", "text", "metrics", "chart"}


def test_unanswerable_exits_1_with_error_json(data):
    done = tally("ask", "-w", "shop", "--json", "what's the weather tomorrow", data=data)
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert answer["error"] == "unanswerable" and answer["examples"]


def test_batch_from_stdin_is_json_lines(data):
    questions = "revenue march 2025\norders march 2025\n\nweather\n"
    done = tally("ask", "-w", "shop", "--as-of", "2025-04-10", "--json", "--batch", "-",
                 data=data, stdin=questions)
    assert done.returncode == 1, done.stderr  # 'weather' is unanswerable (interfaces.md)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("value") for line in lines] == [240, 4, None]
    assert lines[2]["error"] == "unanswerable"


@pytest.mark.parametrize(("args", "code", "message"), [
    (("ask", "-w", "nope", "revenue"), 1, "no workspace named 'nope'"),
    (("import", "/nonexistent", "-w", "shop"), 1, "is not a directory"),
    (("ask",), 2, "give either a QUESTION or --batch FILE"),
    (("ask", "-w", "shop", "--as-of", "yesterday", "revenue"), 2, "Invalid value for '--as-of'"),
    (("workspace", "create", "Bad Name"), 1, "is not a valid workspace name"),
])
def test_errors_are_one_line_with_the_right_exit_code(data, args, code, message):
    done = tally(*args, data=data)
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_import_names_the_line_and_exits_1(data, tmp_path):
    (tmp_path / "orders.csv").write_text(
        "order_id,created_at,status,currency,subtotal,discount,shipping,tax,total\n"
        "o1,2025-03-01,shipped,USD,1,0,0,0,1\n")
    done = tally("import", str(tmp_path), "-w", "shop", data=data)
    assert done.returncode == 1
    assert "orders.csv, line 2, column status" in done.stderr


def test_metrics_lists_the_catalog(data):
    done = tally("metrics", data=data)
    assert done.returncode == 0
    for metric in ("revenue", "mrr", "roas", "days_of_stock", "profit_units"):
        assert metric in done.stdout


def test_demo_answers_every_example_that_help_shows(tmp_path):
    built = tally("demo", "--scale", "0.2", "--no-chat", data=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "demo (USD, America/New_York)" in built.stdout and "demo-guild (USD, UTC)" in built.stdout
    for workspace, verticals in (("demo", ("shop", "saas", "marketing", "ops")),
                                 ("demo-guild", ("betting",))):
        questions = [q for v in verticals for q in EXAMPLES[v]]
        done = tally("ask", "-w", workspace, "--json", "--batch", "-", data=tmp_path,
                     stdin="\n".join(questions))
        answers = [json.loads(line) for line in done.stdout.splitlines()]
        failed = [(a["question"], a["text"]) for a in answers if a.get("error")]
        assert len(answers) == len(questions) and not failed


def test_connect_binds_chats_and_checks_their_ids(data):
    done = tally("connect", "slack", "C0123456789", "--workspace", "shop", data=data)
    assert done.returncode == 0 and "Bound slack C0123456789 to workspace shop" in done.stdout
    wrong = tally("connect", "telegram", "not-a-chat", "--workspace", "shop", data=data)
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    missing = tally("connect", "discord", "--workspace", "shop", data=data)
    assert missing.returncode == 2 and "needs a CHAT_ID" in missing.stderr


def test_bind_codes_are_printed_once_and_chats_bind_with_a_role_and_their_slack_team(data):
    made = tally("bind-code", "create", "--workspace", "shop", "--role", "viewer", "--expires", "2h",
                 data=data)
    assert made.returncode == 0 and re.fullmatch(r"TALLY-[2-9A-Z]{4}-[2-9A-Z]{4}\n", made.stdout)
    assert "viewer" in made.stderr and "connect" in made.stderr
    owner = tally("bind-code", "create", "--workspace", "shop", "--role", "owner", data=data)
    assert owner.returncode == 1 and "not owner" in owner.stderr
    bound = tally("connect", "slack", "t0team0001/c0123456780", "--workspace", "shop", "--role",
                  "viewer", data=data)
    assert bound.returncode == 0 and "Bound slack T0TEAM0001/C0123456780" in bound.stdout
    misused = tally("connect", "files", "--workspace", "shop", "--role", "viewer", data=data)
    assert misused.returncode == 2 and "--role is for chats" in misused.stderr
    app = App(Settings(TALLY_DATA_DIR=data))
    try:
        with app.state.session() as s:
            row = s.scalar(sa.select(ChannelBindingRow).where(
                ChannelBindingRow.chat_id == "C0123456780"))
            assert (row.workspace, row.role, row.team_id) == ("shop", "viewer", "T0TEAM0001")
            [code] = s.scalars(sa.select(BindCodeRow)).all()
            assert code.role == "viewer" and made.stdout.strip() not in code.code_hash
    finally:
        app.close()


def test_start_up_pauses_the_garbage_collector_and_always_resumes_it():
    import gc

    from bot.cli.common import gc_paused

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        kept = [[] for _ in range(1000)]  # start-up objects: frozen out of later collections
        raise RuntimeError("a failing start-up")
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(kept)
    gc.unfreeze()
