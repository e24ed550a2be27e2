"""Scheduled syncs (interval per connection) and the new-data hooks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from connectors.hooks import NewData
from connectors.service import Connections


def _drop(tmp_path, rows: str = "l1,Depot\n", name: str = "drop"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "locations.csv").write_text("location_id,name\n" + rows)
    return folder


def test_a_connection_is_due_when_its_interval_has_passed(app, tmp_path):
    now = [datetime(2025, 3, 5, 12, 0, tzinfo=UTC)]
    connections = Connections(app, clock=lambda: now[0])
    asyncio.run(connections.connect("acme", "files", {"path": str(_drop(tmp_path))}, interval_minutes=15))

    due_at_first = [c.connector for c in connections.due()]
    asyncio.run(connections.sync("acme", "files"))
    now[0] += timedelta(minutes=14)
    due_soon = connections.due()
    now[0] += timedelta(minutes=1)
    due_later = [c.connector for c in connections.due()]

    assert (due_at_first, due_soon, due_later) == (["files"], [], ["files"])


def test_the_schedule_syncs_due_connections_and_keeps_going_after_a_failure(app, tmp_path):
    connections = Connections(app, clock=lambda: datetime(2025, 3, 5, 12, 0, tzinfo=UTC))
    asyncio.run(connections.connect("acme", "files", {"path": str(_drop(tmp_path, "l1,Depot\n,\n"))}))
    app.workspaces.create("beta")
    asyncio.run(connections.connect("beta", "files", {"path": str(_drop(tmp_path, name="beta"))}))

    async def one_round() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(connections.run_schedule(stop, tick_seconds=0.01))
        await asyncio.sleep(0)  # let the first round start; it syncs before its first wait
        stop.set()
        await task
    asyncio.run(one_round())

    statuses = {c.workspace: c.last_status for c in connections.store.list()}
    assert statuses == {"acme": "failed", "beta": "ok"}  # acme's file has a row without a key
    assert app.workspaces.warehouse("beta").fetch("SELECT * FROM locations") == [("l1", "Depot")]


def test_hooks_hear_about_rows_a_sync_wrote_and_a_failing_hook_changes_nothing(app, tmp_path):
    connections = Connections(app)
    heard: list[NewData] = []

    def broken(_event: NewData) -> None:
        raise RuntimeError("the anomaly check fell over")

    async def remember(event: NewData) -> None:
        heard.append(event)
    connections.hooks.register(broken)
    connections.hooks.register(remember)
    asyncio.run(connections.connect("acme", "files", {"path": str(_drop(tmp_path))}))

    report = asyncio.run(connections.sync("acme", "files"))
    asyncio.run(connections.sync("acme", "files"))  # nothing new: no call

    assert report.rows == {"locations": 1}
    assert heard == [NewData("acme", {"locations": 1}, "sync files")]
