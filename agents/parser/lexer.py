"""The word-level pass: what is left after periods, comparisons and rankings.

Reads the remaining words left to right, at each position taking the longest
phrase that is a metric, a known non-metric, an entity value of the workspace
or a dimension word. Small states carry meaning to the next phrase: after "by"
a dimension word is a breakdown, after "excluding" entity values are excluded.
Anything else must be filler; otherwise it is corrected for typos or reported
as not understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import cast

from agents.parser.compare import CHANGE_WORDS
from agents.parser.dimensions import DIM_WORDS, GRAINS, DimWord
from agents.parser.fillers import QUALIFIERS, filler_length
from agents.parser.lexer_typos import _fuzzy, _known, _partial, _starts_phrase, _value  # noqa: F401
from agents.parser.lexicon import MetricEntry
from agents.parser.mentions import (
    _BY_ONLY_KEYS,
    _DIM_KEYS,
    _MAX_PHRASE,
    _NOT_METRIC_KEYS,
    DimMention,
    EntityMention,
    Lexed,
    MetricMention,
    Unknown,
    _metric_table,
)
from agents.parser.text import Sentence, Token
from agents.parser.vocab_index import Option, VocabIndex
from agents.parser.words import (
    BY_WORDS,
    CARD_WORDS,
    COMMON_VALUES,
    EXCLUDE_WORDS,
    FILLER,
    FILTER_WORDS,
    JOINERS,
    MINE_WORDS,
    SHORT_WORDS,
    SPELLINGS,
    TREND_WORDS,
)


@dataclass
class _State:
    by: bool = False
    exclude: bool = False
    total: bool = False  # "across all channels": the next dimension word is a total
    previous: str = ""
    value_end: int = -1  # where a value said as a filter ended ("from aussie| customers")
    dim_end: int = -1  # where the last dimension word ended ("product category": one name)
    subject: bool = False  # the last metric followed "did"/"is"...: "did revenue slip"
    excluded: bool = False  # the exclusion under way has taken a value already
    listing: bool = False  # the last phrase was a metric: "spend, clicks and cpc" lists more


_BREAK_WORDS = frozenset({"broken", "break", "split", "breakdown"})  # "broken down by"
# Dimension words a name is said before ("Gold plan", "Spring campaign"), and the filler
# nouns that there stand as a name not in the data ("Team plan"), never read past.
_NAMED_BEFORE = frozenset({"plan", "tier", "campaign", "medium", "segment", "league", "sport",
                           "supplier", "vendor", "warehouse", "category", "collection"})
_FILLER_NOUNS = frozenset({"team", "stuff", "thing", "app", "bot", "boss", "bar", "pie", "info",
                           "idea", "friend", "mate", "buddy", "pal"})
_FOR_ME = frozenset({"for", "by", "about"})  # "roi for me", "bets placed by me"
_ONLY_ME = frozenset({"only", "just", "alone"})  # "me only", "just me": the asker
_DOERS = MINE_WORDS | {"we", "everyone", "everybody", "did", "bets", "picks", "plays"}  # "how did
# I / we / the guild / my bets do"
SUPERLATIVES = frozenset({"top", "bottom", "best", "worst", "highest", "lowest", "biggest",
                          "cheapest", "busiest", "quietest",
                          "smallest", "largest", "most", "least", "fewest"})


def take_multiword_entities(sentence: Sentence, index: VocabIndex) -> list[EntityMention]:
    """Consumes multi-word values first ("Black Friday 2025" holds a period-like word)."""
    if index.multiword is None:
        return []
    found = []
    for match in sentence.take(index.multiword):
        words = tuple(match.group().removesuffix("'s").split())
        options = index.lookup(words) or index.group(words)
        if options:
            found.append(EntityMention(tuple(options), sentence.original(
                match.start(), match.end()), match.start(), False,
                group=not index.lookup(words), soft=index.is_soft(words)))
    return found


def lex(sentence: Sentence, index: VocabIndex, early: list[EntityMention]) -> Lexed:
    """Classifies the remaining words; ``early`` are the multi-word entities already found."""
    tokens = sentence.tokens()
    result, state = Lexed(), _State()
    pending = sorted(early, key=lambda e: e.position)
    i = 0
    while i < len(tokens):
        while pending and pending[0].position < tokens[i].start:
            _add_entity(result, state, pending.pop(0))
        i += _step(sentence, tokens, i, index, result, state)
    for entity in pending:
        _add_entity(result, state, entity)
    return result


def _add_entity(result: Lexed, state: _State, entity: EntityMention) -> None:
    result.entities.append(replace(entity, exclude=state.exclude))
    state.by = False


def _step(sentence: Sentence, tokens: list[Token], i: int, index: VocabIndex, result: Lexed,
          state: _State) -> int:
    """Classifies the phrase starting at token ``i``; returns how many tokens it used."""
    run = _run(tokens, i)
    words = tuple(SPELLINGS.get(t.text, t.text) for t in run)
    found = _longest(sentence, run, words, index, state)
    if found:
        kind, length, value = found
        _record(sentence, run[:length], kind, value, result, state)
        return length
    if shared := _shared_noun(sentence, run, words, result, state):
        return shared
    word = words[0]
    if _names_a_value(words, state):  # "Team plan": a plan's name, not filler
        said = sentence.original(tokens[i].start, tokens[i].end)
        result.unknown.append(Unknown(said, word, state.previous, tokens[i].start, words[1]))
        state.previous = word
        return 1
    if length := filler_length(words):
        state.previous = ""
        return length
    if _marker(word, tokens, i, result, state):
        return 1
    fixed = _fuzzy(words, index, _name_can_stand(tokens, i, result, state)
                   or _before_label(words, index))
    if fixed:
        length, correction = fixed
        said = sentence.original(run[0].start, run[length - 1].end)
        if correction.kind not in ("entity", "loose"):  # a value's reading is noted once resolved
            result.corrections.append(f"read '{said}' as '{correction.key}'")
        kind = "loose" if correction.kind == "entity" else correction.kind
        _record(sentence, run[:length], kind, _value(correction, index), result,
                state)
        return length
    said = sentence.original(tokens[i].start, tokens[i].end)
    after = run[1].text if len(run) > 1 else ""
    result.unknown.append(Unknown(said, word, state.previous, tokens[i].start, after))
    state.previous = word
    return 1


def _plural_label(result: Lexed, word: DimWord, start: int) -> bool:
    """ "the EUR plans", "prospecting campaigns": part of several names, then their plural
    dimension word, names all of them together (a group), not one to pick; the dimension
    word is their label then, not a breakdown."""
    last = result.entities[-1] if result.entities else None
    if word.plural and last is not None and last.loose \
            and 0 <= start - (last.position + len(last.said)) <= 2 \
            and {dim for dim, _ in last.options} <= set(word.options):
        result.entities[-1] = replace(last, group=True)
        return True
    return False


def _before_label(words: tuple[str, ...], index: VocabIndex) -> bool:
    """A word before a plural dimension word whose names hold it ("yearly plans")."""
    label = _DIM_KEYS.get(words[1:2])
    keys = index.containing(words[:1]) if label is not None and label.plural else []
    return bool(keys) and label is not None and all(
        dim in label.options for key in keys for dim, _ in index.exact[key])


def _names_a_value(words: tuple[str, ...], state: _State) -> bool:
    """A filler noun right before a dimension word names a value ("Team plan")."""
    return len(words) > 1 and not state.by and words[0] in _FILLER_NOUNS \
        and words[1] in _NAMED_BEFORE


def _run(tokens: list[Token], i: int) -> list[Token]:
    """Tokens from ``i`` not separated by a consumed phrase (phrases never span one)."""
    run = [tokens[i]]
    for token in tokens[i + 1:i + _MAX_PHRASE]:
        if token.gap_before:
            break
        run.append(token)
    return run


def _longest(sentence: Sentence, run: list[Token], words: tuple[str, ...], index: VocabIndex,
             state: _State) -> tuple[str, int, object] | None:
    filter_context = state.exclude or (state.previous in FILTER_WORDS and not (
        state.listing and state.previous in JOINERS))  # "ctr and cpc": a metric, not the medium
    # "users from google cpc": right after a value said as a filter, a value ("cpc" medium)
    filter_context = filter_context or (
        state.value_end >= 0 and 0 <= run[0].start - state.value_end <= 1)
    for length in range(len(words), 0, -1):
        key = words[:length]
        allowed = _entity_allowed(sentence, run, key, filter_context, index)
        entity = index.lookup(key) if allowed else []
        order: list[tuple[str, object]] = []
        if state.by:
            order.append(("dim", _DIM_KEYS.get(key) or _BY_ONLY_KEYS.get(key)))
        order.append(("not_metric", _NOT_METRIC_KEYS.get(key)))
        metric = ("metric", _metric_table().get(key))
        named = ("soft" if index.is_soft(key) else "entity", entity)
        order += [named, metric] if filter_context else [metric, named]
        order.append(("dim", _DIM_KEYS.get(key)))
        order.append(("group", index.group(key) if allowed else None))  # "europe", "mugs"
        for kind, value in order:
            if value:
                return kind, length, value
    return None


_BOUGHT_FROM = re.compile(r"\b(buy|buys|bought|buying|order|orders|ordered|purchased?|shop|shops|shopped|"
                          r"spend|spends|spent|spending)\s+(from|with|at)\s+$", re.IGNORECASE)


def _entity_allowed(sentence: Sentence, run: list[Token], key: tuple[str, ...],
                    filter_context: bool, index: VocabIndex) -> bool:
    """Short or everyday words ("us", "de", "total", "max") only count as values in
    context: after "in", "from", "excluding"..., before their dimension word ("pro
    plan"), or typed as a name: "US" in capitals, "Max" capitalized."""
    word = key[0]
    if len(key) > 1 or not (word in FILLER or word in COMMON_VALUES or word in SHORT_WORDS
                            or len(word) < 2):
        return True
    labelled = len(run) > len(key) and run[len(key)].text in DIM_WORDS
    typed = sentence.raw[run[0].start:run[0].end]
    if typed == "us" and _BOUGHT_FROM.search(sentence.raw[:run[0].start]):
        return False  # "bought from us", "spend with us": the pronoun, not the United States
    named = typed.isupper() or (word in COMMON_VALUES and typed[:1].isupper())
    if word in FILLER and _sum_of_metric(sentence, run, key):
        return labelled or named  # "the total stake": the sum, not the market "total"
    return filter_context or labelled or named or _qualifies_metric(run, key, index)


_DETERMINERS = frozenset({"the", "a", "my", "our", "your", "their", "whats", "what"})


def _sum_of_metric(sentence: Sentence, run: list[Token], key: tuple[str, ...]) -> bool:
    """A filler word ("total") after a determiner and before a metric qualifies the metric."""
    before = sentence.text[:run[0].start].replace("\x00", " ").split()
    following = run[len(key)].text if len(run) > len(key) else ""
    return bool(before) and before[-1] in _DETERMINERS \
        and (SPELLINGS.get(following, following),) in _metric_table()


# Common values that before a metric read as a quantity or a time, not a name ("max ROI").
_ADJECTIVES = frozenset({"max", "min", "top", "best", "low", "high", "big", "new", "old",
                         "main", "plus", "none", "other", "future", "free", "lucky"})


def _qualifies_metric(run: list[Token], key: tuple[str, ...], index: VocabIndex) -> bool:
    """A common-word value right before a metric it can filter: "prop units", "spread
    record", "organic sessions" name the market or medium."""
    word = key[0]
    if word not in COMMON_VALUES or word in FILLER or word in _ADJECTIVES or len(run) <= 1:
        return False
    following = run[1].text
    entries = _metric_table().get((SPELLINGS.get(following, following),), [])
    dims = {dim for dim, _ in index.lookup(key)}
    return any(dims & e.dimensions for e in entries)


def _record(sentence: Sentence, run: list[Token], kind: str, value: object, result: Lexed,
            state: _State) -> None:
    said = sentence.original(run[0].start, run[-1].end)
    state.listing = kind == "metric"
    if kind == "metric":
        state.subject = state.previous in _AUXILIARIES
        state.exclude = state.exclude and not state.excluded  # "except marketplace — revenue"
        entries = tuple(cast("list[MetricEntry]", value))
        if not _names_who(sentence, run, result, state):
            result.metrics.append(MetricMention(entries, " ".join(t.text for t in run), said,
                                                state.by, state.exclude))
        result.mine = result.mine or any(t.text in MINE_WORDS for t in run)  # "did i win"
        ranked = next((t.text for t in run if t.text in SUPERLATIVES), None)
        result.superlative = result.superlative or ranked  # "make the most money on"
        state.exclude = False
    elif kind == "not_metric":
        result.not_metric = result.not_metric or str(value)
    elif kind in ("entity", "loose", "group", "soft"):
        options = tuple(cast("list[Option]", value))
        qualifies = state.value_end >= 0 and not sentence.raw[state.value_end:run[0].start].strip()
        state.excluded = state.exclude
        result.entities.append(EntityMention(options, said, run[0].start, state.exclude,
                                             loose=kind == "loose", group=kind == "group",
                                             soft=kind == "soft" or qualifies))
    elif isinstance(value, DimWord):
        labelled = _plural_label(result, value, run[0].start)
        # "arpa for smb accounts": right after a value said as a filter, a word for people is
        # whom the value is about, not a breakdown by customer
        about = not state.by and len(run) == 1 and run[0].text in _PEOPLE and state.value_end >= 0 \
            and not sentence.raw[state.value_end:run[0].start].strip()
        if not (labelled or state.total or about) and not _compound(sentence, run, value, result, state):
            result.dims.append(DimMention(value, said, run[0].start, state.by))
        state.exclude = state.total = False
        state.dim_end = run[-1].end
    state.by = False
    filtered = kind in ("entity", "loose", "group", "soft") and state.previous in FILTER_WORDS
    state.value_end = run[-1].end if filtered else -1
    state.previous = run[-1].text


# Before a word, these make it a verb or an idiom, not a name: "a wash", "give me a hand",
# "should I watch", "are we running".
_NOT_BEFORE_NAMES = frozenset({"a", "an", "i", "we", "you", "they", "it", "to", "im", "were"})
_OBJECTS = frozenset({"me", "us", "them", "him", "her", "it", "you"})
_AUXILIARIES = frozenset({"did", "does", "do", "is", "was", "has", "have", "had", "will",
                          "are", "were"})


@cache
def _vocabulary_words() -> frozenset[str]:
    """Words of metric and dimension phrases: alone, they are the parser's own words."""
    return frozenset(w for key in (*_metric_table(), *_DIM_KEYS) for w in key)


def _name_can_stand(tokens: list[Token], i: int, result: Lexed, state: _State) -> bool:
    """A lone word that is only part of a name ("sunscreen", "northwind") may be read as
    that name only where a name can stand: not a word that changes the number on its own
    ("running total"), not after "a" or a subject ("a wash", "we running"), not as the verb
    of a metric ("did revenue slip")."""
    word = tokens[i].text
    if word in QUALIFIERS or word in _vocabulary_words():  # "our google ads", "on hand"
        return False
    before = tokens[i - 1].text if i else ""
    after = tokens[i + 1].text if i + 1 < len(tokens) else ""
    if before in _NOT_BEFORE_NAMES or after in _OBJECTS:  # "set me up", "watch it"
        return False
    if before in FILTER_WORDS or before == "with":  # "on order from/with northwind", "at soho"
        return True
    return not (state.subject and result.metrics and before == state.previous)


_PEOPLE = frozenset({"customers", "customer", "shoppers", "buyers", "clients", "users",
                     "accounts", "account", "subscribers", "subs", "members"})


def _names_who(sentence: Sentence, run: list[Token], result: Lexed, state: _State) -> bool:
    """ "revenue from aussie customers", "aov of UK shoppers": right after a value said as
    a filter, a word for people names whom the value is about, not a second metric."""
    if not result.metrics or len(run) != 1 or run[0].text not in _PEOPLE or state.value_end < 0:
        return False
    return not sentence.raw[state.value_end:run[0].start].strip()


def _shared_noun(sentence: Sentence, run: list[Token], words: tuple[str, ...], result: Lexed,
                 state: _State) -> int:
    """ "new vs returning customers", "new / expansion / churned mrr": words before a
    metric phrase that each make a metric with its last word(s) name those metrics too.
    Returns how many words were read (0 when the run is not such a list)."""
    table = _metric_table()
    modifiers: list[int] = []
    for k in range(len(words)):
        apart = k > 0 and (words[k - 1] in JOINERS
                           or bool(sentence.raw[run[k - 1].end:run[k].start].strip()))
        if k > 0 and words[k] not in JOINERS and not apart:
            return 0  # "total store revenue": one phrase, not a list
        for length in range(len(words) - k, 1, -1):
            noun = words[k + 1:k + length]
            if (words[k], *noun) in table and modifiers and all(
                    (words[m], *noun) in table for m in modifiers):
                for m in modifiers:
                    _record(sentence, run[m:m + 1], "metric", table[(words[m], *noun)],
                            result, state)
                return k
        if words[k] in JOINERS or words[k] in ("slash", "or"):
            continue
        if not any((words[k], *words[j:j + 1]) in table for j in range(k + 1, len(words))):
            return 0
        modifiers.append(k)
    return 0


def _compound(sentence: Sentence, run: list[Token], word: DimWord, result: Lexed,
              state: _State) -> bool:
    """ "by product category", "customer segment": two dimension words with only a space
    between are one name, whose last word is the dimension (the first one describes it).
    Time grains stay apart ("daily product revenue" is per day)."""
    if not result.dims or state.dim_end < 0 or sentence.raw[state.dim_end:run[0].start].strip():
        return False
    first = result.dims[-1]
    if set(first.word.options + word.options) & set(GRAINS):
        return False
    said = sentence.original(first.position, run[-1].end)
    result.dims[-1] = DimMention(word, said, first.position, first.explicit)
    return True


def _marker(word: str, tokens: list[Token], i: int, result: Lexed, state: _State) -> bool:
    """Single words that set state or flags: "by", "excluding", "my", "trend", "growth"."""
    previous, state.previous = state.previous, word
    following = tokens[i + 1].text if i + 1 < len(tokens) else ""
    if word in BY_WORDS:
        state.by, state.exclude = True, False
    elif word in EXCLUDE_WORDS or (word == "other" and following == "than") or (
            word in ("counting", "including") and previous in ("not", "without")):
        state.exclude, state.excluded = True, False  # "not counting amazon"
    elif word == "all" and previous in ("across", "for", "over", "on", "in"):  # "on all the google campaigns"
        state.by, state.total = False, True
    elif word in JOINERS or (word in ("down", "out", "up")
                             and (previous in _BREAK_WORDS or following == "by")):
        result.versus = result.versus or word in ("vs", "versus")
    elif word in SUPERLATIVES:
        result.superlative = result.superlative or word
    elif word.isdigit() and previous in SUPERLATIVES and len(word) < 4:
        result.superlative_count = int(word)
    elif word in MINE_WORDS or (word == "me" and (previous in _FOR_ME or following in _ONLY_ME
                                                  or previous in _ONLY_ME)):
        result.mine = True  # "units for me": the asker ("show me" stays filler)
    elif word in CHANGE_WORDS:
        result.change = result.change or word
    elif word in TREND_WORDS or (word == "over" and following == "time"):
        result.trend = True
    elif word in CARD_WORDS or (word == "do" and previous in _DOERS):
        result.card = True  # "how did I do": the asker's card
    elif word == "much" and previous == "how":
        result.amount = True
    elif (word == "many" and previous == "how") or word == "count":
        result.count = True
    elif word not in FILLER and word not in ("over", "during", "within", "since"):
        state.previous = previous
        return False
    return True
