"""Demo ad campaigns, their daily performance and daily web traffic.

Spend follows the shop's demand curve; impressions, clicks and conversions
follow each campaign's CPM / CTR / CVR with noise, so CTR, CPC and ROAS differ
by channel. Two anomalies are planted here: one Meta campaign's spend spike
(conversions flat) and a referral sessions spike (conversions flat).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storage.demo._common import (
    Columns,
    Progress,
    Window,
    dates,
    epoch_day,
    labels,
    money,
    rng_for,
    stochastic_round,
    texts,
    write_table,
)
from storage.demo.anomalies import (
    AD_SPIKE_CAMPAIGN,
    AD_SPIKE_DAYS,
    AD_SPIKE_FACTOR,
    SESSIONS_SPIKE_DAYS,
    SESSIONS_SPIKE_FACTOR,
    SESSIONS_SPIKE_SOURCE,
)
from storage.demo.marketing_catalog import CAMPAIGNS, TRAFFIC, WEB_AOV
from storage.demo.shop_plan import demand_curve


def write_marketing(directory: Path, window: Window,
                    progress: Progress | None = None) -> dict[str, int]:
    """Writes ``ad_campaigns``, ``ad_performance_daily`` and ``web_traffic_daily``.

    Args:
        directory: the workspace folder.
        window: the demo's days and parameters.
        progress: called with (table, rows) after each table.

    Returns:
        Rows written per table.
    """
    return {
        "ad_campaigns": write_table(directory, "ad_campaigns", {
            "campaign_id": texts([c.campaign_id for c in CAMPAIGNS]),
            "channel": texts([c.channel for c in CAMPAIGNS]),
            "name": texts([c.name for c in CAMPAIGNS]),
            "objective": texts([c.objective for c in CAMPAIGNS]),
            "status": texts(["active"] * len(CAMPAIGNS)),
        }, progress),
        "ad_performance_daily": write_table(
            directory, "ad_performance_daily", _ad_performance(window), progress),
        "web_traffic_daily": write_table(
            directory, "web_traffic_daily", _web_traffic(window), progress),
    }


def _lognormal(rng: np.random.Generator, sigma: float, shape: tuple[int, ...]) -> np.ndarray:
    return np.exp(rng.normal(0.0, sigma, shape) - sigma * sigma / 2)


def _ad_performance(window: Window) -> Columns:
    rng = rng_for(window.seed, "marketing", "ads")
    shape = (window.n_days, len(CAMPAIGNS))
    budget = np.array([c.budget for c in CAMPAIGNS]) * window.scale
    trend = demand_curve(window) ** 0.7
    spend = budget[None, :] * trend[:, None] * _lognormal(rng, 0.07, shape)
    cpm = np.array([c.cpm for c in CAMPAIGNS])
    impressions = np.rint(spend / cpm * 1000 * _lognormal(rng, 0.05, shape)).astype(np.int64)
    ctr = np.array([c.ctr for c in CAMPAIGNS]) * _lognormal(rng, 0.08, shape)
    clicks = rng.binomial(impressions, np.minimum(ctr, 1.0))
    cvr = np.array([c.cvr for c in CAMPAIGNS]) * _lognormal(rng, 0.06, shape)
    conversions = stochastic_round(rng, clicks * cvr)  # modelled by the platform: smooth
    value = conversions * np.array([c.aov for c in CAMPAIGNS]) * _lognormal(rng, 0.1, shape)
    day = window.day_index(AD_SPIKE_DAYS)
    col = [c.name for c in CAMPAIGNS].index(AD_SPIKE_CAMPAIGN)
    spend[day, col] *= AD_SPIKE_FACTOR
    impressions[day, col] = round(impressions[day, col] * AD_SPIKE_FACTOR * 0.93)
    clicks[day, col] = round(clicks[day, col] * AD_SPIKE_FACTOR * 0.9)
    n_camp = len(CAMPAIGNS)
    camp = np.tile(np.arange(n_camp), window.n_days)
    return {
        "date": dates(np.repeat(epoch_day(window.start) + np.arange(window.n_days), n_camp)),
        "campaign_id": labels([c.campaign_id for c in CAMPAIGNS], camp),
        "channel": labels([c.channel for c in CAMPAIGNS], camp),
        "impressions": impressions.ravel(),
        "clicks": clicks.ravel(),
        "spend": money(np.rint(spend.ravel() * 100).astype(np.int64)),
        "conversions": conversions.ravel(),
        "conversion_value": money(np.rint(value.ravel() * 100).astype(np.int64)),
        "currency": labels(["USD"], np.zeros(camp.size, dtype=np.int64)),
    }


def _web_traffic(window: Window) -> Columns:
    rng = rng_for(window.seed, "marketing", "web")
    shape = (window.n_days, len(TRAFFIC))
    base = np.array([t.sessions for t in TRAFFIC]) * window.scale
    expected = base[None, :] * demand_curve(window)[:, None] * _lognormal(rng, 0.06, shape)
    sessions = stochastic_round(rng, expected)
    cvr = np.array([t.cvr for t in TRAFFIC]) * _lognormal(rng, 0.1, shape)
    conversions = rng.binomial(sessions, np.minimum(cvr, 1.0))
    day = window.day_index(SESSIONS_SPIKE_DAYS)
    col = [t.source for t in TRAFFIC].index(SESSIONS_SPIKE_SOURCE)
    sessions[day, col] = round(max(sessions[day, col], 1) * SESSIONS_SPIKE_FACTOR)
    users = np.minimum(np.rint(sessions * 0.82 * _lognormal(rng, 0.02, shape)),
                       sessions).astype(np.int64)
    new_users = rng.binomial(users, np.array([t.new_share for t in TRAFFIC])[None, :])
    revenue = conversions * WEB_AOV * _lognormal(rng, 0.12, shape)
    n_src = len(TRAFFIC)
    src = np.tile(np.arange(n_src), window.n_days)
    return {
        "date": dates(np.repeat(epoch_day(window.start) + np.arange(window.n_days), n_src)),
        "source": labels([t.source for t in TRAFFIC], src),
        "medium": labels([t.medium for t in TRAFFIC], src),
        "campaign": labels([t.campaign for t in TRAFFIC], src),
        "sessions": sessions.ravel(),
        "users": users.ravel(),
        "new_users": new_users.ravel(),
        "conversions": conversions.ravel(),
        "revenue": money(np.rint(revenue.ravel() * 100).astype(np.int64)),
    }
