"""What the stages found in a question, before it becomes a query (:class:`Draft`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.parser.compare import CompareHit
from agents.parser.guild import Everyone
from agents.parser.intents import StockAsk
from agents.parser.lexer import Lexed
from agents.parser.periods import PeriodHit
from agents.parser.rankings import Ranking
from agents.parser.types import Vocabulary
from agents.parser.vocab_index import VocabIndex
from storage.catalog.periods import AsOf

LEADERBOARD = ("profit_units", "roi", "record", "bets")
STOCK_ALERT = ("days_of_stock", "on_hand", "avg_daily_units")
REORDER = ("on_hand", "reorder_point", "days_of_stock", "open_po_units")
DEFAULT_MIN_BETS = 5
HINT_CANDIDATES = {
    "revenue": ("revenue", "profit_units", "mrr"), "units_sold": ("units_sold",),
    "ad_spend": ("ad_spend",), "conversions": ("conversions", "web_conversions"),
    "profit_units": ("profit_units", "gross_margin"),
    "avg_daily_units": ("avg_daily_units", "units_sold"),  # "fastest movers", without stock data
}


@dataclass
class Draft:
    """Everything found in the question, before it becomes a query."""

    as_of: AsOf
    vocabulary: Vocabulary
    index: VocabIndex
    user_name: str | None
    lexed: Lexed
    periods: list[PeriodHit]
    compare: CompareHit | None
    ranking: Ranking | None
    stock: StockAsk | None
    min_bets: int | None
    notes: list[str]  # what was understood so far: returned with a refusal
    deferred: str | None = None  # a refusal found early, raised once the notes are known
    extra: list[str] = field(default_factory=list)  # notes beyond the query's own fields
    raw: str = ""  # the question as the stages read it (for where an unknown word stands)
    assumed: list[str] = field(default_factory=list)  # words read past, for Parsed.assumed
    read_past: bool = False  # unknown words were read past as filler
    everyone: Everyone | None = None  # "every bettor" / "everyone" said (a betting guild)
