"""Demo SaaS customers and the life of their subscriptions, as MRR spans.

Subscriptions change only on billing anniversaries: each month a paying
subscription may churn, upgrade or downgrade (yearly plans churn only at
renewal). Every change closes one ``subscription_mrr`` span and, unless the
subscription ended, opens the next. Some churned customers come back later
with a new subscription (reactivation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storage.demo._common import DAY, Window, epoch_day, rng_for
from storage.demo.saas_catalog import DOWN, PLANS, UP, initial_plans

TRIAL_DAYS = 14
TRIAL_SHARE = 0.75
TRIAL_CONVERSION = 0.62
CHURN_MONTHLY = np.array([0.05, 0.032, 0.02])  # by tier: starter, pro, business
CHURN_AT_RENEWAL = 0.22
UPGRADE, DOWNGRADE = 0.025, 0.012
REACTIVATION = 0.16


@dataclass
class Spans:
    """MRR spans: ``valid_to`` is -1 while running; times are UTC epoch seconds."""

    sub: np.ndarray
    valid_from: np.ndarray
    valid_to: np.ndarray
    plan: np.ndarray

    @staticmethod
    def concat(parts: list[Spans]) -> Spans:
        """All spans of ``parts`` in one."""
        return Spans(*(np.concatenate([getattr(p, f) for p in parts])
                       for f in ("sub", "valid_from", "valid_to", "plan")))


@dataclass
class Lives:
    """The outcome of simulating a batch of paying subscriptions.

    Attributes:
        spans: their MRR spans.
        plan: the plan each subscription ended with.
        churn_at: when it stopped paying, -1 if still paying.
    """

    spans: Spans
    plan: np.ndarray
    churn_at: np.ndarray


def add_months(ts: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """``ts`` (epoch seconds) plus whole months, clipping the day to the month's end."""
    day = (ts // DAY).astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    dom = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months).astype("timedelta64[M]")
    dim = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    new_day = target.astype("datetime64[D]") + np.minimum(dom, dim - 1)
    return new_day.astype(np.int64) * DAY + ts % DAY


_TIER = np.array([p.tier for p in PLANS])
_YEARLY = np.array([p.interval == "year" for p in PLANS])


def _moves(u: np.ndarray, due: np.ndarray, plan: np.ndarray,
           k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which due subscriptions churn, upgrade or downgrade at their ``k``-th anniversary."""
    yearly = _YEARLY[plan]
    p_churn = np.where(yearly, CHURN_AT_RENEWAL * (k % 12 == 0), CHURN_MONTHLY[_TIER[plan]])
    p_up = np.where(UP[plan] >= 0, UPGRADE, 0.0)
    p_down = np.where((DOWN[plan] >= 0) & ~yearly, DOWNGRADE, 0.0)
    churn = due & (u < p_churn)
    up = due & ~churn & (u < p_churn + p_up)
    down = due & ~churn & ~up & (u < p_churn + p_up + p_down)
    return churn, up, down


def simulate(rng: np.random.Generator, sub: np.ndarray, plan: np.ndarray, anchor: np.ndarray,
             end_ts: int) -> Lives:
    """Runs paying subscriptions from ``anchor`` until churn or ``end_ts``.

    Args:
        rng: the SaaS generator.
        sub: subscription numbers.
        plan: starting plan index of each.
        anchor: the first paid day (UTC epoch seconds); billing repeats monthly from it.
        end_ts: the end of the data.

    Returns:
        Spans, final plans and churn times.
    """
    n = sub.size
    plan, start = plan.copy(), anchor.copy()
    alive, churn_at = np.ones(n, dtype=bool), np.full(n, -1, dtype=np.int64)
    parts: list[Spans] = []
    for k in range(1, 400):
        at = add_months(anchor, k)
        due = alive & (at < end_ts)
        if not due.any():
            break
        churn, up, down = _moves(rng.random(n), due, plan, k)
        moved = churn | up | down
        parts.append(Spans(sub[moved], start[moved], at[moved], plan[moved]))
        start[up | down] = at[up | down]
        plan[up], plan[down] = UP[plan[up]], DOWN[plan[down]]
        alive &= ~churn
        churn_at[churn] = at[churn]
    parts.append(Spans(sub[alive], start[alive], np.full(int(alive.sum()), -1), plan[alive]))
    return Lives(Spans.concat(parts), plan, churn_at)


@dataclass
class Subscriptions:
    """Every demo subscription (times in UTC epoch seconds, -1 for none)."""

    customer: np.ndarray
    started_at: np.ndarray
    trial_end: np.ndarray
    anchor: np.ndarray
    plan: np.ndarray
    converted: np.ndarray
    churn_at: np.ndarray


def signups(rng: np.random.Generator, window: Window, n: int) -> np.ndarray:
    """Sorted UTC signup times of ``n`` customers, growing over the window."""
    t = np.arange(window.n_days)
    weight = np.exp(np.log(2.0) / 365.0 * t)
    day = rng.choice(window.n_days, size=n, p=weight / weight.sum())
    ts = (epoch_day(window.start) + day) * DAY + rng.integers(11 * 3600, 23 * 3600, n)
    return np.sort(ts)


def first_subscriptions(rng: np.random.Generator, created: np.ndarray, segment: np.ndarray,
                        eur: np.ndarray) -> Subscriptions:
    """One subscription per customer: maybe a trial, then a plan if converted."""
    n = created.size
    started = created + rng.integers(60, 2 * 3600, n)
    trial = rng.random(n) < TRIAL_SHARE
    trial_end = np.where(trial, started + TRIAL_DAYS * DAY, -1)
    converted = ~trial | (rng.random(n) < TRIAL_CONVERSION)
    anchor = np.where(trial, trial_end, started)
    plan = initial_plans(rng, segment, eur)
    return Subscriptions(np.arange(n), started, trial_end, anchor, plan, converted,
                         np.full(n, -1, dtype=np.int64))


def reactivations(rng: np.random.Generator, subs: Subscriptions, end_ts: int) -> Subscriptions:
    """New subscriptions of churned customers who come back 30-240 days later."""
    back = np.flatnonzero((subs.churn_at >= 0) & (rng.random(subs.churn_at.size) < REACTIVATION))
    start = subs.churn_at[back] + rng.integers(30, 241, back.size) * DAY
    keep = start < end_ts - DAY
    back, start = back[keep], start[keep]
    plan = subs.plan[back]
    lower = (DOWN[plan] >= 0) & (rng.random(back.size) < 0.4)
    plan = np.where(lower, DOWN[plan], plan)
    none = np.full(back.size, -1, dtype=np.int64)
    return Subscriptions(subs.customer[back], start, none, start.copy(), plan,
                         np.ones(back.size, dtype=bool), none.copy())


def run_subscriptions(window: Window, created: np.ndarray, segment: np.ndarray,
                      eur: np.ndarray, end_ts: int) -> tuple[Subscriptions, Spans]:
    """All subscriptions (first ones, then reactivations) and their MRR spans."""
    rng = rng_for(window.seed, "saas", "life")
    first = first_subscriptions(rng, created, segment, eur)
    paying = np.flatnonzero(first.converted & (first.anchor < end_ts))
    lives = simulate(rng, paying, first.plan[paying], first.anchor[paying], end_ts)
    first.plan[paying], first.churn_at[paying] = lives.plan, lives.churn_at
    again = reactivations(rng, first, end_ts)
    offset = first.customer.size
    more = simulate(rng, offset + np.arange(again.customer.size), again.plan, again.anchor,
                    end_ts)
    again.plan, again.churn_at = more.plan, more.churn_at
    subs = Subscriptions(*(np.concatenate([getattr(first, f), getattr(again, f)])
                           for f in ("customer", "started_at", "trial_end", "anchor", "plan",
                                     "converted", "churn_at")))
    return subs, Spans.concat([lives.spans, more.spans])

