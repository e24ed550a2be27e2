"""Assembles the catalog :class:`Query` from everything the stages found.

Decisions documented here: with no metric said, a ranking uses its dimension's
default (:data:`~agents.parser.dimensions.RANK_DEFAULTS`) or asks; a bettor named
alone ("how's Sharpie doing") gets the leaderboard's columns for that bettor;
"trend"/"over time" adds a day breakdown (a month breakdown for periods longer
than a quarter); "up"/"down" next to profit_units describe the profit ("units
up"), not a comparison.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field, replace
from typing import cast

from agents.parser.compare import CompareHit
from agents.parser.dimensions import DIM_WORDS, GRAINS, RANK_DEFAULTS, DimWord
from agents.parser.guild import Everyone, board_period, wants_per_bettor
from agents.parser.intents import StockAsk
from agents.parser.lexer import DimMention, EntityMention, Lexed, MetricMention
from agents.parser.lexicon import BY_NAME, NO_DATA, MetricEntry
from agents.parser.periods import PeriodHit, resolve
from agents.parser.rankings import Ranking
from agents.parser.resolve import (
    choose_metrics,
    dimension_available,
    dimension_for,
    filters_for,
    metric_for_dimension,
)
from agents.parser.senses import in_context
from agents.parser.types import Parsed, Refusal, Vocabulary
from agents.parser.units import at_an_instant, own_units, refuse_ambiguous
from agents.parser.unknown import explain_unknown, ignorable
from agents.parser.values import prefer_sources, values_for
from agents.parser.vocab_index import VocabIndex
from storage.catalog.comparisons import comparison_period
from storage.catalog.model import ACTIVE_PRODUCTS, Compare, Filter, Order, Query
from storage.catalog.periods import AsOf, Period, outside_calendar
from storage.errors import PeriodError

LEADERBOARD = ("profit_units", "roi", "record", "bets")
STOCK_ALERT = ("days_of_stock", "on_hand", "avg_daily_units")
REORDER = ("on_hand", "reorder_point", "days_of_stock", "open_po_units")
DEFAULT_MIN_BETS = 5
_HINT_CANDIDATES = {
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


def build(draft: Draft) -> Parsed:
    """The :class:`Parsed` answer for ``draft``; unknown filler is read past (see
    :func:`~agents.parser.unknown.ignorable`) only when the rest makes a whole question.

    Raises:
        Refusal: for anything not understood or not answerable with this workspace's data.
    """
    try:
        parsed = _build(draft)
    except Refusal as refusal:
        if draft.read_past and not refusal.readings:  # read past, no question: the word is why
            raise Refusal(explain_unknown(draft.lexed, draft.index)) from None
        raise
    return replace(parsed, assumed=(*draft.lexed.corrections, *draft.assumed))


def _build(draft: Draft) -> Parsed:
    lexed = draft.lexed
    _refuse_unanswerable(draft)
    draft.extra += lexed.corrections
    if draft.stock:
        return _stock_list(draft, draft.stock)
    period, compare = _period(draft)
    _bets_doing(draft)
    ranked, breakdowns = _ranked_dimension(draft)
    mentions = _staked_amount(draft, _net_of_exclusions(draft) or _implied_metrics(draft, ranked))
    mentions = at_an_instant(mentions, [hit.words for hit in draft.periods])
    mentions = prefer_sources(mentions, draft.lexed.entities, draft.vocabulary)
    refuse_ambiguous(mentions, draft.index.sources)
    chosen = choose_metrics(mentions, draft.index.sources, _wanted(draft, ranked, breakdowns))
    metrics = list(dict.fromkeys(chosen))
    leaderboard = _leaderboard(draft, ranked, mentions, chosen)
    if leaderboard:
        metrics = list(dict.fromkeys([*(BY_NAME[n] for n in LEADERBOARD), *metrics]))
        period, breakdowns = _board_period(draft, period, breakdowns)
    breakdowns = own_units(breakdowns, metrics, bool(draft.periods), draft.raw, draft.assumed)
    dims = _dimensions(draft, ranked, breakdowns, metrics, period)
    _refuse_running_total(draft.raw, dims)
    filters = _filters(draft, metrics, leaderboard)
    if not leaderboard:
        _everyone(draft, metrics, dims, filters)
    side = _values_compared(lexed, filters)
    if (lexed.versus or side) and compare is None:  # "meta ROAS vs google ROAS": side by side
        _side_by_side(draft, filters, dims)
    elif any(f.dimension == "bettor" and len(f.values) > 1 and not f.exclude for f in filters) \
            and "bettor" not in dims:  # "Rita and Chalk Eater roi": each bettor's, never pooled
        dims.append("bettor")
        draft.extra.append("side by side: each bettor named")
    _losing_ranks_lowest(draft, mentions)
    order, limit = _order(draft, mentions, chosen)
    if compare is None and lexed.change and not side \
            and not _profit_direction(lexed.change, metrics):
        compare = "previous"
        draft.extra.append(f"compare: previous period ('{lexed.change}')")
    min_count = draft.min_bets or (DEFAULT_MIN_BETS if leaderboard or _rated_bettors(
        ranked, order) else None)
    query = Query(tuple(m.name for m in metrics), period, tuple(dims), tuple(filters), order,
                  limit, compare, min_count)
    return Parsed(query, "leaderboard" if leaderboard else "metric",
                  _describe(draft, query, leaderboard))


def _leaderboard(draft: Draft, ranked: DimWord | None, mentions: list[MetricMention],
                 chosen: list[MetricEntry]) -> bool:
    """Bettors ranked by profit, or "leaderboard" said: the spec's leaderboard. Bettors
    ranked by another metric ("who has the highest win rate") are that metric's ranking."""
    if ranked is None or "bettor" not in ranked.options or draft.ranking is None:
        return False
    if draft.ranking.board:
        return True
    by = next((entry for m, entry in zip(mentions, chosen, strict=True) if m.after_by),
              chosen[0] if chosen else None)
    return by is None or by.name == "profit_units"


_RATES = frozenset({"roi", "win_rate", "avg_odds", "clv"})


def _rated_bettors(ranked: DimWord | None, order: Order | None) -> bool:
    """Bettors ranked by a rate keep the leaderboard's minimum of settled bets: one lucky
    bet is not the best win rate."""
    return ranked is not None and "bettor" in ranked.options and order is not None \
        and order.by in _RATES


def _board_period(draft: Draft, period: Period | None,
                  breakdowns: list[DimMention]) -> tuple[Period | None, list[DimMention]]:
    """ "weekly leaderboard": this week's board (see :func:`~agents.parser.guild.board_period`)."""
    period, breakdowns, note = board_period(breakdowns, period, draft.as_of)
    if note:
        draft.extra.append(note)
    return period, breakdowns


def _everyone(draft: Draft, metrics: list[MetricEntry], dims: list[str],
              filters: list[Filter]) -> None:
    """Outside the leaderboard, "everyone" is no minimum of bets but the guild's total, and
    "every bettor" (or a streak, which only a bettor has) a row per bettor."""
    if draft.everyone is not None and draft.min_bets == 1:
        draft.min_bets = None
    names = [m.name for m in metrics]
    if wants_per_bettor(draft.everyone, names) and "bettor" not in dims \
            and all(m.source == "betting" for m in metrics) \
            and not any(f.dimension == "bettor" and not f.exclude for f in filters):
        dims.append("bettor")
        draft.extra.append("one row per bettor")


_RUNNING = re.compile(r"(?<![a-z])(?:running|cumulative) totals?(?: (?:of|on|for))?(?![a-z])",
                      re.IGNORECASE)
_PER_GRAIN = re.compile(r"(?<![a-z])(?:(?:by|per|each) (?:day|week|month)|daily|weekly|monthly"
                        r"|over time|trend)(?![a-z])", re.IGNORECASE)


def _refuse_running_total(raw: str, dims: list[str]) -> None:
    """A running total over days, weeks or months is a different number in every row than
    the per-day values, so it is refused with both readings that exist (the period's
    total, or the values per day); said without a breakdown it is the period's total."""
    running = _RUNNING.search(raw)
    if running is None or not set(dims) & set(GRAINS):
        return
    grain = _PER_GRAIN.search(raw)
    readings = ((running.group(), ""),) + (((grain.group(), ""),) if grain else ())
    raise Refusal("a running total per day, week or month is not something I add up; I can "
                  "give each day's value or the period's total", readings)


def _refuse_unanswerable(draft: Draft) -> None:
    """Notes what was heard, then refuses a question found unanswerable while reading it.

    Raises:
        Refusal: a deferred refusal, a word that is not a metric, or unknown words.
    """
    lexed = draft.lexed
    draft.notes[:] = _heard(draft)
    if draft.deferred:
        raise Refusal(draft.deferred)
    if lexed.not_metric:
        raise Refusal(lexed.not_metric)
    if lexed.unknown and not ignorable(lexed, draft.index, draft.raw):
        raise Refusal(explain_unknown(lexed, draft.index))
    draft.assumed += [f"ignored '{u.said}'" for u in lexed.unknown]
    draft.read_past = bool(lexed.unknown)


def _values_compared(lexed: Lexed, filters: list[Filter]) -> bool:
    """ "compare Sharpie and Hedgehog": the values side by side, not each against its
    previous period."""
    return lexed.change in ("compare", "compared") and any(
        len(f.values) > 1 and not f.exclude for f in filters)


def _side_by_side(draft: Draft, filters: list[Filter], dims: list[str]) -> None:
    """Adds each multi-valued filter's dimension to ``dims`` so its values show side by side."""
    for flt in filters:
        if len(flt.values) > 1 and not flt.exclude and flt.dimension not in dims:
            dims.append(flt.dimension)
            draft.extra.append(f"side by side: {' vs '.join(flt.values)}")
    # "the warehouse vs the store" with only those two: every location, so a plain breakdown
    filters[:] = [f for f in filters if f.exclude or len(f.values) < 2 or f.dimension not in dims
                  or not set(draft.vocabulary.values.get(f.dimension, ())) <= set(f.values)]


def _wanted(draft: Draft, ranked: DimWord | None,
            breakdowns: list[DimMention]) -> list[frozenset[str]]:
    """The dimensions each breakdown, ranking and filter may be: metrics must fit them."""
    wanted = [frozenset(m.word.options) for m in breakdowns]
    wanted += [frozenset(dim for dim, _ in e.options) for e in draft.lexed.entities]
    return wanted + ([frozenset(ranked.options)] if ranked else [])


def _heard(draft: Draft) -> list[str]:
    """Notes from the raw findings, before resolution (what a refusal reports)."""
    notes = [f"metric: {m.candidates[0].label}" + (
        "" if m.said.lower() == m.candidates[0].label else f" ('{m.said}')")
        for m in draft.lexed.metrics]
    notes += [f"period: {hit.period.describe()}" for hit in draft.periods]
    if draft.compare:
        notes.append(f"compare: {draft.compare.words}")
    if draft.ranking:
        notes.append(f"ranking: {draft.ranking.words}")
    notes += [f"by: {m.said}" for m in draft.lexed.dims]
    notes += [f"{'excluding' if e.exclude else 'filter'}: {e.said}" for e in draft.lexed.entities]
    return notes


def _period(draft: Draft) -> tuple[Period | None, Compare | None]:
    if len({hit.phrase for hit in draft.periods}) > 1:
        return _two_periods(draft)
    period = draft.periods[0].period if draft.periods else None
    hit = draft.compare
    if hit is None:
        return period, None
    if period is None and hit.implied:
        period = resolve(hit.implied, draft.as_of)
        draft.extra.append(f"period: {period.describe()} (implied by '{hit.words}')")
        draft.periods.clear()
    elif period is not None and hit.unit and not _same_unit(period, hit.unit):
        raise Refusal(f"'{hit.words}' does not match {period.describe()}; I compare with the "
                      "previous period of the same kind ('vs previous period') or the same "
                      "dates last year ('vs last year')")
    draft.extra.append(f"compare: {_COMPARE_WORDS[hit.kind]}")
    if period is not None and hit.kind not in dict(_earlier_candidates(period)):
        raise Refusal(f"'{hit.words}': {outside_calendar('the period to compare with')}")
    return period, hit.kind


_COMPARE_WORDS = {"previous": "previous period", "year": "same dates last year",
                  "week": "same day last week"}


def _two_periods(draft: Draft) -> tuple[Period, Compare]:
    """ "Q3 2025 vs Q3 2024", "october vs september": the later period, compared with the
    earlier one when it is the previous period or the same dates a year before."""
    if len(draft.periods) == 2 and draft.compare is None:
        earlier, later = sorted((hit.period for hit in draft.periods), key=lambda p: p.start)
        for kind, candidate in _earlier_candidates(later):
            if (candidate.start, candidate.end) == (earlier.start, earlier.end):
                draft.extra.append(f"compare: {_COMPARE_WORDS[kind]}")
                draft.periods[:] = [h for h in draft.periods if h.period is later]
                return later, cast(Compare, kind)
    said = " and ".join(f"'{hit.words}'" for hit in draft.periods[:2])
    raise Refusal(f"two periods ({said}); I can compare a period with the one before it or "
                  "with the same dates a year earlier ('vs previous period', 'vs last year')",
                  tuple((hit.words, "") for hit in reversed(draft.periods[:2])))  # each alone


def _earlier_candidates(later: Period) -> list[tuple[str, Period]]:
    """The previous period and the same dates a year before, where the calendar has them."""
    found = []
    for kind, shift in (("previous", later.previous), ("year", later.year_ago)):
        with contextlib.suppress(PeriodError):  # before the first day Tally answers for
            found.append((kind, shift()))
    if later.days == 1:  # "today vs last wednesday": the same day a week earlier
        with contextlib.suppress(PeriodError):
            found.append(("week", comparison_period(later, "week")))
    return found


def _same_unit(period: Period, unit: str) -> bool:
    """ "this month vs last month" matches; "this month vs last week" does not.

    A rolling or explicit range ("last 30 days") has a clear previous period of
    the same length, so any unit is accepted there.
    """
    if period.kind in ("days", "range"):
        return True
    base = {"mtd": "month", "wtd": "week", "qtd": "quarter", "ytd": "year"}
    return base.get(period.kind, period.kind).rstrip("s") == unit.rstrip("s")


def _net_of_exclusions(draft: Draft) -> list[MetricMention]:
    """ "revenue excluding refunds" is net revenue; other metric exclusions are refused."""
    mentions = draft.lexed.metrics
    excluded = [m for m in mentions if m.excluded]
    if not excluded:
        return mentions
    revenue = next((m for m in mentions if m.candidates[0].name == "revenue"), None)
    if revenue is None or {m.candidates[0].name for m in excluded} != {"refunds"}:
        raise Refusal(f"I can't leave '{excluded[0].said}' out of another number; ask for "
                      "each metric on its own")
    draft.extra.append("net revenue: revenue excluding refunds")
    net = MetricMention((BY_NAME["net_revenue"],), "net revenue", revenue.said, False)
    return [net if m is revenue else m for m in mentions if not m.excluded]


_LOSS_WORDS = frozenset({"lose", "losing", "losses", "lost"})


def _losing_ranks_lowest(draft: Draft, mentions: list[MetricMention]) -> None:
    """ "Which league am I losing the most in": the most lost is the lowest profit (see
    :func:`_order`)."""
    read = in_context(mentions)  # "lost the most mrr to churn" is churned MRR: the most
    if draft.ranking is not None and any(
            m.phrase in _LOSS_WORDS and r.candidates[0].name == "profit_units"
            for m, r in zip(mentions, read, strict=True)):
        draft.ranking = replace(draft.ranking, losing=True)


_BET_NOUNS = frozenset({"bets", "bet", "picks", "plays", "wagers"})


def _bets_doing(draft: Draft) -> None:
    """ "How are my bets doing": how they went (the bettor's card), not how many there are."""
    lexed = draft.lexed
    if lexed.card and lexed.metrics and all(m.phrase in _BET_NOUNS for m in lexed.metrics) \
            and (lexed.mine or any(d == "bettor" for e in lexed.entities for d, _ in e.options)):
        lexed.metrics.clear()


_BET_VERBS = frozenset({"bet", "wager", "wagered"})


def _staked_amount(draft: Draft, mentions: list[MetricMention]) -> list[MetricMention]:
    """ "How much did I bet/wager": an amount of bets is the units staked, not their count."""
    if not draft.lexed.amount:
        return mentions
    staked = (BY_NAME["staked_units"],)
    return [replace(m, candidates=staked) if m.phrase in _BET_VERBS else m for m in mentions]


def _ranked_dimension(draft: Draft) -> tuple[DimWord | None, list[DimMention]]:
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


def _implied_metrics(draft: Draft, ranked: DimWord | None) -> list[MetricMention]:
    """The metric when none is said: a ranking's hint or default, or a bettor's card."""
    sources = draft.index.sources
    if ranked is not None and draft.ranking is not None:
        hint = draft.ranking.metric_hint
        names = _HINT_CANDIDATES.get(hint, (hint,)) if hint else _rank_defaults(ranked, sources)
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
    if counted := _goods_counted(draft):
        return [counted]
    if sold := _sales_of(draft):
        return [sold]
    raise Refusal("which number? Ask about a metric, e.g. revenue, orders, MRR, ROAS, "
                  "days of stock or ROI")


def _sales_of(draft: Draft) -> MetricMention | None:
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


def _goods_counted(draft: Draft) -> MetricMention | None:
    """ "How many headlamps in the warehouse", "hammock count": the units on hand now;
    with a period ("how many trail runners last week") the units sold in it."""
    goods = any(dim in ("product", "category") for e in draft.lexed.entities if not e.exclude
                for dim, _ in e.options)
    entry = BY_NAME["units_sold" if draft.periods else "on_hand"]
    if not (draft.lexed.count and goods and entry.source in draft.index.sources):
        return None
    draft.extra.append(f"{entry.label}: how many of them {'sold' if draft.periods else 'in stock'}")
    return MetricMention((entry,), entry.name, entry.label, False)


def _rank_defaults(word: DimWord, sources: frozenset[str]) -> tuple[str, ...]:
    """Defaults over the word's dimensions; none when an option without one has data."""
    names: list[str] = []
    for option in word.options:
        if option not in RANK_DEFAULTS and dimension_available(option, sources):
            return ()
        names += RANK_DEFAULTS.get(option, ())
    return tuple(names)


def _dimensions(draft: Draft, ranked: DimWord | None, breakdowns: list[DimMention],
                metrics: list[MetricEntry], period: Period | None) -> list[str]:
    dims = [dimension_for(ranked, draft.ranking.words if draft.ranking else "", metrics)] \
        if ranked else []
    dims += [dimension_for(m.word, m.said, metrics) for m in breakdowns]
    if draft.lexed.trend and not set(dims) & set(GRAINS):
        dims.append("month" if period is not None and period.days > 92 else "day")
    return list(dict.fromkeys(dims))


def _filters(draft: Draft, metrics: list[MetricEntry], leaderboard: bool) -> list[Filter]:
    entities = values_for(draft.lexed.entities, metrics, draft.vocabulary, draft.assumed)
    filters = filters_for(entities, metrics)
    betting = all(m.source == "betting" for m in metrics)
    if draft.lexed.mine and betting and not leaderboard \
            and not any(f.dimension == "bettor" for f in filters):
        filters.append(Filter("bettor", (_asker(draft),)))
    elif draft.lexed.mine and draft.lexed.versus and betting and not leaderboard:
        _with_asker(draft, filters)  # "Hedgehog's roi vs mine": both, side by side
    return filters


def _with_asker(draft: Draft, filters: list[Filter]) -> None:
    for i, flt in enumerate(filters):
        asker = _asker(draft)
        if flt.dimension == "bettor" and not flt.exclude and asker not in flt.values:
            filters[i] = Filter("bettor", (*flt.values, asker))


def _asker(draft: Draft) -> str:
    """The asker's stored bettor name, for "my ROI"."""
    if not draft.user_name:
        raise Refusal("I don't know who 'my' is here; ask with a name, e.g. \"Sharpie's ROI\"")
    wanted = draft.user_name.casefold()
    for name in draft.vocabulary.values.get("bettor", ()):
        if name.casefold() == wanted:
            return name
    raise Refusal(f"there are no bets recorded for {draft.user_name} in this workspace")


def _order(draft: Draft, mentions: list[MetricMention],
           chosen: list[MetricEntry]) -> tuple[Order | None, int | None]:
    ranking = draft.ranking
    if ranking is None:
        return None, None
    by = next((entry for m, entry in zip(mentions, chosen, strict=True) if m.after_by), None)
    target = by or chosen[0]
    if target.name in _TEXT_METRICS:  # "12-7-1" and "W3" sort as text, not as a standing
        said = next(m.said for m, entry in zip(mentions, chosen, strict=True) if entry is target)
        raise Refusal(f"I can't rank by {target.label} ('{said}'); try 'who has the highest "
                      "win rate' or 'top bettors by profit'", ((said, "win rate"),))
    descending = ranking.descending
    if ranking.losing and target.name == "profit_units":  # "who lost the most": lowest first
        descending = not descending
    if ranking.judgement and target.lower_is_better:
        descending = not descending
    return Order(target.name, descending), ranking.limit


_TEXT_METRICS = frozenset({"record", "streak"})
_DID = re.compile(r"(?<![a-z])(?:do|did|doing|done)(?![a-z])", re.IGNORECASE)


def _profit_direction(word: str, metrics: list[MetricEntry]) -> bool:
    return word in ("up", "down") and [m.name for m in metrics] == ["profit_units"]


def _stock_list(draft: Draft, ask: StockAsk) -> Parsed:
    """ "What runs out in 14 days" / "what should I reorder": products, lowest cover first."""
    if "ops" not in draft.index.sources:
        raise Refusal(NO_DATA["ops"])
    entity_dims = {dim for e in draft.lexed.entities for dim, _ in e.options}
    anchor = [BY_NAME["days_of_stock"]]
    dims = ["product"] + [dimension_for(m.word, m.said, anchor) for m in draft.lexed.dims
                          if m.explicit or not set(m.word.options) & entity_dims]
    # part of a name ("how long will our sneaker stock last") is matched as in a metric
    # question: several names that hold it are a choice, never the first of them
    filters = filters_for(values_for(draft.lexed.entities, anchor, draft.vocabulary,
                                     draft.assumed), anchor)
    metrics: tuple[str, ...]
    order: Order | None
    if ask.cover:
        metrics, order = STOCK_ALERT, Order("days_of_stock", descending=False)
        draft.extra.insert(0, "days of stock: how long stock lasts at the recent daily demand")
    elif ask.days is not None:
        metrics, order = STOCK_ALERT, Order("days_of_stock", descending=False)
        filters.insert(0, Filter("days_of_stock_below", (str(ask.days),)))
        draft.extra.insert(0, f"list: products running out within {ask.days} days")
    else:
        metrics, order = REORDER, Order("days_of_stock", descending=False)
        filters.insert(0, Filter("stockout_risk", ("true",)))
        draft.extra.insert(0, "list: products at or below their reorder point")
    filters.append(ACTIVE_PRODUCTS)  # a discontinued product is never suggested for reordering
    query = Query(metrics, None, tuple(dict.fromkeys(dims)), tuple(filters), order)
    return Parsed(query, "stock_alert_list", _describe(draft, query, False))


def _describe(draft: Draft, query: Query, leaderboard: bool) -> tuple[str, ...]:
    """Notes for the reply: what was understood, in the asker's terms."""
    notes = [("leaderboard" if leaderboard else
              f"metric{'s' if len(query.metrics) > 1 else ''}: "
              + ", ".join(m.replace("_", " ") for m in query.metrics))]
    if query.period is not None and draft.periods:
        notes.append(f"period: {query.period.describe()}")
    notes += [f"by: {dim.replace('_', ' ')}" for dim in query.dimensions]
    for f in query.filters:
        notes.append(f"{'excluding' if f.exclude else 'filter'}: {f.dimension} = "
                     + ", ".join(f.values))
    if query.order is not None:
        way = "highest" if query.order.descending else "lowest"
        notes.append(f"order: {query.order.by.replace('_', ' ')}, {way} first")
    if query.limit is not None:
        notes.append(f"limit: {query.limit}")
    if query.min_count is not None:
        notes.append(f"at least {query.min_count} settled bets")
    return (*notes, *draft.extra)
