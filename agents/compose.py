"""Turns a catalog :class:`Result` into a :class:`Reply`: words, a table, the JSON answer.

Every number here comes from the result; this module only formats (metrics.md's
rounding rules) and phrases.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from agents.reply import Reply, TableData, json_number
from storage.catalog import Result
from storage.catalog.definitions import CatalogDefs
from storage.catalog.display import ADDITIVE_FORMATS, format_change, format_value, shows_as_zero
from storage.catalog.model import Filter, Value
from storage.catalog.periods import ALL_TIME, Period

RATE_FORMATS = ("rate", "ratio")


RELATIVE_WORDS = ("last", "this", "past", "previous", "today", "yesterday", "trailing", "so far",
                  "to date", "mtd", "ytd", "qtd", "wtd")


def period_words(result: Result) -> str:
    """"last month (October 2025)", "in March 2025", or "as of Nov 19, 2025" for a stock."""
    period = result.period
    if period is None:
        return f"as of {result.as_of.day:%b} {result.as_of.day.day}, {result.as_of.day.year}"
    phrase = period.phrase.lower()
    if phrase == ALL_TIME:
        return ALL_TIME
    if any(word in phrase for word in RELATIVE_WORDS):
        described = period.describe()
        return described.replace(period.phrase, phrase, 1) if period.phrase else described
    if period.days == 1:
        return f"on {period.plain()}"
    if period.kind in ("month", "quarter", "year"):
        return f"in {period.plain()}"
    return f"over {period.plain()}"


def sentence_label(label: str) -> str:
    """A metric label inside a sentence: "average order value", but "MRR", "ROAS"."""
    first = label.split()[0]
    return label if sum(c.isupper() for c in first) > 1 else label[0].lower() + label[1:]


def _filter_words(filters: tuple[Filter, ...], defs: CatalogDefs) -> str:
    parts = []
    for flt in filters:
        if flt.dimension not in defs.dimensions:
            continue
        label = defs.dimensions[flt.dimension].label.lower()
        values = " or ".join(flt.values)
        if flt.dimension == "country":
            parts.append(f"{'outside' if flt.exclude else 'in'} {values}")
        else:
            parts.append(f"{label} {'not ' if flt.exclude else ''}{values}")
    return f" ({', '.join(parts)})" if parts else ""


def _display(defs: CatalogDefs, metric: str, value: Value, currency: str) -> str:
    return format_value(value, defs.metrics[metric].format, currency)


BETTING_SOURCES = ("bets", "streaks")


def _missing_reason(defs: CatalogDefs, metric: str) -> str:
    """Why a metric has no value, in words: a betting rate over no settled bets, else no data."""
    if any(source.name in BETTING_SOURCES for source in defs.sources_of(metric)):
        return "no settled bets in that period"
    return "no data for that period"


def _said(defs: CatalogDefs, metric: str, value: Value, currency: str) -> str:
    """A value inside a sentence: as displayed, and an "n/a" says why ("n/a (no settled bets
    in that period)") so a reader never wonders whether it is a fault."""
    shown = _display(defs, metric, value, currency)
    return f"n/a ({_missing_reason(defs, metric)})" if shown == "n/a" else shown


def _comparison_words(result: Result, defs: CatalogDefs, metric: str, currency: str) -> str:
    cmp = result.comparison
    if cmp is None:
        return ""
    fmt = defs.metrics[metric].format
    rate = cmp.change_rate.get(metric)
    change = cmp.change.get(metric)
    before = _said(defs, metric, cmp.values.get(metric), currency)
    if change is None:
        return f" It was {before} in {cmp.period.plain()}."
    direction = ("flat" if shows_as_zero(change, fmt) else "up" if float(change) > 0  # type: ignore[arg-type]
                 else "down")
    moved = format_change(change, rate, fmt, currency).lstrip("+-")
    if direction == "flat":
        return f" That's unchanged from {cmp.period.plain()} ({before})."
    return f" That's {direction} {moved} vs {cmp.period.plain()} ({before})."


def compose(result: Result, defs: CatalogDefs, currency: str, question: str = "",
            intent: str = "metric") -> Reply:
    """The reply for a catalog result."""
    query = result.query
    if query.dimensions:
        text, table = _breakdown_text(result, defs, currency, intent)
    else:
        text, table = _totals_text(result, defs, currency), None
    return Reply(text=text, table=table, data=answer_json(result, defs, question))


def _totals_text(result: Result, defs: CatalogDefs, currency: str) -> str:
    query = result.query
    when = period_words(result)
    where = _filter_words(query.filters, defs)
    bettor = [f for f in query.filters if f.dimension == "bettor" and not f.exclude
              and len(f.values) == 1]
    if bettor and len(query.metrics) == 1:
        where = _filter_words(tuple(f for f in query.filters if f not in bettor), defs)
    if len(query.metrics) == 1:
        metric = query.metrics[0]
        label = defs.metrics[metric].label
        if bettor:
            label = f"{bettor[0].values[0]}'s {sentence_label(label)}"
        value = _said(defs, metric, result.values.get(metric), currency)
        plural = label.endswith("s") and not label.endswith("ss")
        verb = ("are" if plural else "is") if result.period is None else ("were" if plural else "was")
        if result.period is None:
            sentence = f"{label}{where} {verb} {value} ({when})."
        else:
            sentence = f"{label}{where} {when} {verb} {value}."
        return sentence + _comparison_words(result, defs, metric, currency)
    parts = [f"{sentence_label(defs.metrics[m].label)} {_said(defs, m, result.values.get(m), currency)}"
             for m in query.metrics]
    head = f"{when[0].upper()}{when[1:]}{where}: " + ", ".join(parts) + "."
    extra = "".join(_comparison_words(result, defs, m, currency) for m in query.metrics[:1])
    return head + extra


def _breakdown_text(result: Result, defs: CatalogDefs, currency: str, intent: str
                    ) -> tuple[str, TableData | None]:
    query = result.query
    first = query.metrics[0]
    dims = query.dimensions
    table = _breakdown_table(result, defs, currency)
    when = period_words(result)
    where = _filter_words(query.filters, defs)
    label = defs.metrics[first].label
    by = " and ".join(defs.dimensions[d].label.lower() for d in dims)
    if intent == "stock_alert_list":
        return _stock_alert_text(result, defs, table), table
    if not result.rows and intent == "leaderboard":
        return (f"No bettor has {query.min_count or 1} or more settled bets {when} yet; "
                "try a longer period or a lower minimum (\"min 1 bet\")."), None
    if not result.rows:
        return f"No {sentence_label(label)} by {by}{where} {when}: there is no data for it.", None
    if query.limit == 1:
        return _top_row_text(result, defs, currency, where, when), table
    text = f"{label} by {by}{where} {when}" + _total_words(result, defs, first, currency)
    text += _comparison_words(result, defs, first, currency)
    if intent == "leaderboard":
        return _leaderboard_heading(query.min_count or 0, when), table
    return text + _leader_words(result, defs, currency), table


def is_additive(defs: CatalogDefs, metric: str) -> bool:
    """A sum or count, whose rows add up to a total: an average or a ratio of sums (AOV,
    CPC, ARPA) is money too, yet its rows do not add up."""
    definition = defs.metrics[metric]
    return definition.format in ADDITIVE_FORMATS and "/" not in definition.expr


def _total_words(result: Result, defs: CatalogDefs, metric: str, currency: str) -> str:
    """": $1,200.00 in total." for a sum, ": 54.7 days overall." for an average or a rate,
    and just "." for a text value (a streak), which has no total."""
    value = result.values.get(metric)
    if defs.metrics[metric].format in ("text", "bool") or isinstance(value, str | bool):
        return "."
    shown = _said(defs, metric, value, currency)
    if value is None:
        return f": {shown}."
    return f": {shown} {'in total' if is_additive(defs, metric) else 'overall'}."


def _breakdown_table(result: Result, defs: CatalogDefs, currency: str) -> TableData:
    """The breakdown's rows: dimensions, metrics, and the change vs the comparison if any."""
    query = result.query
    dims = query.dimensions
    changes = _row_changes(result, defs, currency)
    return TableData(
        columns=tuple(defs.dimensions[d].label for d in dims)
        + tuple(defs.metrics[m].label for m in query.metrics)
        + ((f"vs {result.comparison.period.plain()}",) if changes and result.comparison else ()),
        rows=tuple(
            tuple(_cell(row.get(d)) for d in dims)
            + tuple(_display(defs, m, row.get(m), currency) for m in query.metrics)
            + ((changes[i],) if changes else ())
            for i, row in enumerate(result.rows)),
    )


def _top_row_text(result: Result, defs: CatalogDefs, currency: str, where: str,
                  when: str) -> str:
    """The one row of a "which ... had the highest ..." question, in a sentence."""
    query = result.query
    row = result.rows[0]
    name = " / ".join(_cell(row.get(d)) for d in query.dimensions)
    best = "lowest" if query.order and not query.order.descending else "highest"
    # The metric it was ranked by: "best ROI" ranks a leaderboard (led by profit) by ROI.
    ranked = query.order.by if query.order and query.order.by in query.metrics else query.metrics[0]
    return (f"{name} had the {best} {sentence_label(defs.metrics[ranked].label)}{where} {when}: "
            f"{_display(defs, ranked, row.get(ranked), currency)}.")


def _leaderboard_heading(minimum: int, when: str) -> str:
    """The leaderboard's heading, naming its minimum of settled bets when there is one."""
    bets = "settled bet" if minimum == 1 else "settled bets"
    return f"Leaderboard {when}" + (f", bettors with at least {minimum} {bets}" if minimum
                                    else "") + ":"


def _leader_words(result: Result, defs: CatalogDefs, currency: str) -> str:
    """The " X leads with Y." of an additive metric by a non-time dimension, ranked descending."""
    query = result.query
    first = query.metrics[0]
    dims = query.dimensions
    if not defs.dimensions[dims[0]].grain and len(result.rows) > 1 and \
            defs.metrics[first].format in ADDITIVE_FORMATS and \
            (not query.order or query.order.descending):
        top = result.rows[0]
        return f" {_cell(top.get(dims[0]))} leads with {_display(defs, first, top.get(first), currency)}."
    return ""


def _row_changes(result: Result, defs: CatalogDefs, currency: str) -> list[str]:
    """Per row, the change of the first metric vs the comparison period ("+$1.00 (+5.0%)")."""
    cmp = result.comparison
    if cmp is None or not result.rows:
        return []
    metric = result.query.metrics[0]
    dims = result.query.dimensions
    by_time = all(defs.dimensions[d].grain for d in dims)
    # Days, weeks or months are compared in order (the 3rd day of this month with the 3rd
    # of the last): their dates differ, so matching by value would call every row "new".
    before: dict[tuple[Any, ...], Any] = (
        {(i,): r.get(metric) for i, r in enumerate(cmp.rows)} if by_time
        else {tuple(r.get(d) for d in dims): r.get(metric) for r in cmp.rows})
    fmt = defs.metrics[metric].format
    cells = []
    for i, row in enumerate(result.rows):
        old = before.get((i,) if by_time else tuple(row.get(d) for d in dims))
        now = row.get(metric)
        if not isinstance(now, int | float | Decimal) or isinstance(now, bool):
            cells.append("")
            continue
        old_value = old if isinstance(old, int | float | Decimal) and not isinstance(old, bool) else 0
        change = float(now) - float(old_value)
        rate = change / abs(float(old_value)) if old_value else None
        cells.append(format_change(change, rate, fmt, currency))
    return cells


def _stock_alert_text(result: Result, defs: CatalogDefs, table: TableData) -> str:
    threshold = next((f.values[0] for f in result.query.filters
                      if f.dimension.endswith("_below")), None)
    n = len(result.rows)
    if any(f.dimension == "stockout_risk" for f in result.query.filters):
        if n == 0:
            return "Nothing to reorder: every product is above its reorder point."
        noun = "product is" if n == 1 else "products are"
        return f"{n} {noun} at or below the reorder point (stock ≤ demand over the lead time + safety stock):"
    if threshold is None:  # "when will we run out of X?": every (named) product's cover
        if n == 1:
            row = result.rows[0]
            days, on_hand, daily = (format_value(row.get(m), defs.metrics[m].format, "")
                                    for m in ("days_of_stock", "on_hand", "avg_daily_units"))
            if row.get("days_of_stock") is None:
                return f"{_cell(row.get('product'))} has no recent sales: {on_hand} on hand."
            return (f"{_cell(row.get('product'))} has {days} of stock: {on_hand} on hand, selling "
                    f"{daily} a day over the last 28 days.")
        if n == 0:
            return "No product with stock matches."
        return "Days of stock by product at the pace of the last 28 days, lowest first:"
    horizon = f" within {threshold} days"
    if n == 0:
        return f"No product runs out{horizon} at the current pace of sales."
    noun = "product runs" if n == 1 else "products run"
    return f"{n} {noun} out{horizon} at the pace of the last 28 days:"


def _cell(value: Any) -> str:
    if value is None:
        return "(none)"
    if value == "":
        return "(empty)"
    return str(value)


def _period_json(period: Period | None) -> dict[str, str] | None:
    if period is None:
        return None
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def answer_json(result: Result, defs: CatalogDefs, question: str) -> dict[str, Any]:
    """interfaces.md's ``ask --json`` object (without ``text`` and ``agent``)."""
    query = result.query
    first = query.metrics[0]
    data: dict[str, Any] = {
        "question": question,
        "metrics": list(query.metrics),
        "period": _period_json(result.period) or {
            "start": result.as_of.day.isoformat(),
            "end": (result.as_of.day + timedelta(days=1)).isoformat()},
        "value": json_number(result.values.get(first)),
    }
    if len(query.metrics) > 1:
        data["values"] = {m: json_number(v) for m, v in result.values.items()}
    if result.comparison:
        cmp = result.comparison
        data["compare"] = {
            "period": _period_json(cmp.period),
            "value": json_number(cmp.values.get(first)),
            "change": json_number(cmp.change.get(first)),
            "change_rate": cmp.change_rate.get(first),
        }
    if query.dimensions:
        data["rows"] = [{k: json_number(v) for k, v in row.items()} for row in result.rows]
    data["chart"] = None
    return data
