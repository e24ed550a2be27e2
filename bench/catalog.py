"""Benchmark: import speed and catalog query latency on the scaled demo.

    python bench/catalog.py --orders 1000000
    python bench/catalog.py --orders 10000000 --runs 3

Prints medians. Generated data is cached under bench/out/ (delete it to regenerate).
Targets (issue 2, 2 cores): import >= 300k order rows/s; one metric over 10M orders
with a month filter and one breakdown <= 100 ms median, warm.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from storage.catalog import AsOf, Engine, Query, resolve_period
from storage.demo import DEMO_WORKSPACES, generate_demo
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace

OUT = Path(__file__).parent / "out"
ORDERS_PER_SCALE = 40_000
END = date(2026, 11, 1)


def dataset(orders: int) -> Path:
    """The demo at the scale that gives about ``orders`` orders (cached)."""
    scale = orders / ORDERS_PER_SCALE
    folder = OUT / f"demo-{orders}"
    if not (folder / "demo" / "orders.parquet").exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        generate_demo(folder, end=END, scale=scale)
        print(f"generated scale {scale:g} in {time.perf_counter() - started:.1f} s")
    return folder / "demo"


def csv_copy(parquet_dir: Path, tables: tuple[str, ...]) -> Path:
    folder = parquet_dir.parent / "csv"
    if not folder.exists():
        folder.mkdir()
        con = duckdb.connect()
        for table in tables:
            con.execute(f"COPY (SELECT * FROM '{parquet_dir / table}.parquet') "
                        f"TO '{folder / table}.csv' (HEADER)")
    return folder


def time_import(folder: Path, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            warehouse = Warehouse(Path(tmp) / "w.duckdb")
            started = time.perf_counter()
            import_directory(warehouse, folder)
            timings.append(time.perf_counter() - started)
            warehouse.close()
    return timings


def only(folder: Path, tables: tuple[str, ...], suffix: str) -> Path:
    target = folder.parent / f"only-{suffix}"
    if not target.exists():
        target.mkdir()
        for table in tables:
            (target / f"{table}.{suffix}").symlink_to(folder / f"{table}.{suffix}")
    return target


def bench_queries(folder: Path, runs: int) -> None:
    database = folder.parent / "warehouse.duckdb"
    fresh = not database.exists()
    warehouse = Warehouse(database)
    if fresh:
        import_directory(warehouse, folder)
    meta = DEMO_WORKSPACES["demo"]
    workspace = Workspace("demo", meta["currency"], meta["timezone"])
    engine = Engine(workspace, warehouse)
    as_of = AsOf.for_day(END - timedelta(days=1), workspace.tz)
    month = resolve_period("last month", as_of)
    cases = {
        "revenue by country, one month": Query(("revenue",), month, ("country",)),
        "orders, one month": Query(("orders",), month),
        "aov by sales channel, last 30 days": Query(("aov",), resolve_period("last 30 days", as_of),
                                                    ("sales_channel",)),
        "revenue by day, this year": Query(("revenue",), resolve_period("this year", as_of), ("day",)),
        "revenue vs previous month": Query(("revenue",), month, compare="previous"),
    }
    for label, query in cases.items():
        engine.run(query, as_of)  # warm
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            engine.run(query, as_of)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"query {label:40s} median {statistics.median(timings):7.1f} ms  "
              f"p95 {sorted(timings)[int(len(timings) * 0.95) - 1]:7.1f} ms")
    warehouse.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="import runs (median)")
    parser.add_argument("--query-runs", type=int, default=30)
    parser.add_argument("--queries-only", action="store_true", help="skip the import timings")
    args = parser.parse_args()
    folder = dataset(args.orders)
    orders = duckdb.connect().execute(f"SELECT count(*) FROM '{folder}/orders.parquet'").fetchall()[0][0]
    print(f"dataset: {orders:,} orders")
    if args.queries_only:
        bench_queries(folder, args.query_runs)
        return
    for suffix in ("parquet", "csv"):
        source = folder if suffix == "parquet" else csv_copy(folder, ("orders",))
        timings = time_import(only(source, ("orders",), suffix), args.runs)
        median = statistics.median(timings)
        print(f"import orders.{suffix:8s} median {median:6.2f} s  = {orders / median:,.0f} rows/s")
    timings = time_import(folder, 1)
    print(f"import whole demo workspace (parquet, all tables): {timings[0]:.2f} s")
    bench_queries(folder, args.query_runs)


if __name__ == "__main__":
    main()
