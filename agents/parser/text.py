"""Text clean-up shared by every stage: one folded working string that keeps positions.

Chat text arrives with mentions, emoji, smart quotes, accents and Slack markup.
:func:`prepare` folds it character by character, so the working text stays
exactly as long as the original: a stage that consumes a phrase blanks it with
:data:`GAP` and later stages still know where every word was (filters keep the
order they were said in, and refusals quote the asker's own spelling).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

GAP = "\x00"  # fills consumed spans: not a word character, not whitespace, so no phrase spans it

_APOSTROPHES = "'’‘`´"
_DROP_CATEGORIES = {"So", "Sk", "Cs", "Co", "Cn", "Cf", "Mn", "Me"}  # emoji, marks, joiners
# Each pattern scans a span once: no two adjacent quantifiers over the same characters and
# no run past a second "<", so 40,000 spaces or "<@" repeated take milliseconds, not seconds.
SLACK_MARKUP = re.compile(r"<[@#!][^<>]*>|:[a-z0-9_+-]+:")
_ADDRESS = re.compile(
    r"@tally\b|^[\s,]*(?:(?:hey|hi|hello|yo|ok|okay|oi)[\s,]*)?tally\b[\s,:]*|\btally\s*$"
)
_KEEP_BETWEEN_DIGITS = "/.:-"
_TOKEN = re.compile(r"[a-z0-9]+(?:['&][a-z0-9]+)*|%")

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90,
    "couple": 2, "a couple of": 2,
}
NUMBER = r"(?:\d{1,4}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve" \
         r"|fourteen|fifteen|twenty|thirty|sixty|ninety)"


def phrase_pattern(body: str) -> re.Pattern[str]:
    """A whole-word pattern over the working text.

    A space in ``body`` matches any run of spaces; a trailing possessive is part of
    the match ("yesterday's", "march's").
    """
    spaced = body.replace(" ", r"\s+")
    return re.compile(rf"(?<![a-z0-9])(?:{spaced})(?:'s)?(?![a-z0-9])")


def to_int(word: str) -> int:
    """``"14"`` or ``"fourteen"`` as an int."""
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


@dataclass(frozen=True)
class Token:
    """One word of the working text.

    Attributes:
        text: the folded word, possessive ``'s`` removed ("sharpie's" -> "sharpie").
        start: offset in the text.
        end: offset after the word (including a removed possessive).
        gap_before: a consumed phrase (or the start of the text) lies just before it.
    """

    text: str
    start: int
    end: int
    gap_before: bool


class Sentence:
    """The question being parsed: the asker's text and the folded working copy.

    ``raw`` and ``text`` always have the same length; ``text`` is lower case,
    without accents, emoji or punctuation, and loses each phrase a stage consumes.
    """

    def __init__(self, message: str) -> None:
        raw = unicodedata.normalize("NFC", message)
        raw = _blank(raw, SLACK_MARKUP.finditer(raw.lower()))
        self.raw = raw
        folded = "".join(_fold_char(ch) for ch in raw)
        folded = _blank(folded, _ADDRESS.finditer(folded))
        self.text = _punctuation_to_spaces(folded)

    def is_empty(self) -> bool:
        """No word left at all."""
        return not _TOKEN.search(self.text)

    def plain(self) -> str:
        """The working text as single-spaced words (for whole-text patterns)."""
        return " ".join(self.text.replace(GAP, " ").split())

    def take(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """Finds every match of ``pattern`` in the working text and consumes it."""
        found = list(pattern.finditer(self.text))
        for match in found:
            self.blank(match.start(), match.end())
        return found

    def blank(self, start: int, end: int) -> None:
        """Consumes ``text[start:end]``."""
        self.text = self.text[:start] + GAP * (end - start) + self.text[end:]

    def original(self, start: int, end: int) -> str:
        """The asker's own spelling of ``text[start:end]``."""
        return " ".join(self.raw[start:end].split())

    def is_upper(self, start: int, end: int) -> bool:
        """The asker typed the span in capitals ("BR", "NBA")."""
        span = self.raw[start:end]
        return span.isupper()

    def tokens(self) -> list[Token]:
        """The words still unconsumed, in order."""
        return list(self._tokens())

    def _tokens(self) -> Iterator[Token]:
        previous_end = 0
        for match in _TOKEN.finditer(self.text):
            word = match.group()
            if word.endswith("'s"):
                word = word[:-2]
            gap = previous_end == 0 or GAP in self.text[previous_end:match.start()]
            previous_end = match.end()
            yield Token(word.replace("'", ""), match.start(), match.end(), gap)


def _fold_char(ch: str) -> str:
    """One character, lower case without accents; emoji and marks become spaces."""
    if ch in _APOSTROPHES:
        return "'"
    if unicodedata.category(ch) in _DROP_CATEGORIES:
        return " "
    base = unicodedata.normalize("NFKD", ch)[:1] or " "
    lower = base.lower()
    return lower if len(lower) == 1 else base


def _blank(text: str, matches: Iterator[re.Match[str]]) -> str:
    chars = list(text)
    for match in matches:
        chars[match.start():match.end()] = " " * (match.end() - match.start())
    return "".join(chars)


def _punctuation_to_spaces(text: str) -> str:
    """Keeps letters, digits, ``& % +``, apostrophes inside words and date separators."""
    text = text.replace("y/y", "yoy").replace("w/l", "w l").replace("p/l", "p&l")
    chars = list(text)
    for i, ch in enumerate(chars):
        if ch.isalnum() or ch in " &%+" or ch == GAP:
            continue
        before = chars[i - 1] if i else " "
        after = chars[i + 1] if i + 1 < len(chars) else " "
        if ch in _KEEP_BETWEEN_DIGITS and before.isdigit() and after.isdigit():
            continue
        if ch == "'" and before.isalpha() and after.isalpha():
            continue
        chars[i] = " "
    return "".join(chars)


def fold(value: str) -> str:
    """A stored value folded like the working text ("Linen-Shirt" -> "linen shirt")."""
    folded = "".join(_fold_char(ch) for ch in unicodedata.normalize("NFC", value))
    return " ".join(_punctuation_to_spaces(folded).split())
