"""Demo ecommerce orders, order items, refunds, customers and touchpoints.

Orders are generated in chunks of whole days (about a million orders each) and
written as Parquet row groups in ``created_at`` order, so memory stays bounded
at any scale. Amounts are integer cents until they are written as DECIMAL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from storage.demo._common import (
    Calendar,
    Progress,
    TableWriter,
    Window,
    rng_for,
)
from storage.demo.shop_catalog import N_PRODUCTS, POS, product_weights
from storage.demo.shop_customers import (
    CustomerPool,
    acquisition_codes,
    assign_customers,
    customer_columns,
)
from storage.demo.shop_orders import (
    COUNTED,
    Items,
    OrderRows,
    draw_items,
    draw_orders,
    draw_sources,
    order_columns,
    refund_columns,
    settle,
)
from storage.demo.shop_plan import plan_orders
from storage.demo.touchpoints import touchpoint_columns

TABLES = ("orders", "order_items", "refunds", "customers", "touchpoints")


@dataclass
class ShopResult:
    """What the rest of the demo needs from the shop.

    Attributes:
        rows: rows written per table.
        units: counted units sold per (day, product, location), location 0 the
            warehouse (online, marketplace, other) and 1 the store (pos).
    """

    rows: dict[str, int]
    units: np.ndarray


@dataclass
class _Counters:
    orders: int = 0
    refunds: int = 0
    touchpoints: int = 0
    pool: CustomerPool = field(default_factory=CustomerPool)


def write_shop(directory: Path, window: Window, calendar: Calendar,
               progress: Progress | None = None) -> ShopResult:
    """Writes the order-side tables of the demo shop, chunk by chunk.

    Args:
        directory: the workspace folder.
        window: the demo's days and parameters.
        calendar: local days of the workspace.
        progress: called with (table, rows so far) after each chunk.

    Returns:
        Row counts and the daily units sold, for inventory.
    """
    plan, day_cdf = plan_orders(window), _day_cdf(window)
    units = np.zeros(window.n_days * N_PRODUCTS * 2)
    counters = _Counters()
    writers = {t: TableWriter(directory, t) for t in TABLES}
    try:
        for k, (d0, d1) in enumerate(plan.chunks):
            rng = rng_for(window.seed, "shop", "chunk", str(k))
            orders = draw_orders(rng, plan, calendar, d0, d1)
            new_share = 0.74 - 0.3 * orders.day / window.n_days
            who = assign_customers(rng, counters.pool, orders.country, orders.channel,
                                   new_share)
            orders.customer = who.customer
            draw_sources(rng, orders, who.is_new)
            items = draw_items(rng, orders, day_cdf)
            settle(rng, orders, calendar.utc_midnight(window.n_days))
            _write_chunk(rng, writers, counters, orders, items, who.is_new)
            _add_units(units, orders, items)
            if progress is not None:
                progress("orders", writers["orders"].rows)
    finally:
        for w in writers.values():
            w.close()
    if progress is not None:
        for table in TABLES[1:]:
            progress(table, writers[table].rows)
    return ShopResult({t: w.rows for t, w in writers.items()},
                      units.reshape(window.n_days, N_PRODUCTS, 2).astype(np.int64))


def _day_cdf(window: Window) -> np.ndarray:
    """Cumulative product shares per day, flattened: day ``d`` spans ``(d, d + 1]``."""
    weights = product_weights(window)
    cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0
    return (cdf + np.arange(window.n_days)[:, None]).ravel()


def _write_chunk(rng: np.random.Generator, writers: dict[str, TableWriter],
                 counters: _Counters, orders: OrderRows, items: Items,
                 is_new: np.ndarray) -> None:
    writers["orders"].write(order_columns(orders, counters.orders))
    writers["order_items"].write(items.columns(counters.orders))
    refunds = refund_columns(orders, counters.orders, counters.refunds)
    writers["refunds"].write(refunds)
    counters.refunds += len(refunds["refund_id"])
    counters.orders += orders.n
    new = np.flatnonzero(is_new)
    acquisition = acquisition_codes(rng, orders.source[new])
    writers["customers"].write(customer_columns(
        rng, orders.customer[new], orders.ts[new], orders.country[new], acquisition))
    touch = touchpoint_columns(rng, counters.touchpoints, orders.customer[new],
                               orders.ts[new], acquisition)
    writers["touchpoints"].write(touch)
    counters.touchpoints += len(touch["touchpoint_id"])


def _add_units(units: np.ndarray, orders: OrderRows, items: Items) -> None:
    """Adds the chunk's counted units to the (day, product, location) totals."""
    owner = items.order
    counted = np.isin(orders.status[owner], COUNTED)
    loc = (orders.channel[owner] == POS).astype(np.int64)
    key = (orders.day[owner] * N_PRODUCTS + items.product) * 2 + loc
    units += np.bincount(key[counted], weights=items.quantity[counted], minlength=units.size)

