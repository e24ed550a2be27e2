"""The lexicon covers the catalog, and the parser's public surface stays as documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import agents.parser
from agents.parser.lexicon import BY_NAME, METRICS, phrase_table
from tests.agents.parser_cases import ALL, Q, assert_parses, assert_refused

CATALOG = {
    "shop": "revenue refunds net_revenue orders aov units_sold product_revenue customers "
            "new_customers returning_customers repeat_rate gross_margin revenue_per_customer "
            "refund_rate cancelled_orders",
    "saas": "mrr arr new_mrr expansion_mrr contraction_mrr churned_mrr reactivation_mrr "
            "net_new_mrr active_customers new_subscriptions churned_customers logo_churn_rate "
            "revenue_churn_rate nrr arpa",
    "marketing": "ad_spend impressions clicks conversions conversion_value ctr cpc cpm cpa roas "
                 "blended_roas cac sessions users web_conversions web_revenue conversion_rate",
    "ops": "on_hand avg_daily_units days_of_stock lead_time_days safety_stock reorder_point "
           "stockout_risk open_po_units sell_through",
    "betting": "profit_units staked_units roi win_rate record bets avg_odds clv streak "
               "pending_bets",
}
VERTICAL_OF_SOURCE = {"shop": "shop", "saas": "saas", "ads": "marketing", "web": "marketing",
                      "ops": "ops", "betting": "betting"}
DEFINITIONS = Path(__file__).parents[2] / "storage" / "catalog" / "definitions.yaml"


@pytest.mark.parametrize("vertical", sorted(CATALOG))
def test_every_catalog_metric_has_exactly_one_lexicon_entry(vertical):
    for name in CATALOG[vertical].split():
        entries = [e for e in METRICS if e.name == name]
        assert len(entries) == 1, name
        assert VERTICAL_OF_SOURCE[entries[0].source] == vertical, name
        assert entries[0].phrases, name


def test_lexicon_has_no_metric_outside_the_catalog():
    listed = {name for names in CATALOG.values() for name in names.split()}
    assert set(BY_NAME) == listed


def test_catalog_definitions_file_has_no_metric_the_lexicon_misses():
    if not DEFINITIONS.exists():
        pytest.skip("the catalog definitions are not written yet")
    defined = set(yaml.safe_load(DEFINITIONS.read_text())["metrics"])
    assert defined <= set(BY_NAME), sorted(defined - set(BY_NAME))


def test_each_metric_is_reachable_by_its_own_name():
    table = phrase_table()
    for entry in METRICS:
        spoken = tuple(entry.name.replace("_", " ").split())
        assert entry in table.get(spoken, []) or any(
            entry in table.get(tuple(p.split()), []) for p in entry.phrases), entry.name


def test_public_api_is_exactly_the_documented_names():
    assert sorted(agents.parser.__all__) == ["Help", "Intent", "ParseContext", "Parsed",
                                            "Unanswerable", "Vocabulary", "parse"]


@pytest.mark.parametrize(("typed", "metric"), [
    ("revnue", "revenue"), ("ordrs", "orders"), ("impresions", "impressions"),
    ("convrsions", "conversions"), ("sesions", "sessions"),
])
def test_typos_of_five_letters_or_more_are_corrected(typed, metric):
    assert_parses(f"{typed} last month",
                  Q(metric, period=("2025-10-01", "2025-11-01")), vocabulary=ALL)


@pytest.mark.parametrize("typed", ["rev3", "ordr", "cpx"])
def test_short_words_are_never_fuzzy_matched(typed):
    assert_refused(f"{typed} last month", typed)
