"""Typo tolerance: "revnue" -> revenue, "sharpy" -> Sharpie, "contry" -> country.

Only words the lexer could not place are corrected, only words of five letters
or more (short words have too many neighbours: "roas"/"roi", "cpc"/"cpm"), and
only when one target is clearly closest; two equally close targets are a
question back to the asker, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from agents.parser.dimensions import DIM_WORDS
from agents.parser.lexicon import METRICS, NOT_METRICS
from agents.parser.types import Refusal
from agents.parser.vocab_index import VocabIndex, close_enough

_MIN_LENGTH = 5
_TIE = 3.0  # points within which two different targets are equally likely


@dataclass(frozen=True)
class Correction:
    """What a misspelt phrase most likely meant.

    Attributes:
        kind: "metric", "not_metric", "dim" or "entity".
        key: the folded phrase in that table ("revenue", "sharpie").
        score: similarity, 0-100.
    """

    kind: str
    key: str
    score: float
    target: tuple[str, ...]  # what it resolves to; two keys may name one target


@cache
def _static_choices() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Lexicon phrases, non-metrics and dimension words -> (kind, target)."""
    choices: dict[str, tuple[str, tuple[str, ...]]] = {}
    for entry in METRICS:
        for phrase in entry.phrases:
            names = choices.get(phrase, ("metric", ()))[1]
            choices[phrase] = ("metric", (*names, entry.name))
    choices.update({phrase: ("not_metric", (phrase,)) for phrase in NOT_METRICS})
    choices.update({word: ("dim", dim.options) for word, dim in DIM_WORDS.items()})
    return {k: v for k, v in choices.items() if len(k) >= _MIN_LENGTH}


def correct(phrase: str, index: VocabIndex) -> Correction | None:
    """The one close target of ``phrase`` among metrics, dimensions and entity values.

    Raises:
        Refusal: when two different targets are about equally close.
    """
    if len(phrase) < _MIN_LENGTH or not phrase.replace(" ", "").isalpha():
        return None
    static = _static_choices()
    found = [Correction(*static[choice][:1], choice, score, static[choice][1])
             for choice, score, _ in process.extract(phrase, static.keys(), scorer=fuzz.ratio,
                                                     score_cutoff=70, limit=3)
             if close_enough(phrase, choice, score)
             and not choice.startswith(phrase + " ")]  # "average" is not "average mrr" misspelt
    for choice, score in index.fuzzy(phrase):
        options = index.exact[tuple(choice.split())]
        found.append(Correction("entity", choice, score, tuple(v for _, v in options)))
    if not found:
        return None
    found.sort(key=lambda c: -c.score)
    best = found[0]
    rivals = [c for c in found[1:] if best.score - c.score < _TIE and c.target != best.target]
    if rivals:
        named = (best, *rivals[:2])
        names = " or ".join(f"'{c.key}'" for c in named)
        raise Refusal(f"'{phrase}' could mean {names}; please spell it out",
                      tuple((phrase, c.key) for c in named))
    return best
