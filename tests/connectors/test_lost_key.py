"""A lost or changed credentials key is never silently replaced, and never stops the others."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet

from bot.app import App
from bot.cli import main
from bot.settings import Settings
from connectors.credentials import ConnectorStore
from connectors.service import Connections


def _drop(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "locations.csv").write_text("location_id,name\nl1,Depot\n")
    return folder


@pytest.fixture
def key_file_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with workspaces shop1 and shop2; the key lives in keys/tally.key."""
    monkeypatch.setenv("TALLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TALLY_SECRET_KEY", raising=False)
    key_file = tmp_path / "keys" / "tally.key"
    monkeypatch.setenv("TALLY_SECRET_KEY_FILE", str(key_file))
    monkeypatch.chdir(tmp_path)
    app = App(Settings())
    app.workspaces.create("shop1")
    app.workspaces.create("shop2")
    app.close()
    return key_file


def test_a_lost_key_file_is_not_replaced_while_credentials_exist(key_file_env, tmp_path, monkeypatch):
    runner = CliRunner()
    first = runner.invoke(main, ["connect", "files", "-w", "shop1", "--path", str(_drop(tmp_path, "a"))])
    lost = tmp_path / "nodir" / "tally.key"
    monkeypatch.setenv("TALLY_SECRET_KEY_FILE", str(lost))

    again = runner.invoke(main, ["connect", "files", "-w", "shop2", "--path", str(_drop(tmp_path, "b"))])

    assert first.exit_code == 0, first.output
    assert again.exit_code == 1 and "Connected" not in again.output
    assert str(lost) in again.output and "tally disconnect" in again.output
    assert not lost.exists()


def test_a_connection_whose_key_is_lost_can_still_be_disconnected(key_file_env, tmp_path, monkeypatch):
    runner = CliRunner()
    runner.invoke(main, ["connect", "files", "-w", "shop1", "--path", str(_drop(tmp_path, "a"))])
    monkeypatch.setenv("TALLY_SECRET_KEY_FILE", str(tmp_path / "elsewhere.key"))

    dropped = runner.invoke(main, ["disconnect", "files", "-w", "shop1"])
    connected = runner.invoke(main, ["connect", "files", "-w", "shop2", "--path", str(_drop(tmp_path, "b"))])

    assert dropped.exit_code == 0, dropped.output
    assert connected.exit_code == 0, connected.output  # nothing left to lose: a new key is fine


def test_an_undecryptable_connection_is_skipped_and_the_others_sync_on_schedule(app, tmp_path, caplog):
    app.workspaces.create("beta")
    ConnectorStore(app.state, Fernet.generate_key()).save(  # saved under some other key
        "acme", "files", {"path": str(_drop(tmp_path, "a"))}, {"k": "v"})
    connections = Connections(app, clock=lambda: datetime(2025, 3, 5, 12, 0, tzinfo=UTC))
    asyncio.run(connections.connect("beta", "files", {"path": str(_drop(tmp_path, "b"))}))

    async def rounds(n: int) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(connections.run_schedule(stop, tick_seconds=0.01))
        await asyncio.sleep(0.05 * n)
        stop.set()
        await task
    asyncio.run(rounds(3))

    _readable, unreadable = connections.store.scan()
    assert [(u.workspace, u.connector) for u in unreadable] == [("acme", "files")]
    assert app.workspaces.warehouse("beta").fetch("SELECT * FROM locations") == [("l1", "Depot")]
    assert [r.getMessage() for r in caplog.records if "skipping acme/files" in r.getMessage()] \
        and len([r for r in caplog.records if "skipping acme/files" in r.getMessage()]) == 1
    with app.state.engine.connect() as conn:
        status, error = conn.execute(sa.text(
            "SELECT last_status, last_error FROM connector_configs WHERE workspace='acme'")).one()
    assert status == "undecryptable" and "cannot be decrypted" in error


def test_tally_sync_reports_an_undecryptable_connection_and_syncs_the_rest(key_file_env, tmp_path):
    runner = CliRunner()
    runner.invoke(main, ["connect", "files", "-w", "shop2", "--path", str(_drop(tmp_path, "b"))])
    app = App(Settings())
    ConnectorStore(app.state, Fernet.generate_key()).save(
        "shop1", "files", {"path": str(_drop(tmp_path, "a"))}, {"k": "v"})
    app.close()

    synced = runner.invoke(main, ["sync"])

    assert synced.exit_code == 1
    assert "shop2/files: locations 1" in synced.output
    assert "shop1/files: skipped" in synced.output and "cannot be decrypted" in synced.output
