"""Subscriptions: a chat's standing order for a report on a schedule, and the words for it.

A subscription says *what* (a kind from :data:`KINDS`: the daily digest, the weekly
report, ...), *where* (a :class:`~bot.channels.base.ConversationRef`) and *when* (a
crontab in the workspace's timezone). :func:`parse_request` turns chat text ("subscribe
daily digest at 8:00", "send the weekly report every Monday 9am", "unsubscribe weekly
report", "list subscriptions") into a :class:`SubscriptionRequest`;
:class:`SubscriptionStore` keeps them in the state database with an audit record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from bot.channels.base import ConversationRef
from storage.access import Action as Access
from storage.access import Role, require
from storage.audit import record_audit
from storage.errors import TallyError
from storage.refs import target_ref as target_ref  # where a subscription posts; bot importers read it here
from storage.state import SubscriptionRow
from storage.state_store import StateStore

Action = Literal["subscribe", "unsubscribe", "list"]


class SubscriptionError(TallyError):
    """A subscription that cannot be made (an unknown kind or time, a bad crontab)."""


@dataclass(frozen=True)
class Kind:
    """A kind of proactive message (the report registry's keys).

    Attributes:
        name: the registry key (``digest``).
        label: words for people ("daily digest").
        words: a regex that names it in chat text.
        default_schedule: crontab used when the request names no time or day.
    """

    name: str
    label: str
    words: str
    default_schedule: str


#: Matched in this order ("weekly report" before "report").
KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("weekly_report", "weekly report", r"\bweekly\s+(?:report|summary)\b", "0 9 * * mon"),
    Kind("guild_recap", "guild recap", r"\b(?:guild|server|league)?\s*recap\b", "0 20 * * sun"),
    Kind("daily_results", "daily results", r"\b(?:daily\s+)?(?:bet(?:ting)?\s+)?results\b", "0 23 * * *"),
    Kind("alerts", "alerts", r"\balerts?\b|\banomal(?:y|ies)\b", "5 * * * *"),
    Kind("digest", "daily digest", r"\b(?:daily\s+)?digest\b", "0 8 * * *"),
)}


@dataclass(frozen=True)
class Subscription:
    """A stored subscription (what report jobs reload when they run)."""

    id: int
    workspace: str
    ref: ConversationRef
    kind: str
    schedule: str
    timezone: str
    only_when_notable: bool = False
    created_by: str | None = None

    @property
    def label(self) -> str:
        return KINDS[self.kind].label if self.kind in KINDS else self.kind

    def describe(self) -> str:
        """"daily digest every day at 08:00 (America/Sao_Paulo), only when notable"."""
        notable = ", only when notable" if self.only_when_notable else ""
        return f"{self.label} {describe_schedule(self.schedule)} ({self.timezone}){notable}"


@dataclass(frozen=True)
class SubscriptionRequest:
    """What a chat message asked of subscriptions; None fields mean "not said"."""

    action: Action
    kind: str | None = None
    schedule: str | None = None
    only_when_notable: bool | None = None


# --- words ---------------------------------------------------------------------------------
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
#: "9am", "6:30 p.m.", then "18:30", then "at 8" (the first that matches wins).
_TIMES = (
    re.compile(r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?m\b\.?"),
    re.compile(r"\b(?P<h>\d{1,2}):(?P<m>\d{2})\b"),
    re.compile(r"\bat\s+(?P<h>\d{1,2})\b(?!\s*(?:st|nd|rd|th)\b)"),
)
_NOON = re.compile(r"\b(noon|midday|midnight)\b")
_MONTH_DAY = re.compile(r"\b(?:monthly|every\s+month)\b(?:\D*?(\d{1,2})(?:st|nd|rd|th)?\b)?")
_NOTABLE = re.compile(r"\bonly\s+(?:when|if)\b.*\b(?:notable|interesting|important|unusual|happens)\b"
                      r"|\bonly\s+notable\b")
_ONLY_NOTABLE = re.compile(r"^\s*only\s+(?:when|if)\b")
_ALWAYS = re.compile(r"\b(?:always|every\s+time|even\s+when\s+quiet)\b")
_LIST = re.compile(r"^\s*(?:list|show|what\s+are)?\s*(?:my\s+|our\s+|the\s+)?subscriptions\s*\??\s*$"
                   r"|^\s*(?:list|ls)\s*$")
_SUBSCRIBE = re.compile(r"^\s*(?:please\s+)?subscribe\b")
_UNSUBSCRIBE = re.compile(r"^\s*(?:please\s+)?(?:unsubscribe|stop\s+(?:sending|posting)?)\b")
_SEND_REPEATEDLY = re.compile(r"^\s*(?:please\s+)?(?:send|post|deliver|give)\b")
_SCHEDULE_WORDS = re.compile(r"\b(?:every|each|daily|weekdays?|weekends?|monthly|at\s+\d|on\s+(?:mon|tue|wed|"
                             r"thu|fri|sat|sun))")
_DIGEST_NOW = re.compile(r"^\s*(?:show\s+(?:me\s+)?|send\s+(?:me\s+)?)?(?:the\s+|today'?s\s+)?(?:daily\s+)?"
                         r"digest\s*(?:now|today)?\s*[.!?]?\s*$")


def kind_in(text: str) -> str | None:
    """The kind of report a text names, if any."""
    lowered = text.lower()
    return next((k.name for k in KINDS.values() if re.search(k.words, lowered)), None)


def command_for_text(text: str) -> str | None:
    """The dispatcher command a plain chat message means, or None for a question.

    Only unmistakable phrasings qualify, so questions still reach the brain.
    """
    lowered = text.lower().strip()
    if _LIST.match(lowered):
        return "subscriptions"
    if _UNSUBSCRIBE.match(lowered) and (lowered.startswith(("unsubscribe", "please unsubscribe"))
                                        or kind_in(lowered)):
        return "unsubscribe"
    if _SUBSCRIBE.match(lowered) or _ONLY_NOTABLE.match(lowered):
        return "subscribe"
    if _SEND_REPEATEDLY.match(lowered) and kind_in(lowered) and _SCHEDULE_WORDS.search(lowered):
        return "subscribe"
    if _DIGEST_NOW.match(lowered):
        return "digest"
    return None


def parse_request(text: str, command: str | None = None) -> SubscriptionRequest:
    """Reads a subscribe/unsubscribe/list request.

    Args:
        text: the message (or the slash command's argument).
        command: the dispatcher command it came as, when it was one.

    Raises:
        SubscriptionError: a time that is not one ("at 25:00").
    """
    lowered = text.lower().strip()
    command = command or command_for_text(lowered) or "subscribe"
    if command == "subscriptions" or _LIST.match(lowered):
        return SubscriptionRequest("list")
    kind = kind_in(lowered)
    if command == "unsubscribe":
        return SubscriptionRequest("unsubscribe", kind)
    notable = True if _NOTABLE.search(lowered) else (False if _ALWAYS.search(lowered) else None)
    return SubscriptionRequest("subscribe", kind or "digest", _schedule_in(lowered, kind or "digest"),
                               notable)


def _schedule_in(text: str, kind: str) -> str | None:
    """A crontab from the words, the kind's defaults filling what is not said."""
    time_of_day = _time_in(text)
    days = _days_in(text)
    if time_of_day is None and days is None:
        return None
    minute, hour, day, month, weekday = KINDS[kind].default_schedule.split()
    if time_of_day is not None:
        hour, minute = str(time_of_day[0]), str(time_of_day[1])
    if days is not None:
        day, weekday = days
    return " ".join((minute, hour, day, month, weekday))


def _time_in(text: str) -> tuple[int, int] | None:
    if noon := _NOON.search(text):
        return (0, 0) if noon.group(1) == "midnight" else (12, 0)
    match = next((m for pattern in _TIMES if (m := pattern.search(text))), None)
    if match is None:
        return None
    found = match.groupdict()
    hour, minute, suffix = int(found["h"]), int(found.get("m") or 0), found.get("ampm")
    if suffix and not 1 <= hour <= 12:
        raise SubscriptionError(f"{match.group(0).strip()!r} is not a time: try 8:00 or 8am.")
    if suffix:
        hour = hour % 12 + (12 if suffix == "p" else 0)
    if hour > 23 or minute > 59:
        raise SubscriptionError(f"{match.group(0).strip()!r} is not a time: try 8:00 or 8am.")
    return hour, minute


def _days_in(text: str) -> tuple[str, str] | None:
    """(day of month, weekdays) crontab fields, or None when no day is named."""
    if month := _MONTH_DAY.search(text):
        return str(int(month.group(1) or 1)), "*"
    if re.search(r"\bweekdays\b|\bworkdays?\b|\bbusiness\s+days\b", text):
        return "*", "mon-fri"
    if re.search(r"\bweekends?\b", text):
        return "*", "sat,sun"
    named = [d for d in _DAYS if d in {m.group(1) for m in _DAY_WORDS.finditer(text)}]
    if named:
        return "*", ",".join(named)
    if re.search(r"\b(?:daily|every\s*day|each\s+day)\b", text):
        return "*", "*"
    return None


def describe_schedule(schedule: str) -> str:
    """A crontab in words: "every day at 08:00", "every Monday at 09:00", "hourly at :05"."""
    minute, hour, day, _month, weekday = schedule.split()
    if hour == "*":
        return f"hourly at :{int(minute):02d}" if minute.isdigit() else f"on the schedule {schedule}"
    at = f"at {int(hour):02d}:{int(minute):02d}" if hour.isdigit() and minute.isdigit() \
        else f"on the schedule {schedule}"
    if day != "*":
        return f"monthly on day {day} {at}"
    days = {"*": "every day", "mon-fri": "on weekdays", "sat,sun": "on weekends"}.get(weekday)
    if days is None:
        names = {d: datetime(2024, 1, 1 + i).strftime("%A") for i, d in enumerate(_DAYS)}
        days = "every " + ", ".join(names.get(d, d) for d in weekday.split(","))
    return f"{days} {at}"


# --- storage -------------------------------------------------------------------------------
class SubscriptionStore:
    """Creates, lists and deletes subscriptions (each change is audited).

    Args:
        state: the state database.
    """

    def __init__(self, state: StateStore) -> None:
        self.state = state

    def subscribe(self, workspace: str, ref: ConversationRef, kind: str, schedule: str,
                  timezone: str, *, only_when_notable: bool = False,
                  actor: str | None = None) -> Subscription:
        """Creates the subscription, or updates the chat's existing one of the same kind."""
        validate(kind, schedule, timezone)
        ref = target_ref(ref)
        with self.state.session() as s, s.begin():
            row = s.scalar(_in_chat(ref).where(SubscriptionRow.kind == kind))
            before = _as_json(row)
            if row is None:
                row = SubscriptionRow(workspace=workspace, platform=ref.platform, chat_id=ref.chat_id,
                                      thread_id=ref.thread_id, space_id=ref.space_id, kind=kind,
                                      created_by=actor)
                s.add(row)
            row.workspace, row.schedule, row.timezone = workspace, schedule, timezone
            row.only_when_notable = only_when_notable
            s.flush()
            record_audit(s, actor=actor or "unknown", action="subscribe", workspace=workspace,
                         before=before, after=_as_json(row))
            return to_subscription(row)

    def apply(self, request: SubscriptionRequest, workspace: str, ref: ConversationRef, timezone: str,
              *, schedule: str | None = None, actor: str | None = None) -> Subscription:
        """Subscribes as ``request`` says; what it leaves unsaid is kept from the chat's
        subscription of that kind ("only when notable" keeps the time), else defaulted."""
        kind = request.kind or "digest"
        existing = next(iter(self.list(ref=ref, kind=kind)), None)
        schedule = schedule or request.schedule or (
            existing.schedule if existing else KINDS[kind].default_schedule)
        notable = request.only_when_notable
        if notable is None:
            notable = existing.only_when_notable if existing else False
        return self.subscribe(workspace, ref, kind, schedule, timezone, only_when_notable=notable,
                              actor=actor)

    def unsubscribe(self, ref: ConversationRef, kind: str | None = None,
                    actor: str | None = None) -> list[Subscription]:
        """Deletes the chat's subscriptions (of ``kind``, or all); returns those deleted."""
        query = _in_chat(target_ref(ref))
        if kind is not None:
            query = query.where(SubscriptionRow.kind == kind)
        with self.state.session() as s, s.begin():
            rows = list(s.scalars(query))
            for row in rows:
                record_audit(s, actor=actor or "unknown", action="unsubscribe",
                             workspace=row.workspace, before=_as_json(row))
                s.delete(row)
            return [to_subscription(r) for r in rows]

    def delete(self, subscription_id: int, actor: str | None = None) -> Subscription | None:
        """Deletes one subscription by id; None if there was none."""
        with self.state.session() as s, s.begin():
            row = s.get(SubscriptionRow, subscription_id)
            if row is None:
                return None
            record_audit(s, actor=actor or "unknown", action="unsubscribe", workspace=row.workspace,
                         before=_as_json(row))
            s.delete(row)
            return to_subscription(row)

    def get(self, subscription_id: int) -> Subscription | None:
        with self.state.session() as s:
            row = s.get(SubscriptionRow, subscription_id)
            return None if row is None else to_subscription(row)

    def list(self, *, workspace: str | None = None, ref: ConversationRef | None = None,
             kind: str | None = None) -> list[Subscription]:
        """Subscriptions, optionally of one workspace, chat or kind, oldest first."""
        query = sa.select(SubscriptionRow) if ref is None else _in_chat(target_ref(ref))
        if workspace is not None:
            query = query.where(SubscriptionRow.workspace == workspace)
        if kind is not None:
            query = query.where(SubscriptionRow.kind == kind)
        with self.state.session() as s:
            return [to_subscription(r) for r in s.scalars(query.order_by(SubscriptionRow.id))]


def check_change(role: Role | None, actor: str, workspace: str,
                 subscriptions: Iterable[Subscription]) -> None:
    """Raises AccessDenied unless ``role`` may make or change these subscriptions of a chat:
    one's own need a member, anyone else's an admin of the workspace."""
    require(role, Access.OWN_SUBSCRIPTIONS, workspace)
    if any(subscription.created_by != actor for subscription in subscriptions):
        require(role, Access.MANAGE_SUBSCRIPTIONS, workspace)


def validate(kind: str, schedule: str, timezone: str) -> None:
    """Raises SubscriptionError for an unknown kind, a bad crontab or an unknown timezone."""
    from apscheduler.triggers.cron import CronTrigger

    if kind not in KINDS:
        raise SubscriptionError(f"I don't know the report {kind!r}: try one of {', '.join(KINDS)}.")
    try:
        CronTrigger.from_crontab(schedule, timezone=timezone)
    except (ValueError, LookupError) as exc:
        raise SubscriptionError(f"{schedule!r} in {timezone} is not a schedule I can keep: {exc}") from exc


def to_subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(row.id, row.workspace,
                        ConversationRef(row.platform, row.chat_id, row.thread_id, row.space_id),
                        row.kind, row.schedule, row.timezone, row.only_when_notable, row.created_by)


def _in_chat(ref: ConversationRef) -> sa.Select[Any]:  # Select's type parameters differ in 2.0 and 2.1
    query = sa.select(SubscriptionRow).where(SubscriptionRow.platform == ref.platform,
                                             SubscriptionRow.chat_id == ref.chat_id)
    if ref.thread_id is None:
        return query.where(SubscriptionRow.thread_id.is_(None))
    return query.where(SubscriptionRow.thread_id == ref.thread_id)


def _as_json(row: SubscriptionRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row.id, "workspace": row.workspace, "platform": row.platform,
            "chat": row.chat_id, "thread": row.thread_id, "kind": row.kind,
            "schedule": row.schedule, "timezone": row.timezone,
            "only_when_notable": row.only_when_notable}
