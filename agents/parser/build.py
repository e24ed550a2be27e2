"""Assembles the catalog :class:`Query` from everything the stages found.

Decisions documented here: with no metric said, a ranking uses its dimension's
default (:data:`~agents.parser.dimensions.RANK_DEFAULTS`) or asks; a bettor named
alone ("how's Sharpie doing") gets the leaderboard's columns for that bettor;
"trend"/"over time" adds a day breakdown (a month breakdown for periods longer
than a quarter); "up"/"down" next to profit_units describe the profit ("units
up"), not a comparison.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agents.parser.build_periods import draft_period
from agents.parser.build_rankings import (
    implied_metrics,
    ranked_dimension,
)
from agents.parser.dimensions import GRAINS, DimWord
from agents.parser.draft import DEFAULT_MIN_BETS, LEADERBOARD, REORDER, STOCK_ALERT, Draft
from agents.parser.guild import board_period, wants_per_bettor
from agents.parser.intents import StockAsk
from agents.parser.lexer import DimMention, Lexed, MetricMention
from agents.parser.lexicon import BY_NAME, NO_DATA, MetricEntry
from agents.parser.resolve import (
    choose_metrics,
    dimension_for,
    filters_for,
)
from agents.parser.senses import in_context
from agents.parser.types import Parsed, Refusal
from agents.parser.units import at_an_instant, own_units, refuse_ambiguous
from agents.parser.unknown import explain_unknown, ignorable
from agents.parser.values import prefer_sources, values_for
from storage.catalog.model import ACTIVE_PRODUCTS, Filter, Order, Query
from storage.catalog.periods import Period


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
    period, compare = draft_period(draft)
    _bets_doing(draft)
    ranked, breakdowns = ranked_dimension(draft)
    mentions = _staked_amount(draft, _net_of_exclusions(draft) or implied_metrics(draft, ranked))
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
