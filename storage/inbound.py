"""Inbound deliveries taken on, until their answer is sent: claims with a lease.

Chat platforms acknowledge a message before it is answered (Slack's 3-second deadline,
Meta's and Telegram's webhooks), so a process that dies between the ack and the answer
must not lose the question, and a platform's retry must not get a second answer. Each
delivery is one ``processed_events`` row (state migration 7 gave it the columns below):

- :meth:`InboundLedger.claim` inserts it ``claimed`` with a lease (``lease_until``), the
  attempt count and the message to answer again (an opaque JSON text the caller chose).
  A second claim of the same delivery while the lease is live, or after it was answered,
  is refused: the retry gets no answer. A claim whose lease expired unanswered is taken
  again, with one more attempt, by exactly one claimant (a compare-and-set on the attempt
  count), until ``max_attempts``: then it is given up (``failed``) with a log line.
- :meth:`InboundLedger.answered` records that the platform confirmed the send and drops
  the message text (the answer log keeps the question).
- :meth:`InboundLedger.renew` extends the leases of the answers still being worked on, so
  a slow answer is never taken over; :meth:`InboundLedger.due` lists the claims whose
  lease expired unanswered, for a restarted process to answer.

Why columns on ``processed_events`` rather than a table of their own: a delivery is one
fact (taken on, then answered), so one row keyed by the platform's event id is both the
deduplication record and the work item, and claiming stays one insert. Rows written
before migration 7 read as ``answered`` (server defaults), as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from storage.clock import Clock, utc_now
from storage.state import ProcessedEventRow
from storage.state_store import StateStore

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

CLAIMED, ANSWERED, FAILED = "claimed", "answered", "failed"
DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_MAX_ATTEMPTS = 3
_DUE_BATCH = 100


@dataclass(frozen=True)
class DueClaim:
    """A claim whose lease expired before its answer was sent."""

    platform: str
    event_id: str
    attempts: int
    message: str


class InboundLedger:
    """Claims, leases and answers of inbound deliveries.

    Args:
        state: the state store.
        lease: how long a claim is held before another claimant may take it over.
        max_attempts: claims of one delivery before it is given up.
        clock: the current instant, aware UTC (tests inject their own).
    """

    def __init__(self, state: StateStore, *, lease: timedelta = DEFAULT_LEASE,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 clock: Clock = utc_now) -> None:
        self.state = state
        self.lease = lease
        self.max_attempts = max_attempts
        self.clock = clock

    def claim(self, platform: str, event_id: str, message: str | None = None) -> bool:
        """True when the caller should answer this delivery now; False for a retry to ignore.

        ``message`` is what a later claimant needs to answer it again (None: nothing to redo).
        """
        now = self._now()
        try:
            with self.state.session() as s, s.begin():
                s.add(ProcessedEventRow(platform=platform, event_id=event_id, received_at=now,
                                        status=CLAIMED, attempts=1, lease_until=now + self.lease,
                                        message=message))
        except sa.exc.IntegrityError:
            return self._claim_again(platform, event_id, now)
        return True

    def _claim_again(self, platform: str, event_id: str, now: datetime) -> bool:
        with self.state.session() as s, s.begin():
            row = s.get(ProcessedEventRow, (platform, event_id))
            if row is None or row.status != CLAIMED or row.lease_until is None \
                    or row.lease_until > now:
                return False
            seen = row.attempts
            giving_up = seen >= self.max_attempts
            changes = {"status": FAILED, "lease_until": None, "message": None} if giving_up \
                else {"attempts": seen + 1, "lease_until": now + self.lease}
            # Compare-and-set on the attempt count: of two claimants, one takes it over.
            result = cast("sa.CursorResult[Any]", s.execute(sa.update(ProcessedEventRow).where(
                ProcessedEventRow.platform == platform, ProcessedEventRow.event_id == event_id,
                ProcessedEventRow.status == CLAIMED, ProcessedEventRow.attempts == seen,
            ).values(**changes)))
        if result.rowcount != 1:
            return False
        if giving_up:
            logger.warning("giving up on %s delivery %s: %d attempts did not get an answer sent",
                           platform, event_id, seen)
        return not giving_up

    def answered(self, platform: str, event_id: str) -> None:
        """Records that the platform confirmed the answer's send (whoever held the claim)."""
        with self.state.session() as s, s.begin():
            s.execute(sa.update(ProcessedEventRow).where(
                ProcessedEventRow.platform == platform, ProcessedEventRow.event_id == event_id,
            ).values(status=ANSWERED, answered_at=self._now(), lease_until=None, message=None))

    def renew(self, keys: Iterable[tuple[str, str]]) -> None:
        """Extends the leases of claims still being answered by this process."""
        until = self._now() + self.lease
        with self.state.session() as s, s.begin():
            for platform, event_id in keys:
                s.execute(sa.update(ProcessedEventRow).where(
                    ProcessedEventRow.platform == platform, ProcessedEventRow.event_id == event_id,
                    ProcessedEventRow.status == CLAIMED).values(lease_until=until))

    def due(self, platforms: Iterable[str]) -> list[DueClaim]:
        """Claims on these platforms whose lease expired unanswered, oldest first."""
        with self.state.session() as s:
            rows = s.scalars(sa.select(ProcessedEventRow).where(
                ProcessedEventRow.status == CLAIMED, ProcessedEventRow.lease_until <= self._now(),
                ProcessedEventRow.platform.in_(list(platforms)),
                ProcessedEventRow.message.is_not(None),
            ).order_by(ProcessedEventRow.received_at).limit(_DUE_BATCH)).all()
        return [DueClaim(r.platform, r.event_id, r.attempts, r.message or "") for r in rows]

    def status(self, platform: str, event_id: str) -> str | None:
        """``claimed``, ``answered`` or ``failed``; None for a delivery never seen."""
        with self.state.session() as s:
            row = s.get(ProcessedEventRow, (platform, event_id))
        return None if row is None else row.status

    def _now(self) -> datetime:
        # Stored naive UTC, like every time in the state database.
        return self.clock().astimezone(UTC).replace(tzinfo=None)
