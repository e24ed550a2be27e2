"""What the word pass finds: metric, dimension and value mentions, the unknown words,
and the phrase tables it looks them up in."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from agents.parser.dimensions import BY_ONLY_WORDS, DIM_WORDS, DimWord
from agents.parser.lexicon import NOT_METRICS, MetricEntry, phrase_table
from agents.parser.vocab_index import Option


@dataclass(frozen=True)
class MetricMention:
    """A metric phrase: the metrics it may name (preferred first), as said."""

    candidates: tuple[MetricEntry, ...]
    phrase: str
    said: str
    after_by: bool  # "top campaigns by ROAS": the metric to rank by
    excluded: bool = False  # "revenue excluding refunds"


@dataclass(frozen=True)
class DimMention:
    """A dimension word; ``explicit`` when it followed "by"/"per"/"each"."""

    word: DimWord
    said: str
    position: int
    explicit: bool


@dataclass(frozen=True)
class EntityMention:
    """Entity values named ("Brazil", "Sharpie's"), with every dimension they may belong to."""

    options: tuple[Option, ...]
    said: str
    position: int
    exclude: bool
    loose: bool = False  # part of a name or a typo of one: resolved by the metric's data
    group: bool = False  # "europe", "mugs": every option filters together
    soft: bool = False  # an everyday synonym ("website"): read past when it cannot filter


@dataclass(frozen=True)
class Unknown:
    """A word not understood, the words around it ("in" Narnia) and where it stands."""

    said: str
    folded: str
    before: str
    start: int = -1
    after: str = ""  # the next word, unless a consumed phrase lies between


@dataclass
class Lexed:
    """Everything the word pass found."""

    metrics: list[MetricMention] = field(default_factory=list)
    dims: list[DimMention] = field(default_factory=list)
    entities: list[EntityMention] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    not_metric: str | None = None
    change: str | None = None
    superlative: str | None = None  # "lowest CPA campaign": a ranking said around a metric
    superlative_count: int | None = None  # "top 5 ... campaigns"
    mine: bool = False
    trend: bool = False
    card: bool = False
    versus: bool = False  # "meta vs google": values set against each other
    amount: bool = False  # "how much" said: an amount, not a count ("how much did I bet")
    count: bool = False  # "how many", "count": a number of things ("how many hammocks")


@cache
def _metric_table() -> dict[tuple[str, ...], list[MetricEntry]]:
    return phrase_table()


_NOT_METRIC_KEYS = {tuple(k.split()): v for k, v in NOT_METRICS.items()}
_DIM_KEYS = {tuple(k.split()): v for k, v in DIM_WORDS.items()}
_BY_ONLY_KEYS = {tuple(k.split()): v for k, v in BY_ONLY_WORDS.items()}
_MAX_PHRASE = 8  # "how much money did we make" and friends are long
