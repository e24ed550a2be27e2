"""The body limit of every path of ``tally serve``, at the ASGI level: what is read, what is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.types import Message, Receive, Scope, Send

from bot.http import WEBHOOK_PREFIXES, BodyLimit
from bot.settings import Settings

LIMIT = 4096


class Reader:
    """An app that reads the whole body, as every endpoint does, then answers 200."""

    def __init__(self) -> None:
        self.bodies: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        self.bodies.append(size)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def call(app: BodyLimit, chunks: Iterator[bytes], headers: list[tuple[bytes, bytes]],
         path: str = "/webhooks/shopify") -> tuple[int, int]:
    """Runs one request; returns the status and how many chunks the app pulled."""
    pulled, sent = 0, []

    async def receive() -> Message:
        nonlocal pulled
        chunk = next(chunks, None)
        pulled += 1
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], pulled


def endless(size: int = 1024) -> Iterator[bytes]:
    while True:
        yield b"a" * size


def test_a_declared_length_over_the_limit_is_refused_without_reading_a_byte():
    reader = Reader()
    status, pulled = call(BodyLimit(reader, default=LIMIT), endless(),
                          [(b"content-length", str(LIMIT + 1).encode())])
    assert (status, pulled, reader.bodies) == (413, 0, [])


def test_an_endless_chunked_body_is_cut_off_just_past_the_limit():
    reader = Reader()
    status, pulled = call(BodyLimit(reader, default=LIMIT), endless(1024), [])
    assert status == 413 and reader.bodies == []
    assert pulled == LIMIT // 1024 + 1  # never more than the limit and one chunk held


def test_an_understated_length_does_not_let_a_larger_body_through():
    reader = Reader()
    status, _ = call(BodyLimit(reader, default=LIMIT), endless(), [(b"content-length", b"10")])
    assert status == 413 and reader.bodies == []


@pytest.mark.parametrize("value", [b"1e9", b"-1", b"", b"12 34", b"9" * 40])
def test_a_content_length_that_is_not_a_number_is_a_400(value):
    reader = Reader()
    status, pulled = call(BodyLimit(reader, default=LIMIT), endless(), [(b"content-length", value)])
    assert (status, pulled) == (400, 0)


def test_a_body_at_the_limit_is_read_whole():
    reader = Reader()
    chunks = iter([b"a" * 1024] * 4)
    status, _ = call(BodyLimit(reader, default=LIMIT), chunks, [(b"content-length", b"4096")])
    assert status == 200 and reader.bodies == [4096]


def test_webhook_paths_have_their_own_limit_and_the_rest_the_default():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    limit = BodyLimit(Reader(), default=settings.http_max_body_bytes,
                      by_prefix=[(p, settings.webhook_max_bytes) for p in WEBHOOK_PREFIXES])
    assert [limit.limit_for(p) for p in ("/slack/events", "/whatsapp/webhook", "/telegram/webhook",
                                         "/webhooks/stripe")] == [1024 * 1024] * 4
    assert limit.limit_for("/playground/api/chat") == limit.limit_for("/api/v1/ask") == 64 * 1024
