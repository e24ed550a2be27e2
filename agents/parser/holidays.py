"""Holidays and other named days and spans the period rules miss: "on memorial day",
"black friday last year", "mother's day 2024", "the day before yesterday", "Q4 last
year", "jan through march".

Dates are the US ones (Mother's Day is the second Sunday of May, Memorial Day the
last Monday of May, Thanksgiving the fourth Thursday of November, Black Friday the
day after). Without a year, a holiday is the most recent one on or before today;
"last year", "this year" or a year ("2024") picks that year's. The reply restates
the day, so the asker sees which date was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from agents.parser.dates import MONTH, YEAR
from agents.parser.text import Sentence, phrase_pattern
from storage.catalog.periods import MONTHS


def _nth(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of the month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last(year: int, month: int, weekday: int) -> date:
    """The last ``weekday`` of the month."""
    after = date(year + month // 12, month % 12 + 1, 1)
    return after - timedelta(days=(after.weekday() - weekday - 1) % 7 + 1)


def _thanksgiving(year: int) -> date:
    return _nth(year, 11, 3, 4)


# Most specific first: "christmas eve" before "christmas", "new year's eve" before "new year's".
_DAYS: dict[str, Callable[[int], date]] = {
    r"new year'?s eve|nye": lambda y: date(y, 12, 31),
    r"new year'?s(?: day)?": lambda y: date(y, 1, 1),
    r"valentine'?s(?: day)?": lambda y: date(y, 2, 14),
    r"mother'?s day": lambda y: _nth(y, 5, 6, 2),
    r"memorial day": lambda y: _last(y, 5, 0),
    r"father'?s day": lambda y: _nth(y, 6, 6, 3),
    r"independence day|(?:the )?fourth of july|(?:the )?4th of july": lambda y: date(y, 7, 4),
    r"labou?r day": lambda y: _nth(y, 9, 0, 1),
    r"halloween": lambda y: date(y, 10, 31),
    r"thanksgiving(?: day)?": _thanksgiving,
    r"black friday": lambda y: _thanksgiving(y) + timedelta(days=1),
    r"cyber monday": lambda y: _thanksgiving(y) + timedelta(days=4),
    r"christmas eve|xmas eve": lambda y: date(y, 12, 24),
    r"christmas(?: day)?|xmas(?: day)?": lambda y: date(y, 12, 25),
    r"boxing day": lambda y: date(y, 12, 26),
}
_PATTERN = phrase_pattern(
    rf"(?:on |over |during |for |at |around )?(?:the )?(?:(?P<rel>last|this) year'?s? )?"
    rf"(?P<h>{'|'.join(f'(?:{name})' for name in _DAYS)})"
    rf"(?: (?:of |in )?(?P<y>{YEAR})| (?P<rel2>last|this) year)?")
# "black friday revenue last year": the year said apart from the holiday is its year.
_YEAR_APART = phrase_pattern(rf"(?:in |for |of )?(?:(?P<rel>last|this) year|(?P<y>{YEAR}))")


def find_holidays(sentence: Sentence, today: date) -> list[tuple[str, str, int]]:
    """Consumes the holidays said, with a year said apart from one when it is the only
    year of the question; returns (canonical one-day phrase, the asker's words, start)."""
    found = []
    for match in sentence.take(_PATTERN):
        words = sentence.original(match.start(), match.end())
        year = _year(match, today)
        apart = list(_YEAR_APART.finditer(sentence.text))
        if year is None and len(apart) == 1:
            year = _year(apart[0], today)
            words = f"{words} ({sentence.original(apart[0].start(), apart[0].end())})"
            sentence.blank(apart[0].start(), apart[0].end())
        said = match.group("h")
        day_of = next(_DAYS[name] for name in _DAYS if re.fullmatch(name, said))
        if year is None:
            year = today.year if day_of(today.year) <= today else today.year - 1
        found.append((day_of(year).isoformat(), words, match.start()))
    for pattern, canonical in _SPANS:
        for match in list(pattern.finditer(sentence.text)):
            if _CHANGE.search(sentence.text[:match.start()]):
                continue  # "how did roas change from april to may": a comparison
            sentence.blank(match.start(), match.end())
            found.append((canonical(match, today), sentence.original(match.start(), match.end()),
                          match.start()))
    return found


_CHANGE = re.compile(r"\b(?:chang\w*|grow\w*|grew|go|went|mov\w*|drop\w*|compar\w*|differ\w*"
                     r"|ris\w*|rose|fell|fall\w*|vs|versus)\b")


def _quarter(match: re.Match[str], today: date) -> str:
    """ "Q4 last year": that quarter of that year."""
    return f"Q{match.group('q') or match.group('q2')} {_year(match, today)}"


def _month_span(match: re.Match[str], today: date) -> str:
    """ "jan through march": the first day of one month to the last of the other, the most
    recent such span that has begun (a year said applies to both)."""
    first, last = MONTHS[match.group("a")], MONTHS[match.group("b")]
    if match.group("y"):  # "nov to feb 2025": the year the span ends in
        year = int(match.group("y")) - (last < first)
    else:
        year = today.year - (date(today.year, first, 1) > today)
    start = date(year, first, 1)
    end_year = year + (last < first)
    end = date(end_year + last // 12, last % 12 + 1, 1) - timedelta(days=1)
    return f"from {start.isoformat()} to {end.isoformat()}"


_SPANS: list[tuple[re.Pattern[str], Callable[[re.Match[str], date], str]]] = [
    (phrase_pattern(r"(?:on )?(?:the )?day before yesterday"),
     lambda _, today: (today - timedelta(days=2)).isoformat()),
    (phrase_pattern(r"(?:in |for |during )?(?:q(?P<q>[1-4]) (?:of )?(?P<rel>last|this) year"
                    r"|(?P<rel2>last|this) year'?s q(?P<q2>[1-4]))"), _quarter),
    (phrase_pattern(rf"(?:from |between )?(?P<a>{MONTH}) (?:through|thru|to|until|till|-) "
                    rf"(?P<b>{MONTH})(?: (?P<y>{YEAR}))?"), _month_span),
]


def _year(match: re.Match[str], today: date) -> int | None:
    groups = match.groupdict()
    if groups.get("y"):
        return int(groups["y"])
    relative = groups.get("rel") or groups.get("rel2")
    return today.year - (relative == "last") if relative else None
