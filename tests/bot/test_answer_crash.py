"""A `tally serve` killed between Slack's ack and its answer: every question is answered once.

Real processes: `tally serve` runs against the fake Slack Web API; the test posts signed
Events API callbacks to it, holds the fake's chat.postMessage so the process is inside
"acked but not answered", SIGKILLs it, starts a new `tally serve` on the same data
directory, and counts the fake's posts per question, with Slack's retries of the same
events before the kill, right after the restart and once everything was answered.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot.app import App
from bot.bindings import bind_chat
from storage.state import ProcessedEventRow
from tests.bot.test_runtime_http import shop_settings
from tests.bot.test_runtime_lifecycle import ROOT, _wait_for_port
from tests.fakes import slack_api as fs
from tests.fakes.server import serve

CHANNEL, ANA = "C0SHOP0001", "U0ANA00001"
LEASE_SECONDS = 1
QUESTIONS = {  # event id → (message ts: the thread its answer goes to, question)
    f"Ev0CRASH{n}": (f"1712100000.00{n}00", text)
    for n, text in enumerate(("orders march 2025", "revenue march 2025", "units sold march 2025",
                              "average order value march 2025"))
}


@pytest.fixture
def fake() -> Iterator[fs.FakeSlack]:
    fake = fs.FakeSlack(users={ANA: fs.user(ANA, "Ana")})
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    settings = shop_settings(tmp_path / "data")
    app = App(settings)
    bind_chat(app, "slack", CHANNEL, "shop", "test")
    app.close()
    return tmp_path / "data"


class Serve:
    """One `tally serve` process on ``data_dir``, talking to the fake Slack."""

    def __init__(self, data_dir: Path, fake: fs.FakeSlack, log: Path) -> None:
        env = {k: v for k, v in os.environ.items()
               if k.split("_")[0] not in ("SLACK", "DISCORD", "TELEGRAM", "WHATSAPP", "OPENAI")}
        env.update(TALLY_DATA_DIR=str(data_dir), TALLY_HTTP_HOST="127.0.0.1", TALLY_HTTP_PORT="0",
                   TALLY_LOG_LEVEL="INFO", TALLY_ANSWER_LEASE_SECONDS=str(LEASE_SECONDS),
                   SLACK_BOT_TOKEN=fs.BOT_TOKEN, SLACK_SIGNING_SECRET=fs.SIGNING_SECRET,
                   SLACK_API_URL=f"{fake.url}/api/")  # type: ignore[attr-defined]
        self.log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import bot.cli; bot.cli.main()", "serve"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        self.url = f"http://127.0.0.1:{_wait_for_port(log, self.process)}"

    def event(self, event_id: str, retry: int | None = None) -> int:
        """Posts the question's signed event as Slack would; returns the HTTP status (the ack)."""
        ts, text = QUESTIONS[event_id]
        body = fs.event_callback(fs.mention(CHANNEL, ANA, text, ts), event_id)
        headers = fs.signed_headers(body)
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=10).status_code

    def stop(self, sig: int) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=60)


def posts_per_question(fake: fs.FakeSlack) -> Counter[str]:
    threads = {ts: event_id for event_id, (ts, _) in QUESTIONS.items()}
    return Counter(threads[post["thread_ts"]] for post in fake.posts())


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def test_questions_acked_before_a_sigkill_are_answered_exactly_once_after_the_restart(
        fake, data_dir, tmp_path):
    first = Serve(data_dir, fake, tmp_path / "first.log")
    try:
        fake.stall_posts = True
        acks = [first.event(event_id) for event_id in QUESTIONS]
        wait_until(lambda: len(fake.stalled) == len(QUESTIONS), "every answer is being sent")
        # Slack retries while the answers hang: the claims are live, so no second answer.
        retry_acks = [first.event(event_id, retry=1) for event_id in QUESTIONS]
        time.sleep(3 * LEASE_SECONDS)  # longer than the lease: held answers keep theirs
        hung = len(fake.stalled)
        first.process.kill()
        first.process.wait(timeout=30)
        wait_until(lambda: len(fake.dropped) == len(QUESTIONS), "the hung sends are dropped")
    finally:
        first.stop(signal.SIGKILL)
    fake.stall_posts = False
    assert acks == retry_acks == [200] * len(QUESTIONS)
    assert hung == len(QUESTIONS) and fake.posts() == []

    second = Serve(data_dir, fake, tmp_path / "second.log")
    try:
        # Slack retries two of them right after the restart; the others are the new process's.
        restart_acks = [second.event(event_id, retry=2) for event_id in list(QUESTIONS)[:2]]
        wait_until(lambda: set(posts_per_question(fake)) == set(QUESTIONS), "every question is answered")
        time.sleep(3 * LEASE_SECONDS)  # leases long expired: nothing is answered twice
        late_acks = [second.event(event_id, retry=3) for event_id in QUESTIONS]
        time.sleep(1)
    finally:
        code = second.stop(signal.SIGTERM)
    assert restart_acks == [200, 200] and late_acks == [200] * len(QUESTIONS)
    assert posts_per_question(fake) == {event_id: 1 for event_id in QUESTIONS}
    texts = {post["thread_ts"]: post["text"] for post in fake.posts()}
    assert "4" in texts[QUESTIONS["Ev0CRASH0"][0]] and "$240.00" in texts[QUESTIONS["Ev0CRASH1"][0]]
    assert code == 0, second.log.read_text()
    assert "answering slack delivery Ev0CRASH" in second.log.read_text()
    app = App(shop_settings(data_dir))
    with app.state.session() as s:
        statuses = dict(s.execute(sa.select(ProcessedEventRow.event_id, ProcessedEventRow.status)).all())
    app.close()
    assert statuses == {event_id: "answered" for event_id in QUESTIONS}
