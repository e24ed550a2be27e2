"""The deterministic question parser: chat text -> catalog query, help, or a refusal.

Stages run in a fixed order, each consuming the words it understands so later
stages never read them twice:

0. spelling: slang spelled out, missing spaces put back, typos of words nothing knows
   corrected against the workspace's vocabulary (:mod:`agents.parser.spelling`);
1. whole-message intents: help and greetings, requests to change data;
2. slash dates (refused when ambiguous) and multi-word entity values;
3. inventory lists and the leaderboard's minimum bets;
4. comparisons ("vs last year" before the period "last year"), then periods;
5. questions about the future (after inventory, whose "in 14 days" is a horizon);
6. rankings; then the word pass (metrics, entities, breakdowns, typos);
7. resolution against the workspace's data, and the query; unknown words that cannot
   change the number are read past (and reported in ``Parsed.assumed``), others refuse
   with choices (:mod:`agents.parser.choices`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from agents.parser.build import build
from agents.parser.choices import with_choices
from agents.parser.compare import find_compare
from agents.parser.dates import slash_dates
from agents.parser.draft import Draft
from agents.parser.guild import find_everyone, refuse_advice, refuse_bettor_counts, refuse_sides, take_guild
from agents.parser.intents import find_min_bets, find_stock_ask, help_or_greeting, refuse_changes, refuse_future
from agents.parser.lexer import lex, take_multiword_entities
from agents.parser.periods import PeriodHit, find_periods, resolve
from agents.parser.rankings import find_ranking
from agents.parser.spelling import Respelled, respell
from agents.parser.text import Sentence
from agents.parser.types import Help, ParseContext, Parsed, Refusal, Unanswerable
from agents.parser.vocab_index import VocabIndex, index_for
from storage.catalog.periods import AsOf

T = TypeVar("T")
EMPTY = "the message is empty; ask about a metric, e.g. 'revenue last week', or say 'help'"


def parse(text: str, ctx: ParseContext, *,
          offer_choices: bool = True) -> Parsed | Help | Unanswerable:
    """Parses one chat message.

    Args:
        text: the message as typed (mentions, emoji, markup, slang and typos are tolerated).
        ctx: the as-of instant, the workspace vocabulary and the asker's name.
        offer_choices: work out the readings a refusal offers (each is parsed again).

    Returns:
        :class:`Parsed` with the catalog query (``assumed`` lists typos corrected and
        filler read past); :class:`Help` for help and greetings; :class:`Unanswerable`
        when part of the question that could change the number is not understood or
        the workspace has no data for it: the parser refuses rather than guesses, with
        up to three readings that do work as ``choices``.
    """
    if not text.strip():
        return Unanswerable((), EMPTY)
    index = index_for(ctx.vocabulary)
    spelled = respell(text, index)
    sentence = Sentence(spelled.text)
    if (help_asked := help_or_greeting(sentence)) is not None:
        return help_asked
    if sentence.is_empty():
        return Unanswerable((), EMPTY)
    notes: list[str] = []
    draft: Draft | None = None
    try:
        draft = _draft(sentence, ctx, notes, index)
        parsed = build(draft)
    except Refusal as refusal:
        return _refused(refusal, notes, sentence, draft, spelled, ctx, offer_choices)
    return replace(parsed, understood=(*parsed.understood, *spelled.corrected),
                   assumed=(*spelled.corrected, *parsed.assumed))


def _refused(refusal: Refusal, notes: list[str], sentence: Sentence, draft: Draft | None,
             spelled: Respelled, ctx: ParseContext, offer_choices: bool) -> Unanswerable:
    """The refusal, with the words not understood and the readings that would work."""
    unknown = draft.lexed.unknown if draft is not None else []
    typed = [u.said for u in unknown if any(ch.isalpha() for ch in u.said)]  # not "3", "%"
    typed += [w for w in spelled.ties if w not in notes]
    refused = Unanswerable(tuple(notes), refusal.missing, unknown=tuple(dict.fromkeys(typed)))
    if not offer_choices:
        return refused
    ties = tuple((word, meant) for word, targets in spelled.ties.items() for meant in targets)
    return with_choices(refused, sentence.raw, unknown, refusal.readings + ties,
                        index_for(ctx.vocabulary),
                        lambda question: parse(question, ctx, offer_choices=False),
                        ctx.as_of.day)


def _draft(sentence: Sentence, ctx: ParseContext, notes: list[str], index: VocabIndex) -> Draft:
    """Runs the finding stages. A date or future refusal waits until the rest of the
    question is read, so the reply can say what was understood ("revenue", but "next
    month" is the future)."""
    refuse_changes(sentence)
    refuse_advice(sentence, index.sources)
    refuse_bettor_counts(sentence, index.sources)
    take_guild(sentence, index.sources)
    deferred: list[str] = []
    no_periods: list[PeriodHit] = []
    dated = _deferring(deferred, lambda: _slash_periods(sentence, ctx.as_of), no_periods)
    early = take_multiword_entities(sentence, index)
    refuse_sides(sentence, index.sources)
    stock = find_stock_ask(sentence)
    everyone = find_everyone(sentence)  # before the minimum of bets reads "everyone"
    min_bets = find_min_bets(sentence)
    compare = find_compare(sentence)
    found = _deferring(deferred, lambda: find_periods(sentence, ctx.as_of), no_periods)
    periods = sorted(dated + found, key=lambda hit: hit.start)
    _deferring(deferred, lambda: refuse_future(sentence), None)
    ranking = find_ranking(sentence)
    lexed = lex(sentence, index, early)
    return Draft(ctx.as_of, ctx.vocabulary, index, ctx.user_name, lexed, periods, compare,
                 ranking, stock, min_bets, notes, deferred[0] if deferred else None,
                 raw=sentence.raw, everyone=everyone)


def _deferring(deferred: list[str], stage: Callable[[], T], fallback: T) -> T:
    """Runs ``stage``; a refusal is kept in ``deferred`` and ``fallback`` returned."""
    try:
        return stage()
    except Refusal as refusal:
        deferred.append(refusal.missing)
        return fallback


def _slash_periods(sentence: Sentence, as_of: AsOf) -> list[PeriodHit]:
    """Unambiguous slash dates ("25/03/2025") as one-day periods; two joined by "-" or "to"
    ("5/1-5/15") as one span of days."""
    hits: list[PeriodHit] = []
    found = slash_dates(sentence.text, as_of.day)
    for k, (match, day) in enumerate(found):
        start, end, phrase = match.start(), match.end(), day.isoformat()
        if k and _SPAN.fullmatch(sentence.text[found[k - 1][0].end():start]) and hits:
            start, phrase = hits.pop().start, f"from {found[k - 1][1].isoformat()} to {phrase}"
        words = sentence.original(start, end)  # "5/1-5/15": one span of days
        hits.append(PeriodHit(phrase, resolve(phrase, as_of, words), words, start))
        sentence.blank(start, end)
    return hits


_SPAN = re.compile(r"\s*(?:-|–|to|through|thru|until|till)\s*")
