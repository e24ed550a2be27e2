"""The one ordered list of chat commands, installed on a pipeline.

Alert rules come before subscriptions: "alert me when revenue drops below 1000" is a
rule, while "subscribe alerts" (anomaly alerts) stays a subscription. Bets come between:
their words ("bet", "stats", "leaderboard", "record NAME") collide with neither, nor do
teaching's ("when we say X we mean Y", "list synonyms", "forget X"). The
runtime (``tally serve``) and the terminal (``tally ask``, ``tally chat``) both install
exactly this list, so a command works the same on every surface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.alerts import rule_handlers
from bot.commands.bets import betting_handlers
from bot.commands.subscriptions import subscription_handlers
from bot.commands.teach import teach_handlers

if TYPE_CHECKING:
    from bot.pipeline import Pipeline
    from bot.scheduler import ProactiveScheduler


def install_commands(pipeline: Pipeline, proactive: ProactiveScheduler) -> None:
    """Adds every chat command's handler set to the pipeline, in the one order."""
    pipeline.commands.add(rule_handlers(pipeline.app, proactive.clock))
    pipeline.commands.add(betting_handlers(pipeline.app))
    pipeline.commands.add(teach_handlers(pipeline.app))
    pipeline.commands.add(subscription_handlers(proactive))
