"""Writes the demo SaaS tables: plans, customers, subscriptions, MRR spans, invoices.

The planted churned-MRR spike is applied here: on one day in the last 30, the
largest running subscriptions are cut until that day's churned MRR is about
ten times the usual daily amount.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storage.demo._common import (
    DAY,
    Calendar,
    Columns,
    Progress,
    Window,
    decimal,
    ids,
    labels,
    money,
    rng_for,
    texts,
    timestamps,
    write_table,
)
from storage.demo.anomalies import CHURN_SPIKE_DAYS, CHURN_SPIKE_FACTOR
from storage.demo.saas import Spans, Subscriptions, add_months, run_subscriptions, signups
from storage.demo.saas_catalog import (
    AMOUNT,
    COUNTRIES,
    COUNTRY_P,
    EUR_COUNTRIES,
    EUR_PLAN,
    INTERVAL_MONTHS,
    MRR_SCALED,
    PLANS,
    SEGMENT_P,
    SEGMENTS,
    company_names,
)

STATUSES = ("trialing", "active", "past_due", "canceled", "unpaid")
INVOICE_STATUSES = ("draft", "open", "paid", "void", "uncollectible")
CUSTOMERS_AT_SCALE_1 = 1_500
MIN_CUSTOMERS, MAX_CUSTOMERS = 150, 15_000
PAST_DUE_SHARE, UNPAID_SHARE, VOID_SHARE = 0.04, 0.2, 0.01


def plant_churn_spike(rng: np.random.Generator, window: Window, calendar: Calendar,
                      subs: Subscriptions, spans: Spans) -> np.ndarray:
    """Cuts the largest running subscriptions on the spike day; returns their numbers."""
    day = window.day_index(CHURN_SPIKE_DAYS)
    usd = MRR_SCALED[spans.plan] * np.where(EUR_PLAN[spans.plan], 1.085, 1.0)
    ended = spans.valid_to >= 0
    churned = np.flatnonzero(ended & (subs.churn_at[spans.sub] == spans.valid_to))
    span = window.n_days - (day - 90)  # the 90 days before the spike and the days after
    midnights = calendar.to_utc(np.arange(day - 90, window.n_days + 1),
                                np.zeros(span + 1, dtype=np.int64))
    bucket = np.searchsorted(midnights, spans.valid_to[churned], side="right") - 1
    inside = (bucket >= 0) & (bucket < span)
    daily = np.bincount(bucket[inside], weights=usd[churned[inside]], minlength=span)
    # ~10x the usual day, and clearly above the lumpiest natural day around it
    target = max(CHURN_SPIKE_FACTOR * daily.mean(), 2.0 * daily.max())
    at = int(calendar.to_utc(np.array([day]), np.array([14 * 3600]))[0])
    at += int(rng.integers(0, 3 * 3600))
    open_ = np.flatnonzero(~ended & (spans.valid_from < at - DAY))
    order = open_[np.lexsort((rng.random(open_.size), -usd[open_]))]
    take = max(1, int(np.searchsorted(np.cumsum(usd[order]), target)) + 1)
    cut = order[:take]
    spans.valid_to[cut] = at
    subs.churn_at[spans.sub[cut]] = at
    return spans.sub[cut]


def statuses(rng: np.random.Generator, subs: Subscriptions, planted: np.ndarray,
             end_ts: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status, canceled_at and ended_at (-1 for NULL) of every subscription."""
    n = subs.customer.size
    status = np.full(n, STATUSES.index("active"))
    canceled = np.full(n, -1, dtype=np.int64)
    ended = np.full(n, -1, dtype=np.int64)
    in_trial = subs.trial_end >= end_ts
    status[in_trial] = STATUSES.index("trialing")
    lost = ~subs.converted & ~in_trial
    status[lost] = STATUSES.index("canceled")
    ended[lost] = subs.trial_end[lost]
    canceled[lost] = np.maximum(subs.started_at[lost],
                                subs.trial_end[lost] - rng.integers(0, 3 * DAY, int(lost.sum())))
    paying = subs.converted & ~in_trial & (subs.churn_at < 0) & (subs.anchor < end_ts)
    status[paying & (rng.random(n) < PAST_DUE_SHARE)] = STATUSES.index("past_due")
    churned = subs.churn_at >= 0
    unpaid = churned & (rng.random(n) < UNPAID_SHARE)
    unpaid[planted] = False
    status[unpaid] = STATUSES.index("unpaid")
    quit_ = churned & ~unpaid
    status[quit_] = STATUSES.index("canceled")
    ended[quit_] = subs.churn_at[quit_]
    notice = rng.integers(0, 25 * DAY, n)
    canceled[quit_] = np.maximum(subs.started_at, subs.churn_at - notice)[quit_]
    return status, canceled, ended


def invoices(rng: np.random.Generator, subs: Subscriptions, spans: Spans, status: np.ndarray,
             end_ts: int) -> Columns:
    """One invoice per billing period of every span, plus the unpaid subscriptions' last."""
    step = INTERVAL_MONTHS[spans.plan]
    stop = np.where(spans.valid_to >= 0, spans.valid_to, end_ts)
    per = (stop - spans.valid_from) // (28 * DAY * step) + 1
    owner = np.repeat(np.arange(spans.sub.size), per)
    j = np.arange(owner.size) - np.repeat(np.cumsum(per) - per, per)
    created = add_months(spans.valid_from[owner], j * step[owner])
    keep = created < stop[owner]
    sub, plan, created = spans.sub[owner[keep]], spans.plan[owner[keep]], created[keep]
    unpaid = np.flatnonzero(status == STATUSES.index("unpaid"))
    sub = np.concatenate([sub, unpaid])
    plan = np.concatenate([plan, subs.plan[unpaid]])
    created = np.concatenate([created, subs.churn_at[unpaid]])
    order = np.lexsort((sub, created))
    sub, plan, created = sub[order], plan[order], created[order]
    paid_at = created + rng.integers(60, 3 * DAY, sub.size)
    inv = np.full(sub.size, INVOICE_STATUSES.index("paid"))
    inv[paid_at >= end_ts] = INVOICE_STATUSES.index("open")
    inv[rng.random(sub.size) < VOID_SHARE] = INVOICE_STATUSES.index("void")
    last = np.zeros(sub.size, dtype=bool)  # each subscription's latest invoice
    last[sub.size - 1 - np.unique(sub[::-1], return_index=True)[1]] = True
    inv[last & (status[sub] == STATUSES.index("past_due"))] = INVOICE_STATUSES.index("open")
    inv[last & (status[sub] == STATUSES.index("unpaid"))] = INVOICE_STATUSES.index(
        "uncollectible")
    paid = inv == INVOICE_STATUSES.index("paid")
    return {
        "invoice_id": ids("in_", np.arange(sub.size) + 1, 6),
        "customer_id": ids("cus_", subs.customer[sub] + 1, 5),
        "subscription_id": ids("sub_", sub + 1, 5),
        "created_at": timestamps(created),
        "status": labels(INVOICE_STATUSES, inv),
        "amount_due": money(AMOUNT[plan]),
        "amount_paid": money(np.where(paid, AMOUNT[plan], 0)),
        "currency": labels(("USD", "EUR"), EUR_PLAN[plan].astype(np.int64)),
        "paid_at": timestamps(paid_at, mask=~paid),
    }


def write_saas(directory: Path, window: Window, calendar: Calendar,
               progress: Progress | None = None) -> dict[str, int]:
    """Writes the five SaaS tables of the demo workspace.

    Args:
        directory: the workspace folder.
        window: the demo's days and parameters.
        calendar: local days of the workspace (for the planted spike's day).
        progress: called with (table, rows) after each table.

    Returns:
        Rows written per table.
    """
    rng = rng_for(window.seed, "saas", "customers")
    n = int(np.clip(round(CUSTOMERS_AT_SCALE_1 * window.scale), MIN_CUSTOMERS, MAX_CUSTOMERS))
    created = signups(rng, window, n)
    segment = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_P)
    country = rng.choice(len(COUNTRIES), size=n, p=COUNTRY_P)
    end_ts = calendar.utc_midnight(window.n_days)
    subs, spans = run_subscriptions(window, created, segment, EUR_COUNTRIES[country], end_ts)
    rng = rng_for(window.seed, "saas", "billing")
    planted = plant_churn_spike(rng, window, calendar, subs, spans)
    status, canceled, ended = statuses(rng, subs, planted, end_ts)
    rows = {
        "saas_plans": write_table(directory, "saas_plans", _plan_columns(), progress),
        "saas_customers": write_table(directory, "saas_customers",
                                      _customer_columns(rng, created, segment, country),
                                      progress),
        "subscriptions": write_table(directory, "subscriptions",
                                     _subscription_columns(subs, status, canceled, ended),
                                     progress),
        "subscription_mrr": write_table(directory, "subscription_mrr",
                                        _mrr_columns(subs, spans), progress),
    }
    rows["invoices"] = write_table(
        directory, "invoices", invoices(rng, subs, spans, status, end_ts), progress)
    return rows


def _plan_columns() -> Columns:
    return {
        "plan_id": texts([p.plan_id for p in PLANS]),
        "name": texts([p.name for p in PLANS]),
        "interval": texts([p.interval for p in PLANS]),
        "amount": money(AMOUNT),
        "currency": texts([p.currency for p in PLANS]),
    }


def _customer_columns(rng: np.random.Generator, created: np.ndarray, segment: np.ndarray,
                      country: np.ndarray) -> Columns:
    names = company_names(rng, created.size)
    return {
        "customer_id": ids("cus_", np.arange(created.size) + 1, 5),
        "created_at": timestamps(created),
        "company": texts(names),
        "email": texts([f"billing{i + 1}@{name.split()[0].lower()}.example.com"
                        for i, name in enumerate(names)]),
        "country": labels(COUNTRIES, country),
        "segment": labels(SEGMENTS, segment),
    }


def _subscription_columns(subs: Subscriptions, status: np.ndarray, canceled: np.ndarray,
                          ended: np.ndarray) -> Columns:
    return {
        "subscription_id": ids("sub_", np.arange(subs.customer.size) + 1, 5),
        "customer_id": ids("cus_", subs.customer + 1, 5),
        "plan_id": labels([p.plan_id for p in PLANS], subs.plan),
        "status": labels(STATUSES, status),
        "started_at": timestamps(subs.started_at),
        "trial_end": timestamps(subs.trial_end, mask=subs.trial_end < 0),
        "canceled_at": timestamps(canceled, mask=canceled < 0),
        "ended_at": timestamps(ended, mask=ended < 0),
    }


def _mrr_columns(subs: Subscriptions, spans: Spans) -> Columns:
    order = np.lexsort((spans.sub, spans.valid_from))
    sub, plan = spans.sub[order], spans.plan[order]
    valid_to = spans.valid_to[order]
    return {
        "subscription_id": ids("sub_", sub + 1, 5),
        "valid_from": timestamps(spans.valid_from[order]),
        "valid_to": timestamps(valid_to, mask=valid_to < 0),
        "customer_id": ids("cus_", subs.customer[sub] + 1, 5),
        "mrr": decimal(MRR_SCALED[plan]),
        "currency": labels(("USD", "EUR"), EUR_PLAN[plan].astype(np.int64)),
    }
