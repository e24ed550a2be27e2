"""The deterministic question parser: the product's default brain, no LLM.

    >>> parse("revenue by country last month", ctx)
    Parsed(query=Query(metrics=('revenue',), period=Period(...), dimensions=('country',)), ...)

Public API: :func:`parse`, its context (:class:`ParseContext`, :class:`Vocabulary`)
and its three answers (:class:`Parsed`, :class:`Help`, :class:`Unanswerable`).
"""

from agents.parser.parser import parse
from agents.parser.types import Help, Intent, ParseContext, Parsed, Unanswerable, Vocabulary

__all__ = ["Help", "Intent", "ParseContext", "Parsed", "Unanswerable", "Vocabulary", "parse"]
