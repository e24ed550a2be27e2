"""Calendar dates written in words or with slashes: "march 4th", "1 mar 2025", "25/03/2025".

A date without a year is the most recent one on or before ``as_of`` (people ask
about the past). A slash date is only read when it cannot be misread: "3/4/2025"
is March 4 in the US and 3 April elsewhere, so the parser asks instead.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from agents.parser.types import Refusal
from storage.catalog.periods import MONTHS

MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
         r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?(?!\d)"
YEAR = r"(?:19|20)\d{2}"
# "march 4", "march 4th 2025", "4 march", "4th of march 2025"
TEXT_DATE = rf"(?:{MONTH} {DAY}|{DAY} (?:of )?{MONTH})(?: {YEAR})?"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY = r"(?:mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs?|rsday)?|fri(?:day)?" \
          r"|sat(?:urday)?|sun(?:day)?)"

_SLASH = re.compile(r"(?<![\d/.])(\d{1,4})[/.](\d{1,2})(?:[/.](\d{2,4}))?(?![\d/.])")


def text_date(words: str, today: date, year: int | None = None) -> tuple[date, bool]:
    """Reads a :data:`TEXT_DATE` match; returns the date and whether a year was written.

    Args:
        words: the folded match, e.g. "4th of march 2025".
        today: the as-of day, for a date without a year.
        year: the year to use when none is written (a range's shared year).

    Raises:
        Refusal: for an impossible date ("february 30").
    """
    month = next(MONTHS[w] for w in re.findall(r"[a-z]+", words) if w in MONTHS)
    day = int(re.findall(r"\d{1,2}(?=(?:st|nd|rd|th)?(?:\D|$))", words)[0])
    written = re.search(rf"\b{YEAR}\b", words)
    chosen = int(written.group()) if written else (year or today.year)
    try:
        found = date(chosen, month, day)
    except ValueError:
        raise Refusal(f"'{words}' is not a date") from None
    if not written and year is None and found > today:
        found = found.replace(year=chosen - 1)
    return found, bool(written)


def past_date(words: str, today: date) -> date:
    """A single date as asked ("stock on june 15"): with no year written, a date later than
    ``today`` in the current year is the future and refused, never last year's same day
    (asked on June 1, "june 15" is two weeks ahead, not a year ago).

    Raises:
        Refusal: for a future date (naming the year to write for last year's) or an
            impossible one.
    """
    found, written = text_date(words, today)
    if not written and found.year < today.year:
        raise Refusal(f"'{words}' is after today ({today:%B} {today.day}, {today.year}), so it "
                      "is the future and I only report what already happened; for last "
                      f"year's, say '{words} {found.year}'")
    return found


def weekday_before(name: str, today: date) -> date:
    """The most recent ``name`` day strictly before ``today`` ("last friday", "on monday")."""
    target = next(i for i, day in enumerate(WEEKDAYS) if day.startswith(name[:3]))
    back = (today.weekday() - target) % 7 or 7
    return today - timedelta(days=back)


def slash_dates(text: str, today: date | None = None) -> list[tuple[re.Match[str], date]]:
    """Slash or dotted dates in ``text``, read only when unambiguous.

    "2025/03/04" (year first) and "25/03/2025" (a day above 12) are read, and with
    ``today`` "5/20" (the most recent May 20); "3/4", "3/4/2025" and "03.04.25" are
    refused with a request for ISO dates, unless an unambiguous date of the same message
    shows the order ("5/1-5/15": month first).

    Raises:
        Refusal: for an ambiguous or impossible date.
    """
    found = []
    matches = list(_SLASH.finditer(text))
    month_first = _month_first(matches)
    for match in matches:
        first, second, third = match.group(1), match.group(2), match.group(3)
        if "." in match.group() and not third:
            continue  # "2.5" is a number (odds, units), not a date
        if month_first is not None and len(first) <= 2 and int(first) <= 12 \
                and int(second) <= 12 and (len(third or "") == 4 or (not third and today)):
            # "5/1-5/15": read as the unambiguous date beside it
            month, day = (int(first), int(second)) if month_first else (int(second), int(first))
            parts = (int(third), month, day) if third else _latest(month, day, today)
        elif len(first) == 4 and third:
            parts = (int(first), int(second), int(third))
        elif third and len(third) == 4 and len(first) <= 2:
            a, b = int(first), int(second)
            if a <= 12 and b <= 12 and a != b:
                raise _ambiguous(match.group())
            day, month = (a, b) if a > 12 else (b, a)
            parts = (int(third), month, day)
        elif not third and today is not None and (int(first) > 12) != (int(second) > 12):
            day, month = sorted((int(first), int(second)), reverse=True)  # "5/20": May 20
            year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
            parts = (year, month, day)
        else:
            raise _ambiguous(match.group())
        try:
            found.append((match, date(*parts)))
        except ValueError:
            raise Refusal(f"'{match.group()}' is not a date") from None
    return found


def _latest(month: int, day: int, today: date | None) -> tuple[int, int, int]:
    """The most recent such day on or before ``today``."""
    assert today is not None
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return year, month, day


def _month_first(matches: list[re.Match[str]]) -> bool | None:
    """Whether the unambiguous day-month dates of one message put the month first
    ("5/15": True, "15/5": False); None when there are none or they disagree."""
    orders = {int(m.group(2)) > 12 for m in matches
              if len(m.group(1)) <= 2 and (int(m.group(1)) > 12) != (int(m.group(2)) > 12)
              and "." not in m.group()}
    return orders.pop() if len(orders) == 1 else None


def _ambiguous(written: str) -> Refusal:
    return Refusal(
        f"the date '{written}' is ambiguous (day/month or month/day?); please write it as "
        "YYYY-MM-DD, e.g. 2025-03-04, or say 'March 4 2025'"
    )
