"""Demo commerce operations: locations, suppliers, stock levels and purchase orders.

Stock is simulated backwards from the last day: going back in time, the level
rises by each day's counted units sold; when it would exceed a ceiling, a
purchase order was received that day. That keeps every level non-negative,
falling with sales and jumping at receipts. The planted situations (products
about to run out, a product with no recent sales) are set on the last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storage.demo._common import (
    DAY,
    Calendar,
    Columns,
    Progress,
    Window,
    dates,
    epoch_day,
    ids,
    labels,
    money,
    rng_for,
    texts,
    timestamps,
    write_table,
)
from storage.demo.shop_catalog import (
    CATEGORIES,
    DEAD_STOCK,
    DISCONTINUED,
    LOW_STOCK,
    N_PRODUCTS,
    PRODUCT_CATEGORY,
    product_ids,
)

INVENTORY_DAYS = 120
LOCATIONS = (("loc-wh", "Main Warehouse"), ("loc-store", "SoHo Store"))
SUPPLIERS = (("sup-01", "Acme Textiles", 21), ("sup-02", "Northwind Supply", 7),
             ("sup-03", "Pacific Goods Co.", 30), ("sup-04", "Rio Leather & Co.", 14))
# primary supplier by category, and the second supplier some products also have
PRIMARY = {"Apparel": 0, "Footwear": 2, "Accessories": 0, "Home": 1, "Beauty": 1, "Outdoor": 2}
SECOND = {"Apparel": 1, "Footwear": 3, "Accessories": 3, "Home": 2, "Beauty": 0, "Outdoor": 1}
OPEN_PO_LOW_STOCK = 2  # of the low-stock products, how many have a PO on the way


@dataclass(frozen=True)
class Receipts:
    """Purchase-order lines received during the simulated days."""

    day: np.ndarray
    product: np.ndarray
    quantity: np.ndarray


def supplier_links(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(product, supplier) pairs: every product's primary, some also a second one."""
    cats = list(CATEGORIES)
    primary = np.array([PRIMARY[cats[c]] for c in PRODUCT_CATEGORY])
    second = np.array([SECOND[cats[c]] for c in PRODUCT_CATEGORY])
    has_two = rng.random(N_PRODUCTS) < 0.25
    product = np.concatenate([np.arange(N_PRODUCTS), np.flatnonzero(has_two)])
    supplier = np.concatenate([primary, second[has_two]])
    order = np.lexsort((supplier, product))
    return product[order], supplier[order]


def final_levels(rng: np.random.Generator, sold: np.ndarray) -> np.ndarray:
    """On-hand stock per (product, location) at the end of the last day."""
    avg = sold[-28:].mean(axis=0)
    cover = rng.uniform(22, 70, avg.shape)
    level = np.ceil(avg * cover) + rng.integers(0, 6, avg.shape)
    for product, days in LOW_STOCK.items():
        level[product] = [np.floor(avg[product].sum() * days), 0]
    level[DEAD_STOCK] = [48 + rng.integers(0, 40), 6]
    for product in DISCONTINUED:
        level[product] = 0
    return level.astype(np.int64)


def simulate(rng: np.random.Generator, sold: np.ndarray) -> tuple[np.ndarray, Receipts]:
    """Levels (days, product, location) and receipts, walking back from the last day."""
    days = sold.shape[0]
    level = np.zeros(sold.shape, dtype=np.int64)
    level[-1] = final_levels(rng, sold)
    ceiling = np.ceil(sold.mean(axis=0) * 75) + 20
    got: list[tuple[int, np.ndarray, np.ndarray]] = []
    for t in range(days - 1, 0, -1):
        before = level[t] + sold[t]
        low = np.ceil(sold.mean(axis=0) * rng.uniform(1, 6, before.shape))
        over = before > ceiling
        qty = np.where(over, (before - low) // 5 * 5, 0).astype(np.int64)
        level[t - 1] = before - qty
        hit = np.flatnonzero(qty.sum(axis=1) > 0)
        got.append((t, hit, qty[hit].sum(axis=1)))
    day = np.concatenate([np.full(h.size, t) for t, h, _ in got])
    product = np.concatenate([h for _, h, _ in got])
    quantity = np.concatenate([q for _, _, q in got])
    return level, Receipts(day, product, quantity)


def write_inventory(directory: Path, window: Window, calendar: Calendar, units: np.ndarray,
                    cost_cents: np.ndarray, progress: Progress | None = None) -> dict[str, int]:
    """Writes the five commerce-operations tables.

    Args:
        directory: the workspace folder.
        window: the demo's days and parameters.
        calendar: local days of the workspace.
        units: counted units sold per (day, product, location) over the whole window.
        cost_cents: unit cost per product (cents), for purchase orders.
        progress: called with (table, rows) after each table.

    Returns:
        Rows written per table.
    """
    rng = rng_for(window.seed, "inventory")
    first = window.n_days - INVENTORY_DAYS
    level, receipts = simulate(rng, units[first:].astype(np.int64))
    links = supplier_links(rng)
    n_days, n_loc = level.shape[0], len(LOCATIONS)
    day = np.repeat(epoch_day(window.start) + first + np.arange(n_days), N_PRODUCTS * n_loc)
    product = np.tile(np.repeat(np.arange(N_PRODUCTS), n_loc), n_days)
    rows = _static_tables(directory, links, progress)
    rows["inventory_levels"] = write_table(directory, "inventory_levels", {
        "date": dates(day),
        "product_id": labels(product_ids(), product),
        "location_id": labels([loc for loc, _ in LOCATIONS],
                              np.tile(np.arange(n_loc), n_days * N_PRODUCTS)),
        "on_hand": level.ravel(),
    }, progress)
    po = purchase_orders(rng, window, calendar, receipts, first, links, units, cost_cents)
    rows["purchase_orders"] = write_table(directory, "purchase_orders", po, progress)
    return rows


def _static_tables(directory: Path, links: tuple[np.ndarray, np.ndarray],
                   progress: Progress | None) -> dict[str, int]:
    return {
        "locations": write_table(directory, "locations", {
            "location_id": texts([loc for loc, _ in LOCATIONS]),
            "name": texts([name for _, name in LOCATIONS])}, progress),
        "suppliers": write_table(directory, "suppliers", {
            "supplier_id": texts([s for s, _, _ in SUPPLIERS]),
            "name": texts([n for _, n, _ in SUPPLIERS]),
            "lead_time_days": np.array([d for _, _, d in SUPPLIERS], dtype=np.int64)},
            progress),
        "product_suppliers": write_table(directory, "product_suppliers", {
            "product_id": labels(product_ids(), links[0]),
            "supplier_id": labels([s for s, _, _ in SUPPLIERS], links[1])}, progress),
    }


def purchase_orders(rng: np.random.Generator, window: Window, calendar: Calendar,
                    receipts: Receipts, first: int, links: tuple[np.ndarray, np.ndarray],
                    units: np.ndarray, cost_cents: np.ndarray) -> Columns:
    """PO lines: the simulated receipts, plus open lines (most due soon, one overdue)."""
    open_products = _open_products(rng)
    avg = units[-28:].sum(axis=(0, 2)) / 28
    open_qty = np.maximum(20, np.ceil(avg[open_products] * 45 / 5) * 5).astype(np.int64)
    product = np.concatenate([receipts.product, open_products])
    supplier = _choose_supplier(rng, product, links)
    lead = np.array([d for _, _, d in SUPPLIERS])[supplier]
    received_day = np.concatenate([first + receipts.day, np.full(open_products.size, -1)])
    ordered_day = received_day - lead - rng.integers(-1, 3, product.size)
    is_open = received_day < 0
    ordered_day[is_open] = window.n_days - 1 - rng.integers(0, 4, int(is_open.sum()))
    ordered_day[-1] = window.n_days - lead[-1] - 3  # an overdue line
    n = product.size
    ordered = calendar.to_utc(ordered_day, rng.integers(9 * 3600, 17 * 3600, n))
    received = calendar.to_utc(np.maximum(received_day, 0), rng.integers(10 * 3600, 16 * 3600, n))
    unit_cost = np.rint(cost_cents[product] * rng.uniform(0.96, 1.04, n)).astype(np.int64)
    order = np.lexsort((product, supplier, ordered_day))
    key = ordered_day[order] * len(SUPPLIERS) + supplier[order]
    po_start = np.r_[True, key[1:] != key[:-1]]
    po_number = np.cumsum(po_start)
    return {
        "po_id": ids("PO-", po_number, 5),
        "line_no": np.arange(n) - np.flatnonzero(po_start)[po_number - 1] + 1,
        "supplier_id": labels([s for s, _, _ in SUPPLIERS], supplier[order]),
        "product_id": labels(product_ids(), product[order]),
        "ordered_at": timestamps(ordered[order]),
        "expected_at": timestamps(ordered[order] + lead[order] * DAY),
        "received_at": timestamps(received[order], mask=is_open[order]),
        "quantity": np.concatenate([receipts.quantity, open_qty])[order],
        "unit_cost": money(unit_cost[order]),
    }


def _open_products(rng: np.random.Generator) -> np.ndarray:
    low = sorted(LOW_STOCK, key=LOW_STOCK.__getitem__)[-OPEN_PO_LOW_STOCK:]
    others = [p for p in range(N_PRODUCTS)
              if p not in LOW_STOCK and p != DEAD_STOCK and p not in DISCONTINUED]
    picked = rng.choice(others, size=4, replace=False)
    return np.array([*low, *picked.tolist()], dtype=np.int64)


def _choose_supplier(rng: np.random.Generator, product: np.ndarray,
                     links: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    link_product, link_supplier = links
    first = np.searchsorted(link_product, product, side="left")
    count = np.searchsorted(link_product, product, side="right") - first
    pick = first + (rng.random(product.size) * count).astype(np.int64)
    return link_supplier[pick]
