"""The book: records, settles, edits and deletes a workspace's bets, with an audit trail.

Every write goes through :meth:`Warehouse.upsert_arrow` (validated like an import) inside
``with warehouse.lock:`` together with the read it depends on, so two people settling
one bet at the same moment are serialized: the first wins, the second is told the bet is
already settled. Every change adds an :class:`~storage.state.AuditRow` (who, when, the
row before and after as JSON) in the same critical section; nothing is overwritten
silently.

Who may do what: a member adds bets, and edits, settles and deletes their own pending
bets (and may add closing odds to their own settled bets). An admin (Manage Server, or
the configured admin role) may settle any bet and correct or delete any bet, settled
ones included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agents.betting.model import (
    COLUMNS,
    EDITABLE,
    OUTCOMES,
    SLIP_FIELDS,
    Actor,
    AlreadySettledError,
    Bet,
    BetError,
    BetNotFoundError,
    BetPermissionError,
    validate,
)
from agents.betting.odds import BetInputError
from storage.audit import record_audit
from storage.clock import Clock, utc_now
from storage.errors import ImportError_
from storage.state import AuditRow
from storage.state_store import StateStore
from storage.warehouse import Warehouse

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM bets"


class Book:
    """One workspace's bets.

    Args:
        warehouse: the workspace's warehouse (bets and bettors tables).
        state: the state store holding the audit log.
        workspace: the workspace name (recorded in the audit log).
        clock: the current instant (aware); placed and settled times come from it.
    """

    def __init__(self, warehouse: Warehouse, state: StateStore, workspace: str,
                 clock: Clock = utc_now) -> None:
        self.warehouse = warehouse
        self.state = state
        self.workspace = workspace
        self.clock = clock

    # --- reads ---------------------------------------------------------------------------
    def get(self, bet_id: str) -> Bet:
        """The bet, or BetNotFoundError."""
        rows = self.warehouse.fetch(f"{_SELECT} WHERE bet_id = ?", [bet_id.strip().lstrip("#")])
        if not rows:
            raise BetNotFoundError(f"there is no bet #{bet_id.strip().lstrip('#')} here; "
                                   "/bet list shows the ids")
        return Bet(*rows[0])

    def bets(self, user_id: str | None = None, *, status: str = "all", limit: int = 10,
             offset: int = 0) -> tuple[list[Bet], int]:
        """A page of bets (pending first, then the most recently settled) and the total count.

        Args:
            user_id: only this member's bets.
            status: ``all``, ``pending`` or ``settled``.
        """
        where, params = ["TRUE"], []
        if user_id is not None:
            where.append("user_id = ?")
            params.append(user_id)
        if status == "pending":
            where.append("status = 'pending'")
        elif status == "settled":
            where.append("status <> 'pending'")
        condition = " AND ".join(where)
        total = self.warehouse.fetch(f"SELECT count(*) FROM bets WHERE {condition}", params)[0][0]
        rows = self.warehouse.fetch(
            f"{_SELECT} WHERE {condition} ORDER BY status <> 'pending', "
            "coalesce(settled_at, placed_at) DESC, placed_at DESC, bet_id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset])
        return [Bet(*r) for r in rows], int(total)

    def display_name(self, user_id: str) -> str | None:
        """The name a member's bets are shown under (the ``bettors`` table), if any."""
        rows = self.warehouse.fetch("SELECT display_name FROM bettors WHERE user_id = ?", [user_id])
        return rows[0][0] if rows else None

    def user_id_of(self, name: str) -> str | None:
        """The member shown under a display name (case-insensitive), if exactly one is."""
        rows = self.warehouse.fetch("SELECT user_id FROM bettors WHERE lower(display_name) = ?",
                                    [name.strip().lstrip("@").lower()])
        return rows[0][0] if len(rows) == 1 else None

    # --- writes --------------------------------------------------------------------------
    def add(self, actor: Actor, slip: Mapping[str, Any]) -> Bet:
        """Records a pending bet for ``actor`` and returns it (with its new id).

        Args:
            slip: sport, league (optional), event, market, selection, odds_decimal,
                stake_units, and optionally closing_odds_decimal.
        """
        unknown = set(slip) - {*SLIP_FIELDS, "closing_odds_decimal"}
        missing = [f for f in SLIP_FIELDS if f != "league" and slip.get(f) in (None, "")]
        if unknown or missing:
            raise BetInputError("; ".join(
                ([f"unknown bet fields: {', '.join(sorted(unknown))}"] if unknown else [])
                + ([f"the bet needs: {', '.join(missing)}"] if missing else [])))
        with self.warehouse.lock:
            now = self._now()
            bet = validate(Bet(bet_id=self._next_id(), user_id=actor.user_id, placed_at=now,
                               league=slip.get("league"), **{k: v for k, v in slip.items()
                                                             if k != "league"}))
            self._write(actor, "bet.add", None, bet)
        return bet

    def settle(self, actor: Actor, bet_id: str, outcome: str, payout: Decimal | None = None,
               closing_odds: Decimal | None = None) -> Bet:
        """Settles a pending bet: won, lost, push, void, or cashout with its payout.

        Raises:
            AlreadySettledError: the bet is settled (an admin corrects it with edit).
            BetPermissionError: a member settling someone else's bet.
        """
        outcome = outcome.strip().lower()
        if outcome not in OUTCOMES:
            raise BetInputError(f"{outcome!r} is not a result; use one of {', '.join(OUTCOMES)}")
        with self.warehouse.lock:
            before = self.get(bet_id)
            self._require_owner_or_admin(actor, before, "settle")
            if before.settled:
                raise AlreadySettledError(
                    f"bet #{before.bet_id} is already settled ({before.status} at "
                    f"{before.settled_at:%Y-%m-%d %H:%M} UTC); an admin can correct it with "
                    "/bet edit")
            after = validate(replace(
                before, status=outcome, settled_at=self._now(), payout_units=payout,
                closing_odds_decimal=closing_odds or before.closing_odds_decimal))
            self._write(actor, "bet.settle", before, after)
        return after

    def edit(self, actor: Actor, bet_id: str, changes: Mapping[str, Any]) -> Bet:
        """Changes fields of a bet (:data:`~agents.betting.model.EDITABLE`).

        A member edits their own pending bet (or adds closing odds to their own settled
        one); an admin corrects any bet, results included. Setting ``status`` back to
        pending clears the settlement; setting a result stamps the settlement time.
        """
        unknown = set(changes) - set(EDITABLE)
        if unknown or not changes:
            raise BetInputError(f"say what to change: {', '.join(EDITABLE)}"
                                + (f" (not {', '.join(sorted(unknown))})" if unknown else ""))
        with self.warehouse.lock:
            before = self.get(bet_id)
            self._require_owner_or_admin(actor, before, "edit")
            if not actor.is_admin and ((before.settled and set(changes) != {"closing_odds_decimal"})
                                       or {"status", "payout_units"} & set(changes)):
                raise BetPermissionError(
                    f"bet #{before.bet_id} is settled or the change touches its result: only a "
                    "server admin can correct results (members settle with /bet settle)")
            after = validate(self._apply(before, changes))
            if after == before:
                raise BetInputError(f"bet #{before.bet_id} already has those values")
            self._write(actor, "bet.edit", before, after)
        return after

    def delete(self, actor: Actor, bet_id: str) -> Bet:
        """Deletes a bet (own pending bets; admins any) and returns what was deleted."""
        with self.warehouse.lock:
            before = self.get(bet_id)
            self._require_owner_or_admin(actor, before, "delete")
            if before.settled and not actor.is_admin:
                raise BetPermissionError(f"bet #{before.bet_id} is settled: only a server admin "
                                         "can delete it")
            with self.state.session() as s, s.begin():
                self._audit(s, actor, "bet.delete", before, None)
                s.flush()
                self._delete_row(before.bet_id, f"bet.delete by {actor.audit_name}")
        return before

    def upsert_bettor(self, actor: Actor) -> None:
        """Adds the member to ``bettors`` (or renames them) so they appear by display name."""
        with self.warehouse.lock:
            rows = self.warehouse.fetch("SELECT display_name, joined_at FROM bettors "
                                        "WHERE user_id = ?", [actor.user_id])
            if rows and rows[0][0] == actor.display_name:
                return
            joined = rows[0][1] if rows else self._now()
            self.warehouse.upsert_arrow({"bettors": _bettor_table(actor, joined)},
                                        f"bettor {actor.audit_name}")

    # --- helpers -------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(tzinfo=None, microsecond=0)

    def _apply(self, before: Bet, changes: Mapping[str, Any]) -> Bet:
        after = replace(before, **changes)
        if "status" in changes:
            if after.status == "pending":
                after = replace(after, settled_at=None, payout_units=None)
            elif not before.settled:
                after = replace(after, settled_at=self._now())
            if after.status != "cashout" and "payout_units" not in changes:
                after = replace(after, payout_units=None)
        return after

    @staticmethod
    def _require_owner_or_admin(actor: Actor, bet: Bet, verb: str) -> None:
        if bet.user_id != actor.user_id and not actor.is_admin:
            raise BetPermissionError(f"bet #{bet.bet_id} isn't yours: only its owner or a server "
                                     f"admin can {verb} it")

    def _next_id(self) -> str:
        """One more than any numeric id used so far, deleted ones included (ids never return)."""
        rows = self.warehouse.fetch("SELECT max(TRY_CAST(bet_id AS BIGINT)) FROM bets")
        highest = int(rows[0][0] or 0)
        with self.state.session() as s:
            deleted = s.scalars(sa.select(AuditRow.before).where(
                AuditRow.workspace == self.workspace, AuditRow.action == "bet.delete")).all()
        for before in deleted:
            bet_id = json.loads(before or "{}").get("bet_id", "")
            if str(bet_id).isdigit():
                highest = max(highest, int(bet_id))
        return str(highest + 1)

    def _write(self, actor: Actor, action: str, before: Bet | None, after: Bet) -> None:
        """Upserts the bet (and the actor's bettor row) with its audit record."""
        tables: dict[str, pa.Table] = {"bets": _bets_table([after])}
        if after.user_id == actor.user_id and self.display_name(actor.user_id) != actor.display_name:
            tables["bettors"] = _bettor_table(actor, self._now())
        with self.state.session() as s, s.begin():
            self._audit(s, actor, action, before, after)
            s.flush()  # the audit row is written before the bet, committed after it
            try:
                self.warehouse.upsert_arrow(tables, f"{action} by {actor.audit_name}")
            except ImportError_ as exc:  # the import checks (odds > 1, stake > 0) said no
                raise BetError(str(exc).split(", column ", 1)[-1]) from exc
        logger.info("%s #%s by %s in %s", action, after.bet_id, actor.audit_name, self.workspace)

    def _audit(self, s: Session, actor: Actor, action: str, before: Bet | None,
               after: Bet | None) -> None:
        row = record_audit(s, actor=actor.audit_name, action=action, workspace=self.workspace,
                           before=before.as_json() if before else None,
                           after=after.as_json() if after else None)
        row.at = self._now()

    def _delete_row(self, bet_id: str, origin: str) -> None:
        # The warehouse has no delete: remove the row and record the load in one transaction,
        # then an empty apply() moves the data versions so cached answers are not reused.
        con = self.warehouse.con
        with self.warehouse.lock:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute("DELETE FROM bets WHERE bet_id = ?", [bet_id])
                con.execute("INSERT INTO _tally_loads VALUES ('bets', ?, ?, 1)",
                            [self._now(), origin])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            self.warehouse.apply([], origin)


def _bets_table(bets: list[Bet]) -> pa.Table:
    """Bets as text columns: the warehouse converts and checks them like an import."""
    def cell(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Decimal):
            return f"{value:f}"
        return str(value)

    import pyarrow as pa  # only when a bet is written: every chat surface loads this module

    return pa.table({c: pa.array([cell(getattr(b, c)) for b in bets], pa.string()) for c in COLUMNS})


def _bettor_table(actor: Actor, joined_at: datetime) -> pa.Table:
    import pyarrow as pa  # as in _bets_table

    return pa.table({"user_id": [actor.user_id], "display_name": [actor.display_name],
                     "joined_at": [joined_at.isoformat()]})
