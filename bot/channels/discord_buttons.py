"""Discord's buttons under an answer: 👍/👎 feedback and the readings Tally offers.

Both are ``DynamicItem``s whose ``custom_id`` carries everything a click needs (the
vote or the choice's number, and the answer id: well inside Discord's 100 characters),
so clicks on answers sent before a restart still work. A choice click is resolved from
the recorded answer (:mod:`bot.channels.choices`) and asked, as the person who clicked,
through the pipeline; a stale one is told so privately.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.channels.choices import STALE, Click, chosen_question, label
from bot.channels.discord_render import interaction_to_inbound
from storage.refs import ConversationRef

#: Discord allows 80 characters on a button's label.
LABEL_LIMIT = 80


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
                     template=r"tally:feedback:(?P<vote>up|down):(?P<answer_id>[0-9a-f]+)"):
    """👍 or 👎 under an answer; the vote and the answer id live in the ``custom_id``."""

    def __init__(self, vote: str, answer_id: str, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(
            emoji="👍" if vote == "up" else "👎", style=discord.ButtonStyle.secondary,
            custom_id=f"tally:feedback:{vote}:{answer_id}", row=row))
        self.vote = vote
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],  # type: ignore[override]
                             item: discord.ui.Button[discord.ui.View],
                             match: re.Match[str]) -> FeedbackButton:
        return cls(match["vote"], match["answer_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:  # type: ignore[override]
        """Stores the vote and thanks the voter privately."""
        channel = interaction.client.tally  # the DiscordChannel
        stored = channel.dispatcher.feedback(self.answer_id, str(interaction.user.id),
                                             1 if self.vote == "up" else -1)
        text = "Thanks for the feedback!" if stored else "I can't find that answer any more."
        await interaction.response.send_message(text, ephemeral=True)


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
                   template=r"tally:choice:(?P<number>[1-9]):(?P<answer_id>[0-9a-f]+)"):
    """One reading Tally offered; its number and the answer id live in the ``custom_id``."""

    def __init__(self, number: int, answer_id: str, choice: str = "") -> None:
        super().__init__(discord.ui.Button(
            label=label(choice, LABEL_LIMIT) or f"Choice {number}", style=discord.ButtonStyle.primary,
            custom_id=f"tally:choice:{number}:{answer_id}", row=0))
        self.number = number
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],  # type: ignore[override]
                             item: discord.ui.Button[discord.ui.View],
                             match: re.Match[str]) -> ChoiceButton:
        return cls(int(match["number"]), match["answer_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:  # type: ignore[override]
        """Asks the chosen question as the clicker, or says privately that the choice is stale."""
        channel = interaction.client.tally  # the DiscordChannel
        guild = str(interaction.guild_id) if interaction.guild_id else None
        click = Click(ConversationRef("discord", str(interaction.channel_id), None, guild),
                      self.answer_id, self.number, str(interaction.user.id))
        question = chosen_question(channel.dispatcher.app.state, click)
        if question is None:
            await interaction.response.send_message(STALE, ephemeral=True)
            return
        await channel.on_picked(interaction, interaction_to_inbound(
            interaction, "ask", question, channel.admin_role))
