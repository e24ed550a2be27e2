"""Periods: every phrase of ``metrics.md`` turned into a half-open range of local days.

``as_of`` is "now". ``AsOf.for_day(d, tz)`` is the end of day ``d`` (what
``--as-of`` means); ``AsOf.now(tz)`` is the current instant. Periods are
``[start, end)`` in local calendar days; :meth:`Period.utc_bounds` gives the
UTC instants that bound them in the workspace timezone.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.errors import PeriodError

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

ALL_TIME = "all time"
ALL_TIME_START = date(2000, 1, 1)  # before any business's first order in this product's life
# The calendar Tally answers for: ClickHouse's DateTime64 range, the narrowest of the engines
# a workspace can live on. Inside it, a period's exclusive end, its comparison periods and
# its local midnights in any timezone are all real dates (Python's end at years 1 and 9999).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2299, 12, 31)


def outside_calendar(what: str) -> PeriodError:
    """The refusal for a date or period outside [FIRST_DAY, LAST_DAY]."""
    return PeriodError(f"I can only answer for dates between {FIRST_DAY.isoformat()} and "
                       f"{LAST_DAY.isoformat()} ({what} falls outside)")


@dataclass(frozen=True)
class AsOf:
    """The "now" of a question: its local date and the instant it stands for."""

    day: date
    instant: datetime  # aware, UTC
    # A comparison "up to the same elapsed time" (metrics.md): flows stop at ``instant``
    # rather than at the end of the period's last day.
    cuts_flows: bool = False

    @classmethod
    def for_day(cls, day: date, tz: ZoneInfo) -> AsOf:
        """The end of ``day`` in ``tz`` (the next local midnight), as ``--as-of`` says.

        Raises:
            PeriodError: for a day outside the calendar Tally answers for.
        """
        if not FIRST_DAY <= day <= LAST_DAY:
            raise outside_calendar(f"as of {day.isoformat()}")
        return cls(day, local_midnight(day + timedelta(days=1), tz))

    @classmethod
    def now(cls, tz: ZoneInfo, clock: datetime | None = None) -> AsOf:
        """The current instant (or ``clock``) and its local date."""
        instant = (clock or datetime.now(UTC)).astimezone(UTC)
        return cls(instant.astimezone(tz).date(), instant)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` starts in ``tz``."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """A half-open range of local days ``[start, end)``.

    Attributes:
        kind: day, week, month, quarter, year, days, weeks, months, wtd, mtd, qtd, ytd, range.
        phrase: the words that named it ("last month"), for replies.
        n: the N of "last N days/weeks/months".
    """

    start: date
    end: date
    kind: str
    phrase: str = ""
    n: int = 1

    def __post_init__(self) -> None:
        # Every period stays inside the calendar, so date arithmetic on it never overflows.
        if self.start < FIRST_DAY or self.end > LAST_DAY + timedelta(days=1):
            last = self.end - timedelta(days=1) if self.end > self.start else self.start
            days = f"{self.start.isoformat()} to {last.isoformat()}" if last != self.start else ""
            raise outside_calendar(f"the period {days}" if days else self.start.isoformat())

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period's bounds as naive UTC datetimes (how timestamps are stored)."""
        start = local_midnight(self.start, tz).replace(tzinfo=None)
        end = local_midnight(self.end, tz).replace(tzinfo=None)
        return start, end

    def describe(self) -> str:
        """Words for a reply: "last month (October 2025)"."""
        if self.phrase == ALL_TIME:
            return self.phrase
        plain = self.plain()
        phrase = self.phrase.strip()
        if phrase and phrase.lower() != plain.lower():
            return f"{phrase} ({plain})"
        return plain

    def plain(self) -> str:
        """The period in calendar words: "October 2025", "Q3 2025", "Mar 3 – Mar 9, 2025"."""
        last = self.end - timedelta(days=1)
        if self.kind == "day" or self.days == 1:
            return f"{self.start:%a} {self.start:%b} {self.start.day}, {self.start.year}"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        if self.kind == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.kind == "year":
            return str(self.start.year)
        if self.start.year == last.year:
            return f"{self.start:%b} {self.start.day} – {last:%b} {last.day}, {last.year}"
        return f"{self.start:%b} {self.start.day}, {self.start.year} – {last:%b} {last.day}, {last.year}"

    def previous(self) -> Period:
        """The previous period of the same kind ("vs previous period")."""
        if self.kind in ("month", "months", "quarter", "year"):
            months = {"month": 1, "months": self.n, "quarter": 3, "year": 12}[self.kind]
            return replace(self, start=add_months(self.start, -months), end=self.start, phrase="")
        if self.kind in ("mtd", "qtd", "ytd", "wtd"):
            if self.kind == "wtd":
                start = self.start - timedelta(days=7)
            else:
                start = add_months(self.start, -{"mtd": 1, "qtd": 3, "ytd": 12}[self.kind])
            end = min(start + timedelta(days=self.days), self.start)
            return replace(self, start=start, end=end, phrase="")
        length = timedelta(days=self.days)
        return replace(self, start=self.start - length, end=self.start, phrase="")

    def year_ago(self) -> Period:
        """The same dates one year earlier ("vs last year", "YoY")."""
        return replace(self, start=shift_years(self.start, -1), end=shift_years(self.end, -1),
                       phrase="")


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def shift_years(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def month_period(year: int, month: int, phrase: str = "") -> Period:
    start = date(year, month, 1)
    return Period(start, add_months(start, 1), "month", phrase)


def quarter_period(year: int, quarter: int, phrase: str = "") -> Period:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return Period(start, add_months(start, 3), "quarter", phrase)


def year_period(year: int, phrase: str = "") -> Period:
    return Period(date(year, 1, 1), date(year + 1, 1, 1), "year", phrase)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _relative(phrase: str, today: date) -> Period | None:
    """The fixed phrases: today, yesterday, this/last week|month|quarter|year, to-date."""
    tomorrow = today + timedelta(days=1)
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    table: dict[str, tuple[date, date, str]] = {
        "today": (today, tomorrow, "day"),
        "yesterday": (today - timedelta(days=1), today, "day"),
        "this week": (_week_start(today), tomorrow, "wtd"),
        "last week": (_week_start(today) - timedelta(days=7), _week_start(today), "week"),
        "this month": (today.replace(day=1), tomorrow, "mtd"),
        "last month": (add_months(today.replace(day=1), -1), today.replace(day=1), "month"),
        "this quarter": (quarter_start, tomorrow, "qtd"),
        "last quarter": (add_months(quarter_start, -3), quarter_start, "quarter"),
        "this year": (date(today.year, 1, 1), tomorrow, "ytd"),
        "last year": (date(today.year - 1, 1, 1), date(today.year, 1, 1), "year"),
    }
    aliases = {
        "week to date": "this week", "wtd": "this week", "month to date": "this month",
        "mtd": "this month", "quarter to date": "this quarter", "qtd": "this quarter",
        "year to date": "this year", "ytd": "this year", "previous week": "last week",
        "previous month": "last month", "previous quarter": "last quarter",
        "previous year": "last year",
    }
    key = aliases.get(phrase, phrase)
    if key not in table:
        return None
    start, end, kind = table[key]
    return Period(start, end, kind, phrase)


_LAST_N = re.compile(r"(?:last|past|previous|trailing) (\d{1,4}) (day|week|month)s?")
_MONTH_YEAR = re.compile(r"([a-z]+)\.? (\d{4})")
_QUARTER = re.compile(r"q([1-4]) (\d{4})|(\d{4}) q([1-4])")
_ISO_DATE = r"(\d{4}-\d{2}-\d{2})"
_RANGE = re.compile(rf"(?:from |between )?{_ISO_DATE} (?:to|until|through|and|-|–) {_ISO_DATE}")


def all_time(as_of: AsOf) -> Period:
    """Everything up to and including today ("all time", "ever", "lifetime")."""
    return _all_time(as_of.day)


def _all_time(today: date) -> Period:
    return Period(min(ALL_TIME_START, today), today + timedelta(days=1), "range", ALL_TIME)


def resolve_period(phrase: str, as_of: AsOf) -> Period:
    """Turns a period phrase of ``metrics.md`` into a :class:`Period`.

    Raises:
        PeriodError: when the phrase names no period or an impossible one.
    """
    text = re.sub(r"\s+", " ", phrase.strip().lower())
    try:
        return _resolve(text, phrase, as_of.day)
    except (OverflowError, ValueError):  # a date past year 9999 or before year 1
        raise outside_calendar(repr(phrase)) from None


def _resolve(text: str, phrase: str, today: date) -> Period:
    if text == ALL_TIME:
        return _all_time(today)
    found = _relative(text, today)
    if found:
        return found
    if m := _LAST_N.fullmatch(text):
        n, unit = int(m.group(1)), m.group(2)
        if n < 1:
            raise PeriodError(f"{phrase!r}: N must be at least 1")
        if unit == "day":
            return Period(today - timedelta(days=n), today, "days", phrase, n)
        if unit == "week":
            end = _week_start(today)
            return Period(end - timedelta(days=7 * n), end, "weeks", phrase, n)
        end = today.replace(day=1)
        return Period(add_months(end, -n), end, "months", phrase, n)
    return _explicit(text, phrase, today)


def _explicit(text: str, phrase: str, today: date) -> Period:
    if m := _RANGE.fullmatch(text):
        start, last = _parse_date(m.group(1)), _parse_date(m.group(2))
        if last < start:
            raise PeriodError(f"{phrase!r}: the range ends before it starts")
        return Period(start, last + timedelta(days=1), "range", phrase)
    if re.fullmatch(_ISO_DATE, text):
        day = _parse_date(text)
        return Period(day, day + timedelta(days=1), "day", phrase)
    if m := _QUARTER.fullmatch(text):
        q, year = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return quarter_period(int(year), int(q), phrase)
    if re.fullmatch(r"(19|20)\d{2}", text):
        return year_period(int(text), phrase)
    if (m := _MONTH_YEAR.fullmatch(text)) and m.group(1) in MONTHS:
        return month_period(int(m.group(2)), MONTHS[m.group(1)], phrase)
    if text in MONTHS:
        month = MONTHS[text]
        year = today.year if month <= today.month else today.year - 1
        return month_period(year, month, phrase)
    raise PeriodError(
        f"I don't know the period {phrase!r}; try 'last week', 'last 30 days', "
        "'this month', 'March 2025', 'Q1 2025' or 'from 2025-03-01 to 2025-03-15'"
    )


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def default_flow_period(as_of: AsOf) -> Period:
    """What a flow metric means with no period said: the last 30 days."""
    return resolve_period("last 30 days", as_of)
