"""Benchmark: answer latency of the offline brain and the cold start of `tally ask`.

    python bench/ask.py --orders 1000000
    python bench/ask.py --orders 10000000

Builds (once, cached under bench/out/) a data directory holding the scaled demo
workspaces, then: (1) answers 200 mixed questions in one warm process and prints the
median and p95 per question; (2) times `tally ask` from process start to answer.
Targets (issue 3): median <= 50 ms, p95 <= 150 ms at 10M orders; cold start <= 1.5 s.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from agents.answer import Conversation, answer
from agents.help import EXAMPLES
from bot.app import App
from bot.brain_ports import brain_ports
from bot.settings import Settings
from storage.catalog import AsOf
from storage.demo import DEMO_WORKSPACES
from storage.importer import import_directory

sys.path.insert(0, str(Path(__file__).parent))
from catalog import END, dataset

OUT = Path(__file__).parent / "out"
EXTRA = (
    "revenue yesterday", "orders last week by sales channel", "aov by country last month",
    "refunds this month vs last month", "net revenue last quarter", "units sold by category ytd",
    "revenue by day last 30 days", "top 10 customers by revenue this year",
    "revenue from Brazil last month", "new customers vs last year", "mrr by segment",
    "arr", "expansion mrr last quarter", "logo churn last month", "cpc by campaign last week",
    "impressions this month", "conversion rate by source last month", "sessions yesterday",
    "days of stock for Ceramic Mug", "sell through last month by category",
)


def data_dir(orders: int) -> Path:
    folder = OUT / f"ask-{orders}"
    if not (folder / "ready").exists():
        source = dataset(orders).parent
        app = App(Settings(TALLY_DATA_DIR=folder))
        for name, meta in DEMO_WORKSPACES.items():
            app.workspaces.create(name, meta["currency"], meta["timezone"], exist_ok=True)
            import_directory(app.workspaces.warehouse(name), source / name)
        app.close()
        (folder / "ready").touch()
    return folder


def questions() -> list[tuple[str, str]]:
    shop = [q for v in ("shop", "saas", "marketing", "ops") for q in EXAMPLES[v]] + list(EXTRA)
    guild = list(EXAMPLES["betting"])
    mixed = [("demo", q) for q in shop] + [("demo-guild", q) for q in guild]
    return list(itertools.islice(itertools.cycle(mixed), 200))


def warm(folder: Path, slowest: int = 0) -> None:
    app = App(Settings(TALLY_DATA_DIR=folder))
    ports = brain_ports(app)
    as_of = {name: AsOf.for_day(END - timedelta(days=1), app.workspace(name).tz)
             for name in DEMO_WORKSPACES}
    for name in DEMO_WORKSPACES:  # first touch: vocabulary, connection
        answer("help", Conversation(name, as_of[name]), ports)
    timings, refused, slow = [], 0, {}
    for workspace, question in questions():
        started = time.perf_counter()
        reply = answer(question, Conversation(workspace, as_of[workspace]), ports)
        timings.append((time.perf_counter() - started) * 1000)
        slow[question] = max(slow.get(question, 0.0), timings[-1])
        refused += not reply.ok
    timings.sort()
    for question, ms in sorted(slow.items(), key=lambda kv: -kv[1])[:slowest]:
        print(f"  {ms:8.1f} ms  {question}")
    print(f"warm: {len(timings)} questions, median {statistics.median(timings):.1f} ms, "
          f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, max {timings[-1]:.1f} ms, "
          f"unanswered {refused}")


def cold(folder: Path, runs: int = 5) -> None:
    env = {**os.environ, "TALLY_DATA_DIR": str(folder)}
    command = [sys.executable, "-m", "bot.cli", "ask", "-w", "demo", "--as-of",
               str(END - timedelta(days=1)), "revenue last week by country"]
    subprocess.run(command, env=env, capture_output=True, check=True)  # caches warm on disk
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        timings.append(time.perf_counter() - started)
    print(f"cold start `tally ask` (process start to answer): median {statistics.median(timings):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--slowest", type=int, default=0, help="also list the N slowest questions")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start runs")
    args = parser.parse_args()
    folder = data_dir(args.orders)
    warm(folder, args.slowest)
    if not args.no_cold:
        cold(folder)


if __name__ == "__main__":
    main()
