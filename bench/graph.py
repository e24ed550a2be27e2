"""Benchmark: what the agent graph adds per turn over the parser alone (no LLM).

    python bench/graph.py

Answers the same 200 mixed questions on the default demo (about 40,000 orders) with
the offline brain alone and through the LangGraph graph (router, agent node, SQLite
checkpoint of the conversation), and prints the median of each and of the difference.
Target (issue 4): <= 10 ms median added per turn.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from agents.answer import Conversation, answer
from bot.app import App
from bot.brain_ports import brain_ports, make_graph
from bot.settings import Settings
from storage.catalog import AsOf
from storage.demo import DEMO_WORKSPACES, generate_demo
from storage.importer import import_directory

sys.path.insert(0, str(Path(__file__).parent))
from ask import questions

END = date(2026, 11, 1)


def build(folder: Path) -> App:
    app = App(Settings(TALLY_DATA_DIR=folder))
    source = folder / "source"
    generate_demo(source, end=END, scale=1.0)
    for name, meta in DEMO_WORKSPACES.items():
        app.workspaces.create(name, meta["currency"], meta["timezone"], exist_ok=True)
        import_directory(app.workspaces.warehouse(name), source / name)
    return app


def timed(answer: object, runs: list[tuple[str, str]], as_of: dict[str, AsOf]) -> list[float]:
    timings = []
    for index, (workspace, question) in enumerate(runs):
        started = time.perf_counter()
        answer(workspace, question, index, as_of[workspace])  # type: ignore[operator]
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="tally-graph-bench-"))
    app = build(folder)
    ports = brain_ports(app)
    graph = make_graph(app, folder / "memory.sqlite")
    as_of = {name: AsOf.for_day(END - timedelta(days=1), app.workspace(name).tz)
             for name in DEMO_WORKSPACES}
    runs = questions()
    for workspace, question in runs[:20]:  # warm both paths (caches, vocabularies)
        answer(question, Conversation(workspace, as_of[workspace]), ports)
        graph.ask(workspace, question, "warm", as_of[workspace])
    parser = timed(lambda w, q, i, a: answer(q, Conversation(w, a), ports), runs, as_of)
    # Each question in its own conversation: no follow-up resolution changes the work.
    through_graph = timed(lambda w, q, i, a: graph.ask(w, q, f"bench-{i}", a), runs, as_of)
    added = [g - p for g, p in zip(through_graph, parser, strict=True)]
    print(f"parser alone:  median {statistics.median(parser):.2f} ms")
    print(f"through graph: median {statistics.median(through_graph):.2f} ms")
    print(f"added by the graph: median {statistics.median(added):.2f} ms per turn")


if __name__ == "__main__":
    main()
