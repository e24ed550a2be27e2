"""Benchmark: how long understanding a question takes (follow-up check, synonyms,
spelling, parse, choices), without running its query.

    python bench/parse.py            # every corpus question, 5 rounds

Prints the median and p95 per question over the corpus (tests/corpus/*.jsonl) on the
generated demo. Run it on two trees to see what a change costs: issue #15 allows
corrections and choices 2 ms of median.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.answer import Conversation, Ports, understand  # noqa: E402
from storage.catalog import AsOf, Engine  # noqa: E402
from tests.agents.demo_workspaces import demo_engine  # noqa: E402

ASKER = {"demo": None, "demo-guild": "Sharpie"}


class _Engines:
    def __init__(self) -> None:
        self.found: dict[str, Engine] = {}

    def engine(self, workspace: str) -> Engine:
        return self.found.setdefault(workspace, demo_engine(workspace))

    def vocabulary_path(self, workspace: str) -> Path | None:
        return None


def main() -> None:
    asked = [(c["workspace"], c["q"]) for path in sorted((ROOT / "tests" / "corpus").glob("*.jsonl"))
             for c in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if c]
    ports = Ports(_Engines())
    conversations = {}
    for workspace in ASKER:
        tz = ports.engines.engine(workspace).workspace.tz
        conversations[workspace] = Conversation(workspace, AsOf.for_day(date(2025, 6, 1), tz),
                                                ASKER[workspace])
        understand("revenue", conversations[workspace], ports)  # vocabulary, caches
    timings = []
    for _ in range(5):
        for workspace, question in asked:
            started = time.perf_counter()
            understand(question, conversations[workspace], ports)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(f"understand: {len(asked)} questions x 5, median {statistics.median(timings):.2f} ms, "
          f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms, max {timings[-1]:.1f} ms")


if __name__ == "__main__":
    main()
