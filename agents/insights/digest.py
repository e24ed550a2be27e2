"""The daily digest and the anomaly alerts: what Tally says without being asked.

The digest reports on *yesterday* (the day before ``as_of``): each key metric of the
workspace's verticals against the same weekday last week and the trailing 4-week
average, month to date against last month to date, then the 3-5 most noteworthy
insights ranked by score (:mod:`agents.insights.score`). The 4-week average is over
*all* days: the catalog's value over the 28 days before yesterday, divided by 28 for
sums (ratios such as AOV are taken over the 28 days as they are); weekday seasonality
is covered by the same-weekday comparison and by the anomaly detector. Stocks (MRR)
have no 4-week average. The catalog is asked a handful of batched queries (several
metrics at once, a ``day`` dimension over 90 days) so a digest stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from agents.insights.anomalies import detect_anomalies, watched_series
from agents.insights.report import build_report, report_reply, resolve_week
from agents.insights.score import (
    RECORD_DAYS,
    Insight,
    anomaly_insights,
    bettor_insights,
    churn_insights,
    mover_insights,
    rank,
    record_insights,
    stock_insights,
)
from agents.insights.series import (
    DailySeries,
    is_flow,
    key_metrics_of,
    load_series,
    number,
    verticals,
    week_ago_day,
)
from agents.reply import ChartSpec, Reply, TableData
from storage.catalog import AsOf, Engine, Query
from storage.catalog.display import ADDITIVE_FORMATS, format_value
from storage.catalog.periods import Period

AVERAGE_DAYS = 28
CHART_DAYS = 28


@dataclass(frozen=True)
class KeyMetric:
    """One key metric of the digest, every value from the catalog (None: no data)."""

    metric: str
    yesterday: float | None
    week_ago: float | None
    average: float | None
    mtd: float | None
    mtd_previous: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (unrounded)."""
        return {"metric": self.metric, "yesterday": self.yesterday, "week_ago": self.week_ago,
                "average_4w": self.average, "mtd": self.mtd, "mtd_previous": self.mtd_previous}



def compute_key_metrics(engine: Engine, as_of: AsOf, day: date,
                        metrics: tuple[str, ...]) -> list[KeyMetric]:
    """Yesterday, the same weekday last week, the 4-week average and MTD vs last MTD.

    Plain flows and relation-backed metrics (MRR and its movements) are asked in separate
    queries: the catalog caches the compiled SQL of the former only, so mixing them would
    recompile every digest's flows too.
    """
    plain = tuple(m for m in metrics if is_flow(engine, m))
    found: dict[str, KeyMetric] = {}
    for group in (plain, tuple(m for m in metrics if m not in plain)):
        if group:
            found.update((k.metric, k) for k in _key_metrics(engine, as_of, day, group))
    return [found[m] for m in metrics]


def _key_metrics(engine: Engine, as_of: AsOf, day: date, metrics: tuple[str, ...]) -> list[KeyMetric]:
    # One statement for all five periods (run_many): the 28-day window also computes the
    # stocks, whose average is not reported, so that its shape matches the others.
    window = Period(day - timedelta(days=AVERAGE_DAYS), day, "days", n=AVERAGE_DAYS)
    mtd_period = Period(day.replace(day=1), day + timedelta(days=1), "mtd")
    daily, average, mtd = engine.run_many(
        [Query(metrics, week_ago_day(day), compare="previous"), Query(metrics, window),
         Query(metrics, mtd_period, compare="previous")], as_of)
    found = []
    for m in metrics:
        mean = number(average.values.get(m)) if engine.defs.metrics[m].kind != "stock" else None
        if mean is not None and _is_sum(engine, m):
            mean /= AVERAGE_DAYS
        found.append(KeyMetric(
            m, number(daily.values.get(m)),
            number(daily.comparison.values.get(m)) if daily.comparison else None, mean,
            number(mtd.values.get(m)), number(mtd.comparison.values.get(m)) if mtd.comparison else None))
    return found


def _insights(engine: Engine, as_of: AsOf, day: date, series: DailySeries,
              keys: list[KeyMetric]) -> list[Insight]:
    have = verticals(engine)
    by_metric = {k.metric: k for k in keys}
    movements: dict[str, float | None] = {
        m: by_metric[m].yesterday for m in ("new_mrr", "churned_mrr") if m in by_metric}
    anomalies = detect_anomalies(engine, as_of, day, series=series, movement_values=movements)
    found = anomaly_insights(anomalies)
    flagged = {a.metric for a in anomalies}
    found += [i for i in record_insights(engine, series) if i.metric not in flagged]
    found += mover_insights(engine, as_of, day, tuple(m for m in ("revenue", "ad_spend")
                                                      if m in by_metric))
    if "ops" in have:
        found += stock_insights(engine, as_of)
    if "churned_mrr" in by_metric and "churned_mrr" not in flagged:
        churn = by_metric["churned_mrr"]
        found += churn_insights(engine, day, churn.yesterday, by_metric["mrr"].yesterday,
                                churn.week_ago)
    if "betting" in have:
        found += bettor_insights(engine, as_of, day)
    return found


def build_digest(engine: Engine, as_of: AsOf, *, only_when_notable: bool = False) -> Reply | None:
    """The daily digest of the day before ``as_of``.

    Args:
        engine: the workspace's catalog engine.
        as_of: "now" (the digest reports on the day before ``as_of.day``).
        only_when_notable: return None on a quiet day instead of the one-line digest.

    Returns:
        The digest, or None (quiet day and ``only_when_notable``, or no data at all).
    """
    day = as_of.day - timedelta(days=1)
    keys = compute_key_metrics(engine, as_of, day, key_metrics_of(engine))
    if not keys:
        return None if only_when_notable else Reply(
            f"No data in {engine.workspace.name} yet: nothing to report for {_day(day)}.")
    wanted = dict.fromkeys([s.metric for s in watched_series(engine)] + [k.metric for k in keys])
    series = load_series(engine, as_of, day, [m for m in wanted if is_flow(engine, m)], RECORD_DAYS)
    insights = rank(_insights(engine, as_of, day, series, keys))
    if not insights and only_when_notable:
        return None
    data = _data(engine, day, keys, insights, series)
    table = _table(engine, keys, day)
    text = _quiet_line(engine, day, keys) if not insights else _full_text(engine, day, keys, insights)
    # the chart (the main metric's last 28 days, data["rows"]) is drawn on the way out
    return Reply(text, table, None, ("why did revenue change yesterday?",) if insights else (),
                 {**data, "chart": None}, chart_spec=ChartSpec(data, engine.workspace.currency))


def _is_sum(engine: Engine, metric: str) -> bool:
    """A sum or count (averaged per day), not a ratio such as AOV or ROAS."""
    definition = engine.defs.metrics[metric]
    return definition.format in ADDITIVE_FORMATS and "/" not in definition.expr


def build_alerts(engine: Engine, as_of: AsOf) -> Reply | None:
    """Anomaly alerts for the day before ``as_of``; None when there are none."""
    day = as_of.day - timedelta(days=1)
    anomalies = detect_anomalies(engine, as_of, day)
    if not anomalies:
        return None
    lines = [f"⚠️ {a.text}" for a in anomalies]
    return Reply("\n".join(lines), data={"kind": "alerts", "day": day.isoformat(),
                                         "anomalies": [a.as_dict() for a in anomalies]})


def build_weekly_report(engine: Engine, as_of: AsOf) -> Reply:
    """The weekly report of the last full ISO week before ``as_of`` (see agents.insights.report)."""
    return report_reply(build_report(engine, as_of, resolve_week("last week", as_of)))


# --- text ------------------------------------------------------------------------------
def _day(day: date) -> str:
    return f"{day:%a %b} {day.day}, {day.year}"


def _show(engine: Engine, metric: str, value: float | None) -> str:
    return "–" if value is None else format_value(value, engine.defs.metrics[metric].format,
                                                  engine.workspace.currency)


def _pct(value: float | None, reference: float | None) -> str:
    if value is None or reference is None:
        return "–"
    if reference == 0:
        return "new" if value else "±0%"
    rate = (value - reference) / abs(reference) * 100
    return f"{'+' if rate >= 0 else '−'}{abs(rate):.0f}%"


def _quiet_line(engine: Engine, day: date, keys: list[KeyMetric]) -> str:
    main = keys[0]
    label = engine.defs.metrics[main.metric].label.lower()
    return (f"Quiet day in {engine.workspace.name} on {_day(day)}: {label} "
            f"{_show(engine, main.metric, main.yesterday)} ({_pct(main.yesterday, main.week_ago)} "
            f"vs last {day:%A}), nothing unusual.")


def _full_text(engine: Engine, day: date, keys: list[KeyMetric], insights: list[Insight]) -> str:
    lines = [f"Daily digest for {engine.workspace.name}, {_day(day)}"]
    for k in keys:
        lines.append(f"• {engine.defs.metrics[k.metric].label} {_show(engine, k.metric, k.yesterday)} "
                     f"({_pct(k.yesterday, k.week_ago)} vs last {day:%a}, "
                     f"{_pct(k.yesterday, k.average)} vs 4-wk avg; MTD "
                     f"{_show(engine, k.metric, k.mtd)}, {_pct(k.mtd, k.mtd_previous)} vs last MTD)")
    lines.append("What stands out:")
    lines.extend(f"{n}. {i.text}" for n, i in enumerate(insights, 1))
    return "\n".join(lines)


def _table(engine: Engine, keys: list[KeyMetric], day: date) -> TableData:
    columns = ("metric", _day(day), f"last {day:%a}", "4-wk avg", "MTD", "last MTD")
    rows = tuple((engine.defs.metrics[k.metric].label, _show(engine, k.metric, k.yesterday),
                  _show(engine, k.metric, k.week_ago), _show(engine, k.metric, k.average),
                  _show(engine, k.metric, k.mtd), _show(engine, k.metric, k.mtd_previous))
                 for k in keys)
    return TableData(columns, rows)


def _data(engine: Engine, day: date, keys: list[KeyMetric], insights: list[Insight],
          series: DailySeries) -> dict[str, Any]:
    main = next((k.metric for k in keys if k.metric in series.values), keys[0].metric)
    rows = [{"day": d.isoformat(), main: v} for d, v in series.window(main, CHART_DAYS)
            if main in series.values]
    start = day - timedelta(days=CHART_DAYS - 1)
    return {"kind": "digest", "workspace": engine.workspace.name, "day": day.isoformat(),
            "metrics": [main], "rows": rows,
            "period": {"start": start.isoformat(), "end": (day + timedelta(days=1)).isoformat()},
            "key_metrics": [k.as_dict() for k in keys], "insights": [i.as_dict() for i in insights],
            "quiet": not insights}

