"""Subscription (SaaS) questions parsed to full catalog queries."""

from __future__ import annotations

import pytest

from storage.catalog.model import Order
from tests.agents.parser_cases import (
    LAST_MONTH,
    LAST_QUARTER,
    LAST_WEEK,
    SAAS_ONLY,
    THIS_MONTH,
    THIS_QUARTER,
    THIS_WEEK,
    THIS_YEAR,
    F,
    Q,
    assert_parses,
)

LAST_12_MONTHS = ("2024-11-01", "2025-11-01")

CASES = [
    ("MRR", Q("mrr")),
    # MRR at an instant: "the end of X" is X (stocks are measured at its end); "the start
    # of X" is the end of the day before it
    ("MRR at the end of last month", Q("mrr", period=("2025-10-01", "2025-11-01"))),
    ("mrr end of september", Q("mrr", period=("2025-09-01", "2025-10-01"))),
    ("arr at the end of q2", Q("arr", period=("2025-04-01", "2025-07-01"))),
    ("what was mrr at the start of the year", Q("mrr", period=("2024-12-31", "2025-01-01"))),
    ("what's our mrr?", Q("mrr")),
    ("ARR last quarter", Q("arr", period=LAST_QUARTER)),
    ("mrr by plan", Q("mrr", by=("plan",))),
    ("new mrr this month", Q("new_mrr", period=THIS_MONTH)),
    ("expansion mrr last month", Q("expansion_mrr", period=LAST_MONTH)),
    ("money lost to churn last month", Q("churned_mrr", period=LAST_MONTH)),
    ("churned mrr in q3", Q("churned_mrr", period=("2025-07-01", "2025-10-01"))),
    ("net new mrr by month this year", Q("net_new_mrr", period=THIS_YEAR, by=("month",))),
    ("logo churn last month", Q("logo_churn_rate", period=LAST_MONTH)),
    ("churn rate last quarter", Q("logo_churn_rate", period=LAST_QUARTER)),
    ("revenue churn this year", Q("revenue_churn_rate", period=THIS_YEAR)),
    ("NRR last 12 months", Q("nrr", period=LAST_12_MONTHS)),
    ("net revenue retention by segment", Q("nrr", by=("segment",))),
    ("ARPA", Q("arpa")),
    ("average revenue per account by plan", Q("arpa", by=("plan",))),
    ("new signups this week", Q("new_subscriptions", period=THIS_WEEK)),
    ("active customers", Q("active_customers")),
    ("paying customers by country", Q("active_customers", by=("country",))),
    ("how many customers churned last month", Q("churned_customers", period=LAST_MONTH)),
    ("mrr for the Enterprise plan", Q("mrr", filters=(F("plan", "Enterprise"),))),
    ("reactivation mrr last quarter", Q("reactivation_mrr", period=LAST_QUARTER)),
    ("contraction mrr vs last month", Q("contraction_mrr", period=THIS_MONTH, compare="previous")),
    ("mrr growth yoy", Q("mrr", compare="year")),
    ("MRR by segment excluding SMB",
     Q("mrr", by=("segment",), filters=(F("segment", "SMB", exclude=True),))),
    ("top plans", Q("mrr", by=("plan",), order=Order("mrr"))),
    ("gross mrr churn qtd", Q("revenue_churn_rate", period=THIS_QUARTER)),
    ("new subs last week by plan", Q("new_subscriptions", period=LAST_WEEK, by=("plan",))),
    ("arpu in the US", Q("arpa", filters=(F("country", "US"),))),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_saas_question_parses_to_full_query(text, expected):
    assert_parses(text, expected)


SAAS_ONLY_CASES = [
    ("customers", Q("active_customers")),
    ("how many customers by plan", Q("active_customers", by=("plan",))),
    ("top customers", Q("mrr", by=("customer",), order=Order("mrr"), limit=10)),
]


@pytest.mark.parametrize(("text", "expected"), SAAS_ONLY_CASES,
                         ids=[c[0] for c in SAAS_ONLY_CASES])
def test_saas_only_workspace_reads_customers_as_active_customers(text, expected):
    assert_parses(text, expected, vocabulary=SAAS_ONLY)


def test_colloquial_metric_is_reported_with_its_words():
    parsed = assert_parses("money lost to churn last month",
                           Q("churned_mrr", period=LAST_MONTH))
    assert parsed.understood[0] == "metric: churned mrr"
