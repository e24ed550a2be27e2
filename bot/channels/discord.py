"""Discord: a discord.py client with slash commands, mentions and 👍/👎 buttons.

Slash commands (``/ask question:``, ``/digest``, ``/subscribe``, ``/unsubscribe``) live
in an ``app_commands.CommandTree`` synced once in ``setup_hook`` (which runs once per
login, never on a gateway reconnect). Every command is deferred at once — Discord
wants a response within 3 seconds — and answered with a follow-up. A mention in a
channel (or any direct message) is answered with a reply. A guild is one workspace
binding (``space_id`` = guild id).

The feedback buttons are a ``DynamicItem`` whose ``custom_id`` carries the answer id,
so clicks on answers sent before a restart still reach :meth:`Dispatcher.feedback`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.channels.discord_render import (
    CHART_FILENAME,
    DiscordMessage,
    interaction_to_inbound,
    message_to_inbound,
    render,
)
from bot.dispatch import Dispatcher
from bot.reply import Reply
from bot.settings import Settings

logger = logging.getLogger(__name__)

FORWARDED_COMMANDS = {
    "digest": "Today's digest of this server's workspace",
    "subscribe": "Get the daily digest in this channel",
    "unsubscribe": "Stop the daily digest in this channel",
}


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
                     template=r"tally:feedback:(?P<vote>up|down):(?P<answer_id>[0-9a-f]+)"):
    """👍 or 👎 under an answer; the vote and the answer id live in the ``custom_id``."""

    def __init__(self, vote: str, answer_id: str) -> None:
        super().__init__(discord.ui.Button(
            emoji="👍" if vote == "up" else "👎", style=discord.ButtonStyle.secondary,
            custom_id=f"tally:feedback:{vote}:{answer_id}"))
        self.vote = vote
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],  # type: ignore[override]
                             item: discord.ui.Button[discord.ui.View],
                             match: re.Match[str]) -> FeedbackButton:
        return cls(match["vote"], match["answer_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:  # type: ignore[override]
        """Stores the vote and thanks the voter privately."""
        channel: DiscordChannel = interaction.client.tally
        stored = channel.dispatcher.feedback(self.answer_id, str(interaction.user.id),
                                             1 if self.vote == "up" else -1)
        text = "Thanks for the feedback!" if stored else "I can't find that answer any more."
        await interaction.response.send_message(text, ephemeral=True)


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
        """Runs once per login: buttons of earlier answers keep working, commands get synced."""
        self.add_dynamic_items(FeedbackButton)
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

    def __init__(self, dispatcher: Dispatcher, *, token: str, api_url: str,
                 admin_role: str | None = None) -> None:
        # discord.py reads one class-wide base URL for the REST API and interaction webhooks.
        discord.http.Route.BASE = api_url.rstrip("/")
        self.dispatcher = dispatcher
        self.admin_role = admin_role
        self._token = token
        self._gateway: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.client = TallyClient(self)

    # --- Channel protocol ----------------------------------------------------------------
    async def start(self) -> None:
        """Logs in (REST: identity, commands sync) and connects to the gateway."""
        await self.client.login(self._token)
        self._gateway = asyncio.create_task(self.client.connect(reconnect=True))

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

    async def on_command(self, interaction: discord.Interaction, command: str, text: str) -> None:
        """Defers at once (the 3-second deadline), then answers with a follow-up."""
        await interaction.response.defer(thinking=True)
        message = interaction_to_inbound(interaction, command, text, self.admin_role)
        await self._spawn(self._answer_command(interaction, message))

    async def on_message(self, message: discord.Message) -> None:
        """Answers mentions in channels and direct messages."""
        if self.client.user is None:
            return
        inbound = message_to_inbound(message, self.client.user.id, self.admin_role)
        if inbound is not None:
            self._spawn(self._answer_message(message, inbound))

    async def _answer_command(self, interaction: discord.Interaction, message: InboundMessage) -> None:
        try:
            reply = await self.dispatcher.handle(message)
            if reply is None:  # a duplicate delivery: take the "thinking…" away
                await interaction.delete_original_response()
                return
            sent = await interaction.followup.send(wait=True, **self._message_kwargs(render(reply)))
            self._record(reply, str(sent.id))
        except discord.HTTPException:
            logger.exception("discord: answering /%s in %s failed", message.command or "ask",
                             message.ref.key)

    async def _answer_message(self, message: discord.Message, inbound: InboundMessage) -> None:
        try:
            reply = await self.dispatcher.handle(inbound)
            if reply is None:
                return
            sent = await message.reply(mention_author=False, **self._message_kwargs(render(reply)))
            self._record(reply, str(sent.id))
        except discord.HTTPException:
            logger.exception("discord: answering in %s failed", inbound.ref.key)

    # --- helpers --------------------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Runs ``work`` as a task that :meth:`wait_idle` and :meth:`stop` wait for."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _record(self, reply: Reply, message_id: str) -> None:
        answer_id = reply.data.get("answer_id")
        if answer_id:
            self.dispatcher.record_sent(answer_id, (message_id,))

    @staticmethod
    def _message_kwargs(message: DiscordMessage) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"embed": message.embed}
        if message.chart:
            kwargs["file"] = discord.File(message.chart, filename=CHART_FILENAME)
        if message.answer_id:
            view = discord.ui.View(timeout=None)
            view.add_item(FeedbackButton("up", message.answer_id))
            view.add_item(FeedbackButton("down", message.answer_id))
            kwargs["view"] = view
        return kwargs


def build(settings: Settings, dispatcher: Dispatcher) -> DiscordChannel | None:
    """The Discord channel, or None without ``DISCORD_BOT_TOKEN``."""
    if settings.discord_bot_token is None:
        return None
    return DiscordChannel(dispatcher, token=settings.discord_bot_token.get_secret_value(),
                          api_url=settings.discord_api_url, admin_role=settings.discord_admin_role)
