"""SaaS, marketing, inventory and betting metrics on tests/fixtures/multi (UTC, USD).

as_of is the end of 2025-03-28, so "this month" is [Mar 1, Mar 29) and stocks are
measured at 2025-03-29T00:00Z.
"""

from __future__ import annotations

import pytest

from storage.catalog import Filter, Order, Query, resolve_period


def run(engine, as_of, *metrics, period="this month", **kw):
    return engine.run(Query(tuple(metrics), resolve_period(period, as_of) if period else None, **kw),
                      as_of)


# MRR at s = Mar 1: k1 100, k2 200, k4 300 (k3 starts Mar 5, k5's Jan span ended Feb 1) = 600
# MRR at e = Mar 29: k1 150, k3 100 EUR × 1.1 = 110, k4 250, k5 60 = 570 (k2 churned Mar 10)
@pytest.mark.parametrize(("metric", "expected"), [
    ("new_mrr", 110),            # k3: none at s, never before
    ("reactivation_mrr", 60),    # k5: none at s, had MRR in January
    ("expansion_mrr", 50),       # k1 100 → 150
    ("contraction_mrr", 50),     # k4 300 → 250
    ("churned_mrr", 200),        # k2 200 → 0
    ("net_new_mrr", -30),        # 570 − 600
    ("churned_customers", 1),
    ("logo_churn_rate", 1 / 3),  # 1 churned / 3 active at s
    ("revenue_churn_rate", 250 / 600),
    ("nrr", 400 / 600),          # (600 + 50 − 50 − 200) / 600
    ("new_subscriptions", 2),    # s3 (Mar 5), s6 (Mar 10)
])
def test_mrr_movements_of_each_class(multi, multi_as_of, metric, expected):
    assert float(run(multi, multi_as_of, metric).value) == pytest.approx(expected)


@pytest.mark.parametrize(("metric", "expected"), [
    ("mrr", 570), ("arr", 12 * 570), ("active_customers", 4), ("arpa", 570 / 4),
])
def test_stocks_at_as_of(multi, multi_as_of, metric, expected):
    result = run(multi, multi_as_of, metric, period=None)
    assert float(result.value) == pytest.approx(expected)
    assert result.period is None


def test_mrr_in_a_month_is_at_its_end_and_series_by_month(multi, multi_as_of):
    # End of January is Feb 1 00:00: k5's span ends exactly then (valid_to is exclusive).
    assert float(run(multi, multi_as_of, "mrr", period="January 2025").value) == 600
    series = run(multi, multi_as_of, "mrr", period="Q1 2025", dimensions=("month",))
    assert [(str(r["month"]), float(r["mrr"])) for r in series.rows] == [
        ("2025-01-01", 600), ("2025-02-01", 600), ("2025-03-01", 570)]


def test_mrr_by_plan_converts_eur_at_the_span_start(multi, multi_as_of):
    rows = run(multi, multi_as_of, "mrr", period=None, dimensions=("plan",)).rows
    assert {r["plan"]: float(r["mrr"]) for r in rows} == {"Starter": 210, "Pro": 250, "Euro": 110}


# Ads: m1 (meta) 1000 imp, 50 clicks, 100 spend, 5 conv, 400 value; g1 (google) 2000, 100, 50, 10, 300
@pytest.mark.parametrize(("metric", "expected"), [
    ("ad_spend", 150), ("impressions", 3000), ("clicks", 150), ("conversions", 15),
    ("conversion_value", 700), ("ctr", 150 / 3000), ("cpc", 1.0), ("cpm", 50.0), ("cpa", 10.0),
    ("roas", 700 / 150),
    ("blended_roas", 160 / 150),  # shop revenue o1 80 + o2 80 this month / spend
    ("cac", 150.0),               # one new customer (c1) this month
    ("sessions", 150), ("users", 120), ("web_conversions", 6), ("web_revenue", 600),
    ("conversion_rate", 6 / 150),
])
def test_marketing(multi, multi_as_of, metric, expected):
    assert float(run(multi, multi_as_of, metric).value) == pytest.approx(expected)


def test_roas_by_channel(multi, multi_as_of):
    rows = run(multi, multi_as_of, "roas", dimensions=("channel",)).rows
    assert [(r["channel"], r["roas"]) for r in rows] == [("google", 6.0), ("meta", 4.0)]


# Inventory on 2025-03-28: p1 10 (wh) + 2 (store) = 12, p2 50. p1 sold 14 on Mar 10 and 14
# on Mar 27: 28 units over the 28 days Feb 28 .. Mar 27 → 1.0 a day; p2 sold nothing.
# p1's suppliers: 9 and 4 days → 4. Sample sd of (14, 14, 26 × 0) = sqrt(364/27).
SD = (364 / 27) ** 0.5


@pytest.mark.parametrize(("metric", "expected"), [
    ("on_hand", 12), ("avg_daily_units", 1.0), ("days_of_stock", 12.0), ("lead_time_days", 4),
    ("safety_stock", 1.65 * SD * 2), ("reorder_point", 1.0 * 4 + 1.65 * SD * 2),
    ("stockout_risk", 1), ("open_po_units", 30),
])
def test_inventory_of_one_product(multi, multi_as_of, metric, expected):
    result = run(multi, multi_as_of, metric, period=None,
                 filters=(Filter("product", ("Linen Shirt",)),))
    assert float(result.value) == pytest.approx(expected)


def test_days_of_stock_without_sales_is_none_and_named_location(multi, multi_as_of):
    tote = run(multi, multi_as_of, "days_of_stock", period=None,
               filters=(Filter("product", ("Canvas Tote",)),))
    assert tote.value is None
    store = run(multi, multi_as_of, "on_hand", period=None, filters=(Filter("location", ("Store",)),))
    assert float(store.value) == 2


def test_what_runs_out_in_14_days(multi, multi_as_of):
    result = run(multi, multi_as_of, "days_of_stock", "on_hand", period=None, dimensions=("product",),
                 filters=(Filter("days_of_stock_below", ("14",)),), order=Order("days_of_stock", False))
    assert [(r["product"], r["days_of_stock"]) for r in result.rows] == [("Linen Shirt", 12.0)]


def test_sell_through(multi, multi_as_of):
    # 28 units sold this month; 62 on hand at its end → 28 / 90
    assert run(multi, multi_as_of, "sell_through").value == pytest.approx(28 / 90)


# Sharpie: b1 won 1@2.0 (+1), b2 lost 2 (−2), b3 push (0), b4 lost 1 (−1),
# b5 cashout 3 on 2 staked (+1), b6 void, b7 pending. LockSmith: b8 won 4@1.5 (+2).
@pytest.mark.parametrize(("metric", "expected"), [
    ("profit_units", -1), ("staked_units", 7), ("roi", -1 / 7), ("win_rate", 1 / 3),
    ("bets", 5), ("avg_odds", (2.0 + 1.9 + 1.9 + 3.0 + 2.5) / 5),
    ("clv", (2.0 / 1.8 - 1 + 1.9 / 2.0 - 1) / 2), ("pending_bets", 1),
])
def test_betting_for_one_bettor(multi, multi_as_of, metric, expected):
    result = run(multi, multi_as_of, metric, filters=(Filter("bettor", ("Sharpie",)),))
    assert float(result.value) == pytest.approx(expected)


def test_record_and_streak_skip_pushes_cashouts_and_voids(multi, multi_as_of):
    result = run(multi, multi_as_of, "record", "streak", filters=(Filter("bettor", ("Sharpie",)),))
    assert result.values == {"record": "1-2-1", "streak": "L2"}


def test_leaderboard_ranks_by_profit_and_hides_small_samples(multi, multi_as_of):
    query = dict(dimensions=("bettor",), order=Order("profit_units"))
    everyone = run(multi, multi_as_of, "profit_units", "roi", "record", min_count=1, **query)
    assert [(r["bettor"], float(r["profit_units"]), r["record"]) for r in everyone.rows] == [
        ("LockSmith", 2.0, "1-0-0"), ("Sharpie", -1.0, "1-2-1")]
    five = run(multi, multi_as_of, "profit_units", min_count=5, **query)
    assert [r["bettor"] for r in five.rows] == ["Sharpie"]
