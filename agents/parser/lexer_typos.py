"""Typos in the word pass: the longest window of unplaced words that is a misspelling of
something the workspace knows ("linen shrt"), and what a correction stands for."""

from __future__ import annotations

from agents.parser.dimensions import DIM_WORDS
from agents.parser.fuzzy import Correction, correct
from agents.parser.lexicon import NOT_METRICS
from agents.parser.mentions import _DIM_KEYS, _MAX_PHRASE, _metric_table
from agents.parser.types import Refusal
from agents.parser.vocab_index import VocabIndex
from agents.parser.words import (
    BY_WORDS,
    EXCLUDE_WORDS,
    FILLER,
    JOINERS,
)


def _fuzzy(words: tuple[str, ...], index: VocabIndex,
           lone_part: bool = True) -> tuple[int, Correction] | None:
    """The longest window of unplaced words, from the first, that is a typo of something
    known ("linen shrt"); a window never swallows a word that is known as it is. A lone
    word that is only part of a name counts when ``lone_part`` (see :func:`_name_can_stand`)."""
    unplaced = 1
    while unplaced < min(len(words), 3) and not _known(words[unplaced]) \
            and not _starts_phrase(words[unplaced:]):
        unplaced += 1
    for length in range(unplaced, 0, -1):
        phrase = " ".join(words[:length])
        lone = lone_part and unplaced == 1  # "running shoes": no part of "Running Sock"
        if (length > 1 or lone) and (keys := index.containing(words[:length])):
            return length, Correction("loose", phrase, 100.0, tuple(" ".join(k) for k in keys))
        if length == 1 and lone_part and (keys := index.short_head(phrase)):  # "the mug"
            return length, Correction("loose", phrase, 100.0, tuple(" ".join(k) for k in keys))
        found = correct(phrase, index)
        if found:
            return length, found
    return None


def _starts_phrase(words: tuple[str, ...]) -> bool:
    """``words`` open a metric or dimension phrase as said ("reorder point", "lead time"):
    a typo window stops before them ("average reorder point" is not "average order")."""
    return any(words[:n] in _metric_table() or words[:n] in _DIM_KEYS
               for n in range(2, min(len(words), _MAX_PHRASE) + 1))


def _known(word: str) -> bool:
    return (word in FILLER or (word,) in _metric_table() or (word,) in _DIM_KEYS
            or word in BY_WORDS or word in EXCLUDE_WORDS or word in JOINERS)


def _partial(word: str, keys: list[tuple[str, ...]], index: VocabIndex) -> Correction:
    values = sorted({value for key in keys for _, value in index.exact[key]})
    if len(values) > 1:
        raise Refusal(f"'{word}' matches several names: {', '.join(values[:5])}; which one?",
                      tuple((word, value) for value in values[:3]))
    return Correction("entity", " ".join(keys[0]), 100.0, tuple(values))


def _value(correction: Correction, index: VocabIndex) -> object:
    key = tuple(correction.key.split())
    if correction.kind == "loose":  # every name holding the words: the metric's data decides
        return list(dict.fromkeys(o for k in correction.target for o in index.exact[tuple(k.split())]))
    if correction.kind == "entity":
        return index.exact[key]
    if correction.kind == "metric":
        return _metric_table()[key]
    if correction.kind == "not_metric":
        return NOT_METRICS[correction.key]
    return DIM_WORDS[correction.key]
