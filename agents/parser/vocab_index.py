"""The workspace's entity values, indexed for exact and fuzzy lookup.

Built once per :class:`~agents.parser.types.Vocabulary` (parses reuse it), from
the stored values, the workspace's aliases and the country-name table (a name
only counts when its ISO code is in the data; otherwise it is remembered so
"revenue in Germany" can say Germany is not in the data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from agents.parser.dimensions import COUNTRY_NAMES, REGIONS, VALUE_SYNONYMS
from agents.parser.text import fold
from agents.parser.types import Vocabulary

Option = tuple[str, str]  # (dimension, stored value)

# Everyday words for a word inside stored names ("euro plans" are the "(EUR)" plans).
WORD_SYNONYMS = {"euro": "eur", "euros": "eur", "annual": "yearly", "annually": "yearly",
                 "dollar": "usd", "dollars": "usd"}
_MIN_FUZZY = 5  # shorter words are never fuzzy-matched: too many false friends
_FUZZY_CUTOFF = 75.0


@dataclass
class VocabIndex:
    """Folded value words -> the (dimension, stored value) pairs they name.

    Attributes:
        exact: word tuple -> options, for stored values, aliases and country names.
        absent_countries: folded country name -> ISO code of countries not in the data.
        sources: which finer data sources exist (shop, saas, ads, web, ops, betting).
        groups: word tuple -> every value a name stands for together ("europe" -> the
            stored European countries); all of them filter, none is picked.
        soft: keys of ``exact`` that are everyday synonyms ("website" -> online_store),
            weaker than stored names (see :data:`~agents.parser.dimensions.VALUE_SYNONYMS`).
    """

    exact: dict[tuple[str, ...], list[Option]] = field(default_factory=dict)
    absent_countries: dict[str, str] = field(default_factory=dict)
    sources: frozenset[str] = frozenset()
    groups: dict[tuple[str, ...], list[Option]] = field(default_factory=dict)
    soft: set[tuple[str, ...]] = field(default_factory=set)

    def add(self, words: str, option: Option) -> None:
        key = tuple(fold(words).split())
        if key and option not in self.exact.setdefault(key, []):
            self.exact[key].append(option)

    @cached_property
    def max_words(self) -> int:
        return max((len(key) for key in self.exact), default=1)

    @cached_property
    def multiword(self) -> re.Pattern[str] | None:
        """One pattern for every value of two or more words (or with digits), longest first."""
        keys = sorted((k for k in (*self.exact, *self.groups) if len(k) > 1 or not k[0].isalpha()),
                      key=lambda k: -sum(map(len, k)))
        if not keys:
            return None
        body = "|".join(r"\s+".join(map(re.escape, key)) for key in keys)
        return re.compile(rf"(?<![a-z0-9])(?:{body})(?:'s|s)?(?![a-z0-9])")

    @cached_property
    def _fuzzy_choices(self) -> dict[str, tuple[str, ...]]:
        return {" ".join(k): k for k in self.exact if len(" ".join(k)) >= _MIN_FUZZY}

    def lookup(self, words: tuple[str, ...]) -> list[Option]:
        """Exact options for a word tuple, also trying it without a plural "s"."""
        found = self.exact.get(words)
        if found is None and len(words[-1]) > 3 and words[-1].endswith("s"):
            found = self.exact.get((*words[:-1], words[-1][:-1]))
        return found or []

    @cached_property
    def _by_word(self) -> dict[str, set[tuple[str, ...]]]:
        found: dict[str, set[tuple[str, ...]]] = {}
        for key in self.exact:
            if len(key) > 1:
                for word in key:
                    found.setdefault(word, set()).add(key)
                    if word.rstrip("+") != word:  # "advantage+" is typed "advantage" too
                        found.setdefault(word.rstrip("+"), set()).add(key)
        for said, stored in WORD_SYNONYMS.items():  # "euro plans": the "(EUR)" plans
            if stored in found and said not in found:
                found[said] = found[stored]
        return found

    def short_head(self, word: str) -> list[tuple[str, ...]]:
        """Names ending in a three-letter ``word`` ("mug": Camping Mug, Ceramic Mug), only
        when several values share it: too short to stand for one name on its own ("bar" is
        no Shampoo Bar), it is offered as a choice among them."""
        if len(word) != 3:
            return []
        keys = sorted(k for k in self._by_word.get(word, ()) if k[-1] == word
                      and not self._longer_same(k))
        return keys if len({o for k in keys for o in self.exact[k]}) > 1 else []

    def _longer_same(self, key: tuple[str, ...]) -> bool:
        """``key`` only starts a longer name of the same values ("tiktok spark ads" of
        "TikTok — Spark Ads US"): its last word is no head noun."""
        return any(len(k) > len(key) and k[:len(key)] == key and self.exact[k] == self.exact[key]
                   for k in self._by_word.get(key[0], ()))

    def partial(self, word: str) -> list[tuple[str, ...]]:
        """Multi-word values containing ``word`` ("linen" -> "linen shirt", "linen pants")."""
        if len(word) < 4:
            return []
        return sorted(self._by_word.get(word, ()))

    def is_soft(self, words: tuple[str, ...]) -> bool:
        """``words`` name a value by an everyday synonym, not its stored name."""
        return words in self.soft or (*words[:-1], words[-1].removesuffix("s")) in self.soft

    def group(self, words: tuple[str, ...]) -> list[Option]:
        """Every value a name stands for together: a region ("europe"), or a plural head
        noun shared by several names ("mugs" -> every product ending in "Mug").

        A word inside a name ("running" of "Running Sock 3-Pack") or a singular head
        ("wash" of "Body Wash") names nothing here: it matches only as the whole value.
        """
        found = self.groups.get(words)
        if found is None and len(words) == 1:
            found = self._heads.get(words[0])
        return found or []

    @cached_property
    def _heads(self) -> dict[str, list[Option]]:
        """Plural head noun -> the multi-word values of one dimension ending in it."""
        found: dict[str, set[Option]] = {}
        for key, options in self.exact.items():
            if len(key) > 1 and key not in self.soft and key[-1].isalpha() and len(key[-1]) > 2:
                for option in options:
                    for plural in _plurals(key[-1]):
                        found.setdefault(plural, set()).add(option)
        return {word: sorted(options) for word, options in found.items()
                if len({dim for dim, _ in options}) == 1 and (word,) not in self.exact}

    def containing(self, words: tuple[str, ...]) -> list[tuple[str, ...]]:
        """Multi-word values holding every one of ``words`` ("brand search" -> "google
        search brand", "google search non brand", "search brand"). One word must have four
        letters or more, and a lone word must: "br" alone is no part of a name."""
        if not words or max(map(len, words)) < 4 or min(map(len, words)) < 2:
            return []
        found: set[tuple[str, ...]] | None = None
        for word in words:
            keys = self._by_word.get(word, set())
            if len(word) > 4 and word.endswith("s"):  # "prospecting campaigns" hold no "s"
                keys = keys | self._by_word.get(word[:-1], set())
            found = keys if found is None else found & keys
        return sorted(found or ())

    def fuzzy(self, phrase: str) -> list[tuple[str, float]]:
        """Folded values close to a misspelt ``phrase`` ("sharpy" -> "sharpie"), best first."""
        if len(phrase) < _MIN_FUZZY:
            return []
        hits = process.extract(phrase, self._fuzzy_choices.keys(), scorer=fuzz.ratio,
                               score_cutoff=_FUZZY_CUTOFF, limit=3)
        return [(choice, score) for choice, score, _ in hits  # "mother" is not "other"
                if choice[0] == phrase[0] and close_enough(phrase, choice, score)]


def _plurals(noun: str) -> tuple[str, ...]:
    """ "mug" -> "mugs"; "pouch" -> "pouches"; "strap" -> "straps"."""
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return (noun + "es",)
    return (noun + "s",)


def close_enough(typed: str, choice: str, score: float) -> bool:
    """A typo, not another word: very similar, or similar with a long shared start.

    "revnue"/"revenue" (92) passes on similarity; "sharpy"/"sharpie" (77) on its
    five shared first letters; "weekday"/"weekly" (77, four letters) does not. Two
    neighbouring letters swapped ("ordres"/"orders") is a typo at any score.
    """
    if score >= 85:
        return True
    if len(typed) == len(choice) and OSA.distance(typed, choice) == 1 and sorted(typed) == sorted(choice):
        return True
    shared = 0
    for a, b in zip(typed, choice, strict=False):
        if a != b:
            break
        shared += 1
    return score >= _FUZZY_CUTOFF and shared >= 5


_CACHE: dict[int, tuple[Vocabulary, VocabIndex]] = {}


def index_for(vocabulary: Vocabulary) -> VocabIndex:
    """The index of ``vocabulary``, cached by identity.

    Building takes about a millisecond for a small shop and half a second for
    5,000 products, so callers keep one Vocabulary object per workspace and
    replace it when the data changes (as ``agents.vocabulary`` does).
    """
    cached = _CACHE.get(id(vocabulary))
    if cached and cached[0] is vocabulary:
        return cached[1]
    index = _build(vocabulary)
    if len(_CACHE) > 64:  # a bot serves a handful of workspaces; keep memory flat anyway
        _CACHE.clear()
    _CACHE[id(vocabulary)] = (vocabulary, index)
    return index


def _build(vocabulary: Vocabulary) -> VocabIndex:
    index = VocabIndex(sources=_sources(vocabulary))
    for dimension, values in vocabulary.values.items():
        for value in values:
            if value is not None and str(value).strip():  # stored values may be NULL
                index.add(str(value), (dimension, str(value)))
    for dimension, aliases in vocabulary.aliases.items():
        for alias, value in aliases.items():
            index.add(alias, (dimension, value))
    _add_the_place(index, vocabulary)
    _add_first_and_last(index)
    _add_prefixes(index)
    codes = {v.upper(): v for v in vocabulary.values.get("country", ())}
    for name, code in COUNTRY_NAMES.items():
        if code in codes:
            index.add(name, ("country", codes[code]))
        else:
            index.absent_countries[fold(name)] = code
    for name, members in REGIONS.items():
        stored = [("country", codes[code]) for code in sorted(members) if code in codes]
        if stored and tuple(fold(name).split()) not in index.exact:
            index.groups[tuple(fold(name).split())] = stored
    _add_synonyms(index, vocabulary)
    return index


def _add_synonyms(index: VocabIndex, vocabulary: Vocabulary) -> None:
    """Everyday names of stored values, where no stored name already uses the words."""
    for dimension, table in VALUE_SYNONYMS.items():
        stored = {fold(str(v)): str(v) for v in vocabulary.values.get(dimension, ()) if v}
        for value, names in table.items():
            if fold(value) not in stored:
                continue
            for name in names:
                key = tuple(fold(name).split())
                if key not in index.exact or key in index.soft:  # "facebook": channel and source
                    index.add(name, (dimension, stored[fold(value)]))
                    index.soft.add(key)


# "at the store", "in the warehouse": the one location of that kind, when there is one.
_PLACE_KINDS = ("store", "warehouse", "depot", "distribution center")


def _add_the_place(index: VocabIndex, vocabulary: Vocabulary) -> None:
    """ "the store" (or "our store") names the only location whose name holds "store"
    ("SoHo Store"), so "stock at the store" is filtered to it; with two stores, or none, it
    names nothing."""
    for kind in _PLACE_KINDS:
        held = [str(v) for v in vocabulary.values.get("location", ())
                if v and f" {kind} " in f" {fold(str(v))} "]
        for said in (f"the {kind}", f"our {kind}"):
            if len(held) == 1 and tuple(said.split()) not in index.exact:
                index.add(said, ("location", held[0]))


def _add_first_and_last(index: VocabIndex) -> None:
    """ "the organic tee" names "Organic Cotton Tee": a name of three words or more said by
    its first and last word, when no other value is said that way."""
    named: dict[tuple[str, ...], set[Option]] = {}
    for key, options in index.exact.items():
        ends = (key[0], key[-1])
        if len(key) < 3 or not (ends[0].isalpha() and ends[1].isalpha()) or len(ends[1]) < 3:
            continue
        if (ends[0],) in index.exact and (ends[1],) in index.exact:
            continue  # "meta br": a channel and a country, not "Meta — Prospecting BR"
        named.setdefault(ends, set()).update(options)
    for pair, held in named.items():
        if len(held) == 1 and pair not in index.exact:
            index.exact[pair] = sorted(held)


def _add_prefixes(index: VocabIndex) -> None:
    """ "black friday" names "Black Friday 2025" when no other value starts that way.

    Matched with the multi-word values, before periods, so "friday" in a campaign
    name is not read as last Friday.
    """
    prefixes: dict[tuple[str, ...], set[Option]] = {}
    for key, options in index.exact.items():
        for length in range(2, len(key)):
            prefixes.setdefault(key[:length], set()).update(options)
    for prefix, named in prefixes.items():
        if len(named) == 1 and prefix not in index.exact:
            index.exact[prefix] = sorted(named)


def _sources(vocabulary: Vocabulary) -> frozenset[str]:
    """The finer data sources: marketing splits into ad platforms and web analytics.

    A marketing workspace whose vocabulary shows ad channels but no web mediums
    (or the reverse) only has that half; with neither shown, both are assumed.
    """
    found = {v for v in vocabulary.verticals if v in ("shop", "saas", "ops", "betting")}
    if "marketing" in vocabulary.verticals:
        has_ads = bool(vocabulary.values.get("channel"))
        has_web = bool(vocabulary.values.get("medium"))
        if has_ads or not has_web:
            found.add("ads")
        if has_web or not has_ads:
            found.add("web")
    return frozenset(found)
