"""Webhook ingestion on loopback: signed Shopify order webhooks into a workspace.

Starts the gateway (uvicorn, in a child process, like ``tally serve``), sends
signed ``orders/create`` deliveries at a steady rate over keep-alive
connections, then stops the server (it drains its queue) and reports:

- sustained events/s: deliveries acknowledged per second over the run;
- lost: deliveries acknowledged but absent from the ``orders`` table (must be 0);
- receipt → queryable delay: from the request's arrival to the commit of its rows
  (``processed_at`` − ``received_at`` of each queued event), p50 / p95 / max.

Usage: ``python -m bench.webhooks [--rate 2000] [--seconds 10] [--runs 3]``
(``--rate 0`` sends as fast as the server acknowledges).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

SECRET = "bench_client_secret"
SHOP = "bench.myshopify.com"


def serve(data_dir: str, port: int) -> None:
    """The child process: the gateway on 127.0.0.1:port until SIGINT."""
    import uvicorn

    from bot.app import App
    from bot.settings import Settings
    from connectors.webhooks import WebhookGateway

    app = App(Settings(_env_file=None, TALLY_DATA_DIR=data_dir))  # type: ignore[call-arg]
    gateway = WebhookGateway(app)
    uvicorn.run(gateway.asgi(), host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                access_log=False)
    app.close()


def prepare(data_dir: Path) -> None:
    """A workspace with a Shopify connection whose webhook secret is known."""
    from bot.app import App
    from bot.settings import Settings
    from connectors.credentials import ConnectorStore, load_key

    app = App(Settings(_env_file=None, TALLY_DATA_DIR=str(data_dir)))  # type: ignore[call-arg]
    app.workspaces.create("bench")
    ConnectorStore(app.state, load_key(app.settings)).save(
        "bench", "shopify", {"shop": SHOP}, {"access_token": "unused", "webhook_secret": SECRET})
    app.close()


def requests(count: int, port: int) -> list[bytes]:
    """Signed HTTP/1.1 requests, one distinct order each, built before the clock starts."""
    from connectors.shopify_webhooks import sign
    from tests.fakes.shopify import make_order, rest_order

    built = []
    for n in range(count):
        body = json.dumps(rest_order(make_order(n, "2025-03-05T10:00:00Z"))).encode()
        head = (f"POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"X-Shopify-Topic: orders/create\r\nX-Shopify-Shop-Domain: {SHOP}\r\n"
                f"X-Shopify-Event-Id: bench-{n}\r\nX-Shopify-Hmac-Sha256: {sign(body, SECRET)}\r\n\r\n")
        built.append(head.encode() + body)
    return built


async def _connection(port: int, queue: asyncio.Queue[bytes | None], acked: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while (request := await queue.get()) is not None:
        writer.write(request)
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        acked.append(int(status.split()[1]))
    writer.close()


async def send(built: list[bytes], port: int, rate: float, connections: int = 128) -> tuple[float, list[int]]:
    """Sends every request at ``rate``/s (0: unpaced); returns seconds taken and statuses."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=connections * 4)
    acked: list[int] = []
    workers = [asyncio.create_task(_connection(port, queue, acked)) for _ in range(connections)]
    start = time.perf_counter()
    for index, request in enumerate(built):
        if rate:
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await queue.put(request)
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers)
    return time.perf_counter() - start, acked


@dataclass
class RunResult:
    events: int
    events_per_s: float
    lost: int
    p50: float
    p95: float
    worst: float


def run_once(rate: float, seconds: float) -> RunResult:
    """One run in a fresh data directory."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        os.environ["TALLY_SECRET_KEY"] = Fernet.generate_key().decode()
        prepare(data)
        port = _free_port()
        count = int((rate or 2000) * seconds)
        built = requests(count, port)
        server = subprocess.Popen([sys.executable, "-m", "bench.webhooks", "--serve", str(data), str(port)],
                                  env=os.environ.copy())
        try:
            _wait_for(port)
            elapsed, statuses = asyncio.run(send(built, port, rate))
        finally:
            server.send_signal(signal.SIGINT)  # the lifespan drains the queue before exiting
            server.wait(timeout=120)
        return _measure(data, count, elapsed, statuses)


def _measure(data: Path, count: int, elapsed: float, statuses: list[int]) -> RunResult:
    import duckdb

    engine = sa.create_engine(f"sqlite:///{data / 'state.db'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT received_at, processed_at FROM webhook_events "
                                    "WHERE status = 'done'")).all()
    engine.dispose()
    delays = sorted((_parse(done) - _parse(got)) for got, done in rows)
    con = duckdb.connect(str(data / "workspaces" / "bench.duckdb"), read_only=True)
    stored = con.execute("SELECT count(*) FROM orders").fetchall()[0][0]
    con.close()
    ok = sum(1 for s in statuses if s == 200)
    return RunResult(count, ok / elapsed, ok - int(stored), _pct(delays, 50), _pct(delays, 95),
                     delays[-1] if delays else float("nan"))


def _parse(value: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(str(value)).timestamp()


def _pct(values: list[float], pct: int) -> float:
    return values[min(len(values) - 1, int(len(values) * pct / 100))] if values else float("nan")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the gateway did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=0.0,
                        help="deliveries per second (0: as fast as acknowledged)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    results = []
    for index in range(args.runs):
        result = run_once(args.rate, args.seconds)
        results.append(result)
        print(f"run {index + 1}: {result.events} events, {result.events_per_s:,.0f} events/s, "
              f"lost {result.lost}, delay p50 {result.p50 * 1000:.0f} ms, p95 {result.p95 * 1000:.0f} ms, "
              f"max {result.worst * 1000:.0f} ms")
    print(f"median: {statistics.median(r.events_per_s for r in results):,.0f} events/s, "
          f"p95 delay {statistics.median(r.p95 for r in results) * 1000:.0f} ms, "
          f"lost {sum(r.lost for r in results)} (target >= 2,000 events/s, p95 <= 2,000 ms, 0 lost)")


if __name__ == "__main__":
    main()
