"""The hostile question corpus (questions.jsonl) through the real answer path.

Every question there is meant to break something: dates at the calendar's ends,
absurd numbers, SQL injection, format strings, control characters and NUL, RTL,
zero-width and combining marks, 10,000-character lines, bare punctuation, nothing
at all, prompt injection, other workspaces' names, path traversal and follow-ups
with no conversation to follow. Each is asked through :class:`TallyGraph` (what
``tally ask`` and every chat channel use) on the small shop fixture, in a fresh
conversation; the whole corpus also goes once through ``tally ask --json --batch``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from agents.graph import TallyGraph
from bot.app import App
from bot.brain_ports import brain_ports
from bot.cli.answers import reply_json, with_chart
from storage.catalog import AsOf
from tests.conftest import MULTI, SHOP, build_app

CORPUS = Path(__file__).with_name("questions.jsonl")
QUESTIONS: list[dict[str, str]] = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]

# What a reply must never show: a traceback, an exception's name, a Python repr.
LEAKS = re.compile(
    r"Traceback|File \"|\b\w+Error\b(?!s)|\b\w+Exception\b|<[\w.]+ object at 0x|"
    r"\b(?:Period|Query|Filter|Order|Parsed|Unanswerable|Decimal|datetime\.\w+|date)\(|"
    r"\\x[0-9a-f]{2}|\bNoneType\b|duckdb|sqlglot|sqlite")


def _no_constants(name: str) -> Any:
    raise ValueError(f"JSON holds {name}, which is not JSON")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    return build_app(tmp_path_factory.mktemp("hostile"), SHOP, MULTI)


@pytest.fixture(scope="module")
def graph(app: App, tmp_path_factory: pytest.TempPathFactory) -> TallyGraph:
    return TallyGraph(brain_ports(app), memory_path=tmp_path_factory.mktemp("memory") / "memory.sqlite")


def test_the_corpus_holds_at_least_200_hostile_questions():
    kinds = {item["kind"] for item in QUESTIONS}
    assert len(QUESTIONS) >= 200 and len({item["q"] for item in QUESTIONS}) == len(QUESTIONS)
    assert kinds >= {"date-edge", "absurd-number", "sql-injection", "format-string",
                     "control-chars", "unicode", "long", "punctuation", "empty",
                     "prompt-injection", "other-workspace", "path-traversal", "follow-up"}
    assert any(len(item["q"]) >= 10_000 for item in QUESTIONS)
    assert any("\x00" in item["q"] for item in QUESTIONS)


@pytest.mark.parametrize("item", QUESTIONS, ids=lambda item: f"{item['kind']}:{item['q'][:40]!r}")
def test_a_hostile_question_gets_a_clean_reply(graph: TallyGraph, app: App, item: dict[str, str]):
    question = item["q"]
    as_of = AsOf.for_day(date(2025, 4, 10), app.workspace("shop").tz)
    reply = with_chart(graph.ask("shop", question, f"hostile:{uuid.uuid4().hex}", as_of), graph, "shop")
    assert reply.text.strip(), "an empty reply"
    shown = reply.as_text()
    leak = LEAKS.search(shown.replace(question, ""))  # the question may be quoted back
    assert leak is None, f"the reply leaks {leak.group()!r}: {shown[:300]!r}"
    if "multi" not in question.lower():
        assert "multi" not in shown.lower(), "another workspace is named"
    answer = json.loads(reply_json(reply), parse_constant=_no_constants)
    assert isinstance(answer, dict) and answer["text"] == reply.text
    assert answer.get("error") == (None if reply.ok else "unanswerable"), answer


def test_the_whole_corpus_through_tally_ask_batch_is_one_json_line_per_question(
        app: App, tmp_path: Path):
    lines = [item["q"].replace("\n", " ").replace("\r", " ") for item in QUESTIONS]
    batch = tmp_path / "hostile.txt"
    # A lone surrogate cannot be UTF-8: written as its raw bytes, the batch reports that line.
    batch.write_bytes(b"\n".join(line.encode("utf-8", "surrogatepass") for line in lines) + b"\n")
    env = {**os.environ, "TALLY_DATA_DIR": str(app.settings.data_dir)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "-w", "shop", "--as-of",
                           "2025-04-10", "--json", "--batch", str(batch)], capture_output=True,
                          env=env, timeout=600, cwd=Path(__file__).parents[2])
    stderr = done.stderr.decode("utf-8", errors="replace")
    assert done.returncode == 1, stderr  # some questions are rightly unanswerable
    assert "Traceback" not in stderr
    answers = [json.loads(line, parse_constant=_no_constants) for line in done.stdout.splitlines()]
    asked = [line for line in lines if line.encode("utf-8", "surrogatepass").strip()
             and line.encode("utf-8", "surrogatepass").decode("utf-8", "replace").strip()]
    assert len(answers) == len(asked)
    assert all(isinstance(a, dict) and str(a.get("text", "")).strip() for a in answers)
    assert not [a for a in answers if a.get("error") == "internal"]
    assert [a["line"] for a in answers if a.get("error") == "invalid_utf8"] == \
        [n for n, line in enumerate(lines, start=1) if "\ud800" in line]
