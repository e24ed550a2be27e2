"""Benchmark: the daily digest for many workspaces.

Generates ONE small demo, imports it once, copies the DuckDB file into N workspace files
in a temporary folder, then builds each workspace's digest (no chart) and prints the
total and the per-workspace median and p95. Target: 1,000 workspaces in ≤ 60 s.

    python bench/digest.py [--workspaces 1000] [--scale 0.05] [--processes 2]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from agents.insights.digest import build_digest
from storage.catalog import AsOf, Engine
from storage.demo import DEMO_WORKSPACES, generate_demo
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace

END = date(2025, 6, 2)


def _digests(paths: list[str]) -> list[float]:
    settings = DEMO_WORKSPACES["demo"]
    timings = []
    for index, path in enumerate(paths):
        started = time.perf_counter()
        warehouse = Warehouse(path)
        engine = Engine(Workspace(f"w{index}", settings["currency"], settings["timezone"]), warehouse)
        build_digest(engine, AsOf.for_day(END, engine.workspace.tz))
        warehouse.close()
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tally-bench-digest-"))
    try:
        generate_demo(folder / "src", end=END, scale=args.scale)
        source = folder / "source.duckdb"
        warehouse = Warehouse(str(source))
        import_directory(warehouse, folder / "src" / "demo")
        meta = DEMO_WORKSPACES["demo"]
        warehouse.configure(meta["currency"], meta["timezone"])  # as a created workspace is
        warehouse.close()
        paths = []
        for n in range(args.workspaces):
            paths.append(str(shutil.copyfile(source, folder / f"w{n}.duckdb")))
        chunks = [paths[i::args.processes] for i in range(args.processes)]
        started = time.perf_counter()
        with ProcessPoolExecutor(args.processes) as pool:
            timings = [t for part in pool.map(_digests, chunks) for t in part]
        total = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
    print(f"digests: {len(timings)} workspaces (scale {args.scale}, {args.processes} processes)")
    print(f"total: {total:.1f} s; per workspace median {statistics.median(timings) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
