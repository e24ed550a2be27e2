"""People who sign in to the web surfaces: users, their passwords and their workspace roles.

An operator creates users from the CLI (``tally user create``); a user's access is one
:class:`~storage.access.Role` per workspace (a membership). Passwords are optional (a
one-time sign-in link works without one, :mod:`storage.sign_in`) and stored as argon2id
hashes only. An *instance owner* (the first user ``tally serve`` creates, or one created
with ``--instance-owner``) is owner of every workspace there is when they are created, and
of every workspace created afterwards (:func:`grant_instance_owners`, called inside the
transaction that creates the workspace).

Every change is recorded with :func:`storage.audit.record_audit` in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from storage.access import MembershipRow, Role, UserRow
from storage.audit import record_audit
from storage.clock import Clock
from storage.errors import TallyError
from storage.state import WorkspaceRow, _utcnow
from storage.state_store import StateStore

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so a wrong email costs what a wrong password does.
_DUMMY_HASH = _hasher.hash("tally: no such user")


class UserError(TallyError):
    """An unknown user, a bad email or password, or a membership change that is refused."""


@dataclass(frozen=True)
class User:
    """A person who signs in (never carries the password hash).

    Attributes:
        id: the stable id (``user:<id>`` is their identity in chats' records).
        email: lower-cased.
        name: how answers address them (their email when unset).
        instance_owner: made owner of every workspace created later.
        has_password: whether password sign-in works for them.
    """

    id: int
    email: str
    name: str | None = None
    instance_owner: bool = False
    has_password: bool = False
    disabled: bool = False
    last_sign_in_at: datetime | None = None

    @property
    def display_name(self) -> str:
        """Their name, or their email."""
        return self.name or self.email

    @classmethod
    def of(cls, row: UserRow) -> User:
        return cls(row.id, row.email, row.name, row.instance_owner, row.password_hash is not None,
                   row.disabled, row.last_sign_in_at)


def normalize_email(email: str) -> str:
    """The email stripped and lower-cased, or UserError when it is not one."""
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise UserError(f"{email!r} is not an email address: write it like ana@example.com")
    return value


class Users:
    """Creates users, checks their passwords and manages their workspace roles.

    Args:
        state: the state store.
        clock: now, as naive UTC (tests inject one).
    """

    def __init__(self, state: StateStore, clock: Clock = _utcnow) -> None:
        self.state = state
        self.clock = clock

    # --- users ---------------------------------------------------------------------------
    def create(self, email: str, *, actor: str, name: str | None = None,
               instance_owner: bool = False) -> User:
        """A new user (no password yet: sign in with a link, or set one)."""
        address = normalize_email(email)
        with self.state.session() as s, s.begin():
            if s.scalar(sa.select(UserRow.id).where(UserRow.email == address)) is not None:
                raise UserError(f"a user {address} already exists: see `tally user list`")
            row = UserRow(email=address, name=(name or "").strip() or None,
                          instance_owner=instance_owner, created_at=self.clock())
            s.add(row)
            s.flush()
            record_audit(s, actor=actor, action="user.create", workspace=None,
                         after={"email": address, "name": row.name, "instance_owner": instance_owner})
            if instance_owner:  # owner of every workspace there is, and of every one to come
                for workspace in s.scalars(sa.select(WorkspaceRow.name).order_by(WorkspaceRow.name)):
                    grant_instance_owners(s, workspace, actor)
            return User.of(row)

    def find(self, email: str) -> User | None:
        """The user with this email, or None (also for something that is not an email)."""
        address = email.strip().lower()
        with self.state.session() as s:
            row = s.scalar(sa.select(UserRow).where(UserRow.email == address))
        return User.of(row) if row is not None else None

    def get(self, email: str) -> User:
        """The user with this email, or UserError saying how to create one."""
        user = self.find(normalize_email(email))
        if user is None:
            raise UserError(f"no user {email.strip().lower()}: create one with "
                            f"`tally user create {email.strip().lower()}`")
        return user

    def by_id(self, user_id: int) -> User | None:
        """The user with this id, or None."""
        with self.state.session() as s:
            row = s.get(UserRow, user_id)
        return User.of(row) if row is not None else None

    def all(self) -> list[User]:
        """Every user, by email."""
        with self.state.session() as s:
            rows = s.scalars(sa.select(UserRow).order_by(UserRow.email)).all()
        return [User.of(r) for r in rows]

    def any(self) -> bool:
        """Whether at least one user exists."""
        with self.state.session() as s:
            return s.scalar(sa.select(UserRow.id).limit(1)) is not None

    # --- passwords -----------------------------------------------------------------------
    def set_password(self, email: str, password: str, *, actor: str) -> None:
        """Stores the argon2id hash of a new password (10 to 1024 characters)."""
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise UserError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        user = self.get(email)
        digest = _hasher.hash(password)
        with self.state.session() as s, s.begin():
            row = s.get_one(UserRow, user.id)
            row.password_hash = digest
            record_audit(s, actor=actor, action="user.password", workspace=None,
                         after={"email": user.email, "password": "changed"})

    def verify_password(self, email: str, password: str) -> User | None:
        """The user when the password is theirs (and they are not disabled), else None.

        An unknown email costs one argon2 verification too, so timing does not tell
        which emails exist.
        """
        with self.state.session() as s:
            row = s.scalar(sa.select(UserRow).where(UserRow.email == email.strip().lower()))
        stored = row.password_hash if row is not None else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or stored is None or row.disabled:
            return None
        if _hasher.check_needs_rehash(stored):
            with self.state.session() as s, s.begin():
                s.get_one(UserRow, row.id).password_hash = _hasher.hash(password)
        return User.of(row)

    # --- memberships ---------------------------------------------------------------------
    def set_role(self, email: str, workspace: str, role: Role, *, actor: str) -> Role | None:
        """Gives the user ``role`` on ``workspace``; returns the role they had before."""
        user = self.get(email)
        with self.state.session() as s, s.begin():
            if s.scalar(sa.select(WorkspaceRow.id).where(WorkspaceRow.name == workspace)) is None:
                raise UserError(f"no workspace named {workspace!r}: see `tally workspace list`")
            row = _membership(s, user.id, workspace)
            before = Role(row.role) if row is not None else None
            if row is None:
                s.add(MembershipRow(user_id=user.id, workspace=workspace, role=role.value,
                                    created_at=self.clock()))
            else:
                if before is Role.OWNER and role is not Role.OWNER:
                    _keep_an_owner(s, workspace, user.email)
                row.role = role.value
            record_audit(s, actor=actor, action="member.add" if before is None else "member.role",
                         workspace=workspace,
                         before={"email": user.email, "role": before.value} if before else None,
                         after={"email": user.email, "role": role.value})
        return before

    def remove_member(self, email: str, workspace: str, *, actor: str) -> Role:
        """Takes the user's role on ``workspace`` away (never its last owner's)."""
        user = self.get(email)
        with self.state.session() as s, s.begin():
            row = _membership(s, user.id, workspace)
            if row is None:
                raise UserError(f"{user.email} has no role on workspace {workspace}")
            role = Role(row.role)
            if role is Role.OWNER:
                _keep_an_owner(s, workspace, user.email)
            s.delete(row)
            record_audit(s, actor=actor, action="member.remove", workspace=workspace,
                         before={"email": user.email, "role": role.value})
        return role

    def members(self, workspace: str) -> list[tuple[User, Role]]:
        """The users with a role on ``workspace``, highest role first, then by email."""
        with self.state.session() as s:
            rows = s.execute(sa.select(UserRow, MembershipRow.role)
                             .join(MembershipRow, MembershipRow.user_id == UserRow.id)
                             .where(MembershipRow.workspace == workspace)).all()
        found = [(User.of(user), Role(role)) for user, role in rows]
        return sorted(found, key=lambda pair: (-pair[1].rank, pair[0].email))

    def role_of(self, user_id: int, workspace: str) -> Role | None:
        """The user's role on an existing workspace, or None (no role, or no such workspace)."""
        return self.workspaces_of(user_id).get(workspace)

    def workspaces_of(self, user_id: int) -> dict[str, Role]:
        """The existing workspaces the user has a role on, by name."""
        with self.state.session() as s:
            rows = s.execute(sa.select(MembershipRow.workspace, MembershipRow.role)
                             .join(WorkspaceRow, WorkspaceRow.name == MembershipRow.workspace)
                             .where(MembershipRow.user_id == user_id)
                             .order_by(MembershipRow.workspace)).all()
        return {name: Role(role) for name, role in rows}


def grant_instance_owners(session: Session, workspace: str, actor: str) -> list[str]:
    """Makes every instance owner owner of ``workspace`` (in the caller's transaction).

    Called when a workspace is created: the operator who runs ``tally serve`` (and any
    other instance owner) can open every workspace in the playground without a
    ``tally member add``. Returns the emails granted.
    """
    owners = session.scalars(sa.select(UserRow).where(UserRow.instance_owner.is_(True),
                                                      UserRow.disabled.is_(False))).all()
    granted = []
    for owner in owners:
        if _membership(session, owner.id, workspace) is not None:
            continue
        session.add(MembershipRow(user_id=owner.id, workspace=workspace, role=Role.OWNER.value))
        record_audit(session, actor=actor, action="member.add", workspace=workspace,
                     after={"email": owner.email, "role": Role.OWNER.value, "instance_owner": True})
        granted.append(owner.email)
    return granted


def _membership(session: Session, user_id: int, workspace: str) -> MembershipRow | None:
    return session.scalar(sa.select(MembershipRow).where(MembershipRow.user_id == user_id,
                                                         MembershipRow.workspace == workspace))


def _keep_an_owner(session: Session, workspace: str, email: str) -> None:
    owners = session.scalar(sa.select(sa.func.count()).select_from(MembershipRow).where(
        MembershipRow.workspace == workspace, MembershipRow.role == Role.OWNER.value)) or 0
    if owners <= 1:
        raise UserError(f"{email} is the last owner of workspace {workspace}: make someone "
                        f"else owner first (`tally member add EMAIL --workspace {workspace} "
                        "--role owner`)")
