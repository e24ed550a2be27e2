"""Discord's two translation functions: discord.py messages and interactions →
:class:`InboundMessage`, and :class:`~agents.reply.Reply` → an embed.

They work on discord.py's own objects (built from the gateway payloads by its
connection state), so unit tests feed them recorded payloads through discord.py.
Embed limits that shape :func:`render`: title 256, description 4,096, footer 2,048,
field name 256 and value 1,024, 6,000 characters in all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage
from bot.channels.choices import numbered

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 1024  # below Discord's 2,048 so the embed stays under 6,000 in all
FIELD_NAME_LIMIT, FIELD_VALUE_LIMIT, FIELD_COUNT_LIMIT = 256, 1024, 10  # (Discord allows 25 fields)
CHART_FILENAME = "chart.png"
MAX_CHOICES = 5  # one row of buttons
OK_COLOUR, NOT_OK_COLOUR = 0x2F855A, 0xC05621
_MENTION = re.compile(r"<@!?(\d+)>")


@dataclass(frozen=True)
class DiscordMessage:
    """A rendered reply: the embed, the chart to attach, the answer its buttons rate, and
    the readings offered as buttons (numbered in the embed when nothing was recorded)."""

    embed: discord.Embed
    chart: str | None = None
    answer_id: str | None = None
    choices: tuple[str, ...] = ()


def message_to_inbound(message: discord.Message, bot_user_id: int,
                       admin_role: str | None = None) -> InboundMessage | None:
    """A channel message that mentions Tally (or any direct message), else None.

    Bots (Tally included) are ignored, so two bots never talk in circles.
    """
    if message.author.bot:
        return None
    # The guild may not be cached (a partial channel): its id is still on the channel.
    guild_id = message.guild.id if message.guild else getattr(message.channel, "guild_id", None)
    if guild_id is not None and bot_user_id not in message.raw_mentions:
        return None
    text = " ".join(_MENTION.sub(" ", message.content).split())
    ref = ConversationRef("discord", str(message.channel.id), None,
                          str(guild_id) if guild_id else None)
    return InboundMessage(ref=ref, text=text, user_id=str(message.author.id),
                          user_name=message.author.display_name, event_id=str(message.id),
                          is_admin=is_admin(message.author, admin_role))


def interaction_to_inbound(interaction: discord.Interaction, command: str, text: str = "",
                           admin_role: str | None = None,
                           raw: dict[str, Any] | None = None) -> InboundMessage:
    """A slash command: ``/ask`` is a question, the others are dispatcher commands.

    ``raw`` carries a command's structured options (``/bet add``'s sport, odds, stake...)
    as ``{"subcommand": ..., "options": {...}}``, so handlers need not re-parse text.
    """
    ref = ConversationRef("discord", str(interaction.channel_id),
                          None, str(interaction.guild_id) if interaction.guild_id else None)
    user = interaction.user
    admin = is_admin(user, admin_role) or bool(interaction.guild_id and (
        interaction.permissions.manage_guild or interaction.permissions.administrator))
    return InboundMessage(ref=ref, text=" ".join(text.split()), user_id=str(user.id),
                          user_name=user.display_name, event_id=str(interaction.id),
                          is_admin=admin, command=None if command == "ask" else command,
                          raw=raw or {})


def is_admin(user: discord.User | discord.Member, admin_role: str | None) -> bool:
    """Members who manage the server, or hold the configured admin role, administer Tally."""
    if not isinstance(user, discord.Member):
        return False
    if admin_role and any(role.name == admin_role for role in user.roles):
        return True
    try:
        permissions = user.guild_permissions
    except (AttributeError, KeyError):  # a member of a guild discord.py has not cached
        return False
    return permissions.manage_guild or permissions.administrator


def render(reply: Reply) -> DiscordMessage:
    """An embed: the question as title, words and table (a code block) as description,
    suggestions in the footer, the chart as the embed's image."""
    question = str(reply.data.get("question") or "")
    embed = discord.Embed(title=_cut(question, TITLE_LIMIT) or None,
                          description=_description(reply),
                          colour=OK_COLOUR if reply.ok else NOT_OK_COLOUR)
    for name, value, inline in _fields(reply)[:FIELD_COUNT_LIMIT]:
        embed.add_field(name=_cut(name, FIELD_NAME_LIMIT), value=_cut(value, FIELD_VALUE_LIMIT),
                        inline=inline)
    if reply.suggestions:
        tries = " · ".join(f"“{s}”" for s in reply.suggestions)
        embed.set_footer(text=_cut(f"Try: {tries}", FOOTER_LIMIT))
    if reply.chart:
        embed.set_image(url=f"attachment://{CHART_FILENAME}")
    return DiscordMessage(embed, reply.chart, reply.answer_id,
                          reply.choices[:MAX_CHOICES] if reply.answer_id else ())


def _fields(reply: Reply) -> list[tuple[str, str, bool]]:
    """``data["fields"]``: [name, value, inline] cards (a bet's odds, stake, status)."""
    found = []
    for field in reply.data.get("fields") or ():
        name, value, *rest = field
        if str(name).strip() and str(value).strip():
            found.append((str(name), str(value), bool(rest[0]) if rest else True))
    return found


def _description(reply: Reply) -> str:
    said = f"{reply.text}\n\n{numbered(reply.choices)}" if reply.choices and not reply.answer_id \
        else reply.text
    text = _cut(said, DESCRIPTION_LIMIT)
    if reply.table is None:
        return text
    room = DESCRIPTION_LIMIT - len(text) - len("\n```\n\n```")
    rows = len(reply.table.rows)
    while rows >= 0:
        table = reply.table.as_text(max_rows=rows)
        if len(table) <= room:
            return f"{text}\n```\n{table}\n```"
        rows = rows - 1 if rows <= 20 else rows // 2
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
