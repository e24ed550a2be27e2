"""Display rules of metrics.md: compute in full precision, round only for display.

Money to 2 decimals with the currency symbol or code, rates and percentages to
1 decimal, units to 2 decimals (whole units without: ``45``, not ``45.00``). Half
cents (and every other half) round away from zero on every surface. Betting units
read as bettors write them: ``14.00u`` staked, ``+2.50u`` profit.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from storage.catalog.model import Value

# Formats of sums and counts: a total is the sum of its parts, a daily average means something.
ADDITIVE_FORMATS = ("money", "count", "units", "bet_units", "bet_profit")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "BRL": "R$", "JPY": "¥", "INR": "₹",
           "CAD": "CA$", "AUD": "A$", "MXN": "MX$"}


def rounded(value: Decimal | float | int, places: int) -> Decimal:
    """``value`` rounded for display, half away from zero, the same on every surface.

    Floats are read by their shortest repr, so 2.675 (stored as 2.67499...) rounds to
    2.68 like the Decimal 2.675 does, and never to 2.67.
    """
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fixed(value: Decimal | float | int, places: int, grouped: bool = True) -> str:
    """``1,234.57`` (``1234.57`` ungrouped, for percentages): rounded half away from
    zero, no negative zero."""
    number = rounded(value, places)
    if number == 0:
        number = abs(number)
    return f"{number:,.{places}f}" if grouped else f"{number:.{places}f}"


def money(value: Decimal | float | int, currency: str) -> str:
    """``$1,234.50``; ``-$12.00``; codes without a symbol read ``CHF 10.00``."""
    amount = rounded(value, 2)
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    text = fixed(abs(amount), 2)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


def units(value: Decimal | float | int) -> str:
    """Units: ``45`` when whole, ``12.50`` when not (metrics.md: units to 2 decimals)."""
    number = rounded(value, 2)
    return fixed(number, 0) if number == number.to_integral_value() else fixed(number, 2)


def format_value(value: Value, fmt: str, currency: str) -> str:
    """A metric value as a person reads it, by the metric's format."""
    if value is None:
        return "no recent sales" if fmt == "days" else "n/a"
    if isinstance(value, bool) or fmt == "bool":
        return "yes" if value else "no"
    if isinstance(value, str) or fmt == "text":
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    number = float(value)
    if fmt == "money":
        return money(value, currency)
    if fmt == "rate":
        return f"{fixed(number * 100, 1, grouped=False)}%"
    if fmt == "ratio":
        return f"{fixed(number, 2)}x"
    if fmt == "count":
        return fixed(value, 0)
    if fmt == "days":
        return f"{fixed(value, 1)} days"
    if fmt == "odds":
        return fixed(value, 2)
    if fmt == "units":
        return units(value)
    if fmt == "bet_units":
        return f"{fixed(value, 2)}u"
    if fmt == "bet_profit":
        return f"{'+' if rounded(value, 2) > 0 else ''}{fixed(value, 2)}u"
    return fixed(value, 2)


def format_change(change: Value, rate: float | None, fmt: str, currency: str) -> str:
    """``+$1,200.00 (+12.5%)``; a change from 0 reads ``new``, never infinity."""
    if change is None:
        return "n/a"
    number = float(change)  # type: ignore[arg-type]
    sign = "+" if not shows_as_zero(change, fmt) and number > 0 else ""
    absolute = (f"{sign}{fixed(number * 100, 1, grouped=False)} pts" if fmt == "rate"
                else format_value(change, fmt, currency) if fmt == "bet_profit"  # signs itself
                else sign + format_value(change, fmt, currency))
    percent = "new" if rate is None else fixed(rate * 100, 1, grouped=False)
    relative = percent if rate is None else f"{'+' if rounded(rate * 100, 1) > 0 else ''}{percent}%"
    return f"{absolute} ({relative})"


def shows_as_zero(change: Value, fmt: str) -> bool:
    """Whether a change prints as zero in its format ("0.0 pts", "$0.00"): then it is
    "unchanged", never "down 0.0 pts"."""
    if not isinstance(change, int | float | Decimal) or isinstance(change, bool):
        return False
    places = {"rate": 1, "count": 0, "days": 1}.get(fmt, 2)
    scaled = float(change) * 100 if fmt == "rate" else change
    return rounded(scaled, places) == 0
