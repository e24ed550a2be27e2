"""The anomalies planted in the demo data, for evaluating alerting.

Their days are relative to ``end`` (the generator's "today"), so they always
fall inside the data; :func:`planted_anomalies` gives the concrete dates.
Outside these days every series is seasonal curve plus noise only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta

REVENUE_DROP_DAYS = 9
REVENUE_DROP_FACTOR = 0.25
AD_SPIKE_DAYS = 5
AD_SPIKE_FACTOR = 3.0
AD_SPIKE_CAMPAIGN = "Meta — Prospecting US"
CHURN_SPIKE_DAYS = 20
CHURN_SPIKE_FACTOR = 10.0
SESSIONS_SPIKE_DAYS = 12
SESSIONS_SPIKE_FACTOR = 20.0
SESSIONS_SPIKE_SOURCE = "reddit.com"


@dataclass(frozen=True)
class PlantedAnomaly:
    """One anomaly deliberately put in the demo data.

    Attributes:
        workspace: the demo workspace holding it.
        metric: the metric of ``metrics.md`` that shows it.
        days_before_end: its day is ``end - days_before_end``.
        dimension: the slice that explains it, as ``name=value`` pairs.
        value: the planted multiplier versus a normal day (0.25 = a 75% fall).
        description: what was planted, for people.
        day: the local calendar day, once ``end`` is known (see :meth:`at`).
    """

    workspace: str
    metric: str
    days_before_end: int
    dimension: str
    value: float
    description: str
    day: date | None = None

    def at(self, end: date) -> PlantedAnomaly:
        """This anomaly with ``day`` set for data generated with ``end``."""
        return dataclasses.replace(self, day=end - timedelta(days=self.days_before_end))


PLANTED_ANOMALIES: list[PlantedAnomaly] = [
    PlantedAnomaly(
        "demo", "revenue", REVENUE_DROP_DAYS, "country=BR, sales_channel=marketplace",
        REVENUE_DROP_FACTOR,
        "Revenue drop: marketplace orders from Brazil fall about 75% that day "
        "(mercadolibre/amazon listings down); BR marketplace accounts for most of the drop.",
    ),
    PlantedAnomaly(
        "demo", "ad_spend", AD_SPIKE_DAYS, f"campaign={AD_SPIKE_CAMPAIGN}", AD_SPIKE_FACTOR,
        f"Ad spend spike: '{AD_SPIKE_CAMPAIGN}' spends about 3x its normal budget while "
        "conversions stay flat, so its CPA roughly triples.",
    ),
    PlantedAnomaly(
        "demo", "churned_mrr", CHURN_SPIKE_DAYS, "plan=business", CHURN_SPIKE_FACTOR,
        "Churned-MRR spike: several large (mostly Business-plan) customers cancel the same "
        "day: at least 10x the usual daily churned MRR (and 2x the largest natural day).",
    ),
    PlantedAnomaly(
        "demo", "sessions", SESSIONS_SPIKE_DAYS,
        f"source={SESSIONS_SPIKE_SOURCE}, medium=referral", SESSIONS_SPIKE_FACTOR,
        f"Sessions spike: referral traffic from {SESSIONS_SPIKE_SOURCE} is about 20x normal "
        "(a viral thread) with no extra conversions.",
    ),
]


def planted_anomalies(end: date) -> list[PlantedAnomaly]:
    """The planted anomalies with their calendar day for data generated with ``end``.

    Args:
        end: the ``end`` passed to :func:`storage.demo.generate_demo`.

    Returns:
        A copy of :data:`PLANTED_ANOMALIES` with ``day`` filled in.
    """
    return [a.at(end) for a in PLANTED_ANOMALIES]
