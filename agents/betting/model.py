"""A bet as the betting commands see it, who acts on it, and the errors people can cause.

::

    TallyError
    └── BetInputError           odds, stake or a field that makes no sense (odds.py)
        └── BetError            a bet that cannot be changed as asked
            ├── BetNotFoundError
            ├── BetPermissionError   a member acting on someone else's bet
            └── AlreadySettledError  settling a settled bet (an admin corrects with edit)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from agents.betting.odds import BetInputError, check_stake

MARKETS = ("moneyline", "spread", "total", "prop", "parlay", "future", "other")
STATUSES = ("pending", "won", "lost", "push", "void", "cashout")
OUTCOMES = STATUSES[1:]
SETTLED = ("won", "lost", "push", "cashout")  # what metrics count (void counts nowhere)
MAX_TEXT = 200


class BetError(BetInputError):
    """A bet that cannot be added, settled, edited or deleted as asked."""


class BetNotFoundError(BetError):
    """No bet with that id in this workspace."""


class BetPermissionError(BetError):
    """A member acting on another member's bet, or on a settled bet, without being an admin."""


class AlreadySettledError(BetError):
    """The bet is settled already; settling it again would overwrite the result."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: the platform user, their display name, whether they administer the guild."""

    user_id: str
    display_name: str
    is_admin: bool = False
    platform: str = "discord"

    @property
    def audit_name(self) -> str:
        """How the audit log names them: ``discord:1234``."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Bet:
    """One row of the ``bets`` table (data-model.md); times are naive UTC."""

    bet_id: str
    user_id: str
    placed_at: datetime
    sport: str
    league: str | None
    event: str
    market: str
    selection: str
    odds_decimal: Decimal
    stake_units: Decimal
    status: str = "pending"
    settled_at: datetime | None = None
    payout_units: Decimal | None = None
    closing_odds_decimal: Decimal | None = None

    @property
    def settled(self) -> bool:
        return self.status != "pending"

    def as_json(self) -> dict[str, Any]:
        """The row with Decimals and times as strings (audit records, exports)."""
        return {k: _plain(v) for k, v in asdict(self).items()}

    def dumps(self) -> str:
        return json.dumps(self.as_json(), sort_keys=True)

    def with_changes(self, **changes: Any) -> Bet:
        return replace(self, **changes)


COLUMNS = tuple(f.name for f in fields(Bet))
EDITABLE = ("sport", "league", "event", "market", "selection", "odds_decimal", "stake_units",
            "status", "payout_units", "closing_odds_decimal")
SLIP_FIELDS = ("sport", "league", "event", "market", "selection", "odds_decimal", "stake_units")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def validate(bet: Bet) -> Bet:
    """The bet, cleaned (trimmed text, lower-case sport and market), or BetInputError."""
    text = {}
    for name in ("sport", "event", "selection"):
        value = " ".join(str(getattr(bet, name) or "").split())
        if not value:
            raise BetInputError(f"the bet needs a {name}")
        if len(value) > MAX_TEXT:
            raise BetInputError(f"the {name} is longer than {MAX_TEXT} characters")
        text[name] = value
    league = " ".join((bet.league or "").split()) or None
    market = bet.market.strip().lower()
    if market not in MARKETS:
        raise BetInputError(f"{bet.market!r} is not a market; use one of {', '.join(MARKETS)}")
    if bet.odds_decimal <= 1:
        raise BetInputError(f"decimal odds must be above 1.0 (got {bet.odds_decimal})")
    if bet.closing_odds_decimal is not None and bet.closing_odds_decimal <= 1:
        raise BetInputError(f"closing odds must be above 1.0 (got {bet.closing_odds_decimal})")
    check_stake(bet.stake_units)
    _check_result(bet)
    return replace(bet, sport=text["sport"].lower(), event=text["event"],
                   selection=text["selection"], league=league, market=market)


def _check_result(bet: Bet) -> None:
    if bet.status not in STATUSES:
        raise BetInputError(f"{bet.status!r} is not a result; use one of {', '.join(OUTCOMES)}")
    if bet.status == "cashout" and (bet.payout_units is None or bet.payout_units < 0):
        raise BetInputError("a cash-out needs the payout: the units you got back (0 or more)")
    if bet.status != "cashout" and bet.payout_units is not None:
        raise BetInputError("only a cash-out has a payout; won, lost, push and void are "
                            "worked out from the odds and the stake")
    if (bet.status == "pending") != (bet.settled_at is None):
        raise BetInputError("a pending bet has no settlement time, a settled one needs one")
