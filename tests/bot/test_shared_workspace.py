"""The CLI beside a running `tally serve`, all real processes on one data folder.

While the server has answered from the workspace, `tally ask`, `tally digest`, an
incremental `tally import` and two `tally chat` sessions work; the server then sees the
imported rows. An import that holds the write lock makes a question wait a little, then
answer with a message naming the real holder (never a traceback).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storage.attachments import describe_process
from tests.bot.serving import Served, tally_serve
from tests.bot.test_runtime_http import shop_settings

TALLY = [str(Path(sys.executable).parent / "tally")]
QUESTION = "orders march 2025"
# One more paid order on March 20 (the fixture has 4 in March 2025).
NEW_ORDER = ("order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,"
             "total,country,sales_channel,source\n"
             "o99,c1,2025-03-20T12:00:00-03:00,paid,USD,50,0,0,0,50,BR,online_store,google\n")
# A real `tally import` that, once it holds the write lock, waits for a file to appear.
HOLDING_IMPORT = """
import pathlib, sys, time
import storage.importer as importer
checked, marker = importer.check_rates, pathlib.Path(sys.argv.pop())
def held(con, staged):
    checked(con, staged)
    marker.with_suffix(".holding").touch()
    deadline = time.monotonic() + 60
    while not marker.with_suffix(".release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
importer.check_rates = held
import bot.cli
bot.cli.main()
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shop_settings(folder)
    return folder


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "orders.csv").write_text(NEW_ORDER)
    return folder


@pytest.fixture
def served(data_dir: Path, tmp_path: Path) -> Iterator[tuple[Served, httpx.Client, str]]:
    """`tally serve`, signed in to its playground, having answered from the workspace."""
    with tally_serve(data_dir, tmp_path) as server:
        base = f"http://localhost:{server.port}"
        with httpx.Client(base_url=base, timeout=60) as http:
            page = http.get(server.sign_in_link())
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
            http.post("/sign-in/link", data={"token": token, "csrf": csrf}, headers={"Origin": base})
            session_csrf = http.get("/playground/api/session").json()["csrf_token"]
            assert "4" in _playground(http, session_csrf)
            yield server, http, session_csrf


def _playground(http: httpx.Client, csrf: str) -> str:
    answer = http.post("/playground/api/chat", headers={"X-CSRF-Token": csrf}, json={
        "workspace": "shop", "conversation": "tabshared001", "text": QUESTION})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["text"])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TALLY_", "SLACK", "OPENAI"))}
    return {**env, "TALLY_DATA_DIR": str(data_dir), "COLUMNS": "200"}


def _tally(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TALLY, *args], env=_env(data_dir), input=stdin, capture_output=True,
                          text=True, timeout=120)


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_ask_digest_import_and_two_chats_work_while_serve_runs(served, data_dir, batch, tmp_path):
    server, http, csrf = served
    asked = _tally(data_dir, "ask", "-w", "shop", QUESTION)
    digest = _tally(data_dir, "digest", "-w", "shop", "--as-of", "2025-03-31")
    chat_log = tmp_path / "chat-a.out"
    with chat_log.open("w") as out:
        first_chat = subprocess.Popen([*TALLY, "chat", "-w", "shop"], env=_env(data_dir),
                                      stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                      text=True)
        try:
            first_chat.stdin.write(QUESTION + "\n")
            first_chat.stdin.flush()
            deadline = time.monotonic() + 60
            while "tally ›" not in chat_log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            # The first chat is still open: a second one answers too, then the import writes.
            second_chat = _tally(data_dir, "chat", "-w", "shop", stdin=QUESTION + "\nexit\n")
            imported = _tally(data_dir, "import", str(batch), "-w", "shop")
            first_chat.stdin.write(QUESTION + "\nexit\n")
            first_chat.stdin.flush()
            first_chat.wait(timeout=60)
        finally:
            if first_chat.poll() is None:
                first_chat.kill()
    after_import = _playground(http, csrf)
    assert asked.returncode == 0 and "4" in asked.stdout, asked.stderr
    assert digest.returncode == 0 and "in use" not in digest.stderr, digest.stderr
    assert second_chat.returncode == 0 and "tally ›" in second_chat.stdout
    assert "4 orders" in second_chat.stdout or "4" in second_chat.stdout.split("tally ›")[1]
    assert imported.returncode == 0 and "Imported 1 row " in imported.stdout, imported.stderr
    answers = chat_log.read_text().split("tally ›")[1:]
    assert first_chat.returncode == 0 and len(answers) == 2
    assert "4" in answers[0] and "5" in answers[1]  # the open chat sees the import too
    assert "5" in after_import  # and so does the server
    assert "Traceback" not in server.output


def test_a_question_during_a_long_import_names_the_import_and_is_answered_after(
        served, data_dir, batch, tmp_path):
    server, http, csrf = served
    marker = tmp_path / "import.marker"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDING_IMPORT, "import", str(batch), "-w", "shop", str(marker)],
        env=_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(marker.with_suffix(".holding"))
        asked = _tally(data_dir, "ask", "-w", "shop", QUESTION)
        from_server = _playground(http, csrf)
    finally:
        marker.with_suffix(".release").touch()
        out, err = holder.communicate(timeout=60)
    expected = f"being written by `tally import` (pid {holder.pid}); try again in a moment"
    assert asked.returncode == 1 and expected in asked.stdout + asked.stderr
    assert "Traceback" not in asked.stdout + asked.stderr
    assert expected in from_server
    assert holder.returncode == 0 and "Imported 1 row " in out, err
    assert "5" in _playground(http, csrf)  # once the import is done, the answer is current
    assert "Traceback" not in server.output


def test_the_holder_of_a_lock_is_named_by_its_tally_command_only(served):
    server, _, _ = served
    assert describe_process(server.process.pid) == f"`tally serve` (pid {server.process.pid})"
    assert describe_process(os.getpid()).endswith(f"(pid {os.getpid()})")
