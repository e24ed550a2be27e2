"""`tally ask --batch` answers every line on its own, whatever a line holds.

Before, one question with a date past 9999 killed the whole run with a traceback, and
so did a batch file with a line that is not UTF-8. Now each bad line is one JSON error
on its own line, the run goes on, and the exit status says whether any line failed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agents.graph import TallyGraph
from agents.reply import Reply
from bot.cli.answers import answer_batch, answer_one
from tests.conftest import FIXTURES, SHOP, build_app

TALLY = [sys.executable, "-m", "bot.cli"]


def tally(*args: str, data: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "TALLY_DATA_DIR": str(data)}
    return subprocess.run([*TALLY, *args], capture_output=True, env=env, input=stdin,
                          timeout=300, cwd=Path(__file__).parents[2])


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    done = tally("import", str(FIXTURES / "shop"), "--workspace", "shop", "--create",
                 "--timezone", "America/Sao_Paulo", data=folder)
    assert done.returncode == 0, done.stderr
    return folder


def batch(data: Path, lines: bytes) -> tuple[int, list[dict[str, object]], str]:
    done = tally("ask", "-w", "shop", "--as-of", "2025-04-10", "--json", "--batch", "-",
                 data=data, stdin=lines)
    stderr = done.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in stderr
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], stderr


def test_a_date_past_9999_is_one_refused_line_and_the_batch_goes_on(data):
    code, lines, _ = batch(data, b"revenue march 2025\nrevenue on 9999-12-31\n"
                                 b"revenue from 9999-12-01 to 9999-12-31\norders march 2025\n")
    assert code == 1
    assert [line.get("value") for line in lines] == [240, None, None, 4]
    assert lines[1]["error"] == "unanswerable"
    assert "I can only answer for dates between 1900-01-01 and 2299-12-31" in str(lines[1]["text"])


def test_a_line_that_is_not_utf8_is_reported_with_its_number(data):
    code, lines, _ = batch(data, b"revenue march 2025\n\n\xff\xfe revenue\r\norders march 2025\n")
    assert code == 1
    assert [line.get("value") for line in lines] == [240, None, 4]
    assert lines[1]["line"] == 3 and lines[1]["error"] == "invalid_utf8"
    assert "line 3 is not UTF-8" in str(lines[1]["text"])


def test_a_huge_line_is_reported_without_reading_it_whole(data):
    code, lines, _ = batch(data, b"revenue march 2025\n" + b"x" * 300_000 + b"\norders march 2025")
    assert code == 1
    assert lines[1]["line"] == 2 and lines[1]["error"] == "too_long"
    assert [line.get("value") for line in lines] == [240, None, 4]


def test_a_batch_of_good_questions_exits_0(data):
    code, lines, _ = batch(data, b"revenue march 2025\r\norders march 2025")
    assert code == 0 and [line["value"] for line in lines] == [240, 4]


@pytest.mark.parametrize("day", ["9999-06-01", "0001-01-01", "1899-12-31"])
def test_an_as_of_day_outside_the_calendar_is_one_line_on_stderr(data, day):
    done = tally("ask", "-w", "shop", "--as-of", day, "--json", "revenue next year", data=data)
    stderr = done.stderr.decode()
    assert done.returncode == 1 and not done.stdout
    assert "I can only answer for dates between 1900-01-01 and 2299-12-31" in stderr
    assert "Traceback" not in stderr


def test_one_question_past_9999_is_refused_as_json(data):
    done = tally("ask", "-w", "shop", "--json", "revenue on 9999-12-31", data=data)
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"] == "unanswerable"


class BrokenGraph(TallyGraph):
    """A graph whose every turn fails the way a bug would."""

    def ask(self, *args: object, **kwargs: object) -> Reply:
        raise RuntimeError("state at 0x7f00deadbeef")


def test_an_unexpected_error_is_a_reply_with_an_error_id_and_the_traceback_in_the_log(
        tmp_path, caplog):
    graph = BrokenGraph(build_app(tmp_path, SHOP), memory_path=tmp_path / "memory.sqlite")
    reply = answer_one(graph, "shop", "revenue march 2025", "t", None)
    assert not reply.ok and reply.data["error"] == "internal"
    assert reply.data["error_id"] in reply.text and "0x7f" not in reply.text
    assert "RuntimeError: state at 0x7f00deadbeef" in caplog.text
    out = io.StringIO()
    failed = answer_batch(graph, "shop", io.BytesIO(b"revenue\norders\n"), None, out)
    assert failed == 2
    assert [json.loads(line)["error"] for line in out.getvalue().splitlines()] == ["internal"] * 2


def test_endless_zeros_on_a_pipe_are_reported_at_once_then_stop_the_batch_with_exit_1(data):
    env = {**os.environ, "TALLY_DATA_DIR": str(data)}
    batch = subprocess.Popen([*TALLY, "ask", "-w", "shop", "--json", "--batch", "-"], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=Path(__file__).parents[2])
    lines: list[bytes] = []
    first_line = threading.Event()

    def read() -> None:
        for line in batch.stdout:
            lines.append(line)
            first_line.set()

    def zeros() -> None:  # a bounded generator: 200 KB, then (once answered) up to 80 MiB
        chunk = bytes(1 << 16)
        with contextlib.suppress(BrokenPipeError):
            batch.stdin.write(chunk * 4)
            batch.stdin.flush()
            first_line.wait(120)
            for _ in range((80 << 20) // len(chunk)):
                batch.stdin.write(chunk)
            batch.stdin.close()

    reader, writer = threading.Thread(target=read), threading.Thread(target=zeros)
    reader.start()
    writer.start()
    answered_before_more = first_line.wait(120) and len(lines) == 1
    code = batch.wait(timeout=300)
    writer.join(60)
    reader.join(60)

    errors = [json.loads(line)["error"] for line in lines]
    assert answered_before_more
    assert errors == ["too_long", "no_line_break"] and code == 1
    assert "64 MiB" in json.loads(lines[1])["text"]


def test_each_batch_line_is_a_fresh_conversation_so_a_breakdown_never_leaks_into_the_next(data):
    code, lines, _ = batch(data, b"revenue march 2025 by country\norders march 2025\n"
                                 b"and the month before?\n")
    assert [line["question"] for line in lines] == [
        "revenue march 2025 by country", "orders march 2025", "and the month before?"]
    assert "rows" in lines[0]
    assert "rows" not in lines[1] and lines[1]["value"] == 4
    assert lines[2]["error"] == "unanswerable" and code == 1  # no line above to follow
