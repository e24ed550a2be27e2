"""Charts drawn from answers: which answers get one, and what the PNG holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.image import imread

from bot.charts import MAX_BARS, _tick, chart_for, figure_for, is_chart_name

MONTHS = {"metrics": ["revenue"], "period": {"start": "2025-01-01", "end": "2026-01-01"},
          "rows": [{"month": "2025-02-01", "revenue": 80}, {"month": "2025-03-01", "revenue": 240},
                   {"month": "2025-04-01", "revenue": 1000}]}
COUNTRIES = {"metrics": ["revenue"], "period": {"start": "2025-03-01", "end": "2025-04-01"},
             "rows": [{"country": f"C{i:02d}", "revenue": 1000 - i} for i in range(40)]}
RATES = {"metrics": ["repeat_rate"], "period": {"start": "2025-03-01", "end": "2025-04-01"},
         "rows": [{"country": "BR", "repeat_rate": 1.0}, {"country": "MX", "repeat_rate": 0.25}]}


def test_time_series_is_a_line_with_one_point_per_row(tmp_path: Path):
    path = chart_for(MONTHS, "USD", tmp_path)
    assert path is not None and path.parent == tmp_path and is_chart_name(path.name)
    pixels = imread(path)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 600
    axes = figure_for(MONTHS, "USD").axes[0]
    (line,) = axes.get_lines()
    assert list(line.get_ydata()) == [80, 240, 1000]
    assert axes.get_ylabel() == "Revenue (USD)"
    assert axes.get_title(loc="left").startswith("Revenue by month")
    assert [t.get_text() for t in axes.get_xticklabels()] == ["Feb 2025", "Mar 2025", "Apr 2025"]


def test_breakdown_is_horizontal_bars_of_the_first_15_rows(tmp_path: Path):
    path = chart_for(COUNTRIES, "BRL", tmp_path)
    assert path is not None and imread(path).shape[0] > 300
    axes = figure_for(COUNTRIES, "BRL").axes[0]
    bars = axes.containers[0]
    assert len(bars) == MAX_BARS
    assert [b.get_width() for b in bars][:2] == [1000, 999]
    assert axes.get_yticklabels()[0].get_text() == "C00"
    assert axes.get_xlabel() == "Revenue (BRL)" and axes.get_ylabel() == "Country"
    labels = [t.get_text() for t in axes.texts]
    assert "R$1,000.00" in labels and "first 15 of 40" in labels


def test_rates_read_as_percents(tmp_path: Path):
    assert chart_for(RATES, "USD", tmp_path) is not None
    axes = figure_for(RATES, "USD").axes[0]
    assert "100.0%" in [t.get_text() for t in axes.texts]
    assert axes.get_xlabel() == "Repeat rate (%)"
    assert _tick(0.25, "rate", "USD") == "25%"


def test_money_ticks_carry_the_currency():
    assert _tick(1500, "money", "USD") == "$1.5k"
    assert _tick(2_000_000, "money", "BRL") == "R$2M"
    assert _tick(-80, "money", "CHF") == "-CHF 80"


@pytest.mark.parametrize("data", [
    {"metrics": ["revenue"], "rows": []},
    {"metrics": ["revenue"], "rows": [{"country": "BR", "revenue": 1}]},
    {"metrics": ["revenue"], "value": 240},
    {"metrics": ["record"], "rows": [{"bettor": "a", "record": "3-1"}, {"bettor": "b", "record": "1-1"}]},
])
def test_no_chart_for_no_rows_one_row_or_text(tmp_path: Path, data):
    assert chart_for(data, "USD", tmp_path) is None
    assert not list(tmp_path.iterdir())


def test_the_same_answer_reuses_its_file_and_another_gets_its_own(tmp_path: Path):
    first = chart_for(MONTHS, "USD", tmp_path)
    again = chart_for(dict(MONTHS), "USD", tmp_path)
    other = chart_for(MONTHS, "EUR", tmp_path)
    assert first == again and first != other
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])
