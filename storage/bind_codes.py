"""One-time chat bind codes: an admin creates one for a workspace, a chat redeems it.

A workspace name typed in a chat never binds it (``interfaces.md``, "Users, roles and
keys"); instead an admin runs ``tally bind-code create --workspace W`` and gets a code
like ``TALLY-8F3K-2QX9``, which anyone they give it to types in the chat to bind:
"connect TALLY-8F3K-2QX9" (any case, with or without ``TALLY-``). A code is good once,
until it expires (30 minutes by default), and carries the role the chat will act with.

Only the SHA-256 of a code is stored (:class:`~storage.access.BindCodeRow`), so the
state database never holds a usable code. Eight characters from a 30-letter alphabet
without look-alikes (no 0/O, 1/I/L, U) are about 39 bits: with the per-user rate limit
and the expiry, guessing one is out of reach.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.access import BindCodeRow, Role
from storage.audit import record_audit
from storage.errors import TallyError
from storage.state_store import StateStore

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "TALLY"
DEFAULT_EXPIRY = timedelta(minutes=30)
MAX_EXPIRY = timedelta(days=7)
_CODE = re.compile(rf"^(?:{PREFIX}[-\s]?)?([{ALPHABET}]{{4}})[-\s]?([{ALPHABET}]{{4}})$")
_DURATION = re.compile(r"^\s*(\d{1,6})\s*(s|sec|second|m|min|minute|h|hr|hour|d|day)s?\s*$",
                       re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hr": 3600,
          "hour": 3600, "d": 86400, "day": 86400}


class BindCodeError(TallyError):
    """A bind code that cannot be made (a bad expiry or role)."""


@dataclass(frozen=True)
class IssuedCode:
    """A code just created: the code itself (shown once, never stored) and its terms."""

    code: str
    workspace: str
    role: Role
    expires_at: datetime


def canonical_code(text: str) -> str | None:
    """``TALLY-XXXX-XXXX`` for anything that reads as a code ("tally-8f3k-2qx9",
    "8F3K2QX9", "8f3k 2qx9"), else None."""
    match = _CODE.match(text.strip().upper())
    return f"{PREFIX}-{match.group(1)}-{match.group(2)}" if match else None


def code_hash(code: str) -> str:
    """The SHA-256 (hex) of a canonical code: what the state database keeps."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def new_code() -> str:
    """A fresh random code, ``TALLY-XXXX-XXXX``."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{PREFIX}-{chars[:4]}-{chars[4:]}"


def parse_expiry(text: str) -> timedelta:
    """``30m``, ``2h``, ``1d``, ``90s`` as a duration (at most :data:`MAX_EXPIRY`)."""
    match = _DURATION.match(text)
    if match is None:
        raise BindCodeError(f"{text!r} is not a duration: write a number and a unit, like 30m, "
                            "2h or 1d")
    found = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])
    if not timedelta(0) < found <= MAX_EXPIRY:
        raise BindCodeError(f"a bind code lives between 1 second and {MAX_EXPIRY.days} days, "
                            f"not {text.strip()}")
    return found


def create_bind_code(state: StateStore, *, workspace: str, role: Role, actor: str,
                     now: datetime, expires_in: timedelta = DEFAULT_EXPIRY) -> IssuedCode:
    """Stores a new code's hash for ``workspace`` (the caller checked it exists) and audits it.

    Args:
        state: the state database.
        workspace: the workspace the code binds a chat to.
        role: the role the bound chat acts with (owner is not given to chats).
        actor: who creates it, for the audit log.
        now: the current instant (naive UTC), from the caller's clock.
        expires_in: how long the code can be redeemed.
    """
    if role is Role.OWNER:
        raise BindCodeError("a chat can be bound as viewer, member or admin, not owner")
    code, expires_at = new_code(), now + expires_in
    with state.session() as s, s.begin():
        s.add(BindCodeRow(code_hash=code_hash(code), workspace=workspace, role=role.value,
                          created_by=actor, created_at=now, expires_at=expires_at))
        record_audit(s, actor=actor, action="bind_code.create", workspace=workspace,
                     after={"role": role.value, "expires_at": expires_at.isoformat()})
    return IssuedCode(code, workspace, role, expires_at)


def take_bind_code(session: Session, code: str, *, now: datetime,
                   used_by: str) -> BindCodeRow | None:
    """Marks ``code`` used and returns it, or None when it is unknown, expired or used.

    One conditional UPDATE decides, so two chats redeeming the same code at once cannot
    both win. Runs in the caller's transaction (the binding commits with it).
    """
    canonical = canonical_code(code)
    if canonical is None:
        return None
    hashed = code_hash(canonical)
    taken = session.execute(
        sa.update(BindCodeRow)
        .where(BindCodeRow.code_hash == hashed, BindCodeRow.used_at.is_(None),
               BindCodeRow.expires_at > now)
        .values(used_at=now, used_by=used_by[:300]))
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        return None
    return session.get(BindCodeRow, hashed)
