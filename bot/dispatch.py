"""The former name of the pipeline: :class:`bot.pipeline.Pipeline` is the one path of a message.

Kept only so that code written against ``Dispatcher`` still imports; new code uses
:mod:`bot.pipeline`.
"""

from __future__ import annotations

from bot.commands import CommandHandler
from bot.pipeline import Metrics, Pipeline, RateLimiter, Send

Dispatcher = Pipeline

__all__ = ["CommandHandler", "Dispatcher", "Metrics", "RateLimiter", "Send"]
