"""Who places each demo order: new customers and a real repeat-purchase pattern.

Customers are numbered in the order of their first order. A returning order
picks, within its own country, one of the customers created before it, with a
bias towards recent ones (most repeat purchases come soon after the first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from storage.demo._common import ids, labels, timestamps
from storage.demo.shop_catalog import ACQUISITION, CITIES, COUNTRIES, POS, SOURCES

GUEST_POS_SHARE = 0.4  # walk-in store orders without a customer record


@dataclass
class CustomerPool:
    """Customers created so far, per country, across chunks."""

    by_country: list[np.ndarray] = field(
        default_factory=lambda: [np.empty(0, dtype=np.int64) for _ in COUNTRIES])
    count: int = 0


@dataclass(frozen=True)
class Assignment:
    """The customer of each order of a chunk.

    Attributes:
        customer: global customer number (0-based), -1 for a guest order.
        is_new: True for the first order of a customer.
    """

    customer: np.ndarray
    is_new: np.ndarray


def assign_customers(rng: np.random.Generator, pool: CustomerPool, country: np.ndarray,
                     channel: np.ndarray, new_share: np.ndarray) -> Assignment:
    """Chooses the customer of every order (orders sorted by time).

    Args:
        rng: the chunk's generator.
        pool: customers of earlier chunks; updated with this chunk's new ones.
        country: country index per order.
        channel: sales channel index per order.
        new_share: probability that each order comes from a new customer.

    Returns:
        The customer numbers and first-order flags.
    """
    n = len(country)
    guest = (channel == POS) & (rng.random(n) < GUEST_POS_SHARE)
    is_new = (rng.random(n) < new_share) & ~guest
    for c in range(len(COUNTRIES)):
        if pool.by_country[c].size == 0:
            first = np.flatnonzero((country == c) & ~guest)[:1]
            is_new[first] = True
    customer = np.full(n, -1, dtype=np.int64)
    customer[is_new] = pool.count + np.arange(int(is_new.sum()))
    pool.count += int(is_new.sum())
    u = rng.random(n)
    recency = np.where(rng.random(n) < 0.55, u ** 0.3, u)
    for c in range(len(COUNTRIES)):
        rows = np.flatnonzero((country == c) & ~guest)
        new = is_new[rows]
        before = pool.by_country[c].size + np.cumsum(new) - new
        pool.by_country[c] = np.concatenate([pool.by_country[c], customer[rows[new]]])
        ret = rows[~new]
        pick = np.minimum((before[~new] * recency[ret]).astype(np.int64), before[~new] - 1)
        customer[ret] = pool.by_country[c][pick]
    return Assignment(customer, is_new)


def acquisition_codes(rng: np.random.Generator, source: np.ndarray) -> np.ndarray:
    """``ACQUISITION`` index of new customers from the source of their first order."""
    out = np.where(rng.random(len(source)) < 0.7, ACQUISITION.index("organic"),
                   ACQUISITION.index("referral"))
    for name in ("meta", "google", "tiktok"):
        out[source == SOURCES.index(name)] = ACQUISITION.index(name)
    return out


def customer_columns(rng: np.random.Generator, number: np.ndarray, first_ts: np.ndarray,
                     country: np.ndarray, acquisition: np.ndarray) -> dict[str, pa.Array]:
    """Columns of ``customers`` for customers first seen in a chunk.

    Args:
        rng: the chunk's generator.
        number: global customer numbers.
        first_ts: UTC epoch seconds of each customer's first order.
        country: country index.
        acquisition: ``ACQUISITION`` index.

    Returns:
        The table's columns; ``created_at`` is at or before the first order.
    """
    n = len(number)
    quick = rng.random(n) < 0.6
    delay = np.where(quick, rng.integers(30, 3600, n),
                     np.minimum(rng.exponential(5 * 86_400, n), 60 * 86_400).astype(np.int64))
    city = np.empty(n, dtype=np.int64)
    city_names: list[str] = []
    for c, code in enumerate(COUNTRIES):
        names, weights = CITIES[code]
        rows = np.flatnonzero(country == c)
        cdf = np.cumsum(weights) / sum(weights)
        local = np.minimum(np.searchsorted(cdf, rng.random(rows.size), side="right"),
                           len(names) - 1)
        city[rows] = len(city_names) + local
        city_names.extend(names)
    cid = ids("c", number + 1, 7)
    return {
        "customer_id": cid,
        "created_at": timestamps(first_ts - delay),
        "email": pc.binary_join_element_wise(
            ids("customer", number + 1, 7), "@example.com", ""),
        "country": labels(COUNTRIES, country),
        "city": labels(city_names, city),
        "acquisition_channel": labels(ACQUISITION, acquisition),
    }
