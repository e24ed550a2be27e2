"""Spelling, before any stage reads the question: slang, missing spaces and typos.

Every stage (periods, comparisons, rankings, the lexicon) matches exact words, so a
misspelt period word ("yestrday", "lastweek") or intent word ("leaderbord") would
never be seen. This pass rewrites single words that nothing in the parser or the
workspace knows, against the workspace's own vocabulary: metric and dimension words,
its stored values, and the period and intent words of the stages.

Limits, so one real word never becomes another:

- a word that is known anywhere (a filler, a stage's word, a stored value) is kept;
- typos are read as metric, dimension and stage words only; a stored value's typo is
  left to the word pass, whose matching is stricter ("shift" is not the "Shirt");
- seven letters or more: one edit (two from nine letters) and the same first letter;
- five or six letters: one letter dropped or two swapped, never one replaced or added
  ("ordrs", but not "tales" for "sales", nor "black" for "back");
- four letters: only two neighbouring letters swapped ("hnad"); shorter: never
  (the slang table covers "wk", "yr", "atm");
- a doubled letter may be dropped at any length ("mrrr", "metaa", values included);
- two different targets equally close is a tie: the word is left as typed and the
  tie is kept, so a refusal can offer both readings as choices.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from agents.parser.dimensions import COUNTRY_NAMES, DIM_WORDS
from agents.parser.lexicon import HINTS, METRICS, NOT_METRICS
from agents.parser.slang import SLANG, spell_out
from agents.parser.text import NUMBER_WORDS, SLACK_MARKUP, fold
from agents.parser.vocab_index import VocabIndex
from agents.parser.words import BY_WORDS, FILLER

# Words of the stages (periods, comparisons, rankings, intents) a typo may be read as.
_STAGE_TEXT = """
yesterday today tonight tomorrow week weeks weekly month months monthly quarter quarters
quarterly year years yearly day days daily last this previous past since ago fortnight
january february march april june july august september october november december
monday tuesday wednesday thursday friday saturday sunday leaderboard standings rankings
compare compared comparison versus previous growth change trend breakdown excluding except
without average highest lowest biggest smallest worst best bottom selling sellers reorder
reordering inventory stock running forecast between through
"""
STAGE_WORDS = frozenset(_STAGE_TEXT.split())
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_MODULES = ("agents.parser.periods", "agents.parser.rankings", "agents.parser.intents",
            "agents.parser.compare", "agents.parser.dates", "agents.parser.lexer",
            "agents.parser.words", "agents.parser.fillers", "agents.parser.build")


@dataclass(frozen=True)
class Respelled:
    """The message as the stages should read it.

    Attributes:
        text: slang spelled out, missing spaces put back, typos corrected.
        corrected: what was corrected, for :attr:`Parsed.assumed` ("read 'revnue' as
            'revenue'").
        ties: typed word -> the targets equally close to it (left as typed).
    """

    text: str
    corrected: tuple[str, ...] = ()
    ties: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Words:
    known: frozenset[str]  # never corrected
    targets: tuple[str, ...]  # what a typo of four letters or more may become
    content: frozenset[str]  # metric, dimension, value and stage words, any length
    pairs: frozenset[str]  # two-word phrases a missing space may hide ("last week")


def respell(message: str, index: VocabIndex) -> Respelled:
    """``message`` with slang spelled out and unknown words corrected (see the module)."""
    words = _words_for(index)
    text = spell_out(message, _stored_words(index))
    skip = [(m.start(), m.end()) for m in SLACK_MARKUP.finditer(text.lower())]
    out: list[str] = []
    corrected: list[str] = []
    ties: dict[str, tuple[str, ...]] = {}
    last = 0
    for match in _WORD.finditer(text):
        typed = match.group()
        folded = fold(typed).replace(" ", "").removesuffix("'s")
        if _known(folded, words) or any(a <= match.start() < b for a, b in skip):
            continue
        fixed = _split(folded, words) or _correct(folded, words, ties, typed)
        if fixed:
            out.append(text[last:match.start()] + fixed)
            last = match.end()
            corrected.append(f"read '{typed}' as '{fixed}'")
    out.append(text[last:])
    return Respelled("".join(out), tuple(corrected), ties)


def nearest(word: str, index: VocabIndex, limit: int = 3, most: int = 2) -> list[str]:
    """Known words within ``most`` edits of ``word`` (same first letter), closest first:
    readings to offer, never to apply without asking."""
    folded = word.lower()
    if len(folded) < 3:
        return []
    choices = _cached(index)[4]
    found = process.extract(folded, choices, scorer=OSA.distance, score_cutoff=most,
                            limit=limit * 3)
    return [t for t, _, _ in found if t[0] == folded[0] and t != folded][:limit]


def _known(word: str, words: _Words) -> bool:
    """Known as it is, or as the plural of a known word ("moneylines", "everyones")."""
    return word in words.known or (word.endswith("s") and (
        word[:-1] in words.known or (word.endswith("es") and word[:-2] in words.known)))


def content_words(index: VocabIndex) -> frozenset[str]:
    """Metric, dimension, value and stage words of this workspace, fillers aside."""
    return _cached(index)[3]


def _split(word: str, words: _Words) -> str | None:
    """ "lastweek" -> "last week": the one split that is the start of a phrase the parser
    knows (a period, a metric or dimension phrase, a breakdown); "salesperson" stays."""
    if len(word) < 6:
        return None
    found = [f"{word[:k]} {word[k:]}" for k in range(2, len(word) - 1)
             if f"{word[:k]} {word[k:]}" in words.pairs]
    return found[0] if len(found) == 1 else None


_PERIOD_PAIRS = frozenset(f"{a} {b}" for a in ("last", "this", "past", "previous", "next")
                          for b in ("day", "week", "month", "quarter", "year", "days", "weeks",
                                    "months", "quarters", "years", "weekend"))


def _pairs(values: set[str]) -> frozenset[str]:
    """Two-word starts of every phrase, the period pairs and the breakdowns ("by country")."""
    phrases = [p for entry in METRICS for p in entry.phrases] + [*NOT_METRICS, *DIM_WORDS]
    pairs = {" ".join(p.split()[:2]) for p in phrases if " " in p}
    pairs.update(f"{by} {dim}" for by in BY_WORDS for dim in (*DIM_WORDS, "day", "week", "month")
                 if " " not in dim)
    return frozenset(pairs | _PERIOD_PAIRS | {v for v in values if v.count(" ") == 1})


def _correct(word: str, words: _Words, ties: dict[str, tuple[str, ...]],
             typed: str) -> str | None:
    """The one target ``word`` is a typo of, within the module's limits."""
    if len(word) < 4:
        return None
    undoubled = {word[:i] + word[i + 1:] for i in range(1, len(word)) if word[i] == word[i - 1]}
    if found := sorted(undoubled & words.content):
        return found[0] if len(found) == 1 else None
    if len(word) < 5:
        return _swapped(word, words)
    most = 1 if len(word) < 9 else 2
    hits = [(t, d) for t, d, _ in process.extract(word, words.targets, scorer=OSA.distance,
                                                  score_cutoff=most, limit=6)
            if t[0] == word[0] and (len(word) >= 7 or _dropped_or_swapped(word, t))]
    if not hits:
        return None
    best = min(d for _, d in hits)
    closest = sorted({t for t, d in hits if d == best})
    if len(closest) > 1 and not _one_word(closest):
        ties[typed] = tuple(closest[:3])
        return None
    return closest[0]


def _dropped_or_swapped(word: str, target: str) -> bool:
    """The typo lacks a letter of the target, or swaps two of its letters."""
    return len(word) < len(target) or sorted(word) == sorted(target)


def _one_word(targets: list[str]) -> bool:
    """ "order"/"orders": a plural and its singular are one reading, not a tie."""
    stems = {t[:-1] if t.endswith("s") else t for t in targets}
    return len(stems) == 1


def _swapped(word: str, words: _Words) -> str | None:
    """Four letters: only two neighbouring letters swapped ("hnad" -> "hand")."""
    swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    found = sorted(swaps & set(words.targets))
    return found[0] if len(found) == 1 else None


@cache
def _stage_words() -> tuple[frozenset[str], frozenset[str]]:
    """(every word the stages know, the content words among them), vocabulary aside."""
    content: set[str] = set(STAGE_WORDS)
    for entry in METRICS:
        content.update(w for phrase in entry.phrases for w in phrase.split())
    content.update(w for phrase in (*NOT_METRICS, *HINTS, *DIM_WORDS) for w in phrase.split())
    known = set(content) | set(NUMBER_WORDS) | set(SLANG) | set(SLANG.values())
    known.update(w for name in COUNTRY_NAMES for w in name.lower().split())
    for name in _MODULES:
        module = sys.modules.get(name)
        if module is not None:
            known.update(_module_words(vars(module).values()))
    return frozenset(known), frozenset(content)


def _module_words(values: Iterable[object], depth: int = 0) -> Iterator[str]:
    """Words of a module's constants: regex sources, word sets, tables."""
    for value in values:
        if isinstance(value, re.Pattern):
            yield from re.findall(r"[a-z]{2,}", value.pattern)
        elif isinstance(value, str):
            yield from re.findall(r"[a-z]{2,}", value)
        elif depth < 3 and isinstance(value, (list, tuple, set, frozenset)):
            yield from _module_words(value, depth + 1)
        elif depth < 3 and isinstance(value, dict):
            yield from _module_words(value.keys(), depth + 1)
            yield from _module_words(value.values(), depth + 1)


_Cached = tuple[VocabIndex, _Words, frozenset[str], frozenset[str], tuple[str, ...]]
_CACHE: dict[int, _Cached] = {}


def _words_for(index: VocabIndex) -> _Words:
    return _cached(index)[1]


def _stored_words(index: VocabIndex) -> frozenset[str]:
    return _cached(index)[2]


def _cached(index: VocabIndex) -> _Cached:
    """Per vocabulary index, like the index itself (built once, reused by every parse)."""
    hit = _CACHE.get(id(index))
    if hit is not None and hit[0] is index:
        return hit
    known, content = _stage_words()
    values = {w for key in index.exact for w in key if w.isalpha()}
    targets = sorted(w for w in content if len(w) >= 4 and w.isalpha())
    stored = frozenset(" ".join(key) for key in index.exact)
    words = _Words(frozenset(known | values), tuple(targets), frozenset(content | values),
                   _pairs(set(stored)))
    offered = tuple(sorted(w for w in words.content if len(w) >= 3 and w.isalpha()))
    entry = (index, words, stored, words.content - FILLER, offered)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[id(index)] = entry
    return entry
