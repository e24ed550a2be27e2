"""The betting commands (a handler set): the same actions on every platform.

``bet add|settle|edit|delete|list``, ``stats``, ``leaderboard`` and ``record`` arrive as
:class:`~bot.channels.base.InboundMessage` commands. Discord's slash commands carry their
options in ``message.raw["options"]`` (and the subcommand in ``raw["subcommand"]``); every
other platform types them (``bet add NBA Lakers@Celtics moneyline Lakers +150 2u``),
parsed by :mod:`agents.betting.parsing`. Numbers come from the catalog Engine only.

Who may do what is the role the pipeline gave the message (:mod:`storage.access`):
anyone bound lists bets and asks for stats; a member records, settles and edits their
own bets; an admin of the workspace settles, edits and deletes anyone's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from agents.betting import parsing, views
from agents.betting.book import Book
from agents.betting.model import Actor
from agents.betting.stats import leaderboard, member_stats, record
from agents.reply import Reply, end_sentence
from bot.channels.base import InboundMessage
from bot.commands import CommandHandler, HandlerSet
from storage.access import AccessDenied, Action, allows, require, role_named
from storage.catalog import AsOf, Engine
from storage.clock import Clock, utc_now
from storage.errors import TallyError

if TYPE_CHECKING:
    from bot.app import App
    from bot.pipeline import Pipeline

logger = logging.getLogger(__name__)

BETTING_COMMANDS = ("bet", "stats", "leaderboard", "record")
BET_ACTIONS = ("add", "settle", "edit", "delete", "list")
PAGE_SIZE = 10
HELP = ("Betting commands: `bet add SPORT EVENT MARKET SELECTION ODDS STAKE` (e.g. `bet add NBA "
        "Lakers@Celtics moneyline Lakers +150 2u`), `bet settle ID won|lost|push|void|cashout "
        "[PAYOUT]`, `bet edit ID odds=+140`, `bet delete ID`, `bet list [pending|settled] "
        "[everyone] [page N]`, `stats [NAME] [PERIOD] [SPORT]`, `leaderboard [PERIOD] [SPORT] "
        "[min N]`, `record [NAME]`.")


class BettingCommands:
    """The handlers, bound to the app.

    Args:
        app: opens the workspaces' warehouses and the state store.
        clock: the current instant (aware UTC); bets are placed and settled at it.
    """

    def __init__(self, app: App, clock: Clock = utc_now) -> None:
        self.app = app
        self.clock = clock

    def book(self, workspace: str) -> Book:
        return Book(self.app.workspaces.warehouse(workspace), self.app.state, workspace, self.clock)

    def as_of(self, engine: Engine) -> AsOf:
        return AsOf.now(engine.workspace.tz, self.clock())

    # --- the handlers -------------------------------------------------------------
    async def bet(self, message: InboundMessage, workspace: str) -> Reply:
        """``bet ACTION ...``."""
        action, text = _action(message)
        handlers: dict[str, Callable[[InboundMessage, str, str], Reply]] = {
            "add": self._add, "settle": self._settle, "edit": self._edit,
            "delete": self._delete, "list": self._list}
        if action not in handlers:
            return Reply(HELP, ok=action in ("", "help"), data={"question": "Betting commands"})
        if action != "list":
            try:  # recording, settling, editing or deleting a bet: one's own needs a member
                require(role_named(message.role), Action.OWN_BETS, workspace)
            except AccessDenied as exc:
                return Reply(str(exc), ok=False, data={"question": "Betting"})
        return await _run(partial(handlers[action], message, workspace, text))

    async def stats(self, message: InboundMessage, workspace: str) -> Reply:
        """``stats [NAME] [PERIOD] [SPORT]``."""
        return await _run(partial(self._stats, message, workspace))

    async def leaderboard(self, message: InboundMessage, workspace: str) -> Reply:
        """``leaderboard [PERIOD] [SPORT] [min N]``."""
        return await _run(partial(self._leaderboard, message, workspace))

    async def record(self, message: InboundMessage, workspace: str) -> Reply:
        """``record [NAME]``."""
        return await _run(partial(self._record, message, workspace))

    # --- bets (run in a worker thread: DuckDB and SQLite calls block) ---------------------
    def _actor(self, message: InboundMessage, book: Book) -> Actor:
        # Others' bets are settled, edited or deleted by the workspace's admins: the role
        # the pipeline gave the message (a platform admin is one only in its bound workspace).
        manages = allows(role_named(message.role), Action.MANAGE_BETS)
        actor = Actor(message.user_id, message.user_name or message.user_id, manages,
                      message.ref.platform)
        book.upsert_bettor(actor)
        return actor

    def _add(self, message: InboundMessage, workspace: str, text: str) -> Reply:
        book = self.book(workspace)
        options = _options(message)
        slip = ({parsing.FIELD_ALIASES.get(k, k): parsing.parse_field(k, v)
                 for k, v in options.items() if v not in (None, "")}
                if options is not None else parsing.parse_add(text))
        parsing.league_as_sport(slip)
        bet = book.add(self._actor(message, book), slip)
        return views.confirmation(bet, f"Bet #{bet.bet_id} recorded", book.display_name(bet.user_id))

    def _settle(self, message: InboundMessage, workspace: str, text: str) -> Reply:
        book = self.book(workspace)
        options = _options(message)
        if options is not None:
            bet_id = parsing.bet_id(str(options.get("bet_id", "")))
            outcome = parsing.outcome(str(options.get("result", "")))
            payout = options.get("payout")
            closing = options.get("closing_odds")
            payout_units = parsing.parse_field("payout", payout) if payout not in (None, "") else None
            closing_odds = parsing.parse_field("closing", closing) if closing not in (None, "") else None
        else:
            bet_id, outcome, payout_units, closing_odds = parsing.parse_settle(text)
        bet = book.settle(self._actor(message, book), bet_id, outcome, payout_units, closing_odds)
        engine = views.profit_engine(self.app.engine(workspace))
        return views.confirmation(bet, f"Bet #{bet.bet_id} settled: {bet.status}",
                                  book.display_name(bet.user_id), engine, self.as_of(engine))

    def _edit(self, message: InboundMessage, workspace: str, text: str) -> Reply:
        book = self.book(workspace)
        options = _options(message)
        if options is not None:
            bet_id = parsing.bet_id(str(options.pop("bet_id", "")))
            changes = {parsing.FIELD_ALIASES.get(k, k): parsing.parse_field(k, v)
                       for k, v in options.items() if v not in (None, "")}
        else:
            bet_id, changes = parsing.parse_edit(text)
        bet = book.edit(self._actor(message, book), bet_id, changes)
        return views.confirmation(bet, f"Bet #{bet.bet_id} updated", book.display_name(bet.user_id))

    def _delete(self, message: InboundMessage, workspace: str, text: str) -> Reply:
        book = self.book(workspace)
        options = _options(message)
        raw_id = str(options.get("bet_id", "")) if options is not None else (text.split() or [""])[0]
        bet = book.delete(self._actor(message, book), parsing.bet_id(raw_id))
        return Reply(f"Bet #{bet.bet_id} deleted ({bet.event}: {bet.selection}). The audit log "
                     "keeps what it was.", data={"question": f"Bet #{bet.bet_id} deleted",
                                                  "bet": bet.as_json()})

    def _list(self, message: InboundMessage, workspace: str, text: str) -> Reply:
        book = self.book(workspace)
        actor = self._actor(message, book)
        request = views.list_request(_options(message), text, actor, book)
        bets, total = book.bets(request.user_id, status=request.status, limit=PAGE_SIZE,
                                offset=(request.page - 1) * PAGE_SIZE)
        engine = views.profit_engine(self.app.engine(workspace))
        return views.bet_list(bets, total, request, PAGE_SIZE, book, engine, self.as_of(engine))

    # --- numbers (the catalog) -----------------------------------------------------------
    def _stats(self, message: InboundMessage, workspace: str) -> Reply:
        book, engine = self.book(workspace), self.app.engine(workspace)
        actor = self._actor(message, book)
        request = views.stats_request(_options(message), _body(message, ("stats",)), actor, book,
                                      engine)
        return member_stats(engine, self.as_of(engine), request)

    def _leaderboard(self, message: InboundMessage, workspace: str) -> Reply:
        engine = self.app.engine(workspace)
        period, sport, min_bets = views.leaderboard_request(_options(message),
                                                            _body(message, ("leaderboard",)), engine)
        return leaderboard(engine, self.as_of(engine), period, sport, min_bets)

    def _record(self, message: InboundMessage, workspace: str) -> Reply:
        book, engine = self.book(workspace), self.app.engine(workspace)
        actor = self._actor(message, book)
        request = views.stats_request(_options(message), _body(message, ("record",)), actor, book,
                                      engine)
        return record(engine, self.as_of(engine), request.bettor or actor.display_name)


def betting_handlers(app: App, clock: Clock = utc_now) -> HandlerSet:
    """``bet``, ``stats``, ``leaderboard`` and ``record``, typed or slash."""
    commands = BettingCommands(app, clock)
    handlers: dict[str, CommandHandler] = {
        "bet": commands.bet, "stats": commands.stats, "leaderboard": commands.leaderboard,
        "record": commands.record}
    return HandlerSet("bets", handlers, lambda text: found[0] if (found := text_command(text)) else None)


def register_betting_commands(pipeline: Pipeline, clock: Clock = utc_now) -> None:
    """Adds the betting handler set to a pipeline's commands."""
    pipeline.commands.add(betting_handlers(pipeline.app, clock))


def text_command(text: str) -> tuple[str, str] | None:
    """``("bet", "add NBA ...")`` when a typed message is a betting command, else None.

    For platforms whose messages carry no command: the pipeline routes a text that
    starts with a betting command word here instead of to the brain.
    """
    first, _, rest = text.strip().lstrip("/!").partition(" ")
    word = first.lower()
    if word == "bet" or word == "bets":
        return "bet", rest.strip()
    # "record" alone or with a name; longer texts ("record revenue day last month") are questions.
    if word in ("stats", "leaderboard", "record") and (word != "record" or len(rest.split()) <= 1):
        return word, rest.strip()
    return None


def _action(message: InboundMessage) -> tuple[str, str]:
    sub = message.raw.get("subcommand") if isinstance(message.raw, dict) else None
    if sub:
        return str(sub).lower(), message.text
    first, _, rest = _body(message, ("bet", "bets")).partition(" ")
    return first.lower(), rest.strip()


def _body(message: InboundMessage, words: tuple[str, ...]) -> str:
    """The command's text without its own word: a typed ``bet add ...`` routed as ``bet``
    arrives whole, a slash command's text without it."""
    first, _, rest = message.text.strip().partition(" ")
    if first.lstrip("/!").lower() in words:
        return rest.strip()
    return message.text.strip()


def _options(message: InboundMessage) -> dict[str, Any] | None:
    """Structured options (Discord's slash commands), or None for a typed command."""
    options = message.raw.get("options") if isinstance(message.raw, dict) else None
    return dict(options) if isinstance(options, dict) else None


async def _run(work: Callable[[], Reply]) -> Reply:
    """Runs blocking work in a thread; a person's mistake becomes a friendly reply."""
    try:
        return await asyncio.to_thread(work)
    except TallyError as exc:
        return Reply(_sentence(str(exc)), ok=False, data={"question": "Betting"})


def _sentence(text: str) -> str:
    text = text.strip()
    return end_sentence(text[:1].upper() + text[1:])
