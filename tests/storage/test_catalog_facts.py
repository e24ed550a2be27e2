"""Catalog answers on small workspaces built for one fact each, worked out by hand.

Each case is a shape the shared fixtures don't have: a trial at 0 MRR before the first
payment, a customer whose only March order was cancelled, a first order that moves to
another customer, a campaign with no spend in a ROAS ranking, orders in two foreign
currencies at once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from storage.catalog import AsOf, Engine, Order, Query, resolve_period
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace
from tests.conftest import FIXTURES, write_batch

ORDERS = "order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total,country"
ITEMS = "order_id,line_no,product_id,quantity,unit_price,discount"
SPANS = "subscription_id,valid_from,valid_to,customer_id,mrr,currency"


def engine_of(tmp_path: Path, workspace: Workspace, fixture: str | None,
              *batches: dict[str, str]) -> Engine:
    """A workspace: a fixture directory (or nothing), then each batch imported in turn."""
    warehouse = Warehouse(":memory:")
    if fixture:
        import_directory(warehouse, FIXTURES / fixture)
    for files in batches:
        import_directory(warehouse, write_batch(tmp_path, files))
    return Engine(workspace, warehouse)


def values(engine: Engine, period: str, *metrics: str, today: date = date(2025, 4, 10),
           **kw: object) -> dict[str, object]:
    as_of = AsOf.for_day(today, engine.workspace.tz)
    result = engine.run(Query(metrics, resolve_period(period, as_of), **kw), as_of)  # type: ignore[arg-type]
    return result.values if not kw.get("dimensions") else {"rows": result.rows, **result.values}


# --- MRR movements ------------------------------------------------------------------------
def saas(tmp_path: Path, spans: str) -> Engine:
    return engine_of(tmp_path, Workspace("saas", "USD", "UTC"), None, {
        "subscription_mrr.csv": f"{SPANS}\n{spans}"})


def test_a_trial_at_zero_mrr_turning_paid_is_new_mrr_not_reactivation(tmp_path):
    # t1 trials at 0 MRR through February and pays 100 from March 5: March's new MRR.
    engine = saas(tmp_path, "s1,2025-02-01T00:00:00Z,2025-03-05T00:00:00Z,t1,0,USD\n"
                            "s1,2025-03-05T00:00:00Z,,t1,100,USD\n")
    assert values(engine, "March 2025", "new_mrr", "reactivation_mrr") == {
        "new_mrr": Decimal("100"), "reactivation_mrr": Decimal("0")}


def test_a_customer_who_paid_before_and_comes_back_is_reactivation(tmp_path):
    # p1 paid 50 in January, nothing in February, 80 from March 5: reactivation.
    engine = saas(tmp_path, "s1,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z,p1,50,USD\n"
                            "s2,2025-03-05T00:00:00Z,,p1,80,USD\n")
    assert values(engine, "March 2025", "new_mrr", "reactivation_mrr") == {
        "new_mrr": Decimal("0"), "reactivation_mrr": Decimal("80")}


# --- customers with orders ----------------------------------------------------------------
def test_a_customer_whose_only_march_order_was_cancelled_is_not_a_march_customer(tmp_path):
    # Shop fixture: March's customers are c1, c2, c3 (c1 returning). c4 pays in February
    # and cancels a March order: a customer of February only.
    engine = engine_of(tmp_path, Workspace("shop", "USD", "America/Sao_Paulo"), "shop", {
        "orders.csv": f"{ORDERS}\n"
                      "o20,c4,2025-02-20T12:00:00-03:00,paid,USD,70,0,0,0,70,AR\n"
                      "o21,c4,2025-03-12T12:00:00-03:00,cancelled,USD,90,0,0,0,90,AR\n"})
    assert values(engine, "March 2025", "customers", "returning_customers", "repeat_rate") == {
        "customers": 3, "returning_customers": 1, "repeat_rate": pytest.approx(1 / 3)}
    assert values(engine, "February 2025", "customers", "new_customers") == {
        "customers": 2, "new_customers": 2}  # c1 (o1, her first) and c4 (o20)


# --- first orders -------------------------------------------------------------------------
def test_when_a_first_order_moves_to_another_customer_both_customers_are_recomputed(tmp_path):
    # o1 (Feb 15, BR) was c1's first order. Re-stated as c3's, c1's first is o2 (Mar 1, BR)
    # and c3's is o1 in February: March's new customers are c1 and c2, not c2 and c3.
    moved = {"orders.csv": f"{ORDERS},sales_channel,source\n"
                           "o1,c3,2025-02-15T12:00:00-03:00,paid,USD,80,0,0,0,80,BR,online_store,google\n"}
    engine = engine_of(tmp_path, Workspace("shop", "USD", "America/Sao_Paulo"), "shop", moved)
    by_country = values(engine, "March 2025", "new_customers", dimensions=("country",))
    assert {r["country"]: r["new_customers"] for r in by_country["rows"]} == {"BR": 1, "US": 1}
    assert values(engine, "March 2025", "new_customers", "returning_customers") == {
        "new_customers": 2, "returning_customers": 1}
    first = dict(engine.warehouse.fetch("SELECT customer_id, CAST(first_at AS VARCHAR) "
                                        "FROM _first_orders ORDER BY 1"))
    assert first == {"c1": "2025-03-01 03:30:00", "c2": "2025-03-10 15:00:00",
                     "c3": "2025-02-15 15:00:00"}


# --- rankings -----------------------------------------------------------------------------
def test_a_campaign_with_no_spend_is_never_the_top_by_roas(tmp_path):
    # Multi fixture, March: Meta 400/100 = 4.0, Google 300/50 = 6.0. Newsletter reports
    # 900 of conversion value on no spend: its ROAS is unknown, listed last.
    engine = engine_of(tmp_path, Workspace("multi", "USD", "UTC"), "multi", {
        "ad_campaigns.csv": "campaign_id,channel,name,objective,status\n"
                            "n1,other,Newsletter,conversions,active\n",
        "ad_performance_daily.csv": "date,campaign_id,channel,impressions,clicks,spend,conversions,"
                                    "conversion_value,currency\n"
                                    "2025-03-03,n1,other,500,40,0,9,900,USD\n"})
    top = values(engine, "March 2025", "roas", dimensions=("campaign",), order=Order("roas"),
                 limit=1, today=date(2025, 3, 28))
    assert [(r["campaign"], r["roas"]) for r in top["rows"]] == [("Google Search", pytest.approx(6.0))]
    every = values(engine, "March 2025", "roas", dimensions=("campaign",), order=Order("roas"),
                   today=date(2025, 3, 28))
    assert [r["campaign"] for r in every["rows"]] == ["Google Search", "Meta Prospecting", "Newsletter"]
    lowest = values(engine, "March 2025", "roas", dimensions=("campaign",),
                    order=Order("roas", descending=False), today=date(2025, 3, 28))
    assert [r["campaign"] for r in lowest["rows"]] == ["Meta Prospecting", "Google Search", "Newsletter"]


# --- two foreign currencies ---------------------------------------------------------------
TWO_CURRENCIES = {
    "fx_rates.csv": "date,currency,rate\n2025-03-01,BRL,0.2\n2025-03-01,EUR,1.1\n"
                    "2025-03-20,BRL,0.25\n2025-03-20,EUR,1.2\n",
    "orders.csv": f"{ORDERS}\n"
                  "b1,c1,2025-03-10T12:00:00Z,paid,BRL,100,0,0,0,100,BR\n"
                  "e1,c2,2025-03-10T12:00:00Z,paid,EUR,100,0,0,0,100,DE\n"
                  "b2,c1,2025-03-25T12:00:00Z,paid,BRL,100,0,0,0,100,BR\n"
                  "e2,c2,2025-03-25T12:00:00Z,paid,EUR,100,0,0,0,100,DE\n"
                  "u1,c3,2025-03-25T12:00:00Z,paid,USD,100,0,0,0,100,US\n",
    "order_items.csv": f"{ITEMS}\nb1,1,p1,1,100,0\ne1,1,p1,1,100,0\nb2,1,p1,1,100,0\n"
                       "e2,1,p1,1,100,0\nu1,1,p1,1,100,0\n",
    "subscription_mrr.csv": f"{SPANS}\nsb,2025-03-02T00:00:00Z,,kb,100,BRL\n"
                            "se,2025-03-02T00:00:00Z,,ke,100,EUR\n",
    "ad_performance_daily.csv": "date,campaign_id,channel,impressions,clicks,spend,conversions,"
                                "conversion_value,currency\n"
                                "2025-03-05,mb,meta,1,1,100,1,100,BRL\n"
                                "2025-03-05,me,meta,1,1,100,1,100,EUR\n",
}


def test_each_foreign_currency_is_converted_at_its_own_rate(tmp_path):
    # Mar 10: BRL 0.2, EUR 1.1; Mar 25: BRL 0.25, EUR 1.2. Revenue = 20 + 110 + 25 + 120 + 100.
    engine = engine_of(tmp_path, Workspace("fx", "USD", "UTC"), None, TWO_CURRENCIES)
    assert values(engine, "March 2025", "revenue", "product_revenue", "ad_spend") == {
        "revenue": Decimal("375"), "product_revenue": Decimal("375"), "ad_spend": Decimal("130")}
    by_country = values(engine, "March 2025", "revenue", dimensions=("country",))
    assert {r["country"]: r["revenue"] for r in by_country["rows"]} == {
        "BR": Decimal("45"), "DE": Decimal("230"), "US": Decimal("100")}
    assert values(engine, "this month", "mrr", today=date(2025, 3, 28)) == {"mrr": Decimal("130")}


def test_new_rates_for_one_currency_leave_the_other_alone(tmp_path):
    engine = engine_of(tmp_path, Workspace("fx", "USD", "UTC"), None, TWO_CURRENCIES,
                       {"fx_rates.csv": "date,currency,rate\n2025-03-22,BRL,0.5\n"})
    # b2 (Mar 25) now at 0.5: revenue 20 + 110 + 50 + 120 + 100; EUR unchanged.
    assert values(engine, "March 2025", "revenue", "product_revenue") == {
        "revenue": Decimal("400"), "product_revenue": Decimal("400")}
