"""The parser's public value types: what it needs to know and what it answers.

Frozen dataclasses, like the catalog's :class:`~storage.catalog.model.Query`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from storage.catalog.model import Query
from storage.catalog.periods import AsOf

Intent = Literal["metric", "leaderboard", "stock_alert_list"]
VERTICALS = frozenset({"shop", "saas", "marketing", "ops", "betting"})


@dataclass(frozen=True)
class Vocabulary:
    """The entity values found in one workspace's own data.

    Attributes:
        values: dimension -> stored values, e.g. ``{"country": ["BR", "US"],
            "product": ["Linen Shirt"], "bettor": ["Sharpie"]}``.
        verticals: which of shop, saas, marketing, ops and betting have data.
        aliases: extra spellings per dimension, mapped to a stored value, e.g.
            ``{"product": {"SKU-0001": "Linen Shirt"}, "country": {"brazil": "BR"}}``.
        by_source: the values each data source has (shop, saas, ads, web, ops, betting),
            where sources share a dimension: ``{"ads": {"campaign": ["Meta — Retargeting"]},
            "web": {"campaign": ["retargeting"]}}``. A source or dimension not listed is
            not narrowed (any value of ``values`` may be asked of it).
    """

    values: Mapping[str, Sequence[str]]
    verticals: frozenset[str]
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    by_source: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class ParseContext:
    """Everything a parse depends on besides the text.

    Attributes:
        as_of: "now", which every relative period is resolved against.
        vocabulary: the workspace's entity values and verticals.
        user_name: the asker's display name, for "my ROI" (a bettor filter).
    """

    as_of: AsOf
    vocabulary: Vocabulary
    user_name: str | None = None


@dataclass(frozen=True)
class Parsed:
    """A question understood as a catalog query.

    Attributes:
        query: the catalog query to run.
        intent: "metric" (numbers, maybe broken down or ranked), "leaderboard"
            (bettors ranked by profit) or "stock_alert_list" (products running out).
        understood: notes for the reply, e.g. ("metric: revenue", "period: last month").
        assumed: what the parser read past or corrected to get here, e.g. ("'revnue' read
            as revenue", "ignored 'pulled'"); when any, the reply restates its reading in
            one line ("Reading this as: revenue by sales channel, year to date").
    """

    query: Query
    intent: Intent
    understood: tuple[str, ...]
    assumed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Help:
    """The asker wants help; ``topic`` is a vertical ("betting") or None for the overview."""

    topic: str | None


@dataclass(frozen=True)
class Unanswerable:
    """A question the parser refuses rather than guesses.

    Attributes:
        understood: what was understood, in the same words as :attr:`Parsed.understood`.
        missing: what was not understood or cannot be answered, in words for the asker.
        choices: the 1-3 most likely readings, each a complete question that parses on
            this workspace ("revenue by country last week"); the asker picks one (a
            button, or its number) and it is answered as asked.
        unknown: the words not understood, as typed (``tally unanswered`` counts them).
    """

    understood: tuple[str, ...]
    missing: str
    choices: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


class Refusal(Exception):
    """Raised inside the parser to stop with an :class:`Unanswerable`; never escapes ``parse``.

    Attributes:
        missing: what was not understood, in words for the asker.
        readings: (words as typed, what they may mean) pairs the refusal knows of, e.g.
            ``(("churnd", "churned"), ("churnd", "churn"))``; each becomes a choice.
    """

    def __init__(self, missing: str, readings: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(missing)
        self.missing = missing
        self.readings = readings
