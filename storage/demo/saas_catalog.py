"""The demo SaaS company's price list and customer attributes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Plan:
    """A price plan; ``amount`` in cents of ``currency`` per ``interval``."""

    plan_id: str
    name: str
    interval: str
    amount: int
    currency: str
    tier: int

    @property
    def mrr_scaled(self) -> int:
        """Monthly-normalised amount with 4 decimals (yearly plans: amount / 12)."""
        months = 12 if self.interval == "year" else 1
        return self.amount * 100 // months


PLANS = (
    Plan("starter_monthly", "Starter", "month", 2_900, "USD", 0),
    Plan("pro_monthly", "Pro", "month", 9_900, "USD", 1),
    Plan("business_monthly", "Business", "month", 29_900, "USD", 2),
    Plan("pro_yearly", "Pro (yearly)", "year", 99_000, "USD", 1),
    Plan("business_yearly", "Business (yearly)", "year", 298_800, "USD", 2),
    Plan("starter_monthly_eur", "Starter (EUR)", "month", 2_700, "EUR", 0),
    Plan("pro_monthly_eur", "Pro (EUR)", "month", 9_200, "EUR", 1),
    Plan("business_monthly_eur", "Business (EUR)", "month", 27_900, "EUR", 2),
)
_IDX = {p.plan_id: i for i, p in enumerate(PLANS)}
UP = np.array([_IDX.get(u, -1) for u in (
    "pro_monthly", "business_monthly", "", "business_yearly", "", "pro_monthly_eur",
    "business_monthly_eur", "")])
DOWN = np.array([_IDX.get(d, -1) for d in (
    "", "starter_monthly", "pro_monthly", "", "pro_yearly", "", "starter_monthly_eur",
    "pro_monthly_eur")])
INTERVAL_MONTHS = np.array([12 if p.interval == "year" else 1 for p in PLANS])
MRR_SCALED = np.array([p.mrr_scaled for p in PLANS], dtype=np.int64)
AMOUNT = np.array([p.amount for p in PLANS], dtype=np.int64)
EUR_PLAN = np.array([p.currency == "EUR" for p in PLANS])

SEGMENTS = ("smb", "mid_market", "enterprise")
SEGMENT_P = np.array([0.68, 0.26, 0.06])
# P(starter, pro, business) by segment
TIER_P = np.array([[0.65, 0.35, 0.0], [0.15, 0.62, 0.23], [0.0, 0.3, 0.7]])
YEARLY_SHARE = 0.22
COUNTRIES = ("US", "CA", "GB", "AU", "BR", "DE", "FR", "ES", "NL")
COUNTRY_P = np.array([0.55, 0.09, 0.13, 0.07, 0.08, 0.04, 0.02, 0.01, 0.01])
EUR_COUNTRIES = np.array([c in ("DE", "FR", "ES", "NL") for c in COUNTRIES])

_FIRST = ("Blue", "North", "Bright", "Iron", "Silver", "Pixel", "Cedar", "Harbor", "Lumen",
          "Quartz", "Summit", "Velvet", "Atlas", "Nimbus", "Coral", "Orbit", "Maple", "Delta")
_SECOND = ("Fox", "Labs", "Works", "Analytics", "Logistics", "Studio", "Health", "Foods",
           "Robotics", "Media", "Finance", "Systems", "Goods", "Travel", "Energy", "Design")
_SUFFIX = ("Inc", "LLC", "Co", "Ltd", "GmbH", "SAS")


def initial_plans(rng: np.random.Generator, segment: np.ndarray, eur: np.ndarray) -> np.ndarray:
    """The first plan of each customer, by segment and currency."""
    n = segment.size
    cdf = np.cumsum(TIER_P, axis=1)[segment]
    tier = (rng.random(n)[:, None] > cdf).sum(axis=1).clip(0, 2)
    yearly = (tier > 0) & ~eur & (rng.random(n) < YEARLY_SHARE)
    usd_month = np.array([_IDX["starter_monthly"], _IDX["pro_monthly"], _IDX["business_monthly"]])
    usd_year = np.array([-1, _IDX["pro_yearly"], _IDX["business_yearly"]])
    eur_month = np.array([_IDX["starter_monthly_eur"], _IDX["pro_monthly_eur"],
                          _IDX["business_monthly_eur"]])
    return np.where(eur, eur_month[tier], np.where(yearly, usd_year[tier], usd_month[tier]))


def company_names(rng: np.random.Generator, n: int) -> list[str]:
    """Plausible company names (not necessarily unique)."""
    a = rng.integers(0, len(_FIRST), n)
    b = rng.integers(0, len(_SECOND), n)
    c = rng.integers(0, len(_SUFFIX), n)
    return [f"{_FIRST[i]} {_SECOND[j]} {_SUFFIX[k]}" for i, j, k in zip(a, b, c, strict=True)]
