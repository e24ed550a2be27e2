"""Threshold and stock alert rules: checked on schedule and after every sync.

    >>> spec = parse_rule("alert me when daily revenue drops below 1000", engine.defs)
    >>> RuleStore(app.state).add("shop", ref, spec)
    >>> evaluate_rules(app, "shop", as_of, now)
    [(ConversationRef(...), Reply("🔔 Revenue yesterday (...) was $840.00, below ..."))]

Every number in an alert comes from the catalog (``Engine.run``). What keeps alerts
from turning into noise:

- **cooldown** (:data:`COOLDOWN`, 24 h): a condition (a rule, or a rule and one
  dimension value such as channel "meta") that fired is not told again within it, and
  never twice for the same measured window (last week's churn is told once, not on
  every day of this week);
- **snooze**: a snoozed rule is not checked until its ``snoozed_until``;
- **daily budget** (:data:`DAILY_BUDGET`, 5 per chat and local day): when more alerts
  fire for a chat than its budget has left, the chat gets one summary listing them.

Firings are recorded when they are claimed, before they are sent, so a second
evaluation right after (in this process or another) fires nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from agents.insights.rules_parse import OP_WORDS, RuleParseError, RuleSpec, parse_rule
from agents.insights.rules_store import Claim, RuleStore, StoredRule
from agents.reply import Reply, TableData, json_number
from storage.catalog import AsOf, Engine
from storage.catalog.display import format_value
from storage.catalog.model import Value
from storage.catalog.periods import local_midnight
from storage.errors import TallyError
from storage.refs import ConversationRef
from storage.state_store import StateStore

logger = logging.getLogger(__name__)

#: A condition that fired is not told again within this time.
COOLDOWN = timedelta(hours=24)
#: Alerts a chat gets one by one per local day; more at once arrive as one summary.
DAILY_BUDGET = 5

__all__ = [
    "COOLDOWN", "DAILY_BUDGET", "AlertPolicy", "RuleParseError", "RuleSpec", "RuleStore",
    "StoredRule", "check_rule", "evaluate_rules", "parse_rule",
]


@dataclass(frozen=True)
class AlertPolicy:
    """How often alerts may speak.

    Attributes:
        cooldown: minimum time between two alerts of the same condition.
        daily_budget: one-by-one alerts per chat and local day before they are summarised.
    """

    cooldown: timedelta = COOLDOWN
    daily_budget: int = DAILY_BUDGET


class RuleHost(Protocol):
    """What checking rules needs: the state store (rules, firings) and the catalog engines."""

    @property
    def state(self) -> StateStore:
        """The state database."""
        ...

    def engine(self, name: str) -> Engine:
        """The workspace's catalog engine."""
        ...


def evaluate_rules(app: RuleHost, workspace: str, as_of: AsOf, now: datetime,
                   policy: AlertPolicy | None = None) -> list[tuple[ConversationRef, Reply]]:
    """Checks every rule of a workspace and returns the alerts to send.

    Args:
        app: the state store and catalog engines (the runtime's application).
        workspace: the workspace whose rules run.
        as_of: the data's "now" (periods such as "yesterday" are resolved against it).
        now: the clock's instant (aware UTC): cooldowns, snoozes and the daily budget.
        policy: cooldown and budget (default: :data:`COOLDOWN`, :data:`DAILY_BUDGET`).

    Returns:
        (where, what) pairs: one reply per alert, or one summary per chat over its budget.
        The firings are recorded, so calling again at once returns nothing.
    """
    policy = policy or AlertPolicy()
    if now.tzinfo is None:  # a naive clock reading is UTC, as every stored instant is
        now = now.replace(tzinfo=UTC)
    store = RuleStore(app.state)
    rules = [r for r in store.list(workspace=workspace) if not r.snoozed(now)]
    if not rules:
        return []
    engine = app.engine(workspace)
    claims: list[Claim] = []
    for rule in rules:
        try:
            claims.extend(check_rule(engine, rule, as_of))
        except TallyError as exc:  # one broken rule (data gone, metric renamed) never stops the rest
            logger.warning("alert rule %s of %s could not be checked: %s", rule.id, workspace, exc)
    fresh = store.claim(claims, now, policy.cooldown)
    return _deliveries(fresh, engine, store, now, policy)


def check_rule(engine: Engine, rule: StoredRule, as_of: AsOf) -> list[Claim]:
    """The rule's conditions that hold at ``as_of``: one per crossing dimension value.

    Raises:
        TallyError: the catalog cannot compute the rule's metric (no such data, bad period).
    """
    spec = rule.spec
    result = engine.run(spec.query(as_of), as_of)
    pairs: list[tuple[str | None, Value]]
    if spec.dimension:
        pairs = [(_label(row.get(spec.dimension)), row.get(spec.metric)) for row in result.rows]
    else:
        pairs = [(None, result.value)]
    window = (f"{result.period.start}/{result.period.end}" if result.period
              else f"at {as_of.day}")
    claims = []
    for dimension_value, raw in pairs:
        value = _number(raw)
        if value is not None and spec.crosses(value):
            key = f"{rule.id}|{dimension_value if dimension_value is not None else '*'}"
            claims.append(Claim(rule, key[:300], window, value, dimension_value, result.period))
    return claims


def _number(raw: Value) -> float | None:
    """A comparable number; None for no value (no recent sales, no spend) or a text metric."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, str):
        return None
    return float(raw) if isinstance(raw, int | float | Decimal) else None


def _label(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def _deliveries(fresh: list[Claim], engine: Engine, store: RuleStore, now: datetime,
                policy: AlertPolicy) -> list[tuple[ConversationRef, Reply]]:
    """One reply per alert while the chat's daily budget lasts; otherwise one summary."""
    by_chat: dict[ConversationRef, list[Claim]] = {}
    for claim in fresh:
        by_chat.setdefault(claim.rule.ref, []).append(claim)
    tz = engine.workspace.tz
    day_start = local_midnight(now.astimezone(tz).date(), tz)
    sends: list[tuple[ConversationRef, Reply]] = []
    for ref, group in by_chat.items():
        # The fresh claims are already recorded as one-by-one alerts: count what came before.
        used = store.singles_sent(ref, day_start) - len(group)
        if used + len(group) <= policy.daily_budget:
            sends.extend((ref, alert_reply(claim, engine)) for claim in group)
        else:
            store.mark_summary(group)
            sends.append((ref, summary_reply(group, engine, policy.daily_budget)))
    return sends


def alert_reply(claim: Claim, engine: Engine) -> Reply:
    """One alert: what crossed, its value from the catalog, the threshold, how to pause it."""
    spec, currency = claim.rule.spec, engine.workspace.currency
    metric = engine.defs.metrics[spec.metric]
    value = format_value(claim.value, metric.format, currency)
    threshold = format_value(spec.threshold, metric.format, currency)
    verb = "is" if claim.period is None else "was"
    text = (f"🔔 {_subject(claim, engine)} {verb} {value}, {OP_WORDS[spec.op]} your alert threshold "
            f"of {threshold}.\nRule #{claim.rule.id} · say \"snooze alert {claim.rule.id} for 1 day\" "
            "to pause it or \"delete alert "
            f"{claim.rule.id}\" to remove it.")
    return Reply(text, data=_data(claim))


def summary_reply(claims: list[Claim], engine: Engine, budget: int) -> Reply:
    """Many alerts at once: one message with a row per alert."""
    currency = engine.workspace.currency
    rows = []
    for claim in claims:
        spec = claim.rule.spec
        fmt = engine.defs.metrics[spec.metric].format
        rows.append((f"#{claim.rule.id}", _subject(claim, engine),
                     format_value(claim.value, fmt, currency),
                     f"{OP_WORDS[spec.op]} {format_value(spec.threshold, fmt, currency)}"))
    text = (f"🔔 {len(claims)} alerts fired at once, so here they are together (this chat gets up to "
            f"{budget} alerts one by one a day). Say \"list alerts\" to see your rules or "
            "\"snooze alerts for 1 day\" to pause them.")
    table = TableData(("rule", "alert", "value", "threshold"), tuple(rows))
    return Reply(text, table=table, data={"alerts": [_data(c)["alert"] for c in claims]})


def _subject(claim: Claim, engine: Engine) -> str:
    """"Revenue yesterday (Sat Mar 1, 2025)", "ROAS for channel meta yesterday (...)"."""
    spec = claim.rule.spec
    words = [engine.defs.metrics[spec.metric].label]
    scope = [f"{dim} {value}" for dim, value in spec.filters]
    if spec.dimension:
        scope.append(f"{spec.dimension} {claim.dimension_value}")
    if scope:
        words.append("for " + ", ".join(scope))
    if claim.period is not None:
        words.append(claim.period.describe())
    return " ".join(words)


def _data(claim: Claim) -> dict[str, object]:
    spec = claim.rule.spec
    period = ({"start": claim.period.start.isoformat(), "end": claim.period.end.isoformat()}
              if claim.period else None)
    alert = {"rule_id": claim.rule.id, "metric": spec.metric, "op": spec.op,
             "threshold": spec.threshold, "value": json_number(claim.value),
             "dimension": spec.dimension, "dimension_value": claim.dimension_value,
             "filters": [list(f) for f in spec.filters], "period": period}
    return {"alert": alert, "metrics": [spec.metric], "value": json_number(claim.value),
            "period": period}
