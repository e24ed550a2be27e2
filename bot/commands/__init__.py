"""Chat commands as handler sets, registered in one ordered list.

A :class:`HandlerSet` is a group of commands that belong together (subscriptions,
alerts, bets): its handlers by command name (``handler(message, workspace) -> Reply``)
and, for surfaces whose messages carry no command, a text router that recognises the
set's unmistakable phrasings ("alert me when ...", "subscribe daily digest at 8:00").
:class:`Commands` keeps the sets in the order they were added within their group
(python-telegram-bot's ``add_handler(handler, group)``: lower groups first), so the
first set whose router knows a text wins: alerts before subscriptions, since "alert me
when revenue drops below 1000" is a rule while "subscribe alerts" is a subscription.

The pipeline's route step (:mod:`bot.pipeline`) asks this registry, and nothing else,
which command a message means.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

from agents.reply import Reply
from bot.channels.base import InboundMessage

#: A chat command: the message (with the role it acts with) and its workspace → the reply.
CommandHandler = Callable[[InboundMessage, str], Awaitable[Reply]]
#: Plain text → the command it unmistakably means, or None (a question for the brain).
TextRouter = Callable[[str], str | None]


@dataclass(frozen=True)
class HandlerSet:
    """Commands that belong together.

    Attributes:
        name: what the set is ("alerts", "bets", "subscriptions"), for logs and tests.
        handlers: command name → handler.
        route_text: the command a typed message means, if any (None: slash commands only).
        posts_later: the commands that set up posts made later, unasked (a subscription,
            an alert rule): they serve only surfaces that can be posted to.
    """

    name: str
    handlers: Mapping[str, CommandHandler]
    route_text: TextRouter | None = None
    posts_later: frozenset[str] = frozenset()


@dataclass
class Commands:
    """Every chat command, in one ordered list of handler sets."""

    _sets: list[tuple[int, int, HandlerSet]] = field(default_factory=list)

    def add(self, handlers: HandlerSet, group: int = 0) -> None:
        """Registers a set; lower groups are asked first, then the order of adding."""
        self._sets.append((group, len(self._sets), handlers))
        self._sets.sort(key=lambda entry: entry[:2])

    def update(self, handlers: Mapping[str, CommandHandler], *, name: str = "commands") -> None:
        """Registers plain handlers by name (a set without a text router)."""
        self.add(HandlerSet(name, dict(handlers)))

    def __setitem__(self, command: str, handler: CommandHandler) -> None:
        """One command by name, asked before every set added earlier (tests, overrides)."""
        self.add(HandlerSet(command, {command: handler}), group=-1)

    def __contains__(self, command: object) -> bool:
        return self.get(str(command)) is not None

    def __iter__(self) -> Iterator[HandlerSet]:
        return (entry[2] for entry in self._sets)

    def get(self, command: str) -> CommandHandler | None:
        """The handler of a command name, from the first set that has it."""
        return next((s.handlers[command] for s in self if command in s.handlers), None)

    def posts_later(self, command: str) -> bool:
        """Whether the command (as its first set has it) sets up posts made later."""
        owner = next((s for s in self if command in s.handlers), None)
        return owner is not None and command in owner.posts_later

    def route_text(self, text: str) -> str | None:
        """The command a plain message means, by the first set whose router knows it."""
        for handlers in self:
            if handlers.route_text is not None and (name := handlers.route_text(text)) is not None:
                return name
        return None
