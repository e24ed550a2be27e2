"""Entity values matched among the values the asked metrics' own data has.

Sources name things differently: the ad platforms' campaign "Meta — Retargeting" is
the web analytics' utm campaign "retargeting", and both sit in one vocabulary. Once
the metrics are chosen, each value said is checked against the values of the
metrics' sources (:attr:`~agents.parser.types.Vocabulary.by_source`):

1. A value typed whole that the metrics' data has stands as typed ("google organic").
2. Part of a name ("pmax", "brand search"), a value of another source's data ("spend
   on retargeting" names a web campaign, but ad spend has only ad campaigns) or a
   value the metrics cannot be filtered by ("tiktok mx prospecting": "mx" is a
   country) is looked up by its words among the metrics' own values, together with
   the values said right beside it ("tiktok mx prospecting" is one campaign):
   - one value holds every word: it is used, and the reply restates the reading;
   - several do: one holding no word beyond another's wins ("brand search" is
     "Google — Search Brand", not "Google — Search Non-Brand"); otherwise the asker
     picks among them (a refusal with readings), never a guess;
   - none does: the value stands as typed (a country without orders has revenue 0);
     a misspelling must be one word by word ("running shoes" is not Running Sock 3-Pack).
3. Said before their plural label ("the EUR plans", "prospecting campaigns"), the names
   holding the words filter together.

Before the metrics are chosen, a campaign typed whole picks the source among a word's
metrics (:func:`prefer_sources`: "conversions the prospecting_us campaign drove" are the
web analytics' conversions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rapidfuzz.distance import OSA

from agents.parser.lexer import EntityMention, MetricMention
from agents.parser.lexicon import MetricEntry
from agents.parser.text import fold
from agents.parser.types import Refusal, Vocabulary
from agents.parser.vocab_index import WORD_SYNONYMS, Option

# Dimensions whose values each source names its own way (an ad platform's campaign name,
# a utm tag), so a value typed whole says which source is meant.
OWN_NAMES = frozenset({"campaign"})
_MAX_GAP = 3  # characters between two values said "right beside" each other ("tiktok, mx")


@dataclass
class _Found:
    """A value group resolved: the entities it replaces and the values it names."""

    first: int
    last: int
    options: list[Option]
    together: bool = False  # "the EUR plans": every value named filters, none is picked


def values_for(entities: Sequence[EntityMention], metrics: Sequence[MetricEntry],
               vocabulary: Vocabulary, assumed: list[str]) -> list[EntityMention]:
    """``entities`` with each value matched in the metrics' data (see the module docstring).

    Args:
        entities: the values said, in order.
        metrics: the chosen metrics.
        vocabulary: the workspace's values, per source where they differ.
        assumed: receives a note for each value read as another name.

    Raises:
        Refusal: when part of a name fits several values; its readings are the values.
    """
    out: list[tuple[int, EntityMention]] = []  # (first entity it stands for, mention)
    floor = i = 0  # entities before ``floor`` are in a group already
    while i < len(entities):
        found = _resolve(entities, i, floor, metrics, vocabulary)
        if found is None:
            out.append((i, _narrowed(entities[i], metrics, vocabulary)))
            i += 1
            continue
        out = [(j, e) for j, e in out if j < found.first]  # neighbours now in the group
        out.append((found.first, _mention(entities, found, assumed)))
        floor = i = found.last + 1
    return [mention for _, mention in out]


def _resolve(entities: Sequence[EntityMention], i: int, floor: int,
             metrics: Sequence[MetricEntry], vocabulary: Vocabulary) -> _Found | None:
    """The values ``entities[i]`` (with its neighbours) names, when it needs looking up."""
    entity = entities[i]
    if not entity.loose and _fitting(entity, metrics, vocabulary):
        return None
    dims = _common_dims(metrics)
    for first, last in _groups(entities, i, floor):
        words = [w for e in entities[first:last + 1] for w in _words(e.said)]
        own = dims if entity.loose or last > first else \
            [d for d in dims if any(d == dim for dim, _ in entity.options)]
        options = _holding(words, own, metrics, vocabulary, whole=not entity.group)
        if options:
            return _Found(first, last, options, entity.group)
    if entity.loose and len({value for _, value in entity.options}) > 1:
        return _Found(i, i, list(entity.options), entity.group)
    if entity.loose:
        _refuse_other_name(entity)
    return None


def _refuse_other_name(entity: EntityMention) -> None:
    """A value read from a misspelling must be a misspelling of it, word by word: "running
    shoes" is not "Running Sock 3-Pack" (the rest of the name differs, not by a typo).

    Raises:
        Refusal: with the value as the reading to offer.
    """
    dim, value = entity.options[0]
    held = _words(value)
    for word in _words(entity.said):
        most = 0 if len(word) < 4 else 1 if len(word) < 6 else 2
        if not any(OSA.distance(word, other) <= most for other in held):
            raise Refusal(f"'{entity.said}' is not a {dim.replace('_', ' ')} in your data; "
                          f"did you mean {value}?", ((entity.said, value),))


def _mention(entities: Sequence[EntityMention], found: _Found,
             assumed: list[str]) -> EntityMention:
    group = entities[found.first:found.last + 1]
    said = " ".join(e.said for e in group)
    values = sorted({value for _, value in found.options})
    if len(values) > 1 and found.together:
        assumed.append(f"read '{said}' as {', '.join(values)}")
        return EntityMention(tuple(found.options), said, group[0].position, group[0].exclude,
                             group=True)
    if len(values) > 1:
        readings = [" and ".join(values)] if len(values) == 2 else []
        readings += values
        raise Refusal(f"'{said}' matches several names: {', '.join(values[:5])}; which one?",
                      tuple((said, reading) for reading in readings[:3]))
    dim, value = found.options[0]
    if fold(value) != fold(said):
        assumed.append(f"read '{said}' as {dim.replace('_', ' ')} {value}")
    return EntityMention((found.options[0],), said, group[0].position, group[0].exclude)


def _narrowed(entity: EntityMention, metrics: Sequence[MetricEntry],
              vocabulary: Vocabulary) -> EntityMention:
    """The entity with the options the metrics' data has first (all kept: a refusal
    still says what the value is when none fits)."""
    fitting = _fitting(entity, metrics, vocabulary)
    if entity.group:  # "europe": every option filters together, in the order stored
        return entity
    rest = [o for o in entity.options if o not in fitting]
    return replace(entity, options=(*fitting, *rest))


def _fitting(entity: EntityMention, metrics: Sequence[MetricEntry],
             vocabulary: Vocabulary) -> list[Option]:
    return [(dim, value) for dim, value in entity.options
            if all(dim in m.dimensions and value in _allowed(m, dim, vocabulary)
                   for m in metrics)]


def _groups(entities: Sequence[EntityMention], i: int, floor: int) -> list[tuple[int, int]]:
    """Runs of values said right beside ``entities[i]``, widest first, then it alone."""
    first = last = i
    while first > floor and _beside(entities[first - 1], entities[first]):
        first -= 1
    while last + 1 < len(entities) and _beside(entities[last], entities[last + 1]):
        last += 1
    runs = [(a, b) for a in range(first, i + 1) for b in range(i, last + 1)]
    return sorted(runs, key=lambda run: run[0] - run[1])


def _beside(left: EntityMention, right: EntityMention) -> bool:
    gap = right.position - (left.position + len(left.said))
    return 0 <= gap <= _MAX_GAP and left.exclude == right.exclude


def _holding(words: list[str], dims: Sequence[str], metrics: Sequence[MetricEntry],
             vocabulary: Vocabulary, whole: bool = True) -> list[Option]:
    """The metrics' values holding every word; of one name to pick (``whole``), a value
    holding another's words and more ("non brand" beside "brand") is dropped."""
    if not words:
        return []
    found: list[tuple[Option, frozenset[str]]] = []
    for dim in dims:
        allowed = frozenset.intersection(*(_allowed(m, dim, vocabulary) for m in metrics))
        for value, held in _worded(vocabulary, metrics[0].source, dim):
            if value in allowed and all(_held(word, held) for word in words):
                found.append(((dim, value), held))
    return [option for option, held in found
            if not whole or not any(other < held for _, other in found)]


def _held(word: str, held: frozenset[str]) -> bool:
    word = WORD_SYNONYMS.get(word, word)
    return word in held or (len(word) > 4 and word.endswith("s") and word[:-1] in held)


def _common_dims(metrics: Sequence[MetricEntry]) -> list[str]:
    return sorted(frozenset.intersection(*(m.dimensions for m in metrics))) if metrics else []


def _allowed(metric: MetricEntry, dim: str, vocabulary: Vocabulary) -> frozenset[str]:
    """The values of ``dim`` in the metric's source (all values when not listed apart)."""
    return _listed(vocabulary, metric.source, dim).names


def _worded(vocabulary: Vocabulary, source: str, dim: str) -> list[tuple[str, frozenset[str]]]:
    return _listed(vocabulary, source, dim).worded


@dataclass(frozen=True)
class _Listed:
    names: frozenset[str]
    worded: list[tuple[str, frozenset[str]]]  # each value with its folded words


_CACHE: dict[int, tuple[Vocabulary, dict[tuple[str, str], _Listed]]] = {}


def _listed(vocabulary: Vocabulary, source: str, dim: str) -> _Listed:
    """A source's values of ``dim``, cached per vocabulary (a shop's 5,000 product names
    are folded once, not per question)."""
    cached = _CACHE.get(id(vocabulary))
    if cached is None or cached[0] is not vocabulary:
        if len(_CACHE) > 64:  # a bot serves a handful of workspaces; keep memory flat anyway
            _CACHE.clear()
        cached = _CACHE[id(vocabulary)] = (vocabulary, {})
    table = cached[1]
    listed = vocabulary.by_source.get(source, {}).get(dim)
    key = (source if listed is not None else "", dim)
    if key not in table:
        values = [str(v) for v in (listed if listed is not None else
                                   vocabulary.values.get(dim, ())) if v is not None]
        table[key] = _Listed(frozenset(values), [(v, frozenset(_words(v))) for v in values])
    return table[key]


def _words(text: str) -> list[str]:
    return [w.removesuffix("'s").rstrip("+") for w in fold(text).split()]


def prefer_sources(mentions: list[MetricMention], entities: Sequence[EntityMention],
                   vocabulary: Vocabulary) -> list[MetricMention]:
    """Mentions whose candidates come from several sources ("conversions": the ad
    platforms' or the web analytics'), narrowed to the candidates whose data holds every
    campaign typed whole ("the prospecting_us campaign" is a web campaign); unchanged when
    none or all do. Only names each source gives its own way count: a country without
    orders still has shop customers (0), not subscription ones."""
    typed = [e for e in entities if not e.loose and any(d in OWN_NAMES for d, _ in e.options)]
    if not typed:
        return mentions
    out = []
    for mention in mentions:
        kept = tuple(c for c in mention.candidates if all(_fitting(e, [c], vocabulary)
                                                          for e in typed))
        out.append(replace(mention, candidates=kept) if kept else mention)
    return out
