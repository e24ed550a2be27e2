"""Slack on loopback: signed Events API deliveries from 50 concurrent conversations.

The bot (the real bolt app, dispatcher and offline brain on the shop fixture) runs
under uvicorn in a child process, like ``tally serve``; its Web API calls go to the
fake Slack API served by this process, which records every answer posted. Each
conversation is a Slack thread whose user asks its next question once the previous
answer arrived (a closed loop), so the answer rate is what the bot sustains.

Reports:

- time to ack: from sending ``POST /slack/events`` to its 200 (Slack's deadline is
  3 s; the target is every ack under 300 ms), p50 / p95 / max;
- sustained answers/s: answers posted over the run's duration (limited by the brain);
- time to answer: from sending the event to the fake recording the answer, p50 / p95.

Usage: ``python -m bench.slack [--conversations 50] [--questions 10] [--seconds 60]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

QUESTIONS = ("revenue march 2025", "orders march 2025", "aov march 2025",
             "revenue by country march 2025", "refunds march 2025", "units sold march 2025",
             "new customers in march 2025", "gross margin march 2025")


def serve(data_dir: str, port: int, api_url: str) -> None:
    """The child process: the Slack channel on 127.0.0.1:port until SIGINT."""
    from bot.cli.common import gc_paused

    with gc_paused():  # as `tally serve` starts
        import uvicorn
        from starlette.applications import Starlette

        from agents.answer import Answerer
        from bot.app import App
        from bot.brain_ports import brain_ports
        from bot.channels.slack import build
        from bot.pipeline import Pipeline
        from bot.settings import Settings
        from tests.fakes import slack_api as fs

        settings = Settings(_env_file=None, TALLY_DATA_DIR=data_dir,  # type: ignore[call-arg]
                            SLACK_BOT_TOKEN=fs.BOT_TOKEN, SLACK_SIGNING_SECRET=fs.SIGNING_SECRET,
                            SLACK_API_URL=f"{api_url}/api/")
        app = App(settings)
        dispatcher = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=10_000)
        channel = build(settings, dispatcher)
        assert channel is not None
    uvicorn.run(Starlette(routes=list(channel.routes())), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)
    app.close()


def prepare(data_dir: Path) -> None:
    """The shop fixture as a workspace, bound to the whole fake Slack team."""
    from bot.app import App
    from bot.bindings import bind_chat
    from bot.settings import Settings
    from storage.importer import import_directory
    from tests.conftest import FIXTURES
    from tests.fakes import slack_api as fs

    app = App(Settings(_env_file=None, TALLY_DATA_DIR=str(data_dir)))  # type: ignore[call-arg]
    app.workspaces.create("shop", "USD", "America/Sao_Paulo")
    import_directory(app.workspaces.warehouse("shop"), FIXTURES / "shop")
    bind_chat(app, "slack", f"{fs.TEAM_ID}/*", "shop", "bench")
    app.close()


@dataclass
class Measures:
    acks: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


async def conversation(index: int, client: httpx.AsyncClient, fake: object, questions: int,
                       deadline: float, measures: Measures) -> None:
    """One thread: a mention, then follow-ups in the thread, each after the previous answer."""
    from tests.fakes import slack_api as fs

    channel, user = f"C{index:09d}", f"U{index:09d}"
    root = f"1712{index:06d}.000001"  # the first question's ts: Tally answers in its thread
    for n in range(questions):
        if time.perf_counter() > deadline:
            return
        ts = f"1712{index:06d}.{n + 1:06d}"
        text = QUESTIONS[(index + n) % len(QUESTIONS)]
        event = fs.mention(channel, user, text, ts) if n == 0 else \
            fs.message(channel, user, text, ts, channel_type="channel", thread_ts=root)
        body = fs.event_callback(event, f"Ev{index:05d}x{n:04d}")
        started = time.perf_counter()
        response = await client.post("/slack/events", content=body, headers=fs.signed_headers(body))
        measures.acks.append(time.perf_counter() - started)
        measures.statuses.append(response.status_code)
        while fake.answered[channel] <= n:  # type: ignore[attr-defined]
            if time.perf_counter() > deadline:
                return
            await asyncio.sleep(0.002)
        measures.answers.append(time.perf_counter() - started)


async def drive(port: int, fake: object, conversations: int, questions: int, seconds: float
                ) -> tuple[float, Measures]:
    measures = Measures()
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 timeout=30) as client:
        # One warm-up question: first-request costs (auth.test, the vocabulary) are not load.
        await conversation(10_000, client, fake, 1, time.perf_counter() + 60, Measures())
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(conversation(i, client, fake, questions, deadline, measures)
                               for i in range(conversations)))
        return time.perf_counter() - started, measures


def counting_fake(users: dict[str, dict[str, Any]]) -> Any:
    """The fake Slack API, also counting answers per channel (cheap to poll)."""
    from tests.fakes import slack_api as fs

    class CountingSlack(fs.FakeSlack):
        def _chat_postMessage(self, args: dict[str, Any], ts: str, base: str) -> dict[str, Any]:
            self.answered[args["channel"]] += 1
            return super()._chat_postMessage(args, ts, base)

    fake = CountingSlack(users=users)
    fake.answered = Counter()  # type: ignore[attr-defined]
    return fake


def run(conversations: int, questions: int, seconds: float) -> None:
    from tests.fakes import slack_api as fs
    from tests.fakes.server import serve as serve_fake

    fake = counting_fake(users={f"U{i:09d}": fs.user(f"U{i:09d}", f"User {i}")
                               for i in [*range(conversations), 10_000]})
    with tempfile.TemporaryDirectory() as tmp, serve_fake(fake.app) as api_url:
        prepare(Path(tmp))
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "bench.slack", "--serve", tmp, str(port), api_url],
                                  env=os.environ.copy())
        try:
            _wait_for(port)
            elapsed, measures = asyncio.run(drive(port, fake, conversations, questions, seconds))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    report(conversations, elapsed, measures)


def report(conversations: int, elapsed: float, m: Measures) -> None:
    acks, answers = sorted(m.acks), sorted(m.answers)
    bad = sum(1 for s in m.statuses if s != 200)
    print(f"conversations: {conversations}   events: {len(acks)}   non-200: {bad}   "
          f"answered: {len(answers)} in {elapsed:.1f} s")
    print(f"sustained answers/s: {len(answers) / elapsed:.1f}")
    print(f"time to ack    p50 {_ms(acks, 50)}  p95 {_ms(acks, 95)}  max {_ms(acks, 100)}  "
          f"(under 300 ms: {sum(1 for a in acks if a < 0.3)}/{len(acks)})")
    print(f"time to answer p50 {_ms(answers, 50)}  p95 {_ms(answers, 95)}  max {_ms(answers, 100)}")


def _ms(values: list[float], pct: int) -> str:
    if not values:
        return "n/a"
    return f"{values[min(len(values) - 1, int(len(values) * pct / 100))] * 1000:.0f} ms"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int) -> None:
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the Slack channel did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--questions", type=int, default=10, help="questions per conversation")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop sending after this long")
    parser.add_argument("--serve", nargs=3, metavar=("DATA_DIR", "PORT", "API_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    run(args.conversations, args.questions, args.seconds)


if __name__ == "__main__":
    main()
