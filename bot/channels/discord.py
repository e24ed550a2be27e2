"""Discord: a discord.py client with slash commands, mentions and 👍/👎 buttons.

Slash commands (``/ask question:``, ``/digest``, ``/subscribe``, ``/unsubscribe``, and the
betting commands ``/bet add|settle|edit|delete|list``, ``/stats``, ``/leaderboard``,
``/record`` when the dispatcher handles them) live in an ``app_commands.CommandTree``
synced once in ``setup_hook`` (which runs once per login, never on a gateway reconnect).
Betting options are typed (numbers, choices, members) and reach the dispatcher's handler
as ``raw={"subcommand": ..., "options": {...}}``; a guild using them for the first time
gets its own workspace, ``guild-<id>``, bound to it. Every command is deferred at once — Discord
wants a response within 3 seconds — and answered with a follow-up. A mention in a
channel (or any direct message) is answered with a reply. A guild is one workspace
binding (``space_id`` = guild id).

The feedback and choice buttons (:mod:`bot.channels.discord_buttons`) are ``DynamicItem``s
whose ``custom_id`` carries the answer id, so clicks on answers sent before a restart still
reach :meth:`Pipeline.feedback`, or ask the chosen question.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands

from agents.betting.model import MARKETS, OUTCOMES, STATUSES
from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.channels.discord_buttons import ChoiceButton, FeedbackButton
from bot.channels.discord_render import (
    CHART_FILENAME,
    DiscordMessage,
    interaction_to_inbound,
    message_to_inbound,
    render,
)
from bot.pipeline import Pipeline
from bot.settings import Settings
from storage.errors import WorkspaceError

logger = logging.getLogger(__name__)

FORWARDED_COMMANDS = {
    "digest": "Today's digest of this server's workspace",
    "subscribe": "Get the daily digest in this channel",
    "unsubscribe": "Stop the daily digest in this channel",
}
BETTING_COMMANDS = ("bet", "stats", "leaderboard", "record")
GUILD_WORKSPACE_PREFIX = "guild-"
Stake = app_commands.Range[float, 0.0001, 1000.0]
Payout = app_commands.Range[float, 0.0, 100000.0]
Page = app_commands.Range[int, 1, 1000]


def _choices(values: Sequence[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=v, value=v) for v in values]


class TallyClient(discord.Client):
    """The discord.py client: message content intent, the command tree, the buttons."""

    def __init__(self, tally: DiscordChannel) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # mentions carry the question in the content
        super().__init__(intents=intents)
        self.tally = tally
        self.tree = app_commands.CommandTree(self)
        tally.register_commands(self.tree)

    async def setup_hook(self) -> None:
        """Runs once per login: buttons of earlier answers keep working, commands get synced.

        The betting commands are added here, not at construction: the runtime registers
        their handlers on the dispatcher after the channels are built.
        """
        if self.tally.outbound_only:
            return
        self.add_dynamic_items(FeedbackButton, ChoiceButton)
        if "bet" in self.tally.dispatcher.commands and self.tree.get_command("bet") is None:
            register_betting_commands(self.tree, self.tally)
        synced = await self.tree.sync()
        logger.info("discord: synced %d slash commands", len(synced))

    async def on_message(self, message: discord.Message) -> None:
        await self.tally.on_message(message)


class DiscordChannel:
    """The Discord platform.

    Args:
        dispatcher: where inbound messages go.
        token: the bot token.
        api_url: the HTTP API base URL (a local fake in tests).
        admin_role: members with this role may administer Tally (besides Manage Server).
    """

    platform = "discord"

    def __init__(self, dispatcher: Pipeline, *, token: str, api_url: str,
                 admin_role: str | None = None) -> None:
        # discord.py reads one class-wide base URL for the REST API and interaction webhooks.
        discord.http.Route.BASE = api_url.rstrip("/")
        self.dispatcher = dispatcher
        self.admin_role = admin_role
        self._token = token
        self.outbound_only = False  # logged in to send only (open_outbound)
        self._gateway: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._guild_lock = threading.Lock()
        self.client = TallyClient(self)

    # --- Channel protocol ----------------------------------------------------------------
    async def start(self) -> None:
        """Logs in (REST: identity, commands sync) and connects to the gateway."""
        await self.client.login(self._token)
        self._gateway = asyncio.create_task(self.client.connect(reconnect=True))

    async def open_outbound(self) -> None:
        """Logs in to the REST API only: no gateway, and no slash-command sync.

        A daily ``tally digest --send`` must not re-sync commands every time (Discord rate
        limits that); ``tally serve`` syncs them once per login.
        """
        self.outbound_only = True
        await self.client.login(self._token)

    async def stop(self) -> None:
        """Waits for the answers in flight, then closes the gateway connection."""
        await self.wait_idle()
        await self.client.close()
        if self._gateway is not None:
            await asyncio.gather(self._gateway, return_exceptions=True)
            self._gateway = None

    async def wait_idle(self) -> None:
        """Returns once every answer started so far has been sent."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def routes(self) -> Sequence[Any]:
        """None: Discord events arrive over the gateway."""
        return []

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        """Posts a reply to a channel (proactive messages: digests, alerts)."""
        guild_id = int(ref.space_id) if ref.space_id else None
        channel = self.client.get_partial_messageable(int(ref.chat_id), guild_id=guild_id)
        try:
            sent = await channel.send(**self._message_kwargs(render(reply)))
        except discord.HTTPException as exc:
            logger.warning("discord: sending to %s failed: %s", ref.chat_id, exc)
            return SendResult(False, error=str(exc))
        return SendResult(True, (str(sent.id),))

    # --- inbound --------------------------------------------------------------------------
    def register_commands(self, tree: app_commands.CommandTree[Any]) -> None:
        """Adds ``/ask`` and the forwarded commands to the tree."""

        @tree.command(name="ask", description="Ask Tally about your numbers")
        @app_commands.describe(question="For example: revenue last month by country")
        async def ask(interaction: discord.Interaction, question: str) -> None:
            await self.on_command(interaction, "ask", question)

        for name, description in FORWARDED_COMMANDS.items():
            tree.add_command(app_commands.Command(name=name, description=description,
                                                  callback=self._forwarder(name)))

    def _forwarder(self, name: str) -> Any:
        async def forward(interaction: discord.Interaction) -> None:
            await self.on_command(interaction, name, "")

        return forward

    async def on_command(self, interaction: discord.Interaction, command: str, text: str,
                         raw: dict[str, Any] | None = None) -> None:
        """Defers at once (the 3-second deadline), then answers with a follow-up."""
        await interaction.response.defer(thinking=True)
        message = interaction_to_inbound(interaction, command, text, self.admin_role, raw)
        await self._spawn(self._answer_command(interaction, message))

    async def on_picked(self, interaction: discord.Interaction, message: InboundMessage) -> None:
        """A choice button's question: deferred at once, then answered like ``/ask``."""
        await interaction.response.defer(thinking=True)
        await self._spawn(self._answer_command(interaction, message))

    async def on_betting(self, interaction: discord.Interaction, command: str,
                         subcommand: str | None = None, **options: Any) -> None:
        """A betting slash command: typed options as ``raw``, the guild's workspace ensured."""
        options = {k: _option(v) for k, v in options.items() if v is not None}
        raw = {"options": options, **({"subcommand": subcommand} if subcommand else {})}
        text = " ".join([subcommand or "", *(f"{k}={v}" for k, v in options.items())])
        await interaction.response.defer(thinking=True)
        message = interaction_to_inbound(interaction, command, text, self.admin_role, raw)
        await self._spawn(self._answer_betting(interaction, message))

    async def _answer_betting(self, interaction: discord.Interaction,
                              message: InboundMessage) -> None:
        if message.ref.space_id is not None:
            await asyncio.to_thread(self.ensure_guild_workspace, message)
        await self._answer_command(interaction, message)

    def ensure_guild_workspace(self, message: InboundMessage) -> str:
        """The guild's workspace; an unbound guild gets ``guild-<id>``, created and bound.

        A guild already bound (``tally connect discord ...``) keeps its workspace.
        """
        ref = message.ref
        bound = self.dispatcher.workspace_for(ref)
        if bound is not None or ref.space_id is None:
            return bound or ""
        name = f"{GUILD_WORKSPACE_PREFIX}{ref.space_id}"
        workspaces = self.dispatcher.app.workspaces
        with self._guild_lock:  # two first commands at once create and bind it once
            if (bound := self.dispatcher.workspace_for(ref)) is not None:
                return bound
            try:
                workspaces.get(name)
            except WorkspaceError:
                workspaces.create(name, actor=f"discord:{message.user_id}")
            self.dispatcher.bind("discord", ref.space_id, name, f"discord:{message.user_id}")
        logger.info("discord: guild %s got its workspace %s", ref.space_id, name)
        return name

    async def on_message(self, message: discord.Message) -> None:
        """Answers mentions in channels and direct messages."""
        if self.client.user is None:
            return
        inbound = message_to_inbound(message, self.client.user.id, self.admin_role)
        if inbound is not None:
            self._spawn(self._answer_message(message, inbound))

    async def _answer_command(self, interaction: discord.Interaction, message: InboundMessage) -> None:
        async def follow_up(reply: Reply) -> SendResult:
            sent = await interaction.followup.send(wait=True, **self._message_kwargs(render(reply)))
            return SendResult(True, (str(sent.id),))

        try:
            if await self.dispatcher.answer(message, follow_up) is None:
                # a duplicate delivery: take the "thinking…" away
                await interaction.delete_original_response()
        except discord.HTTPException:
            logger.exception("discord: answering /%s in %s failed", message.command or "ask",
                             message.ref.key)

    async def _answer_message(self, message: discord.Message, inbound: InboundMessage) -> None:
        async def reply_to(reply: Reply) -> SendResult:
            sent = await message.reply(mention_author=False, **self._message_kwargs(render(reply)))
            return SendResult(True, (str(sent.id),))

        try:
            await self.dispatcher.answer(inbound, reply_to)
        except discord.HTTPException:
            logger.exception("discord: answering in %s failed", inbound.ref.key)

    # --- helpers --------------------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Runs ``work`` as a task that :meth:`wait_idle` and :meth:`stop` wait for."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @staticmethod
    def _message_kwargs(message: DiscordMessage) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"embed": message.embed}
        if message.chart:
            kwargs["file"] = discord.File(message.chart, filename=CHART_FILENAME)
        if message.answer_id:
            view = discord.ui.View(timeout=None)
            for number, choice in enumerate(message.choices, 1):
                view.add_item(ChoiceButton(number, message.answer_id, choice))
            row = 1 if message.choices else None  # the readings first, the votes below them
            view.add_item(FeedbackButton("up", message.answer_id, row))
            view.add_item(FeedbackButton("down", message.answer_id, row))
            kwargs["view"] = view
        return kwargs


def _option(value: Any) -> Any:
    """A slash option as the betting handlers read it: a member is ``{"id", "name"}``."""
    if isinstance(value, discord.User | discord.Member):
        return {"id": str(value.id), "name": value.display_name}
    return value


def register_betting_commands(tree: app_commands.CommandTree[Any], tally: DiscordChannel) -> None:
    """``/bet add|settle|edit|delete|list``, ``/stats``, ``/leaderboard``, ``/record``."""
    bet = app_commands.Group(name="bet", description="Record, settle and correct bets")
    _add_and_settle(bet, tally.on_betting)
    _edit_delete_and_list(bet, tally.on_betting)
    tree.add_command(bet)
    for command in _stat_commands(tally.on_betting):
        tree.add_command(command)


def _add_and_settle(bet: app_commands.Group, on: Any) -> None:
    @bet.command(name="add", description="Record a bet")
    @app_commands.describe(sport="e.g. basketball, or a league: NBA", event="e.g. Lakers @ Celtics",
                           selection="what you backed, e.g. Lakers -3.5",
                           odds="American (+150, -110) or decimal (2.50)",
                           stake="units staked, e.g. 1 or 0.5", league="e.g. NBA (optional)",
                           closing_odds="the closing line, for CLV (optional)")
    @app_commands.choices(market=_choices(MARKETS))
    async def add(interaction: discord.Interaction, sport: str, event: str, market: str,
                  selection: str, odds: str, stake: Stake, league: str | None = None,
                  closing_odds: str | None = None) -> None:
        await on(interaction, "bet", "add", sport=sport, event=event, market=market,
                 selection=selection, odds=odds, stake=stake, league=league,
                 closing_odds=closing_odds)

    @bet.command(name="settle", description="Settle a bet: won, lost, push, void or cashout")
    @app_commands.describe(bet_id="the bet's number (/bet list)",
                           payout="a cash-out's units returned", closing_odds="for CLV (optional)")
    @app_commands.choices(result=_choices(OUTCOMES))
    async def settle(interaction: discord.Interaction, bet_id: str, result: str,
                     payout: Payout | None = None, closing_odds: str | None = None) -> None:
        await on(interaction, "bet", "settle", bet_id=bet_id, result=result, payout=payout,
                 closing_odds=closing_odds)


def _edit_delete_and_list(bet: app_commands.Group, on: Any) -> None:
    @bet.command(name="edit", description="Correct a bet (results: server admins only)")
    @app_commands.describe(bet_id="the bet's number (/bet list)", odds="American or decimal")
    @app_commands.choices(market=_choices(MARKETS), result=_choices(STATUSES))
    async def edit(interaction: discord.Interaction, bet_id: str, sport: str | None = None,
                   league: str | None = None, event: str | None = None, market: str | None = None,
                   selection: str | None = None, odds: str | None = None,
                   stake: Stake | None = None, closing_odds: str | None = None,
                   result: str | None = None, payout: Payout | None = None) -> None:
        await on(interaction, "bet", "edit", bet_id=bet_id, sport=sport, league=league,
                 event=event, market=market, selection=selection, odds=odds, stake=stake,
                 closing_odds=closing_odds, result=result, payout=payout)

    @bet.command(name="delete", description="Delete a bet (the audit log keeps it)")
    async def delete(interaction: discord.Interaction, bet_id: str) -> None:
        await on(interaction, "bet", "delete", bet_id=bet_id)

    @bet.command(name="list", description="Pending and recent bets, a page at a time")
    @app_commands.choices(status=_choices(("all", "pending", "settled")))
    async def list_(interaction: discord.Interaction, user: discord.Member | None = None,
                    status: str | None = None, everyone: bool | None = None,
                    page: Page | None = None) -> None:
        await on(interaction, "bet", "list", user=user, status=status, everyone=everyone, page=page)


def _stat_commands(on: Any) -> tuple[app_commands.Command[Any, Any, None], ...]:
    @app_commands.command(name="stats", description="Profit, ROI, record and streak of a bettor")
    @app_commands.describe(period="e.g. this month, last week, 2025 (default: all time)")
    async def stats(interaction: discord.Interaction, user: discord.Member | None = None,
                    period: str | None = None, sport: str | None = None) -> None:
        await on(interaction, "stats", user=user, period=period, sport=sport)

    @app_commands.command(name="leaderboard", description="Bettors ranked by profit, then ROI")
    @app_commands.describe(period="default: this month", min_bets="default: 5 settled bets")
    async def leaderboard(interaction: discord.Interaction, period: str | None = None,
                          sport: str | None = None, min_bets: Page | None = None) -> None:
        await on(interaction, "leaderboard", period=period, sport=sport, min_bets=min_bets)

    @app_commands.command(name="record", description="A bettor's all-time W-L-P and streak")
    async def record(interaction: discord.Interaction, user: discord.Member | None = None) -> None:
        await on(interaction, "record", user=user)

    return stats, leaderboard, record


def build(settings: Settings, dispatcher: Pipeline) -> DiscordChannel | None:
    """The Discord channel, or None without ``DISCORD_BOT_TOKEN``."""
    if settings.discord_bot_token is None:
        return None
    return DiscordChannel(dispatcher, token=settings.discord_bot_token.get_secret_value(),
                          api_url=settings.discord_api_url, admin_role=settings.discord_admin_role)
