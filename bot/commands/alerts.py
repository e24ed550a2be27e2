"""Alert rules from chat: make, list, delete, snooze and unsnooze them.

Chat commands (``handler(message, workspace) -> Reply``): ``alert`` and ``rule``
make a rule and also take the other actions as their first word (``/tally alert delete
3``), ``alerts`` and ``rules`` list them, ``snooze`` and ``unsnooze`` pause and resume
them. :func:`rule_command_for_text` routes typed messages ("alert me when ...", "list
my alerts", "delete alert 3", "snooze revenue alerts for 3 days") to those commands;
only unmistakable phrasings qualify, so questions still reach the brain.

Anyone in a bound chat lists its rules; a member makes rules and deletes or snoozes their
own; deleting or snoozing someone else's needs an admin of the workspace (the role the
pipeline gave the message, :mod:`storage.access`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from agents.insights.rules_parse import RuleSpec, has_threshold, metric_in, parse_rule
from agents.insights.rules_store import RuleStore, StoredRule
from agents.reply import Reply, TableData
from agents.vocabulary import workspace_verticals
from bot.channels.base import InboundMessage
from bot.commands import CommandHandler, HandlerSet
from storage.access import Action, require, role_named
from storage.catalog import AsOf, Engine
from storage.clock import Clock
from storage.errors import TallyError

if TYPE_CHECKING:
    from bot.app import App
    from bot.pipeline import Pipeline

RULE_COMMANDS = ("alert", "rule", "alerts", "rules", "snooze", "unsnooze")
DEFAULT_SNOOZE = timedelta(days=1)
MAX_SNOOZE = timedelta(days=90)
_ALERT_WORDS = r"(?:alert|alerts|rule|rules|alert\s+rules?|notifications?)"
_LIST = re.compile(r"^\s*(?:(?:list|show|see|view|what\s+are)\s+)?(?:me\s+)?(?:all\s+)?"
                   rf"(?:my\s+|our\s+|the\s+)?(?:all\s+)?{_ALERT_WORDS}(?:\s+(?:here|in\s+this\s+(?:chat|channel)))?\s*[?.!]?\s*$",
                   re.IGNORECASE)
_DELETE_VERB = r"^\s*(?:please\s+)?(?:delete|remove|cancel|drop|stop)\s+(?:the\s+)?"
# Typed text needs the word "alert" ("delete alert 3"); after the command word it may go ("alert delete 3").
_DELETE = re.compile(_DELETE_VERB + rf"{_ALERT_WORDS}\s*#?(?P<id>\d+)\s*[.!]?\s*$", re.IGNORECASE)
_DELETE_BODY = re.compile(_DELETE_VERB + rf"(?:{_ALERT_WORDS}\s*)?#?(?P<id>\d+)\s*[.!]?\s*$",
                          re.IGNORECASE)
_SNOOZE = re.compile(r"^\s*(?:please\s+)?(?:snooze|mute|silence|pause)\b", re.IGNORECASE)
_UNSNOOZE = re.compile(r"^\s*(?:please\s+)?(?:unsnooze|un-snooze|unmute|resume|unpause)\b", re.IGNORECASE)
_WHEN = r"\s+(?:when(?:ever)?|if|once|as\s+soon\s+as)\b"
# "alert me when" is always a rule; "tell me when" only with a threshold (else it is a question).
_CREATE = re.compile(r"^\s*(?:please\s+)?(?:(?:alert|notify|ping|warn)\b(?:\s+(?:me|us))?" + _WHEN
                     + r"|(?:create|add|set\s+up|set|make|new)\s+(?:an?\s+)?(?:alert|rule)\b)",
                     re.IGNORECASE)
_CREATE_IF_THRESHOLD = re.compile(r"^\s*(?:please\s+)?(?:(?:tell|message|text)\s+(?:me|us)"
                                  r"|let\s+(?:me|us)\s+know)" + _WHEN, re.IGNORECASE)
_SNOOZE_VERB = r"^\s*(?:please\s+)?(?:snooze|mute|silence|pause|unsnooze|un-snooze|unmute|resume|unpause)\b"
_RULE_ID = re.compile(r"(?:\b(?:alert|rule)\s*#?|#)(?P<id>\d+)\b", re.IGNORECASE)
_DURATION = re.compile(r"\bfor\s+(?:(?P<n>\d+|an?|one|two|three|four|five|seven)\s+)?"
                       r"(?P<unit>minute|min|hour|hr|day|week|month)s?\b", re.IGNORECASE)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7}
_UNITS = {"minute": timedelta(minutes=1), "min": timedelta(minutes=1), "hour": timedelta(hours=1),
          "hr": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1),
          "month": timedelta(days=30)}
HOW_TO = ("Say \"alert me when daily revenue drops below 1000\", \"list alerts\", \"delete alert 3\", "
          "\"snooze revenue alerts for 3 days\" or \"unsnooze alerts\".")


def rule_command_for_text(text: str) -> str | None:
    """The command a typed message means ("alert", "alerts", "snooze", ...), or None."""
    if _LIST.match(text):
        return "alerts"
    if _DELETE.match(text):
        return "alert"
    if _UNSNOOZE.match(text) and re.search(rf"\b{_ALERT_WORDS}\b", text, re.IGNORECASE):
        return "unsnooze"
    if _SNOOZE.match(text) and re.search(rf"\b{_ALERT_WORDS}\b|#\d", text, re.IGNORECASE):
        return "snooze"
    if _CREATE.match(text) or (_CREATE_IF_THRESHOLD.match(text) and has_threshold(text)):
        return "alert"
    return None


class RuleCommands:
    """The rule handlers, bound to the app.

    Args:
        app: opens the workspaces and the state store the rules live in.
        clock: the current instant (aware UTC): snoozes and dry runs are measured from it.
    """

    def __init__(self, app: App, clock: Clock) -> None:
        self.app = app
        self.store = RuleStore(self.app.state)
        self.clock = clock

    # --- the handlers -------------------------------------------------------------
    async def alert(self, message: InboundMessage, workspace: str) -> Reply:
        """``alert ...``: make a rule, or ``list``, ``delete N``, ``snooze ...``, ``unsnooze ...``."""
        text = _body(message)
        if not text or _LIST.match(text) or text.lower() in ("list", "show"):
            return await _run(partial(self._list, message, workspace))
        if match := _DELETE_BODY.match(text):
            return await _run(partial(self._delete, message, workspace, int(match.group("id"))))
        if _UNSNOOZE.match(text):
            return await _run(partial(self._snooze, message, workspace, text, resume=True))
        if _SNOOZE.match(text):
            return await _run(partial(self._snooze, message, workspace, text, resume=False))
        return await _run(partial(self._create, message, workspace, text))

    async def alerts(self, message: InboundMessage, workspace: str) -> Reply:
        """``alerts``: the chat's rules (other actions are accepted as with ``alert``)."""
        return await self.alert(message, workspace)

    async def snooze(self, message: InboundMessage, workspace: str) -> Reply:
        """``snooze [revenue|alert N|all] [for 3 days]``."""
        return await _run(partial(self._snooze, message, workspace, message.text, resume=False))

    async def unsnooze(self, message: InboundMessage, workspace: str) -> Reply:
        """``unsnooze [revenue|alert N|all]``."""
        return await _run(partial(self._snooze, message, workspace, message.text, resume=True))

    # --- the work (in a thread: the catalog and the state store block) ---------------------
    def _create(self, message: InboundMessage, workspace: str, text: str) -> Reply:
        _may_change(message, workspace, ())
        engine = self.app.engine(workspace)
        spec = parse_rule(text, engine.defs, currency=engine.workspace.currency,
                          verticals=workspace_verticals(engine))
        spec = _known_filter_values(spec, engine)
        as_of = AsOf.now(engine.workspace.tz, self.clock())
        engine.run(spec.query(as_of), as_of)  # refuse now what could never be checked later
        rule = self.store.add(workspace, message.ref, spec, _actor(message))
        described = spec.describe(engine.defs, engine.workspace.currency)
        return Reply(f"Alert #{rule.id} set: {described}. I check it after every data sync and on "
                     "schedule, and tell you here at most once a day per condition. Say \"delete alert "
                     f"{rule.id}\" to remove it.", data={"rule": _rule_data(rule)})

    def _list(self, message: InboundMessage, workspace: str) -> Reply:
        rules = self.store.list(workspace=workspace, ref=message.ref)
        if not rules:
            return Reply("There are no alert rules in this chat yet. " + HOW_TO, data={"rules": []})
        engine, now = self.app.engine(workspace), self.clock()
        rows = tuple((f"#{r.id}", r.spec.describe(engine.defs, engine.workspace.currency),
                      _status(r, now, engine)) for r in rules)
        return Reply(f"{len(rules)} alert rule{'s' if len(rules) > 1 else ''} in this chat:",
                     table=TableData(("rule", "alert when", "status"), rows),
                     data={"rules": [_rule_data(r) for r in rules]})

    def _delete(self, message: InboundMessage, workspace: str, rule_id: int) -> Reply:
        _may_change(message, workspace, [r for r in self.store.list(ref=message.ref)
                                         if r.id == rule_id])
        rule = self.store.delete(rule_id, message.ref, _actor(message))
        if rule is None:
            return Reply(f"There is no alert #{rule_id} in this chat; say \"list alerts\" to see them.",
                         ok=False)
        return Reply(f"Deleted alert #{rule_id} ({rule.spec.text or rule.spec.metric}).",
                     data={"rule": _rule_data(rule)})

    def _snooze(self, message: InboundMessage, workspace: str, text: str, *, resume: bool) -> Reply:
        engine = self.app.engine(workspace)
        rule_id, metric = _target(text, engine)
        now = self.clock()
        until = None if resume else now + _duration(text)
        _may_change(message, workspace, [
            r for r in self.store.list(ref=message.ref)
            if (rule_id is None or r.id == rule_id) and (metric is None or r.spec.metric == metric)])
        changed = self.store.snooze(message.ref, until, rule_id=rule_id, metric=metric,
                                    actor=_actor(message))
        if not changed:
            which = (f"alert #{rule_id}" if rule_id is not None else
                     f"alert watching {engine.defs.metrics[metric].label}" if metric else "alert")
            return Reply(f"There is no {which} in this chat; say \"list alerts\" to see them.", ok=False)
        ids = ", ".join(f"#{r.id}" for r in changed)
        count = f"{len(changed)} alert{'s' if len(changed) > 1 else ''} ({ids})"
        if until is None:
            return Reply(f"Resumed {count}.", data={"rules": [_rule_data(r) for r in changed]})
        return Reply(f"Snoozed {count} until {_local(until, engine)}.",
                     data={"rules": [_rule_data(r) for r in changed]})


def rule_handlers(app: App, clock: Clock) -> HandlerSet:
    """``alert``, ``rule``, ``alerts``, ``rules``, ``snooze`` and ``unsnooze``, typed or slash."""
    commands = RuleCommands(app, clock)
    handlers: dict[str, CommandHandler] = {
        "alert": commands.alert, "rule": commands.alert, "alerts": commands.alerts,
        "rules": commands.alerts, "snooze": commands.snooze, "unsnooze": commands.unsnooze}
    return HandlerSet("alerts", handlers, rule_command_for_text,
                      posts_later=frozenset({"alert", "rule"}))


def register_rule_commands(pipeline: Pipeline, clock: Clock) -> None:
    """Adds the alert-rule handler set to a pipeline's commands."""
    pipeline.commands.add(rule_handlers(pipeline.app, clock))


async def _run(work: Callable[[], Reply]) -> Reply:
    """Runs blocking work in a thread; a person's mistake becomes a friendly reply."""
    try:
        return await asyncio.to_thread(work)
    except TallyError as exc:
        return Reply(str(exc), ok=False)


def _body(message: InboundMessage) -> str:
    """The text after a leading command word ("alert delete 3" → "delete 3")."""
    text = message.text.strip()
    first, _, rest = text.partition(" ")
    if message.command and first.lower() in ("alert", "alerts", "rule", "rules") and rest and (
            _DELETE_BODY.match(rest) or _SNOOZE.match(rest) or _UNSNOOZE.match(rest)
            or rest.lower().strip() in ("list", "show")):
        return rest.strip()
    return text


def _known_filter_values(spec: RuleSpec, engine: Engine) -> RuleSpec:
    """Filter values as stored ("google" for "Google"); an unknown one is refused now."""
    resolved = []
    for dim, said in spec.filters:
        known = engine.dimension_values(dim)
        match = next((v for v in known if v.lower() == said.lower()), None)
        if match is None:
            sample = ", ".join(known[:8]) or "none yet"
            raise TallyError(f"I don't see {dim} {said!r} in your data (I know: {sample}).")
        resolved.append((dim, match))
    return RuleSpec(spec.metric, spec.op, spec.threshold, spec.period, spec.dimension,
                    tuple(resolved), spec.text)


def _target(text: str, engine: Engine) -> tuple[int | None, str | None]:
    """Which rules a snooze names: one by id, those of a metric, or (None, None) for all."""
    if match := _RULE_ID.search(text):
        return int(match.group("id")), None
    words = re.sub(_SNOOZE_VERB, " ", _DURATION.sub(" ", text), flags=re.IGNORECASE)
    words = re.sub(rf"\b(?:all|any|my|our|the|every|of|here|{_ALERT_WORDS})\b|[^\w\s]", " ", words,
                   flags=re.IGNORECASE)
    if not words.strip():
        return None, None
    metric = metric_in(words, engine.defs, workspace_verticals(engine))
    if metric is None:
        raise TallyError(f"I don't know which alerts {words.strip()!r} means; say \"snooze alert 3 "
                         "for 1 day\", \"snooze revenue alerts for 3 days\" or \"snooze alerts\".")
    return None, metric


def _duration(text: str) -> timedelta:
    match = _DURATION.search(text)
    if match is None:
        return DEFAULT_SNOOZE
    n = match.group("n") or "1"
    count = int(n) if n.isdigit() else _NUMBERS[n.lower()]
    return min(count * _UNITS[match.group("unit").lower()], MAX_SNOOZE)


def _status(rule: StoredRule, now: datetime, engine: Engine) -> str:
    if rule.snoozed(now) and rule.snoozed_until is not None:
        return f"snoozed until {_local(rule.snoozed_until.replace(tzinfo=UTC), engine)}"
    return "active"


def _local(instant: datetime, engine: Engine) -> str:
    """"Fri Mar 14 08:00 (America/Sao_Paulo)"."""
    local = instant.astimezone(engine.workspace.tz)
    return f"{local:%a %b} {local.day} {local:%H:%M} ({engine.workspace.timezone})"


def _may_change(message: InboundMessage, workspace: str, rules: Iterable[StoredRule]) -> None:
    """Raises AccessDenied unless the message's role may make or change these rules: one's
    own need a member, anyone else's an admin of the workspace."""
    role = role_named(message.role)
    require(role, Action.OWN_ALERTS, workspace)
    if any(rule.created_by != _actor(message) for rule in rules):
        require(role, Action.MANAGE_ALERTS, workspace)


def _actor(message: InboundMessage) -> str:
    return f"{message.ref.platform}:{message.user_id}"


def _rule_data(rule: StoredRule) -> dict[str, object]:
    spec = rule.spec
    return {"id": rule.id, "metric": spec.metric, "op": spec.op, "threshold": spec.threshold,
            "period": spec.period, "dimension": spec.dimension,
            "filters": [list(f) for f in spec.filters], "text": spec.text,
            "snoozed_until": rule.snoozed_until.isoformat() if rule.snoozed_until else None}
