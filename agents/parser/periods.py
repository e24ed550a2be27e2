"""Period phrases in free text, normalized to the canonical phrases of metrics.md.

Each rule finds a colloquial form ("so far this month", "last 7d", "past week",
"since the start of the year", "in march", "from march 1 to march 15 2025",
"yesterday's", "this wk", "prev month") and rewrites it to a phrase
:func:`storage.catalog.periods.resolve_period` accepts, so there is one meaning
of each period in the product. Rules run most specific first and consume what
they match; two different periods in one question are refused.

Decisions where the spec is silent: "past week/month/quarter/year" are rolling
7/30/90/365 days ("past week" = "last 7 days" as the brief says); "last week"
keeps its metrics.md meaning (the previous ISO week) even as "the last week";
"last march" is the most recent March that has ended; a weekday ("on friday",
"last friday") is the most recent one before today; "last N years/quarters"
become 12N/3N months.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from agents.parser.dates import MONTH, TEXT_DATE, WEEKDAY, YEAR, past_date, text_date, weekday_before
from agents.parser.holidays import find_holidays
from agents.parser.text import NUMBER, Sentence, to_int
from agents.parser.text import phrase_pattern as _rx
from agents.parser.types import Refusal
from storage.catalog.periods import MONTHS, AsOf, Period, outside_calendar, resolve_period
from storage.errors import PeriodError

Rule = tuple[re.Pattern[str], Callable[[re.Match[str], date], str]]


@dataclass(frozen=True)
class PeriodHit:
    """A period found in the text: the canonical phrase, the period, the asker's words."""

    phrase: str
    period: Period
    words: str
    start: int



_ISO = r"\d{4}-\d{2}-\d{2}"
_TO = r"(?:to|until|till|through|thru|and|-|–)"
_UNITS = {"week": "week", "wk": "week", "month": "month", "mo": "month", "mth": "month",
          "quarter": "quarter", "qtr": "quarter", "q": "quarter", "year": "year", "yr": "year"}
_UNIT = r"(?P<unit>week|wk|month|mo|mth|quarter|qtr|year|yr)"
_ROLLING = {"week": 7, "fortnight": 14, "month": 30, "quarter": 90, "year": 365}
_LAST = r"(?:last|past|previous|prev|trailing|prior)"
# "last 30" means days unless a noun follows ("last 5 bets" is not a period).
_AFTER_BARE_N = (r"(?:by|vs|versus|for|in|on|and|per|of|excluding|except|without|compared"
                 r"|split|broken|daily|weekly|monthly|pls|please|plz)\b")


def _iso_range(m: re.Match[str], today: date) -> str:
    return f"from {m.group('a')} to {m.group('b')}"


def _since_iso(m: re.Match[str], today: date) -> str:
    return f"from {m.group('a')} to {today.isoformat()}"


def _text_range(m: re.Match[str], today: date) -> str:
    """ "march 1 to march 15 2025", "march 1-15": a year written once applies to both."""
    first, second = m.group("a"), m.group("b")
    month = re.search(MONTH, first)
    if month and not re.search(MONTH, second):
        second = f"{month.group()} {second}"
    written = re.search(YEAR, f"{first} {second}")
    if written:
        start, _ = text_date(first, today, int(written.group()))
        end, _ = text_date(second, today, int(written.group()))
    else:
        start, _ = text_date(first, today)  # the most recent such date
        end, _ = text_date(second, today, start.year)
    if end < start and not written:  # "dec 20 to jan 5" crosses a new year
        end = end.replace(year=end.year + 1)
    return f"from {start.isoformat()} to {end.isoformat()}"


def _since_text(m: re.Match[str], today: date) -> str:
    return f"from {past_date(m.group('a'), today).isoformat()} to {today.isoformat()}"


def _week_of(m: re.Match[str], today: date) -> str:
    """ "the week of oct 12": the ISO week (Monday to Sunday) holding that day; "the week
    starting oct 7": the seven days from that day."""
    text = m.group("a")
    day = date.fromisoformat(text) if re.fullmatch(_ISO, text) else text_date(text, today)[0]
    first = day if m.group("how") != "of" else day - timedelta(days=day.weekday())
    return f"from {first.isoformat()} to {(first + timedelta(days=6)).isoformat()}"


def _one_text_date(m: re.Match[str], today: date) -> str:
    return past_date(m.group("a"), today).isoformat()


def _this(m: re.Match[str], today: date) -> str:
    return f"this {_UNITS[m.group('unit')]}"


def _last(m: re.Match[str], today: date) -> str:
    return f"last {_UNITS[m.group('unit')]}"


def _last_n(m: re.Match[str], today: date) -> str:
    count, unit = to_int(m.group("n")), m.group("unit")[0]
    if unit == "y":
        return f"last {12 * count} months"
    if unit == "q":
        return f"last {3 * count} months"
    return f"last {count} { {'d': 'days', 'w': 'weeks', 'm': 'months'}[unit]}"


def _rolling(m: re.Match[str], today: date) -> str:
    return f"last {_ROLLING[m.group('unit')]} days"


def _quarter(m: re.Match[str], today: date) -> str:
    number = m.group("q")
    quarter = int(number) if number.isdigit() else \
        {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
         "fourth": 4, "4th": 4}[number]
    year = m.group("y")
    if year is None:  # "q3": the most recent Q3 that has started
        current = (today.month - 1) // 3 + 1
        year = str(today.year if quarter <= current else today.year - 1)
    return f"q{quarter} {year}"


def _month_year(m: re.Match[str], today: date) -> str:
    return f"{m.group('m')} {m.group('y')}"


def _last_month_name(m: re.Match[str], today: date) -> str:
    month = MONTHS[m.group("m")]
    return f"{m.group('m')} {today.year if month < today.month else today.year - 1}"


def _since_month(m: re.Match[str], today: date) -> str:
    """ "since march": from the first of the most recent March to today."""
    month = MONTHS[m.group("m")]
    start = date(today.year if month <= today.month else today.year - 1, month, 1)
    return f"from {start.isoformat()} to {today.isoformat()}"


_EDGE_OF = (rf"(?P<x>(?:the |this |last |previous )?(?:week|month|quarter|year)|{MONTH}(?: {YEAR})?"
            rf"|q[1-4](?: {YEAR})?|{YEAR})")


def _edge_period(m: re.Match[str], today: date) -> Period:
    inner = " ".join(m.group("x").split()).replace("the ", "this ").replace("previous ", "last ")
    if re.fullmatch(r"q[1-4]", inner):  # the most recent such quarter
        started = date(today.year, 3 * int(inner[1]) - 2, 1) <= today
        inner = f"{inner} {today.year if started else today.year - 1}"
    inner = inner if " " in inner or not inner.isalpha() or inner in MONTHS else f"this {inner}"
    try:
        return resolve_period(inner, AsOf.for_day(today, ZoneInfo("UTC")))
    except PeriodError as error:
        raise Refusal(f"'{m.group()}': {error}") from None


def _end_of(m: re.Match[str], today: date) -> str:
    """ "MRR at the end of September": the period itself, whose stocks are measured at its end."""
    period = _edge_period(m, today)
    current = re.match(r"(?:the|this) ", m.group("x"))  # "the end of the month": still ahead
    if current or period.end > today + timedelta(days=1):
        raise Refusal(f"'{m.group()}' is about the future; I only report what already happened "
                      "(no forecasts)")
    if period.kind == "month":
        return f"{period.start:%B %Y}".lower()
    if period.kind == "quarter":
        return f"q{(period.start.month - 1) // 3 + 1} {period.start.year}"
    if period.kind == "year":
        return str(period.start.year)
    return f"from {period.start.isoformat()} to {(period.end - timedelta(days=1)).isoformat()}"


def _start_of(m: re.Match[str], today: date) -> str:
    """ "MRR at the start of the year": the end of the day before the period starts."""
    return (_edge_period(m, today).start - timedelta(days=1)).isoformat()


def _last_weekend(m: re.Match[str], today: date) -> str:
    """ "last weekend": Saturday and Sunday of the previous ISO week (the last one that is over)."""
    saturday = today - timedelta(days=today.weekday() + 2)
    return f"from {saturday.isoformat()} to {(saturday + timedelta(days=1)).isoformat()}"


def _this_weekend(m: re.Match[str], today: date) -> str:
    """ "over the weekend": the weekend under way or just over (on a
    Sunday, that Saturday and Sunday; midweek, the last one)."""
    if today.weekday() < 5:
        return _last_weekend(m, today)
    saturday = today - timedelta(days=today.weekday() - 5)
    return f"from {saturday.isoformat()} to {today.isoformat()}"


def _month_half(m: re.Match[str], today: date) -> str:
    """ "the first half of may": the 1st to the 15th; the second half, the 16th to the end
    (of the most recent such month when no year is said)."""
    month = MONTHS[m.group("m")]
    year = int(m.group("y") or 0) or (today.year if month <= today.month else today.year - 1)
    first = m.group("w")[0] in "1f"
    start = date(year, month, 1 if first else 16)
    end = date(year, month, 15) if first else \
        date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return f"from {start.isoformat()} to {end.isoformat()}"


def _half(m: re.Match[str], today: date) -> str:
    """ "H1 2026", "the second half of 2025", "H1 last year": January–June or July–December
    (the most recent such half when no year is said)."""
    first = (m.group("h") or m.group("w") or "1")[0] in "1f"
    year = int(m.group("y") or m.group("y2") or 0)
    if m.group("rel"):
        year = today.year - (1 if m.group("rel") == "last" else 0)
    if not year:
        year = today.year if (first or today.month > 6) else today.year - 1
    start, last = (date(year, 1, 1), date(year, 6, 30)) if first else (date(year, 7, 1), date(year, 12, 31))
    return f"from {start.isoformat()} to {last.isoformat()}"


def _weekday(m: re.Match[str], today: date) -> str:
    return weekday_before(m.group("d") or m.group("d2"), today).isoformat()


def _since_weekday(m: re.Match[str], today: date) -> str:
    return f"from {weekday_before(m.group('d'), today).isoformat()} to {today.isoformat()}"


# "may" alone is the month unless a subject or a verb follows ("may I see", "may be down").
_MODAL_NEXT = (r"(?:i|we|you|it|they|he|she|be|have|has|not|need|want|also|still|well|get|see"
               r"|ask|show|help|know|take|go|drop|rise|fall|look|come)\b")
_RULES: list[Rule] = [
    (_rx(rf"(?:at |as of )?(?:the )?end of {_EDGE_OF}"), _end_of),
    (_rx(r"(?:over |on |during )?(?:the )?(?:last|past|previous|this past) weekend"), _last_weekend),
    (_rx(r"(?:over |on |during )?the weekend"), _this_weekend),
    (_rx(rf"(?:in |for |during )?(?:the )?(?P<w>first|second|1st|2nd) half of (?P<m>{MONTH})"
         rf"(?: (?P<y>{YEAR}))?"), _month_half),
    (_rx(rf"(?:in |for |during )?(?:the )?(?:h(?P<h>[12])(?: of)?(?: (?P<y>{YEAR}))?|(?P<w>first|second|"
         rf"1st|2nd) half(?: of)?(?: (?P<y2>{YEAR}))?)(?: (?:of )?(?P<rel>last|this) year)?"), _half),
    (_rx(rf"(?:for |in |during |over )?(?:the )?week (?P<how>of|starting|beginning) (?:on )?"
         rf"(?P<a>{TEXT_DATE}|{_ISO})"), _week_of),
    (_rx(rf"(?:from |between )?(?P<a>{_ISO}) (?:{_TO} )?(?P<b>{_ISO})"), _iso_range),
    (_rx(rf"since (?P<a>{_ISO})"), _since_iso),
    (_rx(rf"(?:from |between )?(?P<a>{TEXT_DATE}) {_TO} (?P<b>{TEXT_DATE}|\d{{1,2}}"
         rf"(?:st|nd|rd|th)?(?: {YEAR})?)"), _text_range),
    (_rx(rf"(?:from |between )?(?P<a>{MONTH} \d{{1,2}})-(?P<b>\d{{1,2}}(?: {YEAR})?)"),
     _text_range),
    (_rx(rf"since (?P<a>{TEXT_DATE})"), _since_text),
    (_rx(rf"(?:on )?(?P<a>{TEXT_DATE})"), _one_text_date),
    (_rx(rf"(?:on )?{_ISO}"), lambda m, t: m.group().split()[-1]),
    (_rx(r"(?:since|from) (?:the )?(?:start|beginning) of (?:the |this )?" + _UNIT),
     _this),
    (_rx(rf"(?:at |as of |on )?(?:the )?(?:start|beginning) of {_EDGE_OF}"), _start_of),
    (_rx(r"(?:so far )?(?:this|current|the current) " + _UNIT + r"(?: so far| to date)?"),
     _this),
    (_rx(_UNIT + r" to date"), _this),
    (_rx(r"(?P<unit>w|m|q|y)td"),
     lambda m, t: f"this { {'w': 'week', 'm': 'month', 'q': 'quarter', 'y': 'year'}[m['unit']]}"),
    (_rx(rf"(?:the )?(?:last|previous|prev|prior) {_UNIT}"), _last),
    (_rx(rf"(?:in |over |during |for )?(?:the )?{_LAST} (?P<n>{NUMBER})\s*"
         r"(?P<unit>days?|d|weeks?|wks?|w|months?|mos?|mths?|m|years?|yrs?|y|quarters?"
         r"|qtrs?|q)"), _last_n),
    (_rx(r"l(?P<n>\d{1,3})(?P<unit>d|w|m)|(?P<n2>\d{1,3})d"),
     lambda m, t: f"last {m.group('n') or m.group('n2')} "
                  f"{ {'d': 'days', 'w': 'weeks', 'm': 'months'}[m.group('unit') or 'd']}"),
    (_rx(r"ltm|ttm|l12m"), lambda m, t: "last 12 months"),
    (_rx(r"(?:in |over |during )?(?:the )?(?:past|last) (?P<unit>week|month|quarter|year"
         r"|fortnight)"), _rolling),
    (_rx(rf"(?:in |over |for )?(?:the )?{_LAST} (?P<n>\d{{1,3}})(?!\s+(?!{_AFTER_BARE_N})[a-z])"),
     lambda m, t: f"last {m.group('n')} days"),
    (_rx(r"(?:of |for |in |over )?(?:all[ -]?time|ever|lifetime(?! value)|since (?:the )?(?:beginning|start)"
         r"|since (?:we|i) (?:started|opened|launched))"), lambda m, t: "all time"),
    (_rx(r"(?:so far )?today(?: so far)?|tonight"), lambda m, t: "today"),
    (_rx(r"yesterday|yday|yest"), lambda m, t: "yesterday"),
    (_rx(rf"q(?P<q>[1-4])(?: of)?(?: (?P<y>{YEAR}))?|(?P<y2>{YEAR}) q(?P<q2>[1-4])"),
     lambda m, t: _quarter_pair(m, t)),
    (_rx(rf"(?:the )?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th) quarter"
         rf"(?: of)?(?: (?P<y>{YEAR}))?"), _quarter),
    (_rx(rf"(?:in |for |during )?(?P<m>{MONTH})(?: of)? (?P<y>{YEAR})"), _month_year),
    (_rx(rf"last (?P<m>{MONTH})"), _last_month_name),
    (_rx(rf"since (?P<m>{MONTH})"), _since_month),
    (_rx(rf"(?:in|for|during|of|this) (?P<m>{MONTH})|(?P<m2>(?!may {_MODAL_NEXT}){MONTH})"),
     lambda m, t: m.group("m") or m.group("m2")),
    (_rx(rf"(?:in |for |during )?(?P<y>{YEAR})"), lambda m, t: m.group("y")),
    (_rx(rf"since (?P<d>{WEEKDAY})"), _since_weekday),
    (_rx(rf"(?:last|this past|on|this) (?P<d>{WEEKDAY})|(?P<d2>monday|tuesday|wednesday"
         r"|thursday|friday|saturday|sunday)"), _weekday),
]


def _quarter_pair(m: re.Match[str], today: date) -> str:
    if m.group("q2"):
        return f"q{m.group('q2')} {m.group('y2')}"
    return _quarter(m, today)


_HOURS = _rx(r"(?:last|past|previous) (?:\d+ )?(?:hours?|hrs?|h|minutes?|mins?)|"
             r"\d+\s*(?:hours?|hrs?|h)|hourly|by hour|per hour|this morning|this afternoon")


def find_periods(sentence: Sentence, as_of: AsOf) -> list[PeriodHit]:
    """Consumes every period phrase in the question and resolves each.

    Raises:
        Refusal: for hours (the catalog counts whole days), impossible dates and
            periods that have not started yet.
    """
    if hours := sentence.take(_HOURS):
        said = sentence.original(hours[0].start(), hours[0].end())
        raise Refusal(f"'{said}': I count in whole calendar days, not hours; try 'today' or "
                      "'yesterday'")
    hits = [PeriodHit(phrase, _resolve(phrase, words, as_of), words, start)
            for phrase, words, start in find_holidays(sentence, as_of.day)]  # "memorial day"
    for pattern, canonical in _RULES:
        for match in sentence.take(pattern):
            words = sentence.original(match.start(), match.end())
            try:
                phrase = canonical(match, as_of.day)
            except (OverflowError, ValueError):  # a day before year 1 or after 9999
                raise Refusal(f"'{words}': {outside_calendar(repr(words))}") from None
            hits.append(PeriodHit(phrase, _resolve(phrase, words, as_of), words, match.start()))
    return sorted(hits, key=lambda hit: hit.start)


def resolve(phrase: str, as_of: AsOf, words: str = "") -> Period:
    """Resolves a canonical phrase, refusing periods that start after ``as_of``."""
    return _resolve(phrase, words or phrase, as_of)


def _resolve(phrase: str, words: str, as_of: AsOf) -> Period:
    try:
        period = resolve_period(phrase, as_of)
    except PeriodError as error:
        raise Refusal(f"'{words}': {error}") from None
    if period.start > as_of.day:
        raise Refusal(f"'{words}' has not happened yet; I only report what already happened")
    return period
