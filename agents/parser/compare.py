"""Comparisons: "vs last month", "YoY", "compared to the week before", "is revenue up?".

Found before periods, because "vs last year" must not be read as the period
"last year": "revenue last year" is a period, "revenue this month vs last year"
a comparison. metrics.md has three comparisons: the previous period of the same
kind ("previous"), the same dates a year earlier ("year"), and the same day a week
earlier ("week": "yesterday vs the same day last week").
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.parser.dates import MONTH
from agents.parser.text import NUMBER, Sentence, to_int
from agents.parser.text import phrase_pattern as _rx
from storage.catalog.model import Compare
from storage.catalog.periods import MONTHS


@dataclass(frozen=True)
class CompareHit:
    """A comparison as said.

    Attributes:
        kind: "previous", "year" or "week" (the same day a week earlier).
        unit: the calendar unit named ("month" in "vs last month"; "days" in "vs the
            previous 30 days"), to check it matches the period asked.
        implied: the period the unit implies when none is said: "revenue vs last month"
            is this month against last month, so "this month".
        words: the asker's words, for the notes.
    """

    kind: Compare
    unit: str | None
    implied: str | None
    words: str



# "from"/"over"/"since" only count after a change word: "orders from last month" is a period.
_VS = (r"(?:(?:(?:trend(?:ing)?|change|growth|up|down) )?(?:vs|versus|v|compared to|"
       r"compared with|comparing to|compare to|compare with|against|relative to|than|"
       r"(?:running |tracking |pacing )?(?:ahead of|behind))|"
       r"(?:change|growth|increase|decrease|difference|delta|up|down|grew|dropped) "
       r"(?:from|over|since|on))")  # a "trend over the last 12 months" is a series, not a change
_UNIT = r"(?:day|week|wk|month|mo|mth|quarter|qtr|period)"
_CHANGED = r"(?:change|changed|go|went|move|moved|grow|grew|drop|dropped|shift|shifted)"
# "this week vs last" ends there: "vs last sunday" names a day, "vs last 30 days" a span.
_NOTHING_AFTER = r"(?!\s+(?!(?:one|pls|please|thanks|thx)\b)[a-z0-9])"
_YEAR_PATTERNS = [
    _rx(rf"{_VS} (?:the )?(?:same (?:period|time|dates?|days?|week|month|quarter) )?"
        r"(?:(?:in|of) )?(?:last|previous|prior|a|one|the previous|the prior) (?:year|yr)"
        r"(?: ago| to date)?"),
    _rx(rf"{_VS} (?:this|that) time last (?:year|yr)|{_VS} ly"),
    _rx(r"yoy|year over year|yr over yr|year on year|y o y|"
        r"(?:the )?same (?:period|time|dates|week|month|quarter) (?:last|a) year|"
        r"(?:this|that) time last year"),
    # "this year vs last": the year named just before is the unit
    _rx(rf"(?:(?<=year\s)|(?<=yr\s)|(?<=ytd\s)){_VS} (?:the )?(?:last|previous|prior)"
        rf"{_NOTHING_AFTER}(?: one)?"),
]
# "vs the same day last week": the same weekday seven days earlier (metrics.md).
_WEEK_PATTERNS = [
    _rx(rf"{_VS} (?:the )?same (?:day|weekday|day of the week|day of week)(?: of)? "
        r"(?:last|previous|prior|the previous|the prior|a) (?:week|wk)(?: ago)?"),
    _rx(rf"{_VS} (?:the )?same (?:day|weekday) a (?:week|wk) (?:ago|earlier|before)"),
    _rx(rf"{_VS} (?:a|one|1) (?:week|wk) (?:ago|earlier|before)"),
    _rx(r"(?:the )?same (?:day|weekday) (?:last|previous|prior|a) (?:week|wk)(?: ago)?"),
]
_PREVIOUS_PATTERNS = [
    # "mtd vs last mtd" (slang spells it "month to date vs last month to date")
    _rx(rf"{_VS} (?:the )?(?:last|previous|prior) (?P<unit>week|month|quarter|year) to date"),
    _rx(rf"{_VS} (?:the )?(?:previous|prior|preceding|last|past|earlier) "
        rf"(?P<unit>{_UNIT}|{NUMBER} (?:days|weeks|months))"),
    _rx(rf"{_VS} (?:the )?(?P<unit>{_UNIT}) (?:before|prior|earlier)"),
    _rx(rf"{_VS} (?:the )?(?:previous|prior|preceding) (?:one|period)|{_VS} (?:before|prior|"
        r"earlier|last time)|" + rf"{_VS} (?P<unit>yesterday)"),
    # "compare revenue last week with the week before": "compare" opens, "with" compares.
    _rx(rf"(?:with|to|against|and) (?:the )?(?P<unit>{_UNIT}) (?:before|prior|earlier)"),
    _rx(rf"(?:with|against) (?:the )?(?:previous|prior|preceding) (?P<unit>{_UNIT})"),
    _rx(r"(?P<unit>mom|wow|qoq|dod|m o m|w o w|q o q|month over month|week over week|"
        r"quarter over quarter|day over day|month on month|week on week)|period over period|pop"),
    # "this week vs last", "mtd vs same period last month", "the 30 days vs the 30 before"
    _rx(rf"{_VS} (?:the )?same (?:period|time|dates|days) (?:last|previous|prior) "
        rf"(?P<unit>{_UNIT})"),
    _rx(rf"{_VS} (?:the )?{NUMBER}(?: days| weeks| months)? (?:before|prior|earlier)"),
    _rx(rf"{_VS} (?:the )?(?:last|previous|prior){_NOTHING_AFTER}"
        r"(?: one)?"),
]
_UNIT_NAMES = {"wk": "week", "mo": "month", "mth": "month", "qtr": "quarter",
               "yesterday": "day", "mom": "month", "m o m": "month", "wow": "week",
               "w o w": "week", "qoq": "quarter", "q o q": "quarter", "dod": "day"}

# Said with a metric, these ask for a change against the previous period.
CHANGE_WORDS = frozenset({
    "change", "changes", "changed", "growth", "grow", "grew", "growing", "grown", "delta",
    "diff", "difference", "increase", "increased", "decrease", "decreased", "drop",
    "dropped", "rise", "rose", "risen", "declined", "decline", "up", "down", "trending",
    "improve", "improved", "worse", "better", "vs", "versus", "compared", "compare",
})


def find_compare(sentence: Sentence) -> CompareHit | None:
    """Consumes the comparison phrase of the question, if any ("year" wins over "previous")."""
    for pattern in _YEAR_PATTERNS:
        if found := sentence.take(pattern):
            words = sentence.original(found[0].start(), found[0].end())
            return CompareHit("year", None, None, words)
    for pattern in _WEEK_PATTERNS:
        if found := sentence.take(pattern):
            words = sentence.original(found[0].start(), found[0].end())
            return CompareHit("week", "day", "today", words)
    for pattern in _PREVIOUS_PATTERNS:
        if found := sentence.take(pattern):
            match = found[0]
            words = sentence.original(match.start(), match.end())
            unit, implied = _unit(match.groupdict().get("unit"))
            return CompareHit("previous", unit, implied, words)
    return _month_to_next(sentence)


_MONTH_TO_MONTH = _rx(rf"{_CHANGED} (?P<span>from (?P<a>{MONTH}) to (?P<b>{MONTH}))")


def _month_to_next(sentence: Sentence) -> CompareHit | None:
    """ "how did roas change from april to may": May against April, when April is the
    month before May (otherwise "from april to june" stays a range of months)."""
    match = _MONTH_TO_MONTH.search(sentence.text)
    if match is None or (MONTHS[match.group("b")] - MONTHS[match.group("a")]) % 12 != 1:
        return None
    sentence.blank(match.start("span"), match.end("span"))
    words = sentence.original(match.start("span"), match.end("span"))
    return CompareHit("previous", "month", match.group("b"), words)


def _unit(said: str | None) -> tuple[str | None, str | None]:
    """The unit named and the period it implies: "month" -> ("month", "this month")."""
    if not said:
        return None, None
    words = said.split()
    if len(words) == 2:  # "30 days", "two weeks"
        count, unit = to_int(words[0]), words[1].rstrip("s")
        return f"{unit}s", f"last {count} {unit}s"
    unit = _UNIT_NAMES.get(" ".join(words), words[0])
    if unit == "period":
        return None, None
    return unit, "today" if unit == "day" else f"this {unit}"
