"""Every entry of the hostile payload corpus, through the real app: its status, never a 5xx,
never a traceback, and nothing written by a request that was refused.

``payloads/payloads.jsonl`` holds one request per line (see ``payloads/README.md``).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hostile.endpoints import Endpoints, serve_endpoints

CORPUS = Path(__file__).parent / "payloads" / "payloads.jsonl"
ENTRIES: list[dict[str, Any]] = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()
                                 if line.strip()]


def body_of(entry: dict[str, Any]) -> bytes:
    """The entry's body: as written, base64-decoded, built from repeated parts, or a filler."""
    if "body_b64" in entry:
        return base64.b64decode(entry["body_b64"])
    if "body_parts" in entry:
        return "".join(text * times for text, times in entry["body_parts"]).encode()
    if "body_size" in entry:
        return b"{" + b" " * (entry["body_size"] - 2) + b"}"
    return str(entry.get("body", "")).encode()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with serve_endpoints(tmp_path_factory.mktemp("corpus")) as served:
        yield served


_taken: list[bool] = []  # whether the previous entry was taken (its writes may still land)


def quiesce(endpoints: Endpoints, timeout: float = 10.0) -> dict[str, int]:
    """Waits until answers and queued webhooks stop changing what is written; returns it."""
    deadline = time.monotonic() + timeout
    seen = endpoints.writes()
    while time.monotonic() < deadline:
        time.sleep(0.15)
        now = endpoints.writes()
        if now == seen and not endpoints.gateway.queue.counts().get("pending"):
            return now
        seen = now
    return seen


def send(endpoints: Endpoints, entry: dict[str, Any]) -> int:
    """The status the app answered (413 also when it closed the connection over an upload)."""
    try:
        response = endpoints.post(entry["endpoint"], body_of(entry), entry["headers"],
                                  signed=entry["signed"], path=entry.get("path"),
                                  method=entry.get("method", "POST"))
    except httpx.TransportError:
        refused = [r for r in endpoints.log.records if "over the" in r.getMessage()]
        assert refused, "the connection broke without a body-limit refusal"
        return 413
    return response.status_code


def test_the_corpus_is_large_and_covers_every_endpoint():
    assert len(ENTRIES) >= 120
    assert {e["endpoint"] for e in ENTRIES} == {"slack", "whatsapp", "telegram", "shopify", "stripe",
                                               "playground", "http"}
    assert len({e["id"] for e in ENTRIES}) == len(ENTRIES)


def _marked(entry: dict[str, Any]) -> Any:
    """An entry with a ``known_bug`` is expected to fail until that bug is fixed (strict)."""
    if "known_bug" not in entry:
        return entry
    return pytest.param(entry, marks=pytest.mark.xfail(reason=entry["known_bug"], strict=True))


@pytest.mark.parametrize("entry", [_marked(e) for e in ENTRIES], ids=[e["id"] for e in ENTRIES])
def test_a_hostile_payload_gets_its_status_and_never_a_5xx_or_a_traceback(corpus, entry):
    expected = entry["expect_status"] if isinstance(entry["expect_status"], list) \
        else [entry["expect_status"]]
    # Only a request that was taken can still be writing (answers, queued webhooks).
    before = quiesce(corpus) if _taken else corpus.writes()
    corpus.log.records.clear()

    statuses = [send(corpus, entry) for _ in range(entry.get("send", 1))]
    _taken[:] = [status < 400 for status in statuses if status < 400][:1]

    assert all(status in expected for status in statuses), (statuses, entry.get("note"))
    assert all(status < 500 for status in statuses)
    assert corpus.log.tracebacks() == []
    if statuses[-1] >= 400:
        assert corpus.writes() == before, "a refused request wrote something"
