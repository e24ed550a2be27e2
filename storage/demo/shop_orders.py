"""Draws one chunk of demo orders: times, segments, sources, items, totals, refunds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from storage.demo._common import Calendar, Columns, ids, labels, money, timestamps
from storage.demo.shop_catalog import (
    BR,
    CHANNELS,
    COUNTRIES,
    N_PRODUCTS,
    POS,
    PRICE_BRL_CENTS,
    PRICE_CENTS,
    SOURCES,
    TAX_RATE,
    product_ids,
    source_weights,
)
from storage.demo.shop_plan import OrderPlan

STATUSES = ("paid", "refunded", "partially_refunded", "cancelled", "pending")
STATUS_P = np.array([0.90, 0.035, 0.03, 0.035])
COUNTED = np.array([0, 1, 2])
PENDING_RECENT = 0.03  # share of the last two days' orders still awaiting payment
# Hour-of-day profiles (local time) of online orders and of store (pos) orders.
_ONLINE_HOURS = np.array([2, 1.2, .8, .5, .4, .5, 1, 2, 3.5, 4.5, 5, 5.5, 6.5, 6.5, 5.5, 5,
                          5, 5.5, 6, 7, 7.5, 7, 5.5, 3.5])
_POS_HOURS = np.array([0] * 10 + [4, 6, 8, 8, 7, 7, 8, 9, 8, 6] + [0] * 4, dtype=np.float64)
_QUANTITY_P = np.array([0.84, 0.12, 0.03, 0.01])
_DISCOUNTS = np.array([0.0, 0.10, 0.15, 0.20])
_DISCOUNT_P = np.array([0.74, 0.12, 0.09, 0.05])
_PRODUCT_IDS = product_ids()


def _empty() -> np.ndarray:
    return np.empty(0, dtype=np.int64)


@dataclass
class OrderRows:
    """The orders of one chunk, sorted by ``ts``; amounts in cents of their currency."""

    day: np.ndarray
    ts: np.ndarray
    country: np.ndarray
    channel: np.ndarray
    n_days: int
    source: np.ndarray = field(default_factory=_empty)
    customer: np.ndarray = field(default_factory=_empty)
    subtotal: np.ndarray = field(default_factory=_empty)
    discount: np.ndarray = field(default_factory=_empty)
    total: np.ndarray = field(default_factory=_empty)
    shipping: np.ndarray = field(default_factory=_empty)
    tax: np.ndarray = field(default_factory=_empty)
    status: np.ndarray = field(default_factory=_empty)
    refund_ts: np.ndarray = field(default_factory=_empty)
    refund_amount: np.ndarray = field(default_factory=_empty)

    @property
    def n(self) -> int:
        """Number of orders."""
        return len(self.day)

    @property
    def brl(self) -> np.ndarray:
        """True for orders in BRL (Brazil)."""
        return self.country == BR


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    cdf = np.cumsum(weights) / weights.sum()
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(weights) - 1)


def draw_orders(rng: np.random.Generator, plan: OrderPlan, calendar: Calendar,
                d0: int, d1: int) -> OrderRows:
    """Places the planned orders of days ``[d0, d1)`` at local times, sorted by UTC time."""
    counts = plan.counts[d0:d1]
    n_cells = counts.shape[1]
    flat = counts.ravel()
    day = np.repeat(np.repeat(np.arange(d0, d1), n_cells), flat)
    cell = np.repeat(np.tile(np.arange(n_cells), d1 - d0), flat)
    country = np.array([c.country for c in plan.cells])[cell]
    channel = np.array([c.channel for c in plan.cells])[cell]
    hour = np.where(channel == POS, _pick(rng, _POS_HOURS, day.size),
                    _pick(rng, _ONLINE_HOURS, day.size))
    ts = calendar.to_utc(day, hour * 3600 + rng.integers(0, 3600, day.size))
    order = np.argsort(ts, kind="stable")
    return OrderRows(day[order], ts[order], country[order], channel[order], calendar.n_days)


def draw_sources(rng: np.random.Generator, orders: OrderRows, is_new: np.ndarray) -> None:
    """Sets ``orders.source`` (index in ``SOURCES``, -1 for none) by channel and customer."""
    source = np.full(orders.n, -1, dtype=np.int64)
    u = rng.random(orders.n)
    for c, code in enumerate(COUNTRIES):
        for ch in range(len(CHANNELS)):
            for returning in (False, True):
                rows = np.flatnonzero((orders.country == c) & (orders.channel == ch)
                                      & (is_new != returning))
                w = source_weights(code, ch, returning)
                cdf = np.cumsum(w)
                picked = np.searchsorted(cdf, u[rows], side="right")
                source[rows] = np.where(picked < len(SOURCES), picked, -1)
    orders.source = source


@dataclass
class Items:
    """The order lines of one chunk; ``order`` indexes the chunk's orders."""

    order: np.ndarray
    line_no: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray
    discount: np.ndarray

    def columns(self, first_order: int) -> Columns:
        """Columns of ``order_items``; ``first_order`` numbers the chunk's first order."""
        return {
            "order_id": ids("o", first_order + self.order + 1, 8),
            "line_no": self.line_no,
            "product_id": labels(_PRODUCT_IDS, self.product),
            "quantity": self.quantity,
            "unit_price": money(self.unit_price),
            "discount": money(self.discount),
        }


def draw_items(rng: np.random.Generator, orders: OrderRows, day_cdf: np.ndarray) -> Items:
    """Draws 1-4 lines per order and sets the orders' subtotal and discount.

    Args:
        rng: the chunk's generator.
        orders: the chunk's orders.
        day_cdf: per-day cumulative product shares, day ``d`` in ``(d, d + 1]``.

    Returns:
        The lines; Σ(quantity × unit_price − discount) = subtotal − discount per order.
    """
    n_lines = 1 + rng.binomial(3, 0.5, orders.n)
    owner = np.repeat(np.arange(orders.n), n_lines)
    starts = np.cumsum(n_lines) - n_lines
    line_no = np.arange(owner.size) - starts[owner] + 1
    day = orders.day[owner]
    pos = np.searchsorted(day_cdf, day + rng.random(owner.size), side="right")
    product = np.clip(pos - day * N_PRODUCTS, 0, N_PRODUCTS - 1)
    quantity = 1 + _pick(rng, _QUANTITY_P, owner.size)
    price = np.where(orders.brl[owner], PRICE_BRL_CENTS[product], PRICE_CENTS[product])
    pct = _DISCOUNTS[_pick(rng, _DISCOUNT_P, orders.n)]
    gross = quantity * price
    discount = np.rint(gross * pct[owner]).astype(np.int64)
    orders.subtotal = np.add.reduceat(gross, starts)
    orders.discount = np.add.reduceat(discount, starts)
    return Items(owner, line_no, product, quantity, price, discount)


def settle(rng: np.random.Generator, orders: OrderRows, end_utc: int) -> None:
    """Sets shipping, tax, total, status and refunds of the chunk's orders.

    Args:
        rng: the chunk's generator.
        orders: orders whose subtotal and discount are set.
        end_utc: UTC epoch seconds of the end of the data; nothing happens after it.
    """
    net = orders.subtotal - orders.discount
    brl = orders.brl
    free = net >= np.where(brl, 29_900, 7_500)
    orders.shipping = np.where(free | (orders.channel == POS), 0, np.where(brl, 2_490, 699))
    rate = np.zeros(orders.n)
    for code, r in TAX_RATE.items():
        rate[orders.country == COUNTRIES.index(code)] = r
    orders.tax = np.rint(net * rate).astype(np.int64)
    orders.total = net + orders.shipping + orders.tax
    status = _pick(rng, STATUS_P, orders.n)
    recent = orders.day >= orders.n_days - 2
    status[recent & (rng.random(orders.n) < PENDING_RECENT)] = STATUSES.index("pending")
    if recent.any():
        status[-1] = STATUSES.index("pending")  # the latest order always awaits payment
    orders.refund_ts = orders.ts + rng.integers(86_400, 21 * 86_400, orders.n)
    refunded = np.isin(status, (1, 2))
    status[refunded & (orders.refund_ts >= end_utc)] = 0  # not refunded yet
    share = np.where(status == 1, 1.0, rng.uniform(0.1, 0.6, orders.n))
    orders.refund_amount = np.maximum(1, np.rint(orders.total * share)).astype(np.int64)
    orders.status = status


def order_columns(orders: OrderRows, first_order: int) -> Columns:
    """Columns of ``orders`` for the chunk (ids continue from ``first_order``)."""
    return {
        "order_id": ids("o", first_order + np.arange(orders.n) + 1, 8),
        "customer_id": ids("c", orders.customer + 1, 7, mask=orders.customer < 0),
        "created_at": timestamps(orders.ts),
        "status": labels(STATUSES, orders.status),
        "currency": labels(("USD", "BRL"), orders.brl.astype(np.int64)),
        "subtotal": money(orders.subtotal),
        "discount": money(orders.discount),
        "shipping": money(orders.shipping),
        "tax": money(orders.tax),
        "total": money(orders.total),
        "country": labels(COUNTRIES, orders.country),
        "sales_channel": labels(CHANNELS, orders.channel),
        "source": labels(SOURCES, np.maximum(orders.source, 0), mask=orders.source < 0),
    }


def refund_columns(orders: OrderRows, first_order: int,
                   first_refund: int) -> Columns:
    """Columns of ``refunds``: one per refunded or partially refunded order."""
    rows = np.flatnonzero(np.isin(orders.status, (1, 2)))
    return {
        "refund_id": ids("r", first_refund + np.arange(rows.size) + 1, 7),
        "order_id": ids("o", first_order + rows + 1, 8),
        "created_at": timestamps(orders.refund_ts[rows]),
        "amount": money(orders.refund_amount[rows]),
    }
