"""The one clock: "now" as a callable, injected wherever code needs the time.

Every package may import it (storage is the lowest one), so a test or ``--as-of`` can
pin the time of users and sign-in links, connector syncs and webhooks, bets and alerts
alike. The brain's clock is a different thing: :data:`agents.ports.AsOfClock` gives a
workspace's ``AsOf`` (the end of today in its time zone), not an instant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current instant; :func:`utc_now` (aware) or :func:`naive_utc_now`."""


def utc_now() -> datetime:
    """The wall clock, aware UTC: the default at the wiring edge; tests inject their own."""
    return datetime.now(UTC)


def naive_utc_now() -> datetime:
    """The wall clock as naive UTC, like every timestamp the state store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)
