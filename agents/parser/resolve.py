"""From mentions to catalog names: which metric a phrase means in this workspace, which
dimension a word means for those metrics, and which filters the entity values make.

Ambiguity is resolved in this order, and refused when it remains:

0. The question's other words (:data:`~agents.parser.senses.QUALIFIERS`,
   :data:`~agents.parser.senses.WEAK`): "how many bets are still open" is
   pending bets, "how many orders were cancelled" cancelled orders, "units on
   purchase orders" open PO units; "do we have" names stock only when nothing
   else is asked ("how many customers do we have" is customers).
1. Data the workspace has: a candidate whose source is missing is dropped
   ("customers" in a SaaS-only workspace is active_customers; "money" in a
   betting guild is profit). When none is left, the reply says which data is
   missing and points to what the workspace has, with a question that works there.
2. Fit with the question: a candidate that can be split or filtered the way
   the question asks wins ("units for Sharpie" is profit_units, "conversions by
   source" web_conversions).
3. The other metrics of the question ("revenue and customers": shop customers).
4. The lexicon's order (shop first), documented in :mod:`agents.parser.lexicon`.

"revenue" asked per product or category becomes product_revenue: order totals
cannot be split by product, and product_revenue is revenue per product.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from agents.parser.dimensions import DimWord
from agents.parser.lexer import EntityMention, MetricMention
from agents.parser.lexicon import BY_NAME, METRICS, NO_DATA, MetricEntry
from agents.parser.senses import in_context, pointer
from agents.parser.types import Refusal
from storage.catalog.model import Filter

_PRODUCT_DIMS = frozenset({"product", "category"})


def available(entry: MetricEntry, sources: frozenset[str]) -> bool:
    """The workspace has the data ``entry`` needs."""
    return entry.source in sources and entry.needs <= sources


def dimension_available(dimension: str, sources: frozenset[str]) -> bool:
    """Some metric the workspace can answer splits by ``dimension``."""
    return any(available(e, sources) and dimension in e.dimensions for e in METRICS)


def choose_metrics(mentions: Sequence[MetricMention], sources: frozenset[str],
                   wanted: Sequence[frozenset[str]]) -> list[MetricEntry]:
    """One metric per mention, aligned with ``mentions`` (see the module docstring).

    Args:
        mentions: metric phrases in the order said.
        sources: the finer data sources the workspace has.
        wanted: for each breakdown, ranked dimension or filter, the dimensions it may be.

    Raises:
        Refusal: when a phrase only names metrics of data the workspace lacks.
    """
    pools = [_pool(mention, sources, wanted) for mention in in_context(mentions)]
    settled = {pool[0].source for pool in pools if len(pool) == 1}
    return [max(pool, key=lambda e: (_fits(e, wanted), e.source in settled, -pool.index(e)))
            for pool in pools]


def _pool(mention: MetricMention, sources: frozenset[str],
          wanted: Sequence[frozenset[str]]) -> list[MetricEntry]:
    per_product = any(w <= _PRODUCT_DIMS for w in wanted)
    pool = [BY_NAME["product_revenue"] if per_product and e.name == "revenue" else e
            for e in mention.candidates]
    found = [e for e in pool if available(e, sources)]
    if found:
        return found
    first = pool[0]
    missing = (first.needs | {first.source}) - sources
    reason = NO_DATA[sorted(missing)[0]]
    raise Refusal(f"'{mention.said}': {reason}; {pointer(mention.phrase, sources)}")


def _fits(entry: MetricEntry, wanted: Iterable[frozenset[str]]) -> bool:
    return all(entry.dimensions & options for options in wanted)


def metric_for_dimension(dimension_word: DimWord, names: Sequence[str],
                         sources: frozenset[str]) -> MetricEntry | None:
    """The first of ``names`` the workspace can answer and split by the word's dimension.

    Raises:
        Refusal: when nothing the workspace has splits that way ("which sport earned the
            most" in a shop): the data it would take is missing, and what the workspace has.
    """
    for name in names:
        entry = BY_NAME[name]
        if available(entry, sources) and entry.dimensions & set(dimension_word.options):
            return entry
    options = dimension_word.options
    if not any(dimension_available(option, sources) for option in options):
        owner = next((e for e in METRICS if set(options) & e.dimensions), None)
        if owner is not None and owner.source not in sources:
            said = options[0].replace("_", " ")
            raise Refusal(f"'{said}': {NO_DATA[owner.source]}; {pointer('', sources)}")
    return None


def dimension_for(word: DimWord, said: str, metrics: Sequence[MetricEntry]) -> str:
    """The catalog dimension ``word`` means for ``metrics`` ("channel" -> sales_channel).

    Raises:
        Refusal: when no metric of the question can be split that way.
    """
    for option in word.options:
        if all(option in m.dimensions for m in metrics):
            return option
    labels = _labels(m for m in metrics if not set(word.options) & m.dimensions)
    raise Refusal(f"{labels} can't be broken down by {said}")


def filters_for(entities: Sequence[EntityMention],
                metrics: Sequence[MetricEntry]) -> list[Filter]:
    """Filters from entity values, one per dimension and inclusion, in the order said.

    Raises:
        Refusal: when a value belongs to no dimension the metrics can be filtered by.
    """
    grouped: dict[tuple[str, bool], list[str]] = {}
    for entity in entities:
        option = next(((d, v) for d, v in entity.options
                       if all(d in m.dimensions for m in metrics)), None)
        if option is None and entity.soft:  # "visits to the website": a word, not a filter
            continue
        if option is None:
            dimension = entity.options[0][0]
            raise Refusal(f"{_labels(metrics)} can't be filtered by {dimension} "
                          f"('{entity.said}' is a {dimension.replace('_', ' ')})")
        values = grouped.setdefault((option[0], entity.exclude), [])
        members = [v for d, v in entity.options if d == option[0]] if entity.group else [option[1]]
        values += [v for v in members if v not in values]  # "europe": all its countries
    return [Filter(dim, tuple(values), exclude) for (dim, exclude), values in grouped.items()]


def _labels(metrics: Iterable[MetricEntry]) -> str:
    return ", ".join(m.label for m in metrics) or "that"
