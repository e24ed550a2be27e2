"""Roles and the access tables: who may do what, and the migration that adds them."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import state_store as state_module
from storage.access import (
    AccessDenied,
    Action,
    MembershipRow,
    Role,
    UserRow,
    allows,
    chat_role,
    parse_role,
    require,
)
from storage.errors import TallyError
from storage.state_store import StateStore, migrate_state


def test_a_viewer_may_ask_but_not_set_alerts() -> None:
    assert allows(Role.VIEWER, Action.ASK)
    assert not allows(Role.VIEWER, Action.OWN_ALERTS)


def test_a_member_manages_their_own_things_but_not_others() -> None:
    assert allows(Role.MEMBER, Action.OWN_ALERTS)
    assert allows(Role.MEMBER, Action.OWN_BETS)
    assert not allows(Role.MEMBER, Action.MANAGE_BETS)
    assert not allows(Role.MEMBER, Action.BIND_CHAT)


def test_only_an_owner_manages_owners() -> None:
    assert allows(Role.ADMIN, Action.MANAGE_MEMBERS)
    assert not allows(Role.ADMIN, Action.MANAGE_OWNERS)
    assert allows(Role.OWNER, Action.MANAGE_OWNERS)


def test_no_role_may_do_nothing() -> None:
    assert not any(allows(None, action) for action in Action)


def test_every_action_has_a_minimum_role() -> None:
    assert all(allows(Role.OWNER, action) for action in Action)


def test_refusal_says_which_role_is_needed() -> None:
    with pytest.raises(AccessDenied, match=r"needs the admin role on workspace acme.*member"):
        require(Role.MEMBER, Action.BIND_CHAT, "acme")


def test_a_platform_admin_acts_as_admin_of_the_bound_workspace_only_raising_never_lowering() -> None:
    assert chat_role(Role.MEMBER, platform_admin=True) is Role.ADMIN
    assert chat_role(Role.VIEWER, platform_admin=False) is Role.VIEWER
    assert chat_role(Role.OWNER, platform_admin=True) is Role.OWNER


def test_roles_are_read_case_insensitively_and_unknown_ones_are_named() -> None:
    assert parse_role(" Admin ") is Role.ADMIN
    with pytest.raises(TallyError, match="'boss' is not a role: use one of viewer, member"):
        parse_role("boss")


def test_a_fresh_state_has_the_access_tables(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    with store.session() as s, s.begin():
        user = UserRow(email="ana@example.com")
        s.add(user)
        s.flush()
        s.add(MembershipRow(user_id=user.id, workspace="acme", role=Role.OWNER.value))
    with store.session() as s:
        assert s.scalar(sa.select(MembershipRow.role)) == "owner"
    store.close()


def test_bindings_made_before_roles_existed_act_as_members(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setattr(state_module, "STATE_MIGRATIONS",
                        tuple(m for m in state_module.STATE_MIGRATIONS if m[0] < 6))
    migrate_state(engine)
    with engine.begin() as conn:  # the bindings table as migration 3 made it before roles
        conn.execute(sa.text("ALTER TABLE channel_bindings DROP COLUMN role"))
        conn.execute(sa.text("ALTER TABLE channel_bindings DROP COLUMN team_id"))
        conn.execute(sa.text("INSERT INTO channel_bindings (platform, chat_id, workspace, created_at) "
                             "VALUES ('slack', 'C1', 'acme', '2026-01-01')"))
    monkeypatch.undo()
    assert 6 in migrate_state(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT role, team_id FROM channel_bindings")).one() == ("member", None)
