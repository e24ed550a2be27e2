"""Credentials at rest, and the `tally connect` / `tally sync` commands."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet

import connectors.service
from bot.app import App
from bot.cli import main
from bot.settings import Settings
from connectors.credentials import ConnectorStore, load_key
from connectors.errors import ConnectorConfigError
from connectors.http import RetryPolicy

TOKEN = "shpat_0123456789abcdef"


def test_secrets_are_encrypted_at_rest_and_never_printed(app):
    store = ConnectorStore(app.state, load_key(app.settings))
    store.save("acme", "shopify", {"shop": "acme.myshopify.com"}, {"access_token": TOKEN})

    saved = store.get("acme", "shopify")
    with app.state.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT options, secrets FROM connector_configs")).one()

    assert saved.plain_secrets() == {"access_token": TOKEN}
    assert TOKEN.encode() not in raw.secrets and TOKEN not in raw.options
    assert TOKEN not in repr(saved) and TOKEN not in str(saved.secrets)


def test_without_a_key_setting_one_is_generated_once_with_owner_only_permissions(tmp_path):
    settings = Settings(_env_file=None, TALLY_DATA_DIR=str(tmp_path))  # type: ignore[call-arg]

    key = load_key(settings)

    path = tmp_path / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(settings) == key
    Fernet(key)  # a valid key: raises otherwise


def test_the_key_can_live_in_a_file_outside_the_data_folder(tmp_path):
    key_file = tmp_path / "keys" / "tally.key"
    settings = Settings(_env_file=None, TALLY_DATA_DIR=str(tmp_path / "data"),  # type: ignore[call-arg]
                        TALLY_SECRET_KEY_FILE=str(key_file))

    key = load_key(settings)

    assert key_file.read_bytes().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (tmp_path / "data" / "secret.key").exists()  # a data backup carries no key
    assert load_key(settings) == key


def test_a_key_setting_given_twice_or_not_a_fernet_key_is_refused(tmp_path):
    key_file = tmp_path / "tally.key"
    key_file.write_text("not-a-key\n")
    both = Settings(_env_file=None, TALLY_DATA_DIR=str(tmp_path),  # type: ignore[call-arg]
                    TALLY_SECRET_KEY=Fernet.generate_key().decode(), TALLY_SECRET_KEY_FILE=str(key_file))
    garbled = Settings(_env_file=None, TALLY_DATA_DIR=str(tmp_path),  # type: ignore[call-arg]
                       TALLY_SECRET_KEY_FILE=str(key_file))

    with pytest.raises(ConnectorConfigError, match="not both"):
        load_key(both)
    with pytest.raises(ConnectorConfigError, match=r"tally.key does not hold a Fernet key"):
        load_key(garbled)


def test_a_bad_key_file_stops_connect_with_one_line_and_exit_1(cli_env, tmp_path, monkeypatch):
    key_file = tmp_path / "tally.key"
    key_file.write_text("not-a-key\n")
    monkeypatch.delenv("TALLY_SECRET_KEY")
    monkeypatch.setenv("TALLY_SECRET_KEY_FILE", str(key_file))

    result = CliRunner().invoke(main, ["connect", "files", "--workspace", "shop1", "--path", str(tmp_path)])

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "does not hold a Fernet key" in result.output and "Traceback" not in result.output


def test_a_changed_key_asks_to_reconnect(app):
    ConnectorStore(app.state, load_key(app.settings)).save("acme", "files", {"path": "/x"}, {"k": "v"})
    other = ConnectorStore(app.state, Fernet.generate_key())

    with pytest.raises(ConnectorConfigError, match="reconnect"):
        other.get("acme", "files")


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("TALLY_DATA_DIR", str(data))
    monkeypatch.setenv("TALLY_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)  # no stray .env
    app = App(Settings())
    app.workspaces.create("shop1")
    app.close()
    return data


def test_connect_files_then_sync_loads_rows_and_prints_them(cli_env, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "locations.csv").write_text("location_id,name\nl1,Depot\n")
    runner = CliRunner()

    connected = runner.invoke(main, ["connect", "files", "--workspace", "shop1", "--path", str(folder)])
    synced = runner.invoke(main, ["sync", "--workspace", "shop1"])

    assert connected.exit_code == 0, connected.output
    assert synced.exit_code == 0, synced.output
    assert "shop1/files: locations 1" in synced.output


def test_connect_errors_are_one_line_and_exit_1(cli_env):
    runner = CliRunner()

    unknown = runner.invoke(main, ["connect", "hubspot", "--workspace", "shop1"])
    missing = runner.invoke(main, ["connect", "files", "--workspace", "shop1"])
    wrong = runner.invoke(main, ["connect", "files", "--workspace", "shop1", "--path", "/x",
                                 "--shop", "a.myshopify.com"])

    assert (unknown.exit_code, missing.exit_code, wrong.exit_code) == (1, 1, 1)
    assert "unknown connector 'hubspot'" in unknown.output
    assert "files needs --path" in missing.output
    assert "files does not take --shop" in wrong.output


def test_connect_that_cannot_reach_the_provider_says_nothing_was_saved(cli_env, monkeypatch):
    with socket.socket() as closed:  # a port nothing listens on: every try is refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("SHOPIFY_API_URL", url)
    monkeypatch.setattr(connectors.service, "RetryPolicy",
                        lambda: RetryPolicy(attempts=2, base_delay=0.0))
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", TOKEN)

    result = CliRunner().invoke(main, ["connect", "shopify", "--workspace", "shop1",
                                       "--shop", "acme.myshopify.com"])

    assert result.exit_code == 1
    assert "Nothing was saved" in result.output and "tally connect shopify" in result.output
    assert "resume" not in result.output and TOKEN not in result.output
