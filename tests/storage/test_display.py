"""Display rules (metrics.md: round only for display) and the betting units bettors write."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.catalog.display import format_change, format_value


@pytest.mark.parametrize(("value", "fmt", "shown"), [
    (Decimal("1234.5"), "money", "$1,234.50"),
    (-12, "money", "-$12.00"),
    (0.2534, "rate", "25.3%"),
    (Decimal("6.8"), "bet_profit", "+6.80u"),
    (Decimal("-2.5"), "bet_profit", "-2.50u"),
    (0, "bet_profit", "0.00u"),
    (Decimal("1111.5"), "bet_units", "1,111.50u"),
])
def test_values_read_as_people_write_them(value, fmt, shown):
    assert format_value(value, fmt, "USD") == shown


def test_a_profit_change_is_signed_once():
    assert format_change(Decimal("142.34"), 15.488, "bet_profit", "") == "+142.34u (+1548.8%)"
    assert format_change(Decimal("-3"), None, "bet_profit", "") == "-3.00u (new)"
    assert format_change(Decimal("200"), 0.1, "money", "USD") == "+$200.00 (+10.0%)"
