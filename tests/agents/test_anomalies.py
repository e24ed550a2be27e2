"""Anomaly detection on the demo data: the planted anomalies are found, normal days stay quiet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from agents.insights.anomalies import detect_anomalies
from agents.insights.digest import build_alerts
from agents.insights.series import Z_THRESHOLD, event_baseline, is_anomalous, robust_baseline
from storage.catalog import AsOf, Engine, Period, Query
from storage.catalog.display import format_value
from storage.demo import planted_anomalies
from tests.agents.demo_workspaces import END, demo_engine

#: docs/proactive.md: at most this many false alarms in the 30 normal days checked
MAX_FALSE_ALARMS_PER_MONTH = 3


@pytest.fixture(scope="module")
def demo() -> Iterator[Engine]:
    engine = demo_engine()
    yield engine
    engine.warehouse.close()


def morning_after(engine: Engine, day: date) -> AsOf:
    return AsOf.for_day(day + timedelta(days=1), engine.workspace.tz)


@pytest.mark.parametrize("planted", planted_anomalies(END), ids=lambda a: a.metric)
def test_each_planted_anomaly_is_flagged_on_its_day(demo: Engine, planted) -> None:
    found = detect_anomalies(demo, morning_after(demo, planted.day), planted.day)
    assert planted.metric in {a.metric for a in found}


def test_revenue_alert_explains_itself_with_value_range_and_the_br_marketplace_drivers(
        demo: Engine) -> None:
    revenue = next(a for a in planted_anomalies(END) if a.metric == "revenue")
    alert = next(a for a in detect_anomalies(demo, morning_after(demo, revenue.day), revenue.day)
                 if a.metric == "revenue")
    day_query = Query(("revenue",), Period(revenue.day, revenue.day + timedelta(days=1), "day"))
    assert alert.total == pytest.approx(float(demo.run(day_query, morning_after(demo, revenue.day)).value))
    assert alert.change_rate is not None and alert.change_rate < -0.15
    assert "Revenue of the country and sales channel BR · marketplace segment −" in alert.text
    assert "vs expected" in alert.text and "expected $" in alert.text
    assert "stayed within its usual range" in alert.text
    # BR's drop is larger than the whole drop (other segments rose): said, not printed bare
    assert "of the drop (other values moved the other way)" in alert.text
    drivers = {(d.dimension, d.value) for d in alert.drivers}
    assert ("country", "BR") in drivers or ("sales_channel", "marketplace") in drivers


@pytest.mark.parametrize("planted", planted_anomalies(END), ids=lambda a: a.metric)
def test_an_alert_is_raised_only_outside_the_expected_range_it_prints(demo: Engine, planted) -> None:
    for alert in detect_anomalies(demo, morning_after(demo, planted.day), planted.day):
        assert not alert.low <= alert.value <= alert.high, alert.text
        fmt = demo.defs.metrics[alert.metric].format
        printed = (f"(expected {format_value(alert.low, fmt, 'USD')}–"
                   f"{format_value(alert.high, fmt, 'USD')})")
        assert printed in alert.text, alert.text


def test_ad_spend_spike_names_the_campaign(demo: Engine) -> None:
    spike = next(a for a in planted_anomalies(END) if a.metric == "ad_spend")
    alert = next(a for a in detect_anomalies(demo, morning_after(demo, spike.day), spike.day)
                 if a.metric == "ad_spend")
    assert alert.value > alert.high
    assert "Meta — Prospecting US" in alert.text


def test_a_month_of_normal_days_raises_few_false_alarms(demo: Engine) -> None:
    planted = {a.day for a in planted_anomalies(END)}
    days = [END - timedelta(days=k) for k in range(1, 45)]
    normal = [d for d in days if d not in planted][:30]
    alarms = [(d, a.metric) for d in normal
              for a in detect_anomalies(demo, morning_after(demo, d), d, explain=False)]
    assert len(normal) == 30
    assert len(alarms) <= MAX_FALSE_ALARMS_PER_MONTH, alarms


def test_alerts_are_none_on_a_normal_day_and_a_reply_on_an_anomalous_one(demo: Engine) -> None:
    spike = next(a for a in planted_anomalies(END) if a.metric == "sessions")
    reply = build_alerts(demo, morning_after(demo, spike.day))
    assert reply is not None and "Sessions +" in reply.text
    assert reply.data["anomalies"][0]["metric"] == "sessions"
    quiet_day = spike.day + timedelta(days=1)
    assert build_alerts(demo, morning_after(demo, quiet_day)) is None


def test_one_odd_day_in_the_history_moves_neither_the_median_nor_the_scale() -> None:
    steady = robust_baseline([100, 102, 98, 101, 99, 100, 103, 97])
    with_outlier = robust_baseline([100, 102, 98, 101, 99, 100, 103, 900])
    assert steady is not None and with_outlier is not None
    assert with_outlier.expected == pytest.approx(100.5)
    assert is_anomalous(40, with_outlier)
    assert not is_anomalous(96, with_outlier)


def test_lumpy_movements_alarm_only_above_twice_the_largest_event() -> None:
    baseline = event_baseline(daily_mean=20.0, largest_event=300.0)
    assert baseline is not None
    assert not is_anomalous(599.0, baseline)
    assert is_anomalous(621.0, baseline)
    assert not is_anomalous(0.0, baseline)  # a day without churn is normal
    assert baseline.z(620.0) == pytest.approx(Z_THRESHOLD)
    assert event_baseline(0.0, 0.0) is None
