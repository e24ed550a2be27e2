"""Readings to offer when a question is refused: 1-3 complete questions that work here.

A refusal is a dead end unless it says what would work. From what the parser found,
this builds the likely readings: an unknown word replaced by the nearest word of the
workspace (a value, a dimension, a metric or period word) or left out; a word that
could mean two things, each way; a question with no metric, with the workspace's main
metrics. Every reading is parsed again on this workspace and kept only when it parses
to a query, so a choice never leads to another refusal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date

from rapidfuzz import fuzz, process

from agents.parser.dimensions import DIM_WORDS, GRAINS
from agents.parser.lexer import Unknown
from agents.parser.spelling import nearest
from agents.parser.types import Parsed, Unanswerable
from agents.parser.unknown import MEANING_BEFORE
from agents.parser.vocab_index import VocabIndex
from agents.parser.words import BY_WORDS
from storage.catalog.model import Query

MAX_CHOICES = 3
MAX_TRIED = 8  # readings parsed at most per refusal: a refusal stays a few milliseconds
# A question with no metric: the metrics each source is most often asked about.
MAIN_METRICS = {"shop": ("revenue", "orders"), "saas": ("mrr",), "ads": ("ad spend", "roas"),
                "web": ("sessions",), "ops": ("units on hand",), "betting": ("profit", "roi")}
_NO_METRIC = "which number?"
_BREAKDOWNS = tuple(sorted({*DIM_WORDS, *GRAINS}))

Reparse = Callable[[str], object]


def with_choices(refused: Unanswerable, text: str, unknown: list[Unknown],
                 readings: tuple[tuple[str, str], ...], index: VocabIndex,
                 reparse: Reparse, today: date | None = None) -> Unanswerable:
    """``refused`` with the readings of ``text`` that parse (none found: unchanged).

    Args:
        refused: the refusal as the parser made it.
        text: the question as the stages read it (slang spelled out, typos corrected).
        unknown: the words no stage understood, where they stand in ``text``.
        readings: (words, what they may mean) pairs from the refusal or the spelling.
        index: the workspace's vocabulary.
        reparse: parses a question on the same workspace, offering no choices itself.
        today: the as-of day, to read an ambiguous "3/4" both ways.
    """
    chosen: list[str] = []
    queries: list[Query] = []
    dates = [(c, True) for c in _date_readings(text, today)] if today else []
    tried: set[str] = set()
    for candidate, natural in itertools.chain(dates, _candidates(refused, text, unknown,
                                                                 readings, index)):
        if len(chosen) == MAX_CHOICES or len(tried) == MAX_TRIED:
            break
        if not candidate or candidate in tried:
            continue
        tried.add(candidate)
        parsed = reparse(candidate)
        if isinstance(parsed, Parsed) and parsed.query not in queries:
            chosen.append(candidate if natural else _plain(parsed, reparse) or candidate)
            queries.append(parsed.query)
    return replace(refused, choices=tuple(chosen)) if chosen else refused


_PLACES = frozenset({"country", "location", "league"})
_COMPARE = {"previous": "vs previous period", "year": "vs last year",
            "week": "vs same day last week"}


def _plain(parsed: Parsed, reparse: Reparse) -> str | None:
    """The reading as a plain question, when that parses to the very same query."""
    plain = as_question(parsed)
    again = reparse(plain) if plain else None
    return plain if isinstance(again, Parsed) and again.query == parsed.query else None


def as_question(parsed: Parsed) -> str | None:
    """A plain question for a metric reading ("revenue by country in BR last week"); None
    for rankings and lists, whose wording the asker's own text keeps better."""
    query = parsed.query
    if parsed.intent != "metric" or query.order or query.limit or query.min_count:
        return None
    words = [" and ".join(m.replace("_", " ") for m in query.metrics)]
    if query.dimensions:
        words.append("by " + " and ".join(d.replace("_", " ") for d in query.dimensions))
    for flt in query.filters:
        place = "in " if flt.dimension in _PLACES else "for "
        words.append(("excluding " if flt.exclude else place) + " and ".join(flt.values))
    if query.period is not None:
        words.append(query.period.phrase)
    if query.compare:
        words.append(_COMPARE.get(query.compare, ""))
    return " ".join(w for w in words if w)


def _candidates(refused: Unanswerable, text: str, unknown: list[Unknown],
                readings: tuple[tuple[str, str], ...],
                index: VocabIndex) -> Iterator[tuple[str, bool]]:
    """(question, keep the asker's words): each side of a tie reads naturally as typed
    ("orders on thursday"); a nearest word, a word left out or a metric put in front is
    better said plainly ("revenue by week", not "revenue by weekly")."""
    for typed, meant in readings:  # a word left out is said plainly, a word replaced as typed
        yield _tidy(_replace_words(text, typed, meant)), bool(meant)
    for typed in dict.fromkeys(typed for typed, meant in readings if meant):
        yield _tidy(_replace_words(text, typed, "")), False  # or without the word
    for word in unknown[:2]:
        for meant in _replacements(word, index):
            yield _tidy(text[:word.start] + meant + text[word.start + len(word.said):]), False
    if unknown:
        yield _tidy(_without(text, unknown)), False
    if any(note.startswith("metric") for note in refused.understood):
        for quoted in re.findall(r"'([^']+)'", refused.missing):  # what the refusal names
            if quoted.lower() in text.lower():
                yield _tidy(_replace_words(text, quoted, "")), False
        for note in refused.understood:  # a breakdown or filter that cannot be: left out
            kind, _, said = note.partition(": ")
            if kind in ("by", "filter", "excluding") and said:
                yield _tidy(_LEAD.sub("", _replace_words(text, said, "\x01"))), False
    if refused.missing.startswith(_NO_METRIC) or (unknown and not refused.understood):
        for source in (s for s in MAIN_METRICS if s in index.sources):
            for metric in MAIN_METRICS[source]:
                yield _tidy(f"{metric} {_without(text, unknown)}"), False


_SLASH_DATE = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})(?:/(\d{4}))?(?![\d/.])")


def _date_readings(text: str, today: date) -> list[str]:
    """ "revenue on 3/4": the question with March 4 and with April 3, as ISO dates (the
    most recent such day when no year is written)."""
    match = _SLASH_DATE.search(text)
    if not match or match.group(1) == match.group(2):
        return []
    a, b = int(match.group(1)), int(match.group(2))
    found = []
    for month, day in ((a, b), (b, a)):
        try:
            when = date(int(match.group(3) or today.year), month, day)
        except ValueError:
            continue
        if not match.group(3) and when > today:
            when = when.replace(year=when.year - 1)
        found.append(text[:match.start()] + when.isoformat() + text[match.end():])
    return found


def _replacements(word: Unknown, index: VocabIndex) -> list[str]:
    """The nearest words of the workspace, of the kind the word's place asks for."""
    if word.before in BY_WORDS:
        hits = process.extract(word.folded, _BREAKDOWNS, scorer=fuzz.ratio, score_cutoff=55,
                               limit=2)
        return [hit for hit, _, _ in hits]
    return nearest(word.folded, index, limit=2, most=1 if len(word.folded) <= 5 else 2)


def _without(text: str, unknown: list[Unknown]) -> str:
    """``text`` without the unknown words, and a filter word left hanging before one."""
    for word in sorted(unknown, key=lambda u: -u.start):
        start, end = word.start, word.start + len(word.said)
        if word.before in MEANING_BEFORE:
            before = re.search(r"(\w+)\W*$", text[:start])
            if before and before.group(1).lower() == word.before:
                start = before.start(1)
        text = text[:start] + " " + text[end:]
    return text


# A filter or breakdown word left hanging before a phrase taken out (marked \x01).
_LEAD = re.compile(r"(?:\b(?:by|per|in|from|for|on|at|excluding|except|without)\s+)?\x01",
                   re.IGNORECASE)


def _replace_words(text: str, typed: str, meant: str) -> str:
    pattern = re.compile(rf"(?<!\w){re.escape(typed)}(?!\w)", re.IGNORECASE)
    return pattern.sub(meant, text, count=1)


def _tidy(text: str) -> str:
    return " ".join(text.replace("\x00", " ").split()).strip(" ,.;:!?")
