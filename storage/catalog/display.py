"""Display rules of metrics.md: compute in full precision, round only for display.

Money to 2 decimals with the currency symbol or code, rates and percentages to
1 decimal, units to 2 decimals. Betting units read as bettors write them: ``14.00u``
staked, ``+2.50u`` profit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from storage.catalog.model import Value

# Formats of sums and counts: a total is the sum of its parts, a daily average means something.
ADDITIVE_FORMATS = ("money", "count", "units", "bet_units", "bet_profit")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "BRL": "R$", "JPY": "¥", "INR": "₹",
           "CAD": "CA$", "AUD": "A$", "MXN": "MX$"}


def money(value: Decimal | float | int, currency: str) -> str:
    """``$1,234.50``; ``-$12.00``; codes without a symbol read ``CHF 10.00``."""
    amount = float(value)
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    text = f"{abs(amount):,.2f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


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
        return f"{number * 100:.1f}%"
    if fmt == "ratio":
        return f"{number:.2f}x"
    if fmt == "count":
        return f"{number:,.0f}"
    if fmt == "days":
        return f"{number:,.1f} days"
    if fmt == "odds":
        return f"{number:.2f}"
    if fmt == "units":
        return f"{number:,.2f}"
    if fmt == "bet_units":
        return f"{number:,.2f}u"
    if fmt == "bet_profit":
        return f"{'+' if number > 0 else ''}{number:,.2f}u"
    return f"{number:,.2f}"


def format_change(change: Value, rate: float | None, fmt: str, currency: str) -> str:
    """``+$1,200.00 (+12.5%)``; a change from 0 reads ``new``, never infinity."""
    if change is None:
        return "n/a"
    number = float(change)  # type: ignore[arg-type]
    sign = "+" if number > 0 else ""
    absolute = (f"{sign}{number * 100:.1f} pts" if fmt == "rate"
                else format_value(change, fmt, currency) if fmt == "bet_profit"  # signs itself
                else sign + format_value(change, fmt, currency))
    relative = "new" if rate is None else f"{'+' if rate > 0 else ''}{rate * 100:.1f}%"
    return f"{absolute} ({relative})"
