"""Every display format of metrics.md, as a reply shows it, including the edges.

Money to 2 decimals with a symbol (or the code when the currency has none), rates to one
decimal as a percentage, counts with thousands separators, days of stock to one decimal
("no recent sales" when nothing sold), and a change from nothing reads "new".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from storage.catalog.display import format_change, format_value, money, shows_as_zero


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
    (12.5, "count", "13"),  # halves round away from zero, as money does
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


@pytest.mark.parametrize("value", [2.675, Decimal("2.675"), 1.005, Decimal("1.005")])
def test_half_cents_round_up_whether_float_or_decimal(value):
    # 2.675 as a float is 2.67499999...; read by its repr it rounds like the Decimal does.
    assert money(value, "USD") == {2.675: "$2.68", 1.005: "$1.01"}[float(value)]


def test_whole_units_print_without_decimals():
    assert format_value(Decimal("45"), "units", "USD") == "45"
    assert format_value(45.0, "units", "USD") == "45"
    assert format_value(Decimal("12.5"), "units", "USD") == "12.50"
    assert format_value(Decimal("1234.999"), "units", "USD") == "1,235"


def test_a_rate_change_that_rounds_to_zero_is_not_down():
    assert shows_as_zero(-0.0004, "rate") and not shows_as_zero(-0.0006, "rate")
    assert format_change(-0.0004, -0.001, "rate", "USD") == "0.0 pts (-0.1%)"
    assert shows_as_zero(Decimal("-0.004"), "money") and money(Decimal("-0.004"), "USD") == "$0.00"
