"""Daily exchange rates of the demo workspace (USD per BRL and per EUR)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storage.demo._common import Progress, Window, dates, decimal, epoch_day, labels, rng_for
from storage.demo._common import write_table as _write

# currency -> (mean rate, lower bound, upper bound, daily volatility)
RATES = {"BRL": (0.195, 0.18, 0.21, 0.006), "EUR": (1.085, 1.04, 1.13, 0.004)}


def _walk(rng: np.random.Generator, n: int, mean: float, low: float, high: float,
          vol: float) -> np.ndarray:
    """A mean-reverting random walk kept inside ``[low, high]``."""
    shocks = rng.normal(0.0, vol, n)
    out = np.empty(n)
    x = np.log(mean) + shocks[0]
    for i in range(n):
        x = x + 0.03 * (np.log(mean) - x) + shocks[i]
        x = float(np.clip(x, np.log(low), np.log(high)))
        out[i] = np.exp(x)
    return out


def write_fx_rates(directory: Path, window: Window, progress: Progress | None = None) -> int:
    """Writes ``fx_rates``: one rate per currency and day, every day of the data.

    Args:
        directory: the workspace folder.
        window: the demo's days and parameters.
        progress: called with (table, rows) when written.

    Returns:
        Rows written.
    """
    rng = rng_for(window.seed, "fx")
    currencies = list(RATES)
    rates = [_walk(rng, window.n_days, *RATES[c]) for c in currencies]
    scaled = np.rint(np.concatenate(rates) * 1e6).astype(np.int64) * 10_000
    days = np.tile(epoch_day(window.start) + np.arange(window.n_days), len(currencies))
    code = np.repeat(np.arange(len(currencies)), window.n_days)
    order = np.lexsort((code, days))
    return _write(directory, "fx_rates", {
        "date": dates(days[order]),
        "currency": labels(currencies, code[order]),
        "rate": decimal(scaled[order], scale=10, precision=24),
    }, progress)
