"""Words the parser did not understand, explained to the asker.

A refusal is only useful if it says what went wrong: "Narnia is not a country
in your data" rather than "I didn't understand".
"""

from __future__ import annotations

import re

from agents.parser.fillers import QUALIFIERS
from agents.parser.lexer import Lexed, Unknown
from agents.parser.spelling import content_words, nearest
from agents.parser.vocab_index import VocabIndex
from agents.parser.words import BY_WORDS, EXCLUDE_WORDS, FILTER_WORDS

_PLACE_WORDS = frozenset({"in", "from", "at", "inside", "within"})
_NAME_WORDS = frozenset({"for", "on", "about", "of", "to", "via", "with", "excluding", "except",
                         "without", "not"})
# Which dimension a place ("in X") most likely names, by the data of the question.
_PLACE_DIMENSIONS = ("country", "location", "league")
# After these an unknown word stands where a filter, value or breakdown would.
MEANING_BEFORE = FILTER_WORDS | BY_WORDS | EXCLUDE_WORDS | _PLACE_WORDS | _NAME_WORDS
MAX_IGNORED = 2  # more unknown words than this and the question is not understood
# "how many units did we move": a verb within a few words after one of these.
AUXILIARIES = frozenset({"do", "does", "did", "have", "has", "had", "will", "would", "can",
                         "could", "should"})
_FRAME = 4


def ignorable(lexed: Lexed, index: VocabIndex, raw: str) -> bool:
    """Whether every unknown word can be read past without changing the number.

    Only a verb of the question's own frame is read past: "how many units did we
    *move*", "how many sessions did the newsletter *drive*" (a few words after did,
    do, have...). Nouns and adjectives name things ("iphone cases", "runway", "cold")
    and are asked about. Even a verb matters when it stands where a filter, value or
    breakdown would ("in Narnia", "by weekday"), right before a metric, dimension or
    value word it may qualify ("shipping revenue"), is capitalised like a name
    mid-sentence, holds a digit, is a qualifier ("median", "cancelled", "put") or is
    one edit from a known word.
    """
    unknown = lexed.unknown
    return 0 < len(unknown) <= MAX_IGNORED and all(_harmless(u, index, raw) for u in unknown)


def _harmless(word: Unknown, index: VocabIndex, raw: str) -> bool:
    if not word.folded.isalpha() or word.folded in QUALIFIERS or word.before in MEANING_BEFORE:
        return False
    if index.lookup((word.folded,)):  # a stored value out of context ("prop"): it filters
        return False
    if word.after in content_words(index):
        return False
    before = raw[:max(word.start, 0)]
    if word.said[:1].isupper() and any(ch.isalnum() for ch in before):
        return False  # a name mid-sentence
    if not AUXILIARIES & set(re.findall(r"[a-z]+", before.lower())[-_FRAME:]):
        return False
    return not nearest(word.folded, index, limit=1, most=1 if len(word.folded) < 8 else 2)


def explain_unknown(lexed: Lexed, index: VocabIndex) -> str:
    """What was not understood, in words that help the asker rephrase."""
    first = lexed.unknown[0]
    said = " ".join(u.said for u in lexed.unknown[:3])
    if first.folded in index.absent_countries:
        return f"{first.said} is not a country in your data"
    if first.before in BY_WORDS:
        return (f"I can't break down by '{first.said}'; try by day, week or month, or by "
                "a dimension such as country, product, channel, campaign, plan or sport")
    dims = {dim for m in lexed.metrics for e in m.candidates for dim in e.dimensions}
    if first.before in _PLACE_WORDS:
        place = next((d for d in _PLACE_DIMENSIONS if d in dims or not dims), None)
        if place:
            return f"{first.said} is not a {place} in your data"
    if first.before in _NAME_WORDS or (lexed.metrics and first.said[:1].isupper()):
        return f"I couldn't find '{first.said}' in your data (not a metric or a name I know)"
    if not lexed.metrics:
        return (f"I don't know what '{said}' means; I answer questions about metrics such as "
                "revenue, orders, MRR, ROAS, days of stock or ROI")
    return f"I don't understand '{said}' in this question"
