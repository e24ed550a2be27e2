"""Subscriptions from chat (a handler set): subscribe, unsubscribe, list, and today's digest.

"subscribe daily digest at 8:00", "send the weekly report every Monday 9am", "list my
subscriptions", "unsubscribe weekly report", "digest". The subscriptions live in
:class:`~bot.subscriptions.SubscriptionStore`; the scheduler (:mod:`bot.scheduler`)
turns them into jobs, and is told to resync after every change. One's own subscriptions
need a member; anyone else's an admin (the role the pipeline gave the message).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from agents.reply import Reply
from bot.channels.base import InboundMessage
from bot.commands import CommandHandler, HandlerSet
from bot.subscriptions import (
    KINDS,
    Subscription,
    SubscriptionError,
    check_change,
    command_for_text,
    kind_in,
    parse_request,
)
from storage.access import AccessDenied, role_named
from storage.catalog import AsOf

if TYPE_CHECKING:
    from bot.scheduler import ProactiveScheduler


class SubscriptionCommands:
    """The handlers, over the scheduler's store and report builders.

    Args:
        proactive: the scheduler (its store, its clock, and its jobs resynced on change).
    """

    def __init__(self, proactive: ProactiveScheduler) -> None:
        self.proactive = proactive
        self.store = proactive.store

    async def subscribe(self, message: InboundMessage, workspace: str) -> Reply:
        """"subscribe daily digest at 8:00", "send the weekly report every Monday 9am", "list"."""
        try:
            request = parse_request(message.text, message.command)
            if request.action == "unsubscribe":
                return await self.unsubscribe(message, workspace)
            if request.action == "list":
                return self._list_reply(message)
            actor = f"{message.ref.platform}:{message.user_id}"
            check_change(role_named(message.role), actor, workspace,
                         self.store.list(ref=message.ref, kind=request.kind or "digest"))
            subscription = self.store.apply(request, workspace, message.ref,
                                            self.proactive.app.workspace(workspace).timezone,
                                            actor=actor)
        except (SubscriptionError, AccessDenied) as exc:
            return Reply(str(exc), ok=False)
        self._resync()
        return Reply(f"Subscribed: the {subscription.describe()} will be posted here. "
                     f'Say "unsubscribe {subscription.label}" to stop it.')

    async def unsubscribe(self, message: InboundMessage, workspace: str) -> Reply:
        """"unsubscribe" (everything in this chat) or "unsubscribe weekly report"."""
        kind, actor = kind_in(message.text), f"{message.ref.platform}:{message.user_id}"
        try:  # one's own subscriptions need a member; anyone else's an admin
            check_change(role_named(message.role), actor, workspace,
                         self.store.list(ref=message.ref, kind=kind))
        except AccessDenied as exc:
            return Reply(str(exc), ok=False)
        removed = self.store.unsubscribe(message.ref, kind, actor)
        self._resync()
        if not removed:
            what = f"the {KINDS[kind].label}" if kind else "anything"
            return Reply(f"This chat isn't subscribed to {what}.", ok=False)
        return Reply("Unsubscribed: " + "; ".join(s.describe() for s in removed) + ".")

    async def digest(self, message: InboundMessage, workspace: str) -> Reply:
        """Today's digest, now."""
        tz = self.proactive.app.workspace(workspace).timezone
        adhoc = Subscription(0, workspace, message.ref, "digest", KINDS["digest"].default_schedule, tz)
        try:
            reply = await self.proactive.build(adhoc, AsOf.now(ZoneInfo(tz), self.proactive.clock()))
        except SubscriptionError as exc:
            return Reply(str(exc), ok=False)
        return reply or Reply("Nothing notable to report today.")

    def _list_reply(self, message: InboundMessage) -> Reply:
        found = self.store.list(ref=message.ref)
        if not found:
            return Reply('This chat has no subscriptions. Try "subscribe daily digest at 8:00".')
        return Reply("Subscriptions here:\n" + "\n".join(f"• {s.describe()}" for s in found))

    def _resync(self) -> None:
        if self.proactive.scheduler.running:
            self.proactive.sync_jobs()


def subscription_handlers(proactive: ProactiveScheduler) -> HandlerSet:
    """``subscribe``, ``unsubscribe``, ``subscriptions`` and ``digest``, typed or slash."""
    commands = SubscriptionCommands(proactive)
    handlers: dict[str, CommandHandler] = {
        "subscribe": commands.subscribe, "unsubscribe": commands.unsubscribe,
        "subscriptions": commands.subscribe, "digest": commands.digest}
    return HandlerSet("subscriptions", handlers, command_for_text,
                      posts_later=frozenset({"subscribe"}))
