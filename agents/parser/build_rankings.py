"""What a ranking ranks: the dimension ranked, and the metric a ranking implies when none is said
("best selling product", "which supplier is fastest", "how many hammocks")."""

from __future__ import annotations

import re

from agents.parser.dimensions import DIM_WORDS, RANK_DEFAULTS, DimWord
from agents.parser.draft import HINT_CANDIDATES, LEADERBOARD, Draft
from agents.parser.lexer import DimMention, EntityMention, Lexed, MetricMention
from agents.parser.lexicon import BY_NAME, NO_DATA
from agents.parser.rankings import Ranking
from agents.parser.resolve import (
    dimension_available,
    metric_for_dimension,
)
from agents.parser.senses import in_context
from agents.parser.types import Refusal

_DID = re.compile(r"(?<![a-z])(?:do|did|doing|done)(?![a-z])", re.IGNORECASE)


def ranked_dimension(draft: Draft) -> tuple[DimWord | None, list[DimMention]]:
    """The ranked dimension word, and the breakdown words left (labels removed)."""
    entity_dims = {dim for e in draft.lexed.entities if not e.exclude for dim, _ in e.options}
    breakdowns = [m for m in draft.lexed.dims
                  if m.explicit or not set(m.word.options) & entity_dims]
    if draft.ranking is None and not draft.lexed.superlative:
        breakdowns = [m for m in breakdowns if not _names_values_kind(m, draft.lexed.entities)]
    if draft.ranking is None and draft.lexed.superlative and breakdowns:
        draft.ranking = _ranking_around(draft.lexed, breakdowns[0])
    ranking = draft.ranking
    bettors = _bettors_ranked(draft)
    if ranking is None and draft.lexed.superlative and bettors is not None:
        word = draft.lexed.superlative  # "lowest ROI this month": of the bettors
        if draft.lexed.mine or (word in ("biggest", "largest") and {
                m.phrase for m in draft.lexed.metrics} <= {"win", "won"}):  # one bet
            raise Refusal(f"'{word}' picks out a single bet; I have totals, not single bets: "
                          "try 'my profit by sport', 'my best sport' or 'best bettor'")
        if word in ("best", "worst") and {m.candidates[0].name for m in draft.lexed.metrics} == {"bets"}:
            draft.lexed.metrics.clear()  # "best at soccer bets": the best bettor, by profit
        draft.ranking = ranking = Ranking(
            bettors, word not in _LOW_WORDS, word in ("best", "worst"),
            draft.lexed.superlative_count or 1, None, True, f"{word} bettor")
    if ranking is None and draft.lexed.superlative:
        raise Refusal(f"'{draft.lexed.superlative}' of what? e.g. 'top 5 products by "
                      "revenue' or 'lowest CPA campaign'")
    if ranking is None:
        return None, breakdowns
    if ranking.dimension is not None:
        if ranking.judgement and "bettor" in ranking.dimension.options \
                and {m.candidates[0].name for m in draft.lexed.metrics} == {"bets"}:
            draft.lexed.metrics.clear()  # "who's the best at football bets": by profit
        return ranking.dimension, breakdowns
    if breakdowns:
        return breakdowns[0].word, breakdowns[1:]
    if bettors is not None:  # "top 5 by ROI this year"
        return bettors, breakdowns
    raise Refusal(f"'{ranking.words}' of what? e.g. 'top 5 products by revenue' or "
                  "'best day by orders'")


def _names_values_kind(dim: DimMention, entities: list[EntityMention]) -> bool:
    """ "safety stock for acme products", "outdoor items": a product word said right after a
    value names the value's products (a filter), not a breakdown; "by product" still is."""
    return not dim.explicit and dim.word.options == ("product",) and any(
        not e.exclude and 0 <= dim.position - (e.position + len(e.said)) <= 1 for e in entities)


_LOW_WORDS = ("bottom", "worst", "lowest", "smallest", "least", "fewest", "cheapest", "quietest")


def _bettors_ranked(draft: Draft) -> DimWord | None:
    """Bettors, when a ranking names no dimension but only betting metrics (in a guild)."""
    metrics, sources = in_context(draft.lexed.metrics), draft.index.sources
    if metrics and "betting" in sources and all(
            next((e.source for e in m.candidates if e.source in sources), None) == "betting"
            for m in metrics):  # "units" in a guild are its profit, not units sold
        return DIM_WORDS["bettors"]
    return None


def _ranking_around(lexed: Lexed, dimension: DimMention) -> Ranking:
    """ "lowest CPA campaign": the superlative and the dimension around a metric."""
    word = lexed.superlative or "top"
    descending = word not in _LOW_WORDS
    limit = lexed.superlative_count or (None if dimension.word.plural else 1)
    return Ranking(None, descending, word in ("best", "worst"), limit, None, False,
                   f"{word} {dimension.said}")


def implied_metrics(draft: Draft, ranked: DimWord | None) -> list[MetricMention]:
    """The metric when none is said: a ranking's hint or default, or a bettor's card."""
    sources = draft.index.sources
    if ranked is not None and draft.ranking is not None:
        hint = draft.ranking.metric_hint
        names = HINT_CANDIDATES.get(hint, (hint,)) if hint else rank_defaults(ranked, sources)
        entry = metric_for_dimension(ranked, names, sources)
        if entry is None and "bettor" in ranked.options:
            raise Refusal(f"'{draft.ranking.words}': {NO_DATA['betting']}")
        if entry is None:
            raise Refusal(f"rank {draft.ranking.words.split()[-1]} by what? e.g. "
                          f"'{draft.ranking.words} by ROAS' or '... by spend'")
        draft.extra.append(f"{entry.label}: the default metric for this ranking")
        return [MetricMention((entry,), entry.name, entry.label, False)]
    if draft.lexed.change in ("up", "down") and "betting" in sources:
        profit = BY_NAME["profit_units"]  # "how much is Fade Queen up": units won or lost
        return [MetricMention((profit,), profit.name, draft.lexed.change, False)]
    bettor = any(dim == "bettor" for e in draft.lexed.entities for dim, _ in e.options)
    guild_card = draft.lexed.card and sources == frozenset({"betting"}) \
        and _DID.search(draft.raw) is not None  # "how did we do" (not a bare "stats?")
    if bettor or guild_card or (draft.lexed.mine and draft.lexed.card and "betting" in sources):
        return [MetricMention((BY_NAME[name],), name, name, False) for name in LEADERBOARD]
    if counted := goods_counted(draft):
        return [counted]
    if sold := sales_of(draft):
        return [sold]
    raise Refusal("which number? Ask about a metric, e.g. revenue, orders, MRR, ROAS, "
                  "days of stock or ROI")


def sales_of(draft: Draft) -> MetricMention | None:
    """ "How did the high-top sneaker do last week", "how's the online store doing": a
    shop value's sales (revenue; of a product, its product revenue)."""
    named = any(dim in ("product", "category", "sales_channel") for e in draft.lexed.entities
                if not e.exclude for dim, _ in e.options)
    if not named or "shop" not in draft.index.sources:
        return None
    if not (draft.lexed.card or _DID.search(draft.raw)):
        return None
    draft.extra.append("revenue: the sales of what was named")
    return MetricMention((BY_NAME["revenue"],), "revenue", "sales", False)


def goods_counted(draft: Draft) -> MetricMention | None:
    """ "How many headlamps in the warehouse", "hammock count": the units on hand now;
    with a period ("how many trail runners last week") the units sold in it."""
    goods = any(dim in ("product", "category") for e in draft.lexed.entities if not e.exclude
                for dim, _ in e.options)
    entry = BY_NAME["units_sold" if draft.periods else "on_hand"]
    if not (draft.lexed.count and goods and entry.source in draft.index.sources):
        return None
    draft.extra.append(f"{entry.label}: how many of them {'sold' if draft.periods else 'in stock'}")
    return MetricMention((entry,), entry.name, entry.label, False)


def rank_defaults(word: DimWord, sources: frozenset[str]) -> tuple[str, ...]:
    """Defaults over the word's dimensions; none when an option without one has data."""
    names: list[str] = []
    for option in word.options:
        if option not in RANK_DEFAULTS and dimension_available(option, sources):
            return ()
        names += RANK_DEFAULTS.get(option, ())
    return tuple(names)
