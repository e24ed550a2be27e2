"""The weekly report: a longer summary of one ISO week, for chat and for export.

:func:`build_report` asks the catalog for the week's key metrics against the week before
(one query with ``compare="previous"``), their daily values (one query by day), the
countries that moved revenue the most, and the anomalies of each day of the week.
:func:`report_reply` turns it into a chat :class:`Reply` and :func:`to_csv` exports it; the
exports that draw (HTML, PDF) are the runtime's (``bot/report_export.py``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from agents.insights.anomalies import detect_anomalies, watched_series
from agents.insights.series import DailySeries, is_flow, key_metrics_of, load_series, number
from agents.reply import ChartSpec, Reply, TableData
from storage.catalog import AsOf, Engine, Query, resolve_period
from storage.catalog.display import format_change, format_value
from storage.catalog.periods import Period
from storage.errors import TallyError

_ISO_WEEK = re.compile(r"(?P<year>\d{4})-?W(?P<week>\d{1,2})", re.IGNORECASE)


class ReportError(TallyError):
    """The week asked for is not one the report understands."""


@dataclass(frozen=True)
class WeeklyReport:
    """One week of a workspace, every number from the catalog."""

    workspace: str
    currency: str
    week: Period
    previous: Period
    metrics: list[dict[str, Any]]  # metric, label, format, value, previous, change_rate
    daily: list[dict[str, Any]]  # day + one key per flow key metric
    movers: list[str]
    anomalies: list[str]

    @property
    def title(self) -> str:
        """"Weekly report for demo, week 2025-W21 (May 19 – May 25, 2025)"."""
        iso = self.week.start.isocalendar()
        return f"Weekly report for {self.workspace}, week {iso.year}-W{iso.week:02d} ({self.week.plain()})"

    def show(self, row: dict[str, Any], key: str) -> str:
        """A metric row's value for people."""
        value = row.get(key)
        return "–" if value is None else format_value(value, row["format"], self.currency)


def resolve_week(spec: str, as_of: AsOf) -> Period:
    """"last week", "2025-W21" or a date (the ISO week holding it) as a week period.

    Raises:
        ReportError: for anything else.
    """
    text = spec.strip()
    if text.lower() in ("last week", "previous week"):
        return resolve_period("last week", as_of)
    if match := _ISO_WEEK.fullmatch(text):
        try:
            start = date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
        except ValueError as exc:
            raise ReportError(f"{spec!r} is not an ISO week: {exc}") from None
    else:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ReportError(f"can't read the week {spec!r}: use YYYY-Www, a date or \"last week\"") from None
        start = day - timedelta(days=day.weekday())
    return Period(start, start + timedelta(days=7), "week")


def build_report(engine: Engine, as_of: AsOf, week: Period) -> WeeklyReport:
    """The week's report (see the module docstring)."""
    keys = key_metrics_of(engine)
    result = engine.run(Query(keys, week, compare="previous"), as_of) if keys else None
    metrics = []
    for m in keys if result else ():
        definition = engine.defs.metrics[m]
        cmp = result.comparison if result else None
        metrics.append({"metric": m, "label": definition.label, "format": definition.format,
                        "value": number(result.values.get(m)) if result else None,
                        "previous": number(cmp.values.get(m)) if cmp else None,
                        "change_rate": cmp.change_rate.get(m) if cmp else None})
    flows = tuple(m for m in keys if is_flow(engine, m))
    daily = []
    if flows:
        rows = engine.run(Query(flows, week, ("day",)), as_of).rows
        daily = [{"day": r["day"].isoformat(), **{m: number(r.get(m)) for m in flows}} for r in rows]
    previous = result.comparison.period if result and result.comparison else week.previous()
    return WeeklyReport(engine.workspace.name, engine.workspace.currency, week, previous, metrics,
                        daily, _movers(engine, as_of, week), _anomalies(engine, as_of, week))


def _movers(engine: Engine, as_of: AsOf, week: Period) -> list[str]:
    if "revenue" not in {m for m in engine.defs.metrics} or not engine.warehouse.row_counts().get("orders"):
        return []
    result = engine.run(Query(("revenue",), week, ("country",), compare="previous"), as_of)
    before = {r.get("country"): number(r.get("revenue")) or 0.0
              for r in (result.comparison.rows if result.comparison else [])}
    changes = [(str(r.get("country")), (number(r.get("revenue")) or 0.0) - before.get(r.get("country"), 0.0))
               for r in result.rows]
    changes.sort(key=lambda kv: -abs(kv[1]))
    return [f"country {name} {format_change(change, None, 'money', engine.workspace.currency)} revenue"
            .replace(" (new)", "") for name, change in changes[:3]]


def _anomalies(engine: Engine, as_of: AsOf, week: Period) -> list[str]:
    last = week.end - timedelta(days=1)
    loaded = load_series(engine, as_of, last, _watched_flows(engine), 7 * 8 + 6)
    found = []
    for offset in range(7):
        day = week.start + timedelta(days=offset)
        if day >= as_of.day:
            break
        series = DailySeries(day, loaded.values)
        found += [a.text for a in detect_anomalies(engine, as_of, day, series=series, explain=False)]
    return found


def _watched_flows(engine: Engine) -> list[str]:
    return [s.metric for s in watched_series(engine) if is_flow(engine, s.metric)]


# --- chat --------------------------------------------------------------------------------
def report_text(report: WeeklyReport) -> str:
    """The report as chat text: one line per metric, movers, anomalies."""
    lines = [report.title]
    for row in report.metrics:
        rate = row["change_rate"]
        change = "new" if rate is None and row["value"] else "–" if rate is None else \
            f"{'+' if rate >= 0 else '−'}{abs(rate) * 100:.1f}%"
        lines.append(f"• {row['label']} {report.show(row, 'value')} ({change} vs the week before, "
                     f"{report.show(row, 'previous')})")
    if report.movers:
        lines.append("Biggest movers: " + "; ".join(report.movers) + ".")
    lines.append("Anomalies: " + (" ".join(report.anomalies) if report.anomalies else "none this week."))
    return "\n".join(lines)


def report_table(report: WeeklyReport) -> TableData:
    """The key metric table: metric, this week, the week before, change."""
    rows = tuple((r["label"], report.show(r, "value"), report.show(r, "previous"),
                  "–" if r["change_rate"] is None else f"{r['change_rate'] * 100:+.1f}%")
                 for r in report.metrics)
    return TableData(("metric", report.week.plain(), report.previous.plain(), "change"), rows)


def chart_data(report: WeeklyReport) -> dict[str, Any]:
    """The daily series of the first flow key metric, in the shape bot.charts draws."""
    main = next((k for k in (report.daily[0] if report.daily else {}) if k != "day"), None)
    return {"metrics": [main] if main else [], "rows": [{"day": r["day"], main: r[main]} for r in report.daily]
            if main else [], "period": {"start": report.week.start.isoformat(),
                                        "end": report.week.end.isoformat()}}


def report_reply(report: WeeklyReport) -> Reply:
    """The report for a chat (its chart drawn on the way out)."""
    data = {"kind": "weekly_report", **chart_data(report), "key_metrics": report.metrics,
            "anomalies": report.anomalies}
    return Reply(report_text(report), report_table(report), None, data={**data, "chart": None},
                 chart_spec=ChartSpec(data, report.currency))


# --- export ------------------------------------------------------------------------------
def to_csv(report: WeeklyReport) -> str:
    """The key metric table as CSV (unrounded numbers)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "label", "week_start", "week_end", "value", "previous", "change_rate"])
    for r in report.metrics:
        writer.writerow([r["metric"], r["label"], report.week.start.isoformat(),
                         (report.week.end - timedelta(days=1)).isoformat(),
                         "" if r["value"] is None else r["value"],
                         "" if r["previous"] is None else r["previous"],
                         "" if r["change_rate"] is None else r["change_rate"]])
    return out.getvalue()
