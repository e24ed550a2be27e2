"""Where alert rules live: the state database (``alert_rules``, ``alert_firings``).

:class:`RuleStore` adds, lists, deletes and snoozes a chat's rules (each change is
audited) and claims firings. A firing is claimed by inserting a row whose
``(condition_key, window_key)`` is unique, so two processes checking the same rules at
the same moment send one alert, not two.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from agents.insights.rules_parse import RuleSpec
from storage.audit import record_audit
from storage.catalog.periods import Period
from storage.refs import ConversationRef, target_ref
from storage.state import AlertFiringRow, AlertRuleRow
from storage.state_store import StateStore


@dataclass(frozen=True)
class StoredRule:
    """A rule as stored: its id, workspace, chat, spec and snooze."""

    id: int
    workspace: str
    ref: ConversationRef
    spec: RuleSpec
    created_by: str | None = None
    snoozed_until: datetime | None = None  # naive UTC, like every stored instant

    def snoozed(self, now: datetime) -> bool:
        """Whether the rule is paused at ``now`` (aware or naive UTC)."""
        return self.snoozed_until is not None and self.snoozed_until > _naive(now)


@dataclass(frozen=True)
class Claim:
    """A condition that holds, to be claimed once.

    Attributes:
        rule: the rule whose condition holds.
        condition_key: the rule and the dimension value ("7|meta"): what the cooldown is per.
        window_key: what was measured ("2025-03-03/2025-03-10", or "at 2025-03-28" for a stock).
        value: the catalog value that crossed the threshold.
        dimension_value: the value of the rule's dimension ("meta"), if it has one.
        period: the period measured (None for a stock at ``as_of``).
    """

    rule: StoredRule
    condition_key: str
    window_key: str
    value: float
    dimension_value: str | None = None
    period: Period | None = None


Rules = list[StoredRule]  # aliases: inside RuleStore, ``list`` is the method
Claims = list[Claim]


class RuleStore:
    """Alert rules of chats, and the record of what fired.

    Args:
        state: the state database.
    """

    def __init__(self, state: StateStore) -> None:
        self.state = state

    # --- rules -----------------------------------------------------------------------------
    def add(self, workspace: str, ref: ConversationRef, spec: RuleSpec,
            actor: str | None = None) -> StoredRule:
        """Stores a rule for the chat (alerts go to the channel, not the thread it was made in)."""
        ref = target_ref(ref)
        with self.state.session() as s, s.begin():
            row = AlertRuleRow(workspace=workspace, platform=ref.platform, chat_id=ref.chat_id,
                               thread_id=ref.thread_id, space_id=ref.space_id, metric=spec.metric,
                               spec=spec.to_json(), created_by=actor)
            s.add(row)
            s.flush()
            record_audit(s, actor=actor or "unknown", action="alert_rule_add", workspace=workspace,
                         after=_as_json(row))
            return _stored(row)

    def list(self, *, workspace: str | None = None,
             ref: ConversationRef | None = None) -> Rules:
        """Rules of a workspace and/or a chat, oldest first."""
        query = sa.select(AlertRuleRow) if ref is None else _in_chat(ref)
        if workspace is not None:
            query = query.where(AlertRuleRow.workspace == workspace)
        with self.state.session() as s:
            return [_stored(r) for r in s.scalars(query.order_by(AlertRuleRow.id))]

    def get(self, rule_id: int) -> StoredRule | None:
        with self.state.session() as s:
            row = s.get(AlertRuleRow, rule_id)
            return None if row is None else _stored(row)

    def delete(self, rule_id: int, ref: ConversationRef, actor: str | None = None) -> StoredRule | None:
        """Deletes a rule of this chat; None when the chat has no rule with that id."""
        with self.state.session() as s, s.begin():
            row = s.scalar(_in_chat(ref).where(AlertRuleRow.id == rule_id))
            if row is None:
                return None
            record_audit(s, actor=actor or "unknown", action="alert_rule_delete",
                         workspace=row.workspace, before=_as_json(row))
            s.delete(row)
            return _stored(row)

    def snooze(self, ref: ConversationRef, until: datetime | None, *, rule_id: int | None = None,
               metric: str | None = None, actor: str | None = None) -> Rules:
        """Pauses (``until`` a UTC instant) or resumes (None) the chat's rules.

        Args:
            ref: the chat.
            until: when alerts resume; None unsnoozes.
            rule_id: only this rule; metric: only rules watching this metric; neither: all.

        Returns:
            The rules changed (empty when none matched).
        """
        query = _in_chat(ref)
        if rule_id is not None:
            query = query.where(AlertRuleRow.id == rule_id)
        if metric is not None:
            query = query.where(AlertRuleRow.metric == metric)
        with self.state.session() as s, s.begin():
            rows = list(s.scalars(query.order_by(AlertRuleRow.id)))
            for row in rows:
                before = _as_json(row)
                row.snoozed_until = None if until is None else _naive(until)
                record_audit(s, actor=actor or "unknown", action="alert_rule_snooze",
                             workspace=row.workspace, before=before, after=_as_json(row))
            return [_stored(r) for r in rows]

    # --- firings ---------------------------------------------------------------------------
    def claim(self, claims: Iterable[Claim], now: datetime, cooldown: timedelta) -> Claims:
        """Records the claims that are new; returns them.

        A claim is dropped when its condition fired less than ``cooldown`` ago, or already
        fired for the same window (the same period: last week's churn is told once, not
        every day of this week), or when another process claimed it first.
        """
        fresh: Claims = []
        at = _naive(now)
        for claim in claims:
            if self._recent(claim, at - cooldown):
                continue
            try:
                with self.state.session() as s, s.begin():
                    s.add(AlertFiringRow(rule_id=claim.rule.id, workspace=claim.rule.workspace,
                                         chat_key=claim.rule.ref.key, condition_key=claim.condition_key,
                                         window_key=claim.window_key, fired_at=at, value=claim.value))
            except sa.exc.IntegrityError:
                continue  # the window was claimed already (by us earlier or another process)
            fresh.append(claim)
        return fresh

    def singles_sent(self, ref: ConversationRef, since: datetime) -> int:
        """How many one-by-one alerts the chat got since ``since`` (the daily budget used)."""
        with self.state.session() as s:
            return s.scalar(sa.select(sa.func.count()).select_from(AlertFiringRow).where(
                AlertFiringRow.chat_key == ref.key, AlertFiringRow.fired_at >= _naive(since),
                AlertFiringRow.delivery == "single")) or 0

    def mark_summary(self, claims: Iterable[Claim]) -> None:
        """Marks claims as sent in a summary (they don't use the one-by-one budget)."""
        keys = [(c.condition_key, c.window_key) for c in claims]
        with self.state.session() as s, s.begin():
            for condition_key, window_key in keys:
                s.execute(sa.update(AlertFiringRow).where(
                    AlertFiringRow.condition_key == condition_key,
                    AlertFiringRow.window_key == window_key).values(delivery="summary"))

    def firings(self, rule_id: int | None = None) -> Sequence[AlertFiringRow]:
        """The firing log (newest last), for ``alerts`` listings and tests."""
        query = sa.select(AlertFiringRow).order_by(AlertFiringRow.id)
        if rule_id is not None:
            query = query.where(AlertFiringRow.rule_id == rule_id)
        with self.state.session() as s:
            return list(s.scalars(query))

    def _recent(self, claim: Claim, since: datetime) -> bool:
        with self.state.session() as s:
            found = s.scalar(sa.select(AlertFiringRow.id).where(
                AlertFiringRow.condition_key == claim.condition_key,
                AlertFiringRow.fired_at > since).limit(1))
        return found is not None


def _naive(instant: datetime) -> datetime:
    """Stored instants are naive UTC."""
    if instant.tzinfo is None:
        return instant
    return instant.astimezone(UTC).replace(tzinfo=None)


def _stored(row: AlertRuleRow) -> StoredRule:
    return StoredRule(row.id, row.workspace,
                      ConversationRef(row.platform, row.chat_id, row.thread_id, row.space_id),
                      RuleSpec.from_json(row.spec), row.created_by, row.snoozed_until)


def _in_chat(ref: ConversationRef) -> sa.Select[Any]:
    ref = target_ref(ref)
    query = sa.select(AlertRuleRow).where(AlertRuleRow.platform == ref.platform,
                                          AlertRuleRow.chat_id == ref.chat_id)
    if ref.thread_id is None:
        return query.where(AlertRuleRow.thread_id.is_(None))
    return query.where(AlertRuleRow.thread_id == ref.thread_id)


def _as_json(row: AlertRuleRow) -> dict[str, Any]:
    return {"id": row.id, "workspace": row.workspace, "platform": row.platform,
            "chat": row.chat_id, "thread": row.thread_id, "spec": json.loads(row.spec),
            "snoozed_until": row.snoozed_until.isoformat() if row.snoozed_until else None}
