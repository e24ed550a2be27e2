"""Derived tables equal their definition after any sequence of imports; fx for any currency mix.

storage/derived.py keeps ``_order_lines``, ``_first_orders``, ``_refunds`` and the stored rates
exact by recomputing only what a batch touched. Here random batches re-state orders (another
customer, another status, another time or currency) and refunds (another order, one not loaded
yet, another time), and after each one the tables are
compared with their definitions written independently in the test: a window function for
first orders, Python's zoneinfo for the local date that picks each rate.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.catalog import AsOf, Engine, Query, resolve_period
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace
from tests.conftest import write_batch

ORDERS = ("order_id,customer_id,created_at,status,currency,subtotal,discount,shipping,tax,total,"
          "country,sales_channel,source")
ITEMS = "order_id,line_no,product_id,quantity,unit_price,discount"
START = datetime(2025, 3, 1, tzinfo=UTC)
CURRENCIES = ("USD", "BRL", "EUR", "GBP")
RATES = {  # currency -> [(first local day, rate)]: one before any order, another mid-month
    "BRL": [(date(2025, 2, 1), Decimal("0.2")), (date(2025, 3, 10), Decimal("0.25"))],
    "EUR": [(date(2025, 2, 1), Decimal("1.1")), (date(2025, 3, 12), Decimal("1.2"))],
    "GBP": [(date(2025, 2, 1), Decimal("1.3")), (date(2025, 3, 9), Decimal("1.25"))],
}
FX_CSV = "date,currency,rate\n" + "".join(
    f"{day.isoformat()},{currency},{rate}\n" for currency, rows in RATES.items() for day, rate in rows)

ORDER = st.fixed_dictionaries({
    "order": st.integers(0, 7),
    "customer": st.sampled_from(["c0", "c1", "c2", ""]),
    "minutes": st.sampled_from([0, 60, 180, 179]) | st.integers(0, 60 * 24 * 20),
    "status": st.sampled_from(["paid", "refunded", "partially_refunded", "cancelled", "pending"]),
    "currency": st.sampled_from(CURRENCIES),
    "total": st.integers(1, 500),
    "country": st.sampled_from(["BR", "US", ""]),
    "lines": st.integers(1, 2),
})
BATCH = st.lists(ORDER, min_size=1, max_size=6, unique_by=lambda o: o["order"])
REFUND = st.fixed_dictionaries({
    "refund": st.integers(0, 4),
    "order": st.integers(0, 9),  # o8 and o9 are never loaded: their refunds wait for them
    "minutes": st.sampled_from([0, 60, 180, 179]) | st.integers(0, 60 * 24 * 20),
    "amount": st.integers(1, 300),
})
REFUNDS = st.lists(REFUND, max_size=4, unique_by=lambda r: r["refund"])

FIRST_BY_DEFINITION = """
SELECT customer_id, first_at, country, sales_channel, source FROM (
  SELECT customer_id, created_at AS first_at, country, sales_channel, source,
         row_number() OVER (PARTITION BY customer_id ORDER BY created_at, order_id) AS n
  FROM orders WHERE status IN ('paid', 'refunded', 'partially_refunded') AND customer_id IS NOT NULL)
WHERE n = 1 ORDER BY customer_id"""
FIRST_STORED = ("SELECT customer_id, first_at, country, sales_channel, source FROM _first_orders "
                "ORDER BY customer_id")
LINES_BY_DEFINITION = """
SELECT i.order_id, i.line_no, i.product_id, i.quantity, i.unit_price, i.discount, o.created_at,
       o.status, o.currency, o.customer_id, o.country, o.sales_channel, o.source
FROM order_items AS i JOIN orders AS o ON o.order_id = i.order_id ORDER BY 1, 2"""
LINES_STORED = """
SELECT order_id, line_no, product_id, quantity, unit_price, discount, created_at, status, currency,
       customer_id, country, sales_channel, source FROM _order_lines ORDER BY 1, 2"""
REFUNDS_BY_DEFINITION = """
SELECT r.refund_id, r.order_id, r.created_at, r.amount, o.currency, o.customer_id, o.country,
       o.sales_channel, o.source FROM refunds AS r JOIN orders AS o ON o.order_id = r.order_id
ORDER BY 1"""
REFUNDS_STORED = """
SELECT refund_id, order_id, created_at, amount, currency, customer_id, country, sales_channel,
       source FROM _refunds ORDER BY 1"""


def rate_on(currency: str, at: datetime, tz: ZoneInfo) -> Decimal:
    """metrics.md: the latest rate on or before the order's local date (1 in USD)."""
    if currency == "USD":
        return Decimal(1)
    day = at.replace(tzinfo=UTC).astimezone(tz).date()
    return [rate for first, rate in RATES[currency] if first <= day][-1]


def batch_files(batch: list[dict[str, object]]) -> dict[str, str]:
    orders, items = [ORDERS], [ITEMS]
    for o in batch:
        at = (START + timedelta(minutes=int(o["minutes"]))).strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[call-overload]
        orders.append(f"o{o['order']},{o['customer']},{at},{o['status']},{o['currency']},"
                      f"{o['total']},0,0,0,{o['total']},{o['country']},online_store,")
        items += [f"o{o['order']},{n},p{n},{n},{o['total']},0" for n in range(1, int(o["lines"]) + 1)]  # type: ignore[call-overload]
    return {"orders.csv": "\n".join(orders) + "\n", "order_items.csv": "\n".join(items) + "\n"}


def refund_files(refunds: list[dict[str, int]]) -> dict[str, str]:
    rows = [f"r{r['refund']},o{r['order']},"
            f"{(START + timedelta(minutes=r['minutes'])).strftime('%Y-%m-%dT%H:%M:%SZ')},{r['amount']}"
            for r in refunds]
    return {"refunds.csv": "\n".join(["refund_id,order_id,created_at,amount", *rows]) + "\n"} if rows else {}


def assert_derived_exact(warehouse: Warehouse, tz: ZoneInfo) -> None:
    assert warehouse.fetch(FIRST_STORED) == warehouse.fetch(FIRST_BY_DEFINITION)
    assert warehouse.fetch(LINES_STORED) == warehouse.fetch(LINES_BY_DEFINITION)
    assert warehouse.fetch(REFUNDS_STORED) == warehouse.fetch(REFUNDS_BY_DEFINITION)
    for refund_id, currency, at, stored in warehouse.fetch(
            "SELECT refund_id, currency, created_at, rate FROM _refunds"):
        assert stored == rate_on(currency, at, tz), refund_id  # the refund's own local date
    for order_id, currency, at, stored in warehouse.fetch(
            "SELECT order_id, currency, created_at, _rate FROM orders"):
        assert stored == rate_on(currency, at, tz), order_id
    for order_id, line, currency, at, stored in warehouse.fetch(
            "SELECT order_id, line_no, currency, created_at, rate FROM _order_lines"):
        assert stored == rate_on(currency, at, tz), (order_id, line)


@settings(max_examples=25, deadline=None)
@given(batches=st.lists(st.tuples(st.none() | BATCH, REFUNDS), min_size=1, max_size=4),
       zone=st.sampled_from(["UTC", "America/Sao_Paulo", "Asia/Tokyo"]))
def test_derived_tables_equal_their_definition_after_any_sequence_of_imports(batches, zone):
    tz = ZoneInfo(zone)
    warehouse = Warehouse(":memory:")
    with tempfile.TemporaryDirectory() as folder:
        import_directory(warehouse, write_batch(Path(folder), {"fx_rates.csv": FX_CSV}))
        Engine(Workspace("w", "USD", zone), warehouse)  # records the workspace's settings
        for batch, refunds in batches:
            files = {**(batch_files(batch) if batch else {}), **refund_files(refunds)}
            if files:
                import_directory(warehouse, write_batch(Path(folder), files))
            assert_derived_exact(warehouse, tz)
    warehouse.close()


@settings(max_examples=20, deadline=None)
@given(batch=BATCH, zone=st.sampled_from(["UTC", "America/Sao_Paulo", "Asia/Tokyo"]))
def test_revenue_converts_each_order_at_its_currencys_rate_for_any_mix(batch, zone):
    tz = ZoneInfo(zone)
    warehouse = Warehouse(":memory:")
    with tempfile.TemporaryDirectory() as folder:
        import_directory(warehouse, write_batch(Path(folder), {"fx_rates.csv": FX_CSV,
                                                               **batch_files(batch)}))
    engine = Engine(Workspace("w", "USD", zone), warehouse)
    as_of = AsOf.for_day(date(2025, 4, 30), tz)
    result = engine.run(Query(("revenue", "product_revenue"),
                              resolve_period("from 2025-02-01 to 2025-04-30", as_of)), as_of)
    counted = [o for o in batch if o["status"] in ("paid", "refunded", "partially_refunded")]
    expected = sum((Decimal(int(o["total"])) * rate_on(  # type: ignore[call-overload]
        str(o["currency"]), (START + timedelta(minutes=int(o["minutes"]))).replace(tzinfo=None), tz)  # type: ignore[call-overload]
        for o in counted), Decimal(0))
    assert (result.values["revenue"] or 0) == expected
    lines = sum((Decimal(int(o["total"])) * n * rate_on(  # type: ignore[call-overload]
        str(o["currency"]), (START + timedelta(minutes=int(o["minutes"]))).replace(tzinfo=None), tz)  # type: ignore[call-overload]
        for o in counted for n in range(1, int(o["lines"]) + 1)), Decimal(0))  # type: ignore[call-overload]
    assert (result.values["product_revenue"] or 0) == lines
    warehouse.close()
