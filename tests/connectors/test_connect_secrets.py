"""`tally connect` takes secrets from a file, stdin, the environment or a hidden prompt, never argv.

Meta Ads stands for every connector: one required secret, checked against a local fake
of the Graph API on 127.0.0.1.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.app import App
from bot.cli import connect as connect_cli
from bot.cli import main
from bot.cli.connect_secrets import SECRET_ENV_VARS, SECRET_OPTIONS, secret_env_var
from bot.logs import CLI_FORMAT, MaskingFormatter
from bot.settings import Settings
from connectors.credentials import ConnectorStore, load_key
from connectors.registry import CONNECTORS
from tests.connectors.shopify_data import seeded_shop
from tests.fakes import shopify as shopify_fake
from tests.fakes import stripe as stripe_fake
from tests.fakes.meta import ACCOUNT, TOKEN, FakeMeta
from tests.fakes.server import serve

ROOT = Path(__file__).resolve().parents[2]
CONNECT = ["connect", "meta-ads", "--workspace", "shop1", "--ad-account", f"act_{ACCOUNT}"]


@pytest.fixture
def fake() -> Iterator[tuple[FakeMeta, str]]:
    meta = FakeMeta()
    with serve(meta.app()) as url:
        yield meta, url


@pytest.fixture
def env(tmp_path: Path, fake: tuple[FakeMeta, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A data dir with workspace shop1, the fake's URL; the same variables for a subprocess."""
    values = {"TALLY_DATA_DIR": str(tmp_path / "data"), "TALLY_SECRET_KEY": Fernet.generate_key().decode(),
              "META_API_URL": fake[1]}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("META_ADS_ACCESS_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    app = App(Settings())
    app.workspaces.create("shop1")
    app.close()
    return values


def saved_token() -> str | None:
    app = App(Settings())
    try:
        saved = ConnectorStore(app.state, load_key(app.settings)).list("shop1")
        return saved[0].plain_secrets()["access_token"] if saved else None
    finally:
        app.close()


def test_a_secret_in_the_environment_connects(env, monkeypatch):
    monkeypatch.setenv("META_ADS_ACCESS_TOKEN", TOKEN)

    result = CliRunner().invoke(main, CONNECT)

    assert result.exit_code == 0, result.output
    assert "Connected meta-ads (Meta ad account Acme Ads (EUR))" in result.output
    assert saved_token() == TOKEN


def test_a_secret_from_a_file_connects_and_its_newline_is_dropped(env, tmp_path):
    secret = tmp_path / "meta-token"
    secret.write_text(TOKEN + "\n")

    result = CliRunner().invoke(main, [*CONNECT, "--access-token-file", str(secret)])

    assert result.exit_code == 0, result.output
    assert saved_token() == TOKEN


def test_a_secret_from_stdin_connects(env):
    result = CliRunner().invoke(main, [*CONNECT, "--access-token-file", "-"], input=TOKEN + "\n")

    assert result.exit_code == 0, result.output
    assert saved_token() == TOKEN


def test_a_file_beats_the_environment(env, tmp_path, monkeypatch):
    monkeypatch.setenv("META_ADS_ACCESS_TOKEN", "EAAstale")
    secret = tmp_path / "meta-token"
    secret.write_text(TOKEN)

    result = CliRunner().invoke(main, [*CONNECT, "--access-token-file", str(secret)])

    assert result.exit_code == 0, result.output
    assert saved_token() == TOKEN


def test_a_secret_given_as_a_flag_is_refused_with_how_to_pass_it(env):
    result = CliRunner().invoke(main, [*CONNECT, "--access-token", TOKEN])

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "--access-token is not accepted" in result.output
    assert "META_ADS_ACCESS_TOKEN" in result.output and "--access-token-file" in result.output
    assert TOKEN not in result.output
    assert saved_token() is None


def test_a_missing_secret_without_a_terminal_says_where_to_put_it(env):
    result = CliRunner().invoke(main, CONNECT)

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "meta-ads needs its access token (token with ads_read): set META_ADS_ACCESS_TOKEN" in result.output


def test_a_wrong_secret_is_one_line_exit_1_and_never_printed(env, monkeypatch):
    monkeypatch.setenv("META_ADS_ACCESS_TOKEN", "EAAwrong-but-long")

    result = CliRunner().invoke(main, CONNECT)

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "Meta refused the token (OAuthException 190)" in result.output
    assert "EAAwrong-but-long" not in result.output
    assert saved_token() is None


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--access-token-file", "missing.txt"], None,
     "cannot read --access-token-file missing.txt: No such file or directory"),
    (["--access-token-file", "-"], "\n", "--access-token-file stdin is empty"),
    (["--api-key-file", "-"], TOKEN, "meta-ads does not take --api-key-file"),
])
def test_a_bad_secret_file_is_one_line_and_exit_1(env, args, stdin, message):
    result = CliRunner().invoke(main, [*CONNECT, *args], input=stdin)

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output


def test_the_secret_options_and_variables_match_every_connectors_declarations():
    options = [o for name in CONNECTORS
               for o in importlib.import_module(CONNECTORS[name].split(":")[0]).__dict__[
                   CONNECTORS[name].split(":")[1]].options]
    secrets = {o.name for o in options if o.secret}
    variables = {secret_env_var(name, o.name)
                 for name in CONNECTORS
                 for o in importlib.import_module(CONNECTORS[name].split(":")[0]).__dict__[
                     CONNECTORS[name].split(":")[1]].options if o.secret}

    assert set(SECRET_OPTIONS) == secrets
    assert set(connect_cli._OPTIONS) == {o.name for o in options if not o.secret}
    assert set(SECRET_ENV_VARS) == variables
    assert {"SHOPIFY_ACCESS_TOKEN", "SHOPIFY_WEBHOOK_SECRET", "STRIPE_API_KEY",
            "STRIPE_WEBHOOK_SECRET"} <= variables


# --- real processes ----------------------------------------------------------------------------
def _child_env(env: dict[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "USER")}
    return {**keep, **env, "PYTHONPATH": str(ROOT), "TERM": "dumb", "COLUMNS": "200"}


def test_the_secret_is_not_in_the_command_line_of_the_running_process(env, fake, tmp_path):
    meta, _ = fake
    seen: dict[str, bytes] = {}
    account = meta.account

    async def look_at_the_client(request: Request) -> JSONResponse:
        seen["cmdline"] = Path(f"/proc/{child.pid}/cmdline").read_bytes()
        return await account(request)

    meta.account = look_at_the_client  # type: ignore[method-assign]
    with serve(meta.app()) as url:
        child = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *CONNECT, "--access-token-file", "-"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=_child_env({**env, "META_API_URL": url}), cwd=tmp_path)
        output, _ = child.communicate(TOKEN.encode() + b"\n", timeout=120)

    assert child.returncode == 0, output.decode()
    assert b"--access-token-file" in seen["cmdline"]  # the process seen is the one connecting
    assert TOKEN.encode() not in seen["cmdline"]
    assert saved_token() == TOKEN


def test_in_a_terminal_a_missing_secret_is_asked_for_without_echo(env, tmp_path):
    controller, terminal = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "bot.cli", *CONNECT],
                             stdin=terminal, stdout=terminal, stderr=terminal,
                             env=_child_env(env), cwd=tmp_path)
    os.close(terminal)
    try:
        before = _read_until(controller, b"(hidden; or set META_ADS_ACCESS_TOKEN)")
        os.write(controller, TOKEN.encode() + b"\n")
        after = _read_until(controller, None)
        child.wait(timeout=60)
    finally:
        os.close(controller)

    assert child.returncode == 0, (before + after).decode(errors="replace")
    assert b"Connected meta-ads" in after
    assert TOKEN.encode() not in before + after  # typed, never echoed
    assert saved_token() == TOKEN


def _read_until(fd: int, marker: bytes | None, timeout: float = 90.0) -> bytes:
    """Reads a pty until ``marker`` shows (None: until the other side closes)."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker is not None and marker in data:
            return data
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        data += chunk
    if marker is not None:
        raise AssertionError(f"never saw {marker!r}; got {data!r}")
    return data


def test_the_connection_is_audited_without_its_secret(env, monkeypatch):
    monkeypatch.setenv("META_ADS_ACCESS_TOKEN", TOKEN)
    CliRunner().invoke(main, CONNECT)

    result = CliRunner().invoke(main, ["audit", "--workspace", "shop1", "--json"])

    entries = [json.loads(line) for line in result.output.splitlines()]
    connect = next(e for e in entries if e["action"] == "connector.connect")
    assert connect["after"]["secrets"] == {"access_token": "(set)"}
    assert connect["after"]["options"]["ad_account"] == f"act_{ACCOUNT}"
    app = App(Settings())
    with app.state.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT before, after FROM audit_log")).all()
    app.close()
    assert all(TOKEN not in (row.after or "") for row in stored)


def test_a_secret_read_by_connect_is_masked_in_every_log_line(env, tmp_path):
    secret = tmp_path / "meta-token"
    secret.write_text("EAAonly-in-this-test\n")
    CliRunner().invoke(main, [*CONNECT, "--access-token-file", str(secret)])  # refused by the fake
    record = logging.LogRecord("connectors.meta_ads", logging.WARNING, __file__, 1,
                               "Meta said: bad token EAAonly-in-this-test", None, None)

    line = MaskingFormatter(CLI_FORMAT).format(record)

    assert "EAAonly-in-this-test" not in line and "bad token ***" in line


def test_the_readme_connects_shopify_and_stripe_with_both_secrets_off_the_command_line(
        env, tmp_path, monkeypatch):
    whsec = tmp_path / "stripe-whsec"
    whsec.write_text(stripe_fake.WEBHOOK_SECRET + "\n")
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", shopify_fake.TOKEN)
    monkeypatch.setenv("SHOPIFY_WEBHOOK_SECRET", shopify_fake.SECRET)
    monkeypatch.setenv("STRIPE_API_KEY", stripe_fake.API_KEY)
    with serve(seeded_shop().app()) as shop_url, serve(stripe_fake.seeded_stripe().app()) as stripe_url:
        monkeypatch.setenv("SHOPIFY_API_URL", shop_url)
        monkeypatch.setenv("STRIPE_API_URL", stripe_url)
        shop = CliRunner().invoke(main, ["connect", "shopify", "--workspace", "shop1",
                                         "--shop", shopify_fake.SHOP])
        stripe = CliRunner().invoke(main, ["connect", "stripe", "--workspace", "shop1",
                                           "--webhook-secret-file", str(whsec)])

    assert (shop.exit_code, stripe.exit_code) == (0, 0), shop.output + stripe.output
    app = App(Settings())
    saved = {c.connector: c.plain_secrets()
             for c in ConnectorStore(app.state, load_key(app.settings)).list()}
    app.close()
    assert saved == {
        "shopify": {"access_token": shopify_fake.TOKEN, "webhook_secret": shopify_fake.SECRET},
        "stripe": {"api_key": stripe_fake.API_KEY, "webhook_secret": stripe_fake.WEBHOOK_SECRET}}
