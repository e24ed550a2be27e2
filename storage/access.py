"""Who may do what in a workspace: roles, the actions they allow, and the access tables.

The one place roles are decided (``interfaces.md``, "Users, roles and keys"): every
surface (the web playground, chat commands, the CLI where it acts for a person, and later
the REST API and MCP) asks :func:`allows` with the caller's role on the workspace and the
action, and refuses with :class:`AccessDenied` when it says no.

Roles, lowest first: ``viewer`` asks; ``member`` also sets their own alerts and
subscriptions and records their own bets; ``admin`` also connects data, binds chats,
manages everyone's alerts, subscriptions and bets, members and keys; ``owner`` also
manages owners. A chat bound to a workspace acts with its binding's role (``member`` by
default); a chat platform's own admins (Slack workspace admins, Discord guild managers)
act as ``admin`` of that bound workspace only, never of another.

Tables (state migration 6): users, memberships, one-time sign-in links, web sessions,
one-time chat bind codes, API keys; channel bindings gain the role their chat acts with
and the Slack team they were made for.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.errors import TallyError
from storage.state import Base, _utcnow

if TYPE_CHECKING:
    from alembic.operations import Operations


class Role(StrEnum):
    """A person's (or a key's, or a chat's) role on one workspace."""

    VIEWER = "viewer"
    MEMBER = "member"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """Higher ranks include every right of the lower ones."""
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        """True when this role has every right ``other`` has."""
        return self.rank >= other.rank


_RANKS = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Action(StrEnum):
    """Everything a surface may be asked to do on a workspace, by the role it needs."""

    ASK = "ask"                          # questions, metrics, explanations, digests on demand
    OWN_ALERTS = "own_alerts"            # create, snooze, delete one's own alert rules
    OWN_SUBSCRIPTIONS = "own_subscriptions"  # create, delete one's own subscriptions
    OWN_BETS = "own_bets"                # record, edit, settle one's own bets
    MANAGE_ALERTS = "manage_alerts"      # everyone's alert rules
    MANAGE_SUBSCRIPTIONS = "manage_subscriptions"  # everyone's subscriptions
    MANAGE_BETS = "manage_bets"          # settle, edit or delete anyone's bet
    BIND_CHAT = "bind_chat"              # bind a chat, create bind codes
    CONNECT_DATA = "connect_data"        # connect data sources, import, sync
    MANAGE_MEMBERS = "manage_members"    # add or remove members up to admin
    MANAGE_KEYS = "manage_keys"          # create and revoke API keys
    MANAGE_OWNERS = "manage_owners"      # make or remove owners, delete the workspace
    TEACH = "teach"                      # teach and forget the workspace's synonyms


MINIMUM_ROLE: dict[Action, Role] = {
    Action.ASK: Role.VIEWER,
    Action.OWN_ALERTS: Role.MEMBER,
    Action.OWN_SUBSCRIPTIONS: Role.MEMBER,
    Action.OWN_BETS: Role.MEMBER,
    Action.MANAGE_ALERTS: Role.ADMIN,
    Action.MANAGE_SUBSCRIPTIONS: Role.ADMIN,
    Action.MANAGE_BETS: Role.ADMIN,
    Action.BIND_CHAT: Role.ADMIN,
    Action.CONNECT_DATA: Role.ADMIN,
    Action.MANAGE_MEMBERS: Role.ADMIN,
    Action.MANAGE_KEYS: Role.ADMIN,
    Action.MANAGE_OWNERS: Role.OWNER,
    Action.TEACH: Role.ADMIN,
}


class AccessDenied(TallyError):
    """The caller's role on the workspace does not allow the action."""


def parse_role(value: str) -> Role:
    """The role named ``value`` (case-insensitive), or a TallyError listing the roles."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise TallyError(f"{value!r} is not a role: use one of {names}") from None


def role_named(value: str | None) -> Role | None:
    """The role called ``value``, or None for none or an unknown name (which may do nothing).

    How commands read the role a chat message acts with (``InboundMessage.role``, set by
    the dispatcher once per message).
    """
    try:
        return Role(value) if value else None
    except ValueError:
        return None


def allows(role: Role | None, action: Action) -> bool:
    """True when ``role`` may do ``action`` (no role at all may do nothing)."""
    return role is not None and role.at_least(MINIMUM_ROLE[action])


def require(role: Role | None, action: Action, workspace: str) -> None:
    """Raises :class:`AccessDenied` with a message a person can act on, unless allowed."""
    if allows(role, action):
        return
    needed = MINIMUM_ROLE[action]
    have = f"your role there is {role.value}" if role else "you have no role there"
    raise AccessDenied(
        f"That needs the {needed.value} role on workspace {workspace} ({have}). "
        "Ask an admin of the workspace.")


def chat_role(binding_role: Role, platform_admin: bool) -> Role:
    """The role a chat message acts with: the binding's, or admin for the platform's admins.

    A platform admin is raised to admin of the workspace the chat is already bound to;
    it never lowers a binding made with a higher role.
    """
    if platform_admin and not binding_role.at_least(Role.ADMIN):
        return Role.ADMIN
    return binding_role


# --- tables ------------------------------------------------------------------------------
class UserRow(Base):
    """A person who signs in to the web surfaces (created by an admin from the CLI)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-cased
    name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)  # argon2
    disabled: Mapped[bool] = mapped_column(default=False)
    # An instance owner (the first user `tally serve` creates, or `tally user create
    # --instance-owner`) is made owner of every workspace created later (storage.users).
    instance_owner: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(nullable=True)


class MembershipRow(Base):
    """A user's role on one workspace."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "workspace"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workspace: Mapped[str] = mapped_column(sa.String(64), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))  # a Role value
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


class SignInLinkRow(Base):
    """A one-time, expiring sign-in link; only the SHA-256 of its token is stored."""

    __tablename__ = "sign_in_links"
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


class WebSessionRow(Base):
    """A signed-in browser; only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column(default=_utcnow)
    ip: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


class BindCodeRow(Base):
    """A one-time, expiring code an admin created to bind a chat to a workspace in chat."""

    __tablename__ = "bind_codes"
    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    workspace: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.MEMBER.value)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    used_by: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)


class ApiKeyRow(Base):
    """An API key of one workspace with a role; only a hash of the secret part is stored."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str] = mapped_column(sa.String(64), index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.VIEWER.value)
    prefix: Mapped[str] = mapped_column(sa.String(32), unique=True)  # shown in lists, looked up
    secret_hash: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


ACCESS_TABLES = (UserRow, MembershipRow, SignInLinkRow, WebSessionRow, BindCodeRow, ApiKeyRow)


def migrate_access(op: Operations) -> None:
    """State migration 6: the access tables, and a role and Slack team on every binding."""
    bind = op.get_bind()
    for row in ACCESS_TABLES:
        row.__table__.create(bind)  # type: ignore[attr-defined]
    # Migration 3 creates channel_bindings from its model, which now has these columns.
    have = {c["name"] for c in sa.inspect(bind).get_columns("channel_bindings")}
    with op.batch_alter_table("channel_bindings") as batch:
        if "role" not in have:
            batch.add_column(sa.Column("role", sa.String(16), nullable=False,
                                       server_default=Role.MEMBER.value))
        if "team_id" not in have:
            batch.add_column(sa.Column("team_id", sa.String(64), nullable=True))
