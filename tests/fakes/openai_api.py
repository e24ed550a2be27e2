"""A local fake of an OpenAI-compatible chat completions endpoint, for the real ChatOpenAI client.

Each POST /v1/chat/completions pops the next scripted step: an assistant message
(text and/or tool calls), ``("sleep", seconds)`` to trigger the client's timeout, or
``("status", code)`` to fail. Requests are recorded for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def tool_call(name: str, args: dict[str, Any] | str, call_id: str = "call_1") -> dict[str, Any]:
    """A tool call as OpenAI sends it (arguments are a JSON string)."""
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def message(content: str | None = None, tool_calls: list[dict[str, Any]] | None = None
            ) -> dict[str, Any]:
    return {"role": "assistant", "content": content, **({"tool_calls": tool_calls} if tool_calls else {})}


@dataclass
class FakeOpenAI:
    """The script and the recorded requests."""

    script: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def reply(self) -> tuple[int, dict[str, Any] | None]:
        step = self.script.pop(0) if self.script else message("I have nothing more to say.")
        if isinstance(step, tuple) and step[0] == "sleep":
            time.sleep(step[1])
            return 200, _completion(message("too late"))
        if isinstance(step, tuple) and step[0] == "status":
            return step[1], {"error": {"message": "scripted failure", "type": "server_error"}}
        return 200, _completion(step)


def _completion(msg: dict[str, Any]) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "fake-model",
            "choices": [{"index": 0, "message": msg,
                         "finish_reason": "tool_calls" if msg.get("tool_calls") else "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


@contextmanager
def serve_fake_openai() -> Iterator[FakeOpenAI]:
    """Runs the fake on 127.0.0.1 (a free port) for the duration of the block."""
    fake = FakeOpenAI()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.requests.append(json.loads(body or b"{}"))
            status, payload = fake.reply()
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
