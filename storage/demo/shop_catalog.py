"""The demo shop's fixed catalog: products, markets, sales channels and sources.

Everything here is static data; the planted stock situations (products about to
run out, a product with no recent sales) are named here so that the order
generator and the inventory generator agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storage.demo._common import Progress, Window, labels, money, rng_for, texts, write_table

CATEGORIES: dict[str, list[tuple[str, int]]] = {
    "Apparel": [
        ("Linen Shirt", 5900), ("Organic Cotton Tee", 2400), ("Denim Jacket", 11900),
        ("Merino Sweater", 8900), ("Chino Pants", 6900), ("Rain Shell", 12900),
        ("Hoodie Classic", 5400), ("Silk Scarf", 3900), ("Flannel Overshirt", 6400),
        ("Cargo Shorts", 4400),
    ],
    "Footwear": [
        ("Canvas Sneaker", 6900), ("Leather Boot", 18900), ("Trail Runner", 12900),
        ("Slip-On Loafer", 9900), ("Wool Slipper", 4900), ("Sport Sandal", 5900),
        ("High-Top Sneaker", 8900), ("Chelsea Boot", 16900), ("Running Sock 3-Pack", 1900),
        ("Suede Moccasin", 7900),
    ],
    "Accessories": [
        ("Leather Belt", 4500), ("Canvas Tote", 2900), ("Wool Beanie", 2500),
        ("Sunglasses Classic", 7900), ("Leather Wallet", 5500), ("Weekender Bag", 14900),
        ("Baseball Cap", 2900), ("Watch Strap", 3500), ("Travel Pouch", 1900),
        ("Laptop Sleeve", 4900),
    ],
    "Home": [
        ("Ceramic Mug", 1800), ("Linen Napkins Set", 3200), ("Scented Candle", 2800),
        ("Throw Blanket", 7900), ("Cotton Bath Towel", 3400), ("Vintage Enamel Mug", 2200),
        ("Stoneware Bowl Set", 5600), ("Cushion Cover", 2900), ("Glass Carafe", 3600),
        ("Table Runner", 3900),
    ],
    "Beauty": [
        ("Hand Cream", 1600), ("Lip Balm Duo", 1200), ("Face Serum", 4200),
        ("Body Wash", 1900), ("Shampoo Bar", 1400), ("Beard Oil", 2400),
        ("Clay Mask", 2600), ("Sunscreen SPF50", 2200), ("Eau de Parfum", 8900),
        ("Bath Salts", 1800),
    ],
    "Outdoor": [
        ("Insulated Bottle", 3400), ("Camp Blanket", 6900), ("Daypack 20L", 8900),
        ("Headlamp", 3900), ("Trekking Poles", 7900), ("Camping Mug", 1900),
        ("Hammock", 6400), ("Rain Poncho", 2900), ("Picnic Set", 9900),
        ("Compass Keychain", 1200),
    ],
}

N_PRODUCTS = sum(len(v) for v in CATEGORIES.values())
TITLES = [title for items in CATEGORIES.values() for title, _ in items]
PRODUCT_CATEGORY = np.repeat(np.arange(len(CATEGORIES)), [len(v) for v in CATEGORIES.values()])
PRICE_CENTS = np.array([p for items in CATEGORIES.values() for _, p in items], dtype=np.int64)
# Brazilian list prices, in BRL cents: about 5.2 BRL per USD, ending in ,90.
PRICE_BRL_CENTS = (np.ceil(PRICE_CENTS * 5.2 / 100) * 100 - 10).astype(np.int64)


def _index(title: str) -> int:
    return TITLES.index(title)


# Planted stock situations (used by shop demand and by inventory).
LOW_STOCK = {  # product index -> days of cover left on the last day
    _index("Organic Cotton Tee"): 3.0,
    _index("Canvas Sneaker"): 6.0,
    _index("Ceramic Mug"): 8.5,
    _index("Hand Cream"): 11.0,
}
DEAD_STOCK = _index("Vintage Enamel Mug")  # active, in stock, no sales in the last 75 days
DEAD_STOCK_QUIET_DAYS = 75
DISCONTINUED = {_index("Cargo Shorts"): 200, _index("Watch Strap"): 320}  # idx -> stopped ago
LAUNCHED = {_index("Trail Runner"): 400, _index("Face Serum"): 250, _index("Hammock"): 150}
NO_COST = (_index("Silk Scarf"), _index("Bath Salts"), _index("Compass Keychain"),
           _index("Picnic Set"))

COUNTRIES = ("US", "BR", "MX", "GB", "DE", "CA")
COUNTRY_WEIGHTS = np.array([0.28, 0.36, 0.12, 0.09, 0.08, 0.07])
BR = COUNTRIES.index("BR")
CITIES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "US": (("New York", "Los Angeles", "Chicago", "Austin", "Seattle", "Miami"),
           (0.28, 0.22, 0.15, 0.12, 0.12, 0.11)),
    "BR": (("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Porto Alegre"),
           (0.42, 0.25, 0.13, 0.11, 0.09)),
    "MX": (("Ciudad de México", "Guadalajara", "Monterrey", "Puebla"), (0.5, 0.2, 0.2, 0.1)),
    "GB": (("London", "Manchester", "Bristol", "Edinburgh"), (0.55, 0.18, 0.14, 0.13)),
    "DE": (("Berlin", "Munich", "Hamburg", "Cologne"), (0.35, 0.25, 0.22, 0.18)),
    "CA": (("Toronto", "Vancouver", "Montreal", "Calgary"), (0.4, 0.25, 0.22, 0.13)),
}
TAX_RATE = {"US": 0.0725, "CA": 0.13}  # elsewhere prices include VAT: tax 0

CHANNELS = ("online_store", "marketplace", "pos", "other")
MARKETPLACE = CHANNELS.index("marketplace")
POS = CHANNELS.index("pos")
# Share of each country's orders by sales channel.
CHANNEL_MIX = np.array([
    [0.66, 0.18, 0.12, 0.04],  # US (the store is in New York)
    [0.18, 0.80, 0.00, 0.02],  # BR: mostly marketplaces
    [0.45, 0.52, 0.00, 0.03],  # MX
    [0.78, 0.20, 0.00, 0.02],  # GB
    [0.75, 0.23, 0.00, 0.02],  # DE
    [0.80, 0.18, 0.00, 0.02],  # CA
])

SOURCES = ("google", "meta", "tiktok", "newsletter", "mercadolibre", "amazon", "wholesale")
_ONLINE = np.array([0.34, 0.27, 0.10, 0.09, 0, 0, 0])  # rest (0.20): NULL, direct
_RETURNING_ONLINE = np.array([0.22, 0.15, 0.05, 0.28, 0, 0, 0])
# acquisition_channel of a customer from the source of the first order
ACQUISITION = ("meta", "google", "tiktok", "organic", "referral")


def source_weights(country: str, channel: int, returning: bool) -> np.ndarray:
    """Probabilities over ``SOURCES`` (the remainder is a NULL source)."""
    if channel == 0:
        return _RETURNING_ONLINE if returning else _ONLINE
    w = np.zeros(len(SOURCES))
    if channel == MARKETPLACE:
        latam = country in ("BR", "MX")
        w[SOURCES.index("mercadolibre")] = 0.72 if latam else 0.0
        w[SOURCES.index("amazon")] = 0.28 if latam else 1.0
    elif channel == CHANNELS.index("other"):
        w[SOURCES.index("wholesale")] = 1.0
    return w


@dataclass(frozen=True)
class Cell:
    """One (country, sales channel) market segment with its share of orders."""

    country: int
    channel: int
    share: float


def cells() -> list[Cell]:
    """The market segments with a positive share of orders."""
    out = []
    for ci in range(len(COUNTRIES)):
        for ch in range(len(CHANNELS)):
            share = float(COUNTRY_WEIGHTS[ci] * CHANNEL_MIX[ci, ch])
            if share > 0:
                out.append(Cell(ci, ch, share))
    return out


def product_weights(window: Window) -> np.ndarray:
    """Relative daily popularity of each product, shape (n_days, N_PRODUCTS)."""
    rng = rng_for(window.seed, "shop", "popularity")
    base = 1.0 / (1.0 + rng.permutation(N_PRODUCTS)) ** 0.55
    for idx in LOW_STOCK:
        base[idx] = max(base[idx], np.sort(base)[-8])  # best sellers
    day = np.arange(window.n_days)[:, None]
    w = np.broadcast_to(base, (window.n_days, N_PRODUCTS)).copy()
    drift = rng.normal(0, 0.25, N_PRODUCTS) * (day / window.n_days - 0.5)
    w *= np.exp(drift)
    for idx, ago in DISCONTINUED.items():
        w[day[:, 0] >= window.n_days - ago, idx] = 0.0
    for idx, ago in LAUNCHED.items():
        w[day[:, 0] < window.n_days - ago, idx] = 0.0
    w[window.n_days - DEAD_STOCK_QUIET_DAYS:, DEAD_STOCK] = 0.0
    return w


def product_costs(window: Window) -> np.ndarray:
    """Unit cost per product in USD cents (also for the products written without a cost)."""
    rng = rng_for(window.seed, "shop", "products")
    return np.rint(PRICE_CENTS * rng.uniform(0.32, 0.55, N_PRODUCTS)).astype(np.int64)


def write_products(directory: Path, window: Window, progress: Progress | None = None) -> int:
    """Writes ``products.parquet`` and returns its row count."""
    n = N_PRODUCTS
    cost = product_costs(window)
    no_cost = np.zeros(n, dtype=bool)
    no_cost[list(NO_COST)] = True
    active = np.ones(n, dtype=bool)
    active[list(DISCONTINUED)] = False
    cats = list(CATEGORIES)
    return write_table(directory, "products", {
        "product_id": texts(product_ids()),
        "sku": texts([f"SKU-{i + 1:04d}" for i in range(n)]),
        "title": texts(TITLES),
        "category": labels(cats, PRODUCT_CATEGORY),
        "price": money(PRICE_CENTS),
        "cost": money(cost, mask=no_cost),
        "active": active,
    }, progress)


def product_ids() -> list[str]:
    """The product ids, in catalog order."""
    return [f"p{i + 1:04d}" for i in range(N_PRODUCTS)]
