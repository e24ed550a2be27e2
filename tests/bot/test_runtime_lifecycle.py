"""The runtime's life: channels found or skipped, a real server, graceful shutdown, `tally serve`."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from agents.answer import Answerer
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.runtime import CHANNEL_BUILDERS, build_runtime, load_channels
from storage.state_store import StateStore
from tests.bot.test_runtime_http import CONVERSATION, session_auth, shop_settings

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("lifecycle")
    shop_settings(data_dir)
    return data_dir


class GatedResponder:
    """The real offline brain, held at one gate per platform so a test can stop mid-answer."""

    def __init__(self, app: App) -> None:
        self.inner = Answerer(brain_ports(app))
        self.arrived: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.gates: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def respond(self, *, conversation: str, **kwargs: object) -> Reply:
        platform = conversation.split(":")[0]
        self.arrived[platform].set()
        await self.gates[platform].wait()
        return await self.inner.respond(conversation=conversation, **kwargs)  # type: ignore[arg-type]


class InMemoryChannel:
    """A platform that lives in the test: messages go in with deliver(), replies land in sent."""

    platform = "memory"

    def __init__(self, dispatcher) -> None:
        self.dispatcher = dispatcher
        self.events: list[str] = []
        self.sent: list[Reply] = []
        self._tasks: set[asyncio.Task] = set()

    def deliver(self, text: str) -> None:
        message = InboundMessage(ConversationRef(self.platform, "room1"), text, user_id="u1",
                                 event_id=f"e{len(self._tasks)}")
        task = asyncio.create_task(self._answer(message))
        self._tasks.add(task)

    async def _answer(self, message: InboundMessage) -> None:
        reply = await self.dispatcher.handle(message)
        if reply is not None:
            self.sent.append(reply)
            self.events.append("sent")

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        # Stops receiving at once; the answers already taken on are the runtime's to wait for.
        self.events.append("stop")

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        self.sent.append(reply)
        return SendResult(ok=True)

    def routes(self) -> list:
        return []


def build_memory(settings, dispatcher) -> InMemoryChannel:
    return InMemoryChannel(dispatcher)


def build_nothing(settings, dispatcher) -> None:
    return None


def test_each_platform_without_credentials_is_skipped_with_one_log_line(shop_dir, caplog):
    runtime = build_runtime(shop_settings(shop_dir), builders={})
    builders = {**CHANNEL_BUILDERS,
                "memory": "tests.bot.test_runtime_lifecycle:build_memory",
                "nothing": "tests.bot.test_runtime_lifecycle:build_nothing",
                "future": "tests.bot.no_such_module:build"}
    with caplog.at_level(logging.INFO, logger="bot.runtime"):
        channels = load_channels(runtime.settings, runtime.dispatcher, builders)
    runtime.app.close()
    assert [c.platform for c in channels] == ["memory"]
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    for platform in ("slack", "discord", "telegram", "whatsapp", "nothing", "future"):
        assert len([m for m in skipped if m.startswith(f"{platform}: skipped")]) == 1, skipped
    assert len(skipped) == 6


@pytest.mark.asyncio
async def test_shutdown_finishes_answers_in_flight_then_stops(shop_dir):
    settings = shop_settings(shop_dir, TALLY_HTTP_PORT=0)
    app = App(settings)
    responder = GatedResponder(app)
    runtime = build_runtime(settings, responder=responder,
                            builders={"memory": "tests.bot.test_runtime_lifecycle:build_memory"})
    memory = runtime.channels[0]
    runtime.dispatcher.bind("memory", "room1", "shop", actor="test")
    running = asyncio.create_task(runtime.run(install_signal_handlers=False))
    await asyncio.wait_for(runtime.started.wait(), 20)
    base = f"http://127.0.0.1:{runtime.port}"
    async with httpx.AsyncClient(base_url=base, timeout=30, **session_auth(runtime.app.state)) as http:
        assert (await http.get("/readyz")).status_code == 200
        question = asyncio.create_task(http.post("/playground/api/chat", json={
            "workspace": "shop", "conversation": CONVERSATION, "text": "revenue march 2025"}))
        memory.deliver("orders march 2025")
        await asyncio.wait_for(responder.arrived["playground"].wait(), 20)
        await asyncio.wait_for(responder.arrived["memory"].wait(), 20)
        runtime.request_stop()
        refused = await _refused_after_stop(base)
        responder.gates["playground"].set()
        answer = await asyncio.wait_for(question, 30)
    await asyncio.sleep(0.2)
    still_waiting = not running.done()  # the memory platform's answer is still in flight
    events_while_waiting = list(memory.events)
    responder.gates["memory"].set()
    await asyncio.wait_for(running, 30)
    app.close()
    assert refused, "the server still accepted connections after the stop"
    assert answer.status_code == 200 and "$240.00" in answer.json()["text"]
    assert still_waiting and events_while_waiting == ["start", "stop"]
    assert memory.events == ["start", "stop", "sent"]
    assert "4" in memory.sent[0].text and memory.sent[0].ok
    assert not runtime.scheduler.running and runtime.dispatcher.in_flight == 0


async def _refused_after_stop(base: str) -> bool:
    for _ in range(100):  # bounded: the listener closes within uvicorn's next tick (0.1 s)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=2) as fresh:
                await fresh.get("/healthz")
        except httpx.TransportError:
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.asyncio
async def test_a_taken_port_is_a_clear_error(shop_dir):
    import socket

    from storage.errors import TallyError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        runtime = build_runtime(shop_settings(shop_dir, TALLY_HTTP_PORT=taken.getsockname()[1]),
                                builders={})
        with pytest.raises(TallyError, match=r"could not run on 127\.0\.0\.1"):
            await asyncio.wait_for(runtime.run(install_signal_handlers=False), 30)
    assert not runtime.scheduler.running


def test_tally_serve_answers_then_exits_cleanly_on_sigterm(shop_dir, tmp_path):
    log = tmp_path / "serve.log"
    env = {**os.environ, "TALLY_DATA_DIR": str(shop_dir), "TALLY_HTTP_HOST": "127.0.0.1",
           "TALLY_HTTP_PORT": "0", "TALLY_LOG_LEVEL": "INFO"}
    for name in [k for k in env if k.split("_")[0] in ("SLACK", "DISCORD", "TELEGRAM", "WHATSAPP",
                                                       "OPENAI")]:
        del env[name]
    with log.open("w") as stderr:
        serve = subprocess.Popen(
            [sys.executable, "-c", "import bot.cli; bot.cli.main()", "serve"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            port = _wait_for_port(log, serve)
            state = StateStore(f"sqlite:///{shop_dir / 'state.db'}")
            auth = session_auth(state)
            state.close()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, **auth) as http:
                health = http.get("/healthz")
                answer = http.post("/playground/api/chat", json={
                    "workspace": "shop", "conversation": "tabserve0001", "text": "orders march 2025"})
            serve.send_signal(signal.SIGTERM)
            code = serve.wait(timeout=60)
        finally:
            if serve.poll() is None:
                serve.kill()
    output = log.read_text()
    assert health.status_code == 200 and "4" in answer.json()["text"]
    assert code == 0, output
    assert "received SIGTERM" in output and "msg=stopped" in output
    assert re.search(r"msg=\"slack: skipped \(", output)


def _wait_for_port(log: Path, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = re.search(r"serving on 127\.0\.0\.1:(\d+)", log.read_text())
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            raise AssertionError(f"tally serve exited early:\n{log.read_text()}")
        time.sleep(0.1)
    raise AssertionError(f"tally serve did not start:\n{log.read_text()}")


@pytest.mark.asyncio
async def test_a_background_service_that_fails_is_logged_and_restarted(shop_dir, monkeypatch, caplog):
    import bot.runtime
    monkeypatch.setattr(bot.runtime, "SERVICE_RESTART_SECONDS", 0.01)
    runtime = build_runtime(shop_settings(shop_dir, TALLY_HTTP_PORT=0), builders={})
    runs: list[int] = []
    healthy = asyncio.Event()

    async def flaky(stop: asyncio.Event) -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("the provider fell over")
        healthy.set()
        await stop.wait()
    runtime.services = [flaky]

    with caplog.at_level(logging.INFO, logger="bot.runtime"):
        await runtime.start()
        await asyncio.wait_for(healthy.wait(), 10)
        await runtime.shutdown()

    failures = [r for r in caplog.records if "background service" in r.getMessage()]
    assert len(runs) == 3 and len(failures) == 2
    assert failures[0].exc_info is not None and failures[1].exc_info is None
