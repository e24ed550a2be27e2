"""Users, passwords, roles, one-time sign-in links and web sessions, with an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.access import Role, SignInLinkRow, UserRow, WebSessionRow
from storage.audit import list_audit
from storage.sign_in import FIRST_OWNER_EMAIL, SignIn, first_owner_links, token_hash
from storage.state import WorkspaceRow
from storage.state_store import StateStore
from storage.users import UserError, Users, grant_instance_owners
from storage.workspaces import WorkspaceStore

ACTOR = "cli:test"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    with store.session() as s, s.begin():
        s.add_all([WorkspaceRow(name="acme"), WorkspaceRow(name="globex")])
    yield store
    store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def users(state: StateStore, clock: Clock) -> Users:
    return Users(state, clock)


@pytest.fixture
def sign_in(state: StateStore, clock: Clock) -> SignIn:
    return SignIn(state, clock)


def test_a_user_is_stored_lower_cased_and_once(users):
    ana = users.create(" Ana@Example.com ", actor=ACTOR, name="Ana")
    assert (ana.email, ana.display_name, ana.has_password) == ("ana@example.com", "Ana", False)
    with pytest.raises(UserError, match="already exists"):
        users.create("ANA@example.com", actor=ACTOR)
    with pytest.raises(UserError, match="not an email address"):
        users.create("ana", actor=ACTOR)


def test_a_password_is_stored_as_an_argon2id_hash_and_checked(users, state):
    users.create("ana@example.com", actor=ACTOR)
    users.set_password("ana@example.com", "correct horse battery", actor=ACTOR)
    with state.session() as s:
        stored = s.scalar(sa.select(UserRow.password_hash))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert users.verify_password("ANA@example.com", "correct horse battery").email == "ana@example.com"
    assert users.verify_password("ana@example.com", "correct horse batterY") is None
    assert users.verify_password("nobody@example.com", "correct horse battery") is None


def test_a_short_password_is_refused(users):
    users.create("ana@example.com", actor=ACTOR)
    with pytest.raises(UserError, match="10 to 1024 characters"):
        users.set_password("ana@example.com", "short", actor=ACTOR)


def test_a_user_without_a_password_cannot_sign_in_with_one(users):
    users.create("ana@example.com", actor=ACTOR)
    assert users.verify_password("ana@example.com", "") is None


def test_a_link_works_once(users, sign_in, state):
    ana = users.create("ana@example.com", actor=ACTOR)
    token = sign_in.create_link(ana, actor=ACTOR)
    with state.session() as s:
        stored = s.scalar(sa.select(SignInLinkRow.token_hash))
    assert stored == token_hash(token) and token not in stored
    assert sign_in.redeem_link(token).email == "ana@example.com"
    assert sign_in.redeem_link(token) is None


def test_a_link_expires(users, sign_in, clock):
    ana = users.create("ana@example.com", actor=ACTOR)
    token = sign_in.create_link(ana, timedelta(minutes=10), actor=ACTOR)
    clock.advance(minutes=10)
    assert sign_in.redeem_link(token) is None


def test_a_made_up_link_opens_nothing(sign_in):
    assert sign_in.redeem_link("not-a-token") is None


def test_a_session_finds_its_user_until_it_expires(users, sign_in, clock, state):
    ana = users.create("ana@example.com", actor=ACTOR)
    started = sign_in.start_session(ana, ip="127.0.0.1", method="link")
    with state.session() as s:
        assert s.scalar(sa.select(WebSessionRow.token_hash)) == token_hash(started.token)
    active = sign_in.session(started.token)
    assert active.user.email == "ana@example.com" and active.csrf_token == started.csrf_token
    assert users.get("ana@example.com").last_sign_in_at == clock.now
    clock.advance(days=7)
    assert sign_in.session(started.token) is None


def test_sign_out_ends_the_session(users, sign_in):
    ana = users.create("ana@example.com", actor=ACTOR)
    started = sign_in.start_session(ana, ip=None, method="password")
    assert sign_in.end_session(started.token)
    assert sign_in.session(started.token) is None
    assert not sign_in.end_session(started.token)


def test_a_disabled_user_loses_their_sessions(users, sign_in, state):
    ana = users.create("ana@example.com", actor=ACTOR)
    started = sign_in.start_session(ana, ip=None, method="link")
    with state.session() as s, s.begin():
        s.get(UserRow, ana.id).disabled = True
    assert sign_in.session(started.token) is None


def test_roles_are_per_workspace_and_listed_highest_first(users):
    users.create("ana@example.com", actor=ACTOR)
    users.create("bo@example.com", actor=ACTOR)
    users.set_role("ana@example.com", "acme", Role.VIEWER, actor=ACTOR)
    users.set_role("bo@example.com", "acme", Role.OWNER, actor=ACTOR)
    ana = users.get("ana@example.com")
    assert users.workspaces_of(ana.id) == {"acme": Role.VIEWER}
    assert users.role_of(ana.id, "globex") is None
    assert [(u.email, r) for u, r in users.members("acme")] == [
        ("bo@example.com", Role.OWNER), ("ana@example.com", Role.VIEWER)]
    assert users.set_role("ana@example.com", "acme", Role.MEMBER, actor=ACTOR) is Role.VIEWER


def test_a_role_on_an_unknown_workspace_is_refused(users):
    users.create("ana@example.com", actor=ACTOR)
    with pytest.raises(UserError, match="no workspace named 'nope'"):
        users.set_role("ana@example.com", "nope", Role.MEMBER, actor=ACTOR)


def test_the_last_owner_of_a_workspace_cannot_be_removed_or_demoted(users):
    users.create("bo@example.com", actor=ACTOR)
    users.set_role("bo@example.com", "acme", Role.OWNER, actor=ACTOR)
    with pytest.raises(UserError, match="last owner"):
        users.remove_member("bo@example.com", "acme", actor=ACTOR)
    with pytest.raises(UserError, match="last owner"):
        users.set_role("bo@example.com", "acme", Role.ADMIN, actor=ACTOR)
    users.create("cy@example.com", actor=ACTOR)
    users.set_role("cy@example.com", "acme", Role.OWNER, actor=ACTOR)
    assert users.remove_member("bo@example.com", "acme", actor=ACTOR) is Role.OWNER


def test_first_start_creates_an_owner_of_every_workspace_with_a_link(users, sign_in):
    [(owner, token)] = first_owner_links(users, sign_in)
    assert owner.email == FIRST_OWNER_EMAIL and owner.instance_owner
    assert users.workspaces_of(owner.id) == {"acme": Role.OWNER, "globex": Role.OWNER}
    assert sign_in.redeem_link(token).id == owner.id


def test_the_owner_gets_a_fresh_link_each_start_until_they_sign_in(users, sign_in):
    [(owner, _first)] = first_owner_links(users, sign_in)
    [(again, second)] = first_owner_links(users, sign_in)
    assert again.id == owner.id and len(users.all()) == 1
    sign_in.start_session(sign_in.redeem_link(second), ip=None, method="link")
    assert first_owner_links(users, sign_in) == []


def test_an_instance_owner_owns_every_workspace_there_is(users):
    op = users.create("op@example.com", actor=ACTOR, instance_owner=True)
    assert users.workspaces_of(op.id) == {"acme": Role.OWNER, "globex": Role.OWNER}


def test_a_workspace_created_later_is_owned_by_every_instance_owner(users, state, tmp_path):
    users.create("op@example.com", actor=ACTOR, instance_owner=True)
    users.create("ana@example.com", actor=ACTOR)
    workspaces = WorkspaceStore(tmp_path, state)
    workspaces.create("initech", actor="cli:alice")
    workspaces.close()
    assert [(u.email, r) for u, r in users.members("initech")] == [("op@example.com", Role.OWNER)]
    [granted] = [e for e in list_audit(state, "initech") if e.action == "member.add"]
    assert granted.actor == "cli:alice" and granted.after["email"] == "op@example.com"
    with state.session() as s, s.begin():  # granting twice adds nobody twice
        assert grant_instance_owners(s, "initech", ACTOR) == []


def test_sign_ins_and_role_changes_are_in_the_audit_log(users, sign_in, state):
    ana = users.create("ana@example.com", actor=ACTOR)
    users.set_role("ana@example.com", "acme", Role.MEMBER, actor=ACTOR)
    users.set_password("ana@example.com", "a long enough secret", actor=ACTOR)
    sign_in.start_session(ana, ip="10.0.0.7", method="password")
    entries = list_audit(state)
    assert [e.action for e in entries][:4] == ["user.sign_in", "user.password", "member.add",
                                               "user.create"]
    assert entries[0].after == {"email": "ana@example.com", "method": "password", "ip": "10.0.0.7"}
    assert entries[1].after["password"] == "(set)"
    assert entries[2].workspace == "acme" and entries[2].after == {"email": "ana@example.com",
                                                                   "role": "member"}
    assert "a long enough secret" not in repr(entries)
