"""`tally user` and `tally member`: what an operator types and sees."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from bot.app import App
from bot.cli import main
from storage.access import Role
from storage.audit import list_audit
from storage.sign_in import SignIn
from storage.users import Users
from tests.bot.test_runtime_http import shop_settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    shop_settings(tmp_path)
    return tmp_path


def tally(data_dir: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin,
                              env={"TALLY_DATA_DIR": str(data_dir), "TALLY_PUBLIC_URL": ""})


def opened(data_dir: Path) -> App:
    return App(shop_settings(data_dir))


def test_user_create_with_a_role_then_list(data_dir):
    created = tally(data_dir, "user", "create", "Ana@Example.com", "--name", "Ana",
                    "--workspace", "shop", "--role", "viewer")
    listed = tally(data_dir, "user", "list")
    assert created.exit_code == 0, created.output
    assert "Created user ana@example.com (viewer of shop)" in created.stdout
    assert "ana@example.com" in listed.stdout and "shop: viewer" in listed.stdout
    assert "never" in listed.stdout


def test_user_create_for_an_unknown_workspace_creates_nobody(data_dir):
    result = tally(data_dir, "user", "create", "ana@example.com", "--workspace", "nope")
    app = opened(data_dir)
    assert result.exit_code == 1 and "no workspace named 'nope'" in result.stderr
    assert Users(app.state).find("ana@example.com") is None
    app.close()


def test_a_bad_role_is_a_one_line_error(data_dir):
    result = tally(data_dir, "user", "create", "ana@example.com", "--workspace", "shop",
                   "--role", "boss")
    assert result.exit_code == 1 and "'boss' is not a role" in result.stderr


def test_user_link_prints_a_link_that_signs_in_once(data_dir):
    tally(data_dir, "user", "create", "ana@example.com")
    result = tally(data_dir, "user", "link", "ana@example.com", "--minutes", "5")
    url = result.stdout.strip()
    assert result.exit_code == 0 and re.fullmatch(r"http://localhost:8080/sign-in/link\?token=\S+", url)
    assert "valid 5 minutes" in result.stderr
    token = parse_qs(urlsplit(url).query)["token"][0]
    app = opened(data_dir)
    sign_in = SignIn(app.state)
    assert sign_in.redeem_link(token).email == "ana@example.com"
    assert sign_in.redeem_link(token) is None
    app.close()


def test_user_password_reads_stdin_and_never_takes_it_as_an_argument(data_dir):
    tally(data_dir, "user", "create", "ana@example.com")
    as_argument = tally(data_dir, "user", "password", "ana@example.com", "a long enough secret")
    from_stdin = tally(data_dir, "user", "password", "ana@example.com", stdin="a long enough secret\n")
    too_short = tally(data_dir, "user", "password", "ana@example.com", stdin="short\n")
    app = opened(data_dir)
    users = Users(app.state)
    assert as_argument.exit_code == 2  # usage error: there is no argument for it
    assert from_stdin.exit_code == 0 and "Password set for ana@example.com" in from_stdin.stdout
    assert users.verify_password("ana@example.com", "a long enough secret") is not None
    assert too_short.exit_code == 1 and "10 to 1024 characters" in too_short.stderr
    assert all("a long enough secret" not in repr(e) for e in list_audit(app.state))
    app.close()


def test_member_add_change_list_remove(data_dir):
    tally(data_dir, "user", "create", "ana@example.com")
    added = tally(data_dir, "member", "add", "ana@example.com", "--workspace", "shop")
    changed = tally(data_dir, "member", "add", "ana@example.com", "-w", "shop", "--role", "admin")
    listed = tally(data_dir, "member", "list", "--workspace", "shop")
    removed = tally(data_dir, "member", "remove", "ana@example.com", "--workspace", "shop")
    assert added.exit_code == 0 and "ana@example.com is now member of shop." in added.stdout
    assert "is now admin of shop (was member)" in changed.stdout
    assert "ana@example.com" in listed.stdout and "admin" in listed.stdout
    assert removed.exit_code == 0 and "no longer admin of shop" in removed.stdout
    app = opened(data_dir)
    actions = [(e.action, e.actor.split(":")[0]) for e in list_audit(app.state, "shop")][:3]
    assert actions == [("member.remove", "cli"), ("member.role", "cli"), ("member.add", "cli")]
    app.close()


def test_the_last_owner_stays(data_dir):
    tally(data_dir, "user", "create", "bo@example.com", "--workspace", "shop", "--role", "owner")
    result = tally(data_dir, "member", "remove", "bo@example.com", "--workspace", "shop")
    assert result.exit_code == 1 and "last owner of workspace shop" in result.stderr


def test_an_instance_owner_owns_the_workspaces_created_later_from_the_cli(data_dir):
    tally(data_dir, "user", "create", "op@example.com", "--instance-owner")
    created = tally(data_dir, "workspace", "create", "acme")
    app = opened(data_dir)
    users = Users(app.state)
    roles = users.workspaces_of(users.get("op@example.com").id)
    app.close()
    assert created.exit_code == 0
    assert roles == {"acme": Role.OWNER, "shop": Role.OWNER}
