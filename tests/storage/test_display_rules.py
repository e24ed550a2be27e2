"""Every display format of metrics.md, as a reply shows it, including the edges.

Money to 2 decimals with a symbol (or the code when the currency has none), rates to one
decimal as a percentage, counts with thousands separators, days of stock to one decimal
("no recent sales" when nothing sold), and a change from nothing reads "new".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from storage.catalog.display import format_change, format_value, money


@pytest.mark.parametrize(("value", "currency", "shown"), [
    (Decimal("1234567.891"), "USD", "$1,234,567.89"),
    (Decimal("-0.5"), "EUR", "-€0.50"),
    (0, "GBP", "£0.00"),
    (Decimal("10"), "CHF", "CHF 10.00"),
    (Decimal("-1234.5"), "SEK", "-SEK 1,234.50"),
    (Decimal("99.999"), "BRL", "R$100.00"),
])
def test_money_has_two_decimals_and_a_symbol_or_the_code(value, currency, shown):
    assert money(value, currency) == shown


@pytest.mark.parametrize(("value", "fmt", "shown"), [
    (None, "money", "n/a"),
    (None, "rate", "n/a"),
    (None, "days", "no recent sales"),
    (True, "bool", "yes"),
    (False, "bool", "no"),
    (1, "bool", "yes"),
    (0, "bool", "no"),
    (True, "count", "yes"),
    ("3-1-0", "text", "3-1-0"),
    ("Linen Shirt", "count", "Linen Shirt"),
    (7, "text", "7"),
    (date(2025, 3, 4), "date", "2025-03-04"),
    (Decimal("1234.5"), "money", "$1,234.50"),
    (0.12345, "rate", "12.3%"),
    (-0.5, "rate", "-50.0%"),
    (Decimal("4.6666"), "ratio", "4.67x"),
    (Decimal("1234567"), "count", "1,234,567"),
    (12.5, "count", "12"),
    (Decimal("1234.56"), "days", "1,234.6 days"),
    (Decimal("1.955"), "odds", "1.96"),
    (Decimal("1234.567"), "units", "1,234.57"),
    (Decimal("1234.5"), "bet_units", "1,234.50u"),
    (Decimal("1234.5"), "bet_profit", "+1,234.50u"),
    (Decimal("-0.25"), "bet_profit", "-0.25u"),
    (Decimal("1234.567"), "anything else", "1,234.57"),
])
def test_each_format_reads_as_people_write_it(value, fmt, shown):
    assert format_value(value, fmt, "USD") == shown


@pytest.mark.parametrize(("change", "rate", "fmt", "shown"), [
    (None, 0.5, "money", "n/a"),
    (Decimal("1200"), 0.125, "money", "+$1,200.00 (+12.5%)"),
    (Decimal("-1200"), -0.125, "money", "-$1,200.00 (-12.5%)"),
    (Decimal("0"), 0.0, "money", "$0.00 (0.0%)"),
    (Decimal("50"), None, "money", "+$50.00 (new)"),
    (0.023, 0.1, "rate", "+2.3 pts (+10.0%)"),
    (-0.023, -0.1, "rate", "-2.3 pts (-10.0%)"),
    (12, 0.5, "count", "+12 (+50.0%)"),
    (-3, -0.25, "count", "-3 (-25.0%)"),
    (Decimal("2.5"), 1.0, "bet_profit", "+2.50u (+100.0%)"),
    (Decimal("-2.5"), -1.0, "bet_profit", "-2.50u (-100.0%)"),
])
def test_a_change_is_signed_once_with_its_relative_change(change, rate, fmt, shown):
    assert format_change(change, rate, fmt, "USD") == shown
