"""How many orders the demo shop gets each day, per market segment.

The daily volume is a smooth curve (growth × yearly × weekly seasonality, with
Black Friday / Cyber Monday peaks) times small multiplicative noise; the
planted revenue drop is applied here to the BR marketplace segment only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from storage.demo._common import Window, epoch_day, rng_for, stochastic_round
from storage.demo.anomalies import REVENUE_DROP_DAYS, REVENUE_DROP_FACTOR
from storage.demo.shop_catalog import BR, MARKETPLACE, Cell, cells

ORDERS_AT_SCALE_1 = 40_000
CHUNK_ORDERS = 1_000_000
WEEKLY = np.array([1.0, 0.98, 1.0, 1.03, 1.06, 0.84, 0.88])  # Monday first: weekend dip
# Multipliers by days after Black Friday (the Friday after the 4th Thursday of November).
HOLIDAY = {-7: 1.12, -6: 1.12, -5: 1.15, -4: 1.15, -3: 1.2, -2: 1.25, -1: 1.3,
           0: 3.2, 1: 2.1, 2: 1.9, 3: 2.8, 4: 1.35}


def black_friday(year: int) -> date:
    """The Friday after the fourth Thursday of November of ``year``."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def day_numbers(window: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epoch day, weekday (Monday 0) and day of year (0-based) of each demo day."""
    ed = epoch_day(window.start) + np.arange(window.n_days)
    days = ed.astype("datetime64[D]")
    doy = (days - days.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    return ed, (ed + 3) % 7, doy


def holiday_factor(window: Window) -> np.ndarray:
    """Black Friday week and Christmas multipliers per day (1 elsewhere)."""
    factor = np.ones(window.n_days)
    for year in range(window.start.year, window.end.year + 1):
        bf = (black_friday(year) - window.start).days
        for offset, mult in HOLIDAY.items():
            if 0 <= bf + offset < window.n_days:
                factor[bf + offset] = mult
        for day, mult in ((24, 0.8), (25, 0.55), (31, 0.85), (1, 0.7)):
            month = 1 if day == 1 else 12
            i = (date(year, month, day) - window.start).days
            if 0 <= i < window.n_days:
                factor[i] *= mult
    return factor


def demand_curve(window: Window) -> np.ndarray:
    """Expected relative order volume per day (mean 1 over the window, no noise)."""
    _, dow, doy = day_numbers(window)
    t = np.arange(window.n_days) / 365.0
    growth = np.exp(np.log(2.0) / 2.0 * t)  # doubles in two years
    yearly = 1.0 + 0.12 * np.cos(2 * np.pi * (doy - 350) / 365.25)
    curve = growth * yearly * WEEKLY[dow] * holiday_factor(window)
    return curve / curve.mean()


@dataclass(frozen=True)
class OrderPlan:
    """Orders per day and market segment, and the chunks they are generated in.

    Attributes:
        cells: the market segments (columns of ``counts``).
        counts: orders per (day, cell), int64, shape (n_days, len(cells)).
        chunks: ``[start, stop)`` day ranges of about ``CHUNK_ORDERS`` orders each.
    """

    cells: list[Cell]
    counts: np.ndarray
    chunks: list[tuple[int, int]]

    @property
    def total(self) -> int:
        """All orders of the plan."""
        return int(self.counts.sum())


def plan_orders(window: Window) -> OrderPlan:
    """Draws the number of orders of every day and segment."""
    rng = rng_for(window.seed, "shop", "plan")
    segs = cells()
    share = np.array([c.share for c in segs])
    share /= share.sum()
    per_day = demand_curve(window) * ORDERS_AT_SCALE_1 * window.scale / window.n_days
    day_noise = np.exp(rng.normal(0, 0.02, window.n_days))
    cell_noise = np.exp(rng.normal(0, 0.03, (window.n_days, len(segs))))
    expected = (per_day * day_noise)[:, None] * share[None, :] * cell_noise
    br_market = [i for i, c in enumerate(segs) if c.country == BR and c.channel == MARKETPLACE]
    expected[window.day_index(REVENUE_DROP_DAYS), br_market] *= REVENUE_DROP_FACTOR
    counts = stochastic_round(rng, expected)
    return OrderPlan(segs, counts, _chunks(counts.sum(axis=1)))


def _chunks(per_day: np.ndarray) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start, acc = 0, 0
    for day, n in enumerate(per_day.tolist()):
        acc += n
        if acc >= CHUNK_ORDERS:
            out.append((start, day + 1))
            start, acc = day + 1, 0
    if start < len(per_day):
        out.append((start, len(per_day)))
    return out
