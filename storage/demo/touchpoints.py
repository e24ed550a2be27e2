"""Marketing touchpoints of a sample of demo customers before their first order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from storage.demo._common import ids, labels, timestamps
from storage.demo.marketing_catalog import CAMPAIGNS
from storage.demo.marketing_catalog import CHANNELS as AD_CHANNELS
from storage.demo.shop_catalog import ACQUISITION

SAMPLE_SHARE = 0.35
TOUCH_CHANNELS = ("meta", "google", "tiktok", "email", "organic")
TOUCH_WEIGHTS = np.array([0.3, 0.3, 0.1, 0.15, 0.15])
_CAMPAIGN_IDS = [c.campaign_id for c in CAMPAIGNS]


def touchpoint_columns(rng: np.random.Generator, first_id: int, customer: np.ndarray,
                       first_ts: np.ndarray, acquisition: np.ndarray) -> dict[str, pa.Array]:
    """Touchpoints for a sample of new customers, within 14 days before their first order.

    Args:
        rng: the chunk's generator.
        first_id: number of the first touchpoint (0-based, global).
        customer: global customer numbers of the chunk's new customers.
        first_ts: UTC epoch seconds of their first order.
        acquisition: their ``ACQUISITION`` index.

    Returns:
        The columns of ``touchpoints`` (possibly empty).
    """
    picked = np.flatnonzero(rng.random(len(customer)) < SAMPLE_SHARE)
    per = 1 + np.minimum(rng.poisson(1.2, picked.size), 4)
    owner = np.repeat(picked, per)
    n = owner.size
    last = np.ones(n, dtype=bool)
    last[:-1] = owner[1:] != owner[:-1]
    channel = np.searchsorted(np.cumsum(TOUCH_WEIGHTS), rng.random(n) * TOUCH_WEIGHTS.sum(),
                              side="right").clip(0, len(TOUCH_CHANNELS) - 1)
    acq = np.array(ACQUISITION)[acquisition[owner]]
    for i, name in enumerate(TOUCH_CHANNELS[:3]):
        channel[last & (acq == name)] = i
    ago = np.where(last, rng.integers(60, 6 * 3600, n), rng.integers(3600, 14 * 86_400, n))
    campaign = _campaign_for(rng, channel)
    return {
        "touchpoint_id": ids("t", first_id + np.arange(n) + 1, 8),
        "customer_id": ids("c", customer[owner] + 1, 7),
        "occurred_at": timestamps(first_ts[owner] - ago),
        "channel": labels(TOUCH_CHANNELS, channel),
        "campaign_id": labels(_CAMPAIGN_IDS, np.maximum(campaign, 0), mask=campaign < 0),
    }


def _campaign_for(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """A campaign index of the touchpoint's ad channel, -1 for unpaid channels."""
    out = np.full(channel.size, -1, dtype=np.int64)
    u = rng.random(channel.size)
    for i, name in enumerate(TOUCH_CHANNELS):
        if name not in AD_CHANNELS:
            continue
        of_channel = np.array([k for k, c in enumerate(CAMPAIGNS) if c.channel == name])
        rows = channel == i
        out[rows] = of_channel[(u[rows] * of_channel.size).astype(np.int64)]
    return out
