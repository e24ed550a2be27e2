"""The LLM number guard reads decimals: a figure must match a tool result to the digits shown.

A reply that says "$48,210.90" when the catalog computed 48,210.55, or "up 7.3%" for a
change of 6.89%, is rejected for the exact reply; rounding to fewer digits is fine.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.number_guard import Allowed, numbers_supported


def allowed(*values: object) -> Allowed:
    found = Allowed()
    for value in values:
        found.add(value)
    return found


RESULT = {"value": 48210.55, "change_rate": 0.0689, "orders": 1204}


@pytest.mark.parametrize(("text", "bad"), [
    ("Revenue was $48,210.90.", ["$48,210.90"]),
    ("Revenue was $48,210.4.", ["$48,210.4"]),
    ("Revenue was $48,210.56.", ["$48,210.56"]),
    ("Revenue was 48210.54.", ["48210.54"]),
    ("Revenue was up 7.3%.", ["7.3%"]),
    ("Revenue was up 6.8%.", ["6.8%"]),
    ("Revenue was up 6.88%.", ["6.88%"]),
    ("Revenue was $48.3k.", ["$48.3k"]),
    ("Revenue was $48.21k.", []),
    ("Revenue was $48,210.55, up 6.89%, on 1,204 orders.", []),
    ("Revenue was $48,211, up 6.9%, on 1.2k orders.", []),
    ("Revenue was $48,210.6, up 7%.", []),
])
def test_every_decimal_shown_must_match_the_result(text, bad):
    assert numbers_supported(text, allowed(RESULT)) == bad


@given(value=st.decimals(min_value=1, max_value=10**7, places=2), shown=st.integers(0, 2))
def test_a_value_rounded_to_the_digits_shown_is_supported(value, shown):
    text = f"Revenue was ${value:,.{shown}f} last month."
    assert numbers_supported(text, allowed({"value": float(value)})) == []


@given(value=st.decimals(min_value=1, max_value=10**7, places=2), shown=st.integers(1, 2),
       off=st.integers(2, 9), sign=st.sampled_from((-1, 1)))
def test_a_value_off_in_its_last_shown_digit_is_rejected(value, shown, off, sign):
    step = Decimal(1).scaleb(-shown)
    wrong = value.quantize(step) + sign * off * step
    text = f"Revenue was ${wrong:,.{shown}f} last month."
    assert numbers_supported(text, allowed({"value": float(value)})) == [f"${wrong:,.{shown}f}"]


@given(rate=st.decimals(min_value=Decimal("0.0100"), max_value=Decimal("5"), places=4),
       off=st.integers(2, 9))
def test_a_change_shown_as_a_percentage_must_match_to_its_decimal(rate, off):
    percent = rate * 100
    assert numbers_supported(f"up {percent:.1f}%", allowed({"change_rate": float(rate)})) == []
    wrong = percent.quantize(Decimal("0.1")) + off * Decimal("0.1")
    assert numbers_supported(f"up {wrong:.1f}%", allowed({"change_rate": float(rate)})) == [
        f"{wrong:.1f}%"]


@pytest.mark.parametrize(("results", "text", "bad"), [
    # What a tool result allows: numbers, Decimals, negatives and their percentages.
    ((True,), "1 campaign", ["1"]),                       # a yes/no is not the number 1
    ((Decimal("12.5"),), "12.5 units", []),
    ((-12.5,), "down 12.5, to -12.5", []),
    ((-0.125,), "down -12.5% (−12.5%)", []),
    # Text in a result: its figures, and each run of digits (dates, ids).
    (("$1,234.56 in the week of 2025-11-03",), "$1,234.6 since Nov 3 2025", []),
    (("$1,234.56",), "$1,233", ["$1,233"]),
    # Nested rows and tables.
    (({"rows": [{"units": 7}, (8, [9])]},), "7, 8 and 9 units", []),
    (({"rows": [{"units": 7}]},), "7 or 10 units", ["10"]),
    # Scales: k, M, bn round to the digits shown at their scale.
    ((48210.55,), "$48k, $48.2K, $0.05M", []),
    ((48210.55,), "$49k", ["$49k"]),
    ((1.2e9,), "$1.2bn", []),
    ((1.2e9,), "$1.3bn", ["$1.3bn"]),
    ((4.6666667,), "ROAS 4.67x", []),
    ((4.6666667,), "ROAS 4.7x and 4.66x", ["4.66x"]),
    # Currency signs and the minus sign are not part of the figure compared.
    ((48210.55,), "€48,210.55 or £48,210.55", []),
    # A value is not a hundredth of itself.
    ((48210.55,), "$482.11", ["$482.11"]),
    # Digits run into words in the question or a result still count ("top5", "SKU12").
    (("top5 products last month",), "Top 5 products", []),
    # Words with digits are not figures.
    ((), "Q3 v2 the 3rd", []),
    ((), "revenue 12 and 13", ["12", "13"]),
])
def test_what_a_tool_result_allows_a_reply_to_say(results, text, bad):
    assert numbers_supported(text, allowed(*results)) == bad
