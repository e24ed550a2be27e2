"""Signing in: one-time sign-in links, web sessions, and the first owner of a new install.

Tokens are 256-bit random strings handed out once; only their SHA-256 is stored, so a
copy of the database opens no session. A sign-in link expires (an hour by default) and
works once: redeeming it is one conditional ``UPDATE``, so two browsers racing for the
same link get one session between them. A web session lasts :data:`SESSION_TTL` from
sign-in, carries its own CSRF token, and ends at sign-out.

:func:`first_owner_links` is what ``tally serve`` calls at start-up: on an install with no
users it creates an instance owner (owner of every workspace) and returns a sign-in link
token for them, like Jupyter prints its token URL.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.access import SignInLinkRow, UserRow, WebSessionRow
from storage.audit import record_audit
from storage.clock import Clock
from storage.state import _utcnow
from storage.state_store import StateStore
from storage.users import User, Users

LINK_TTL = timedelta(hours=1)
FIRST_OWNER_LINK_TTL = timedelta(hours=24)
SESSION_TTL = timedelta(days=7)
# A session's last_seen_at is refreshed at most this often (not on every request).
_TOUCH_EVERY = timedelta(minutes=5)
FIRST_OWNER_EMAIL = "owner@localhost"
FIRST_OWNER_ACTOR = "tally serve"


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh unguessable token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewSession:
    """A session just started: the cookie's token and the page's CSRF token (shown once)."""

    token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ActiveSession:
    """The signed-in user behind a session cookie."""

    user: User
    csrf_token: str
    expires_at: datetime


#: The longest email kept from a failed sign-in (the longest valid address is 254).
MAX_TYPED_EMAIL = 254


class SignIn:
    """Sign-in links and web sessions.

    Args:
        state: the state store.
        clock: now, as naive UTC (tests inject one to expire links and sessions).
    """

    def __init__(self, state: StateStore, clock: Clock = _utcnow) -> None:
        self.state = state
        self.clock = clock

    # --- links ---------------------------------------------------------------------------
    def create_link(self, user: User, ttl: timedelta = LINK_TTL, *, actor: str) -> str:
        """A one-time sign-in token for ``user``, valid for ``ttl``."""
        token = new_token()
        now = self.clock()
        with self.state.session() as s, s.begin():
            s.add(SignInLinkRow(token_hash=token_hash(token), user_id=user.id,
                                expires_at=now + ttl, created_at=now))
            record_audit(s, actor=actor, action="user.sign_in_link", workspace=None,
                         after={"email": user.email, "expires_at": (now + ttl).isoformat()})
        return token

    def link_user(self, token: str) -> User | None:
        """Whom a link would sign in, without using it up: None when it is unknown, expired,
        used or its user is disabled (the link page says so instead of offering a button)."""
        with self.state.session() as s:
            row = s.scalar(sa.select(UserRow).join(
                SignInLinkRow, SignInLinkRow.user_id == UserRow.id).where(
                SignInLinkRow.token_hash == token_hash(token), SignInLinkRow.used_at.is_(None),
                SignInLinkRow.expires_at > self.clock()))
            return None if row is None or row.disabled else User.of(row)

    def redeem_link(self, token: str) -> User | None:
        """The link's user, once: None when unknown, expired, used or the user is disabled."""
        now = self.clock()
        with self.state.session() as s, s.begin():
            claimed = s.execute(sa.update(SignInLinkRow).where(
                SignInLinkRow.token_hash == token_hash(token), SignInLinkRow.used_at.is_(None),
                SignInLinkRow.expires_at > now).values(used_at=now))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            user_id = s.scalar(sa.select(SignInLinkRow.user_id).where(
                SignInLinkRow.token_hash == token_hash(token)))
            row = s.get(UserRow, user_id)
        if row is None or row.disabled:
            return None
        return User.of(row)

    def record_failure(self, *, reason: str, method: str, email: str | None,
                       ip: str | None) -> None:
        """An audit record of a refused sign-in: why, how, the email as typed (trimmed,
        lower-cased, capped) and the address; never the password or the link."""
        typed = (email or "").strip().lower()[:MAX_TYPED_EMAIL] or None
        with self.state.session() as s, s.begin():
            record_audit(s, actor=f"web:{ip or 'unknown'}"[:200], action="user.sign_in_failed",
                         workspace=None, after={"reason": reason, "method": method,
                                                "email": typed, "ip": ip})

    # --- sessions ------------------------------------------------------------------------
    def start_session(self, user: User, *, ip: str | None, method: str) -> NewSession:
        """Signs ``user`` in: a new session row, their last sign-in, an audit record."""
        token, csrf = new_token(), secrets.token_hex(32)
        now = self.clock()
        expires = now + SESSION_TTL
        with self.state.session() as s, s.begin():
            s.add(WebSessionRow(token_hash=token_hash(token), user_id=user.id, csrf_token=csrf,
                                created_at=now, expires_at=expires, last_seen_at=now,
                                ip=(ip or "")[:64] or None))
            s.get_one(UserRow, user.id).last_sign_in_at = now
            record_audit(s, actor=f"user:{user.id}", action="user.sign_in", workspace=None,
                         after={"email": user.email, "method": method, "ip": ip})
        return NewSession(token, csrf, expires)

    def session(self, token: str) -> ActiveSession | None:
        """The live session of a cookie token, or None (unknown, expired, user disabled)."""
        if not token:
            return None
        now = self.clock()
        with self.state.session() as s:
            found = _session_with_user(s, token)
            if found is None:
                return None
            row, user = found
            if row.expires_at <= now or user.disabled:
                return None
            if now - row.last_seen_at >= _TOUCH_EVERY:
                row.last_seen_at = now
                s.commit()
            return ActiveSession(User.of(user), row.csrf_token, row.expires_at)

    def end_session(self, token: str) -> bool:
        """Signs out: the session row is deleted. False when there was none."""
        with self.state.session() as s, s.begin():
            found = _session_with_user(s, token)
            if found is None:
                return False
            row, user = found
            s.delete(row)
            record_audit(s, actor=f"user:{user.id}", action="user.sign_out", workspace=None,
                         before={"email": user.email})
        return True

    def purge_expired(self) -> int:
        """Deletes expired sessions and links; returns how many rows went."""
        now = self.clock()
        with self.state.session() as s, s.begin():
            sessions = s.execute(sa.delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
            links = s.execute(sa.delete(SignInLinkRow).where(SignInLinkRow.expires_at <= now))
        return int(sessions.rowcount + links.rowcount)  # type: ignore[attr-defined]


def first_owner_links(users: Users, sign_in: SignIn) -> list[tuple[User, str]]:
    """Sign-in links ``tally serve`` prints at start-up (usually none).

    With no user at all, creates the first instance owner (``owner@localhost``), owner of
    every existing workspace, and returns a link for them. Afterwards, an instance owner
    who has never signed in and has no password gets a fresh link at each start, so a
    link that expired unused is never a dead end.
    """
    if not users.any():
        users.create(FIRST_OWNER_EMAIL, actor=FIRST_OWNER_ACTOR, name="Owner", instance_owner=True)
    waiting = [u for u in users.all() if u.instance_owner and not u.disabled
               and u.last_sign_in_at is None and not u.has_password]
    return [(u, sign_in.create_link(u, FIRST_OWNER_LINK_TTL, actor=FIRST_OWNER_ACTOR))
            for u in waiting]


def _session_with_user(s: Session, token: str) -> sa.Row[WebSessionRow, UserRow] | None:
    """The session row of a cookie token with its user, or None."""
    return s.execute(sa.select(WebSessionRow, UserRow)
                     .join(UserRow, UserRow.id == WebSessionRow.user_id)
                     .where(WebSessionRow.token_hash == token_hash(token))).first()
