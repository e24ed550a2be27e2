"""What is worth saying in a digest, and how much: insights ranked by a score.

``score = surprise × weight``. *Surprise* is the size of the surprise in units of "just
noteworthy" (1.0 = at the threshold), measured differently per kind of insight;
*weight* is the business weight of the metric (:data:`agents.insights.anomalies.SERIES`)
times the weight of the kind. An insight is noteworthy when its score reaches
:data:`NOTABLE_SCORE`; the digest shows the top :data:`MAX_INSIGHTS`.

| kind | surprise | kind weight |
| --- | --- | --- |
| anomaly | robust |z| / threshold (1 = just flagged) | 1.0 |
| mover | the segment's change vs the same weekday last week ÷ 20% of the total | 0.5 |
| record | 1 + 10 × (value ÷ previous 90-day high − 1), at most 3 | 0.6 |
| stock | 7 ÷ days of stock of the first product to run out, at most 5 | 0.6 |
| churn | churned MRR of the day ÷ 0.5% of MRR, at most 5 | 1.0 |
| bettor | the top bettor's profit ÷ 2 units, at most 3 | 0.6 |

Every number an insight says comes from the catalog (``Engine.run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from agents.insights.anomalies import Anomaly
from agents.insights.series import SPECS, DailySeries, number, week_ago_day
from storage.catalog import AsOf, Engine, Filter, Order, Query
from storage.catalog.display import format_change, format_value
from storage.catalog.model import ACTIVE_PRODUCTS
from storage.catalog.periods import Period

NOTABLE_SCORE = 0.5
MAX_INSIGHTS = 5
KIND_WEIGHT = {"anomaly": 1.0, "mover": 0.5, "record": 0.6, "stock": 0.6, "churn": 1.0,
               "bettor": 0.6}
MOVER_MATERIAL = 0.20
RECORD_DAYS = 90
RECORD_METRICS = ("revenue", "orders", "sessions", "profit_units")
STOCK_DAYS = 7
CHURN_SHARE = 0.005
BETTOR_UNITS = 2.0
#: metric → the dimension its biggest movers are looked for in
MOVER_DIMENSION = {"revenue": "country", "ad_spend": "campaign"}


@dataclass(frozen=True)
class Insight:
    """One thing worth saying, with its score (see the module docstring)."""

    kind: str
    metric: str
    text: str
    surprise: float
    weight: float

    @property
    def score(self) -> float:
        """surprise × weight."""
        return self.surprise * self.weight

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "metric": self.metric, "text": self.text,
                "surprise": self.surprise, "weight": self.weight, "score": self.score}


def make_insight(kind: str, metric: str, text: str, surprise: float) -> Insight:
    """An insight weighted by its kind and its metric's business weight."""
    spec = SPECS.get(metric)
    return Insight(kind, metric, text, surprise, KIND_WEIGHT[kind] * (spec.weight if spec else 1.0))


def rank(insights: list[Insight], limit: int = MAX_INSIGHTS) -> list[Insight]:
    """The noteworthy insights, highest score first (ties: the order found)."""
    notable = [i for i in insights if i.score >= NOTABLE_SCORE]
    return sorted(notable, key=lambda i: -i.score)[:limit]


def anomaly_insights(anomalies: list[Anomaly]) -> list[Insight]:
    """Each anomaly, with its own explanation."""
    return [make_insight("anomaly", a.metric, a.text, a.surprise) for a in anomalies]


def record_insights(engine: Engine, series: DailySeries) -> list[Insight]:
    """Yesterday was the highest day in :data:`RECORD_DAYS` days."""
    found = []
    for metric in RECORD_METRICS:
        value = series.value(metric)
        before = [v for _, v in series.window(metric, RECORD_DAYS + 1)[:-1] if v is not None]
        if value is None or len(before) < RECORD_DAYS // 2 or max(before) <= 0 or value <= max(before):
            continue
        fmt = engine.defs.metrics[metric].format
        shown = format_value(value, fmt, engine.workspace.currency)
        high = format_value(max(before), fmt, engine.workspace.currency)
        surprise = min(3.0, 1 + 10 * (value / max(before) - 1))
        text = (f"Record: {engine.defs.metrics[metric].label.lower()} of {shown} is the highest "
                f"day in {RECORD_DAYS} days (previous high {high}).")
        found.append(make_insight("record", metric, text, surprise))
    return found


def mover_insights(engine: Engine, as_of: AsOf, day: date, metrics: tuple[str, ...]) -> list[Insight]:
    """The segment that moved its metric the most vs the same weekday last week."""
    found = []
    for metric in metrics:
        dim = MOVER_DIMENSION.get(metric)
        if dim is None:
            continue
        result = engine.run(Query((metric,), week_ago_day(day), (dim,), compare="previous"), as_of)
        before = {r.get(dim): number(r.get(metric)) or 0.0 for r in result.comparison.rows} \
            if result.comparison else {}
        total = number(result.comparison.values.get(metric)) if result.comparison else None
        changes = {k: (number(r.get(metric)) or 0.0) - before.get(k, 0.0) for k, r in
                   ((r.get(dim), r) for r in result.rows)}
        changes.update({k: -v for k, v in before.items() if k not in changes})
        if not changes or not total:
            continue
        key, change = max(changes.items(), key=lambda kv: abs(kv[1]))
        fmt = engine.defs.metrics[metric].format
        moved = format_change(change, None, fmt, engine.workspace.currency).replace(" (new)", "")
        text = (f"Biggest mover: {engine.defs.dimensions[dim].label.lower()} {key} {moved} "
                f"{engine.defs.metrics[metric].label.lower()} vs last {day:%A}.")
        found.append(make_insight("mover", metric, text, abs(change) / (MOVER_MATERIAL * abs(total))))
    return found


def stock_insights(engine: Engine, as_of: AsOf) -> list[Insight]:
    """Products with less than :data:`STOCK_DAYS` days of stock."""
    query = Query(("days_of_stock",), None, ("product",),
                  (Filter("days_of_stock_below", (str(STOCK_DAYS),)), ACTIVE_PRODUCTS),
                  Order("days_of_stock", False), 3)
    rows = [r for r in engine.run(query, as_of).rows if number(r.get("days_of_stock")) is not None]
    if not rows:
        return []
    first = number(rows[0]["days_of_stock"]) or 0.0
    names = ", ".join(f"{r['product']} ({number(r['days_of_stock']):.1f} days)" for r in rows)
    text = f"Running out of stock within {STOCK_DAYS} days: {names}."
    return [make_insight("stock", "days_of_stock", text, min(5.0, STOCK_DAYS / max(first, 1.0)))]


def churn_insights(engine: Engine, day: date, churned: float | None, mrr: float | None,
                   week_ago: float | None) -> list[Insight]:
    """MRR churned on ``day`` as a share of MRR."""
    if not churned or not mrr:
        return []
    currency = engine.workspace.currency
    text = (f"Churned MRR: {format_value(churned, 'money', currency)} on {day:%a %b} {day.day} "
            f"({churned / mrr * 100:.1f}% of MRR; {format_value(week_ago or 0, 'money', currency)} "
            f"the {day:%A} before).")
    return [make_insight("churn", "churned_mrr", text, min(5.0, churned / mrr / CHURN_SHARE))]


def bettor_insights(engine: Engine, as_of: AsOf, day: date) -> list[Insight]:
    """The day's most profitable bettor."""
    query = Query(("profit_units",), Period(day, day + timedelta(days=1), "day"), ("bettor",),
                  order=Order("profit_units"), limit=1, min_count=1)
    rows = engine.run(query, as_of).rows
    profit = number(rows[0].get("profit_units")) if rows else None
    if not rows or profit is None or profit <= 0:
        return []
    text = f"Top bettor: {rows[0]['bettor']} +{profit:.2f} units on {day:%a %b} {day.day}."
    return [make_insight("bettor", "profit_units", text, min(3.0, profit / BETTOR_UNITS))]
