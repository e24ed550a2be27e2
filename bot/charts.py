"""Charts for replies: a PNG that says more than the table, drawn from the answer's data.

:func:`attach_chart` draws the chart a reply asks for (its ``chart_spec``) on the way out.
:func:`chart_for` reads the ``tally ask --json`` shape of an answer (``metrics``, ``rows``,
``period``) and draws a line chart for a time series (rows keyed by day, week or month)
or a horizontal bar chart for a breakdown (the first 15 rows, in the answer's order). It
never computes a number: it only draws the ones in the rows.

Charts are drawn with matplotlib's object API on the Agg canvas (no pyplot, no global
state), so answers can render them in worker threads at the same time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from agents.reply import ChartSpec, Reply
from bot.channels.base import Responder
from storage.catalog.definitions import load_definitions
from storage.catalog.display import ADDITIVE_FORMATS, SYMBOLS, format_value

logger = logging.getLogger(__name__)

TIME_GRAINS = ("day", "week", "month")
MAX_BARS = 15
MAX_SERIES = 8
NUMERIC_FORMATS = (*ADDITIVE_FORMATS, "rate", "ratio", "days", "odds", "number")
CHART_NAME_LENGTH = 24  # hex characters of the data's hash
_COLORS = ("#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#4b5563")


@dataclass(frozen=True)
class _Plot:
    """What to draw: the metric, its format and label, and the dimensions of the rows."""

    metric: str
    fmt: str
    label: str
    dimensions: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    currency: str
    period: dict[str, str] | None


def attach_chart(reply: Reply, charts_dir: Path, currency: str | None = None) -> Reply:
    """The reply with its chart drawn as a PNG in ``charts_dir``: the one way charts go out.

    What is drawn is the reply's :class:`~agents.reply.ChartSpec` (digests, reports,
    recaps), or, given the workspace ``currency``, the rows of an answer that has two or
    more. A reply already drawn, or whose rows would not make a chart, is returned as is.
    """
    spec = reply.chart_spec
    if spec is None and currency is not None and len(reply.data.get("rows") or ()) >= 2:
        spec = ChartSpec(reply.data, currency)
    if spec is None or reply.chart:
        return reply
    path = chart_for(spec.data, spec.currency, charts_dir)
    if path is None:
        return reply
    return replace(reply, chart=str(path), data={**reply.data, "chart": str(path)})


def chart_for(data: dict[str, Any], currency: str, out_dir: Path) -> Path | None:
    """A PNG chart of an answer's rows, or None when a chart would not help.

    Args:
        data: the answer's structured data (``metrics``, ``rows``, ``period``).
        currency: the workspace currency, shown on a money axis.
        out_dir: where charts are written; the file name is a hash of what is drawn,
            so the same answer reuses the same file.

    Returns:
        The PNG's path, or None when there are fewer than two rows or nothing numeric.
    """
    plot = _plot_of(data, currency)
    if plot is None:
        return None
    digest = hashlib.sha256(json.dumps(
        [plot.metric, plot.fmt, plot.dimensions, plot.rows, currency, plot.period],
        sort_keys=True, default=str).encode()).hexdigest()[:CHART_NAME_LENGTH]
    path = out_dir / f"{digest}.png"
    if path.exists():
        return path
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = _draw(plot)
    tmp = path.with_name(f".{digest}.{os.getpid()}.tmp.png")
    figure.savefig(tmp, dpi=110, metadata={"Software": None})
    tmp.replace(path)  # atomic: a page never loads half a file
    return path


def figure_for(data: dict[str, Any], currency: str) -> Any:
    """The matplotlib ``Figure`` :func:`chart_for` would save, or None (for inspection)."""
    plot = _plot_of(data, currency)
    return None if plot is None else _draw(plot)


def is_chart_name(name: str) -> bool:
    """True for a file name :func:`chart_for` could have written (``<hex>.png``)."""
    stem, dot, ext = name.partition(".")
    return (dot == "." and ext == "png" and len(stem) == CHART_NAME_LENGTH
            and all(c in "0123456789abcdef" for c in stem))


def _plot_of(data: dict[str, Any], currency: str) -> _Plot | None:
    rows = data.get("rows") or []
    metrics = data.get("metrics") or []
    if len(rows) < 2 or not metrics:
        return None
    metric = metrics[0]
    definition = load_definitions().metrics.get(metric)
    fmt = definition.format if definition else "number"
    if fmt not in NUMERIC_FORMATS:
        return None
    dimensions = tuple(k for k in rows[0] if k not in metrics)
    if not dimensions or not any(_number(r.get(metric)) is not None for r in rows):
        return None
    label = definition.label if definition else metric.replace("_", " ").capitalize()
    return _Plot(metric, fmt, label, dimensions, tuple(rows), currency, data.get("period"))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _draw(plot: _Plot) -> Any:
    from matplotlib.figure import Figure  # heavy: imported when the first chart is drawn

    time_dims = [d for d in plot.dimensions if d in TIME_GRAINS]
    bars = not time_dims or len(plot.dimensions) > 2
    height = 4.2 if not bars else 1.6 + 0.34 * min(len(plot.rows), MAX_BARS)
    figure = Figure(figsize=(7.2, max(height, 3.0)), layout="constrained")
    axes = figure.add_subplot()
    if bars:
        _draw_bars(axes, plot)
    else:
        _draw_lines(axes, plot, time_dims[0])
    axes.set_title(_title(plot, time_dims[0] if time_dims and not bars else None), loc="left",
                   fontsize=12, fontweight="bold")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _draw_lines(axes: Any, plot: _Plot, grain: str) -> None:
    others = [d for d in plot.dimensions if d != grain]
    series: dict[str, list[tuple[date, float]]] = {}
    for row in plot.rows:
        value = _number(row.get(plot.metric))
        if value is None or row.get(grain) is None:
            continue
        name = " / ".join(str(row.get(d)) for d in others) or plot.label
        series.setdefault(name, []).append((date.fromisoformat(str(row[grain])[:10]), value))
    ranked = sorted(series.items(), key=lambda item: -sum(abs(v) for _, v in item[1]))
    for index, (name, points) in enumerate(ranked[:MAX_SERIES]):
        points.sort()
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=4,
                  linewidth=2, color=_COLORS[index % len(_COLORS)], label=name)
    _date_ticks(axes, sorted({p[0] for points in series.values() for p in points}), grain)
    if all(v >= 0 for points in series.values() for _, v in points):
        axes.set_ylim(bottom=0)  # a flow's line from zero: the slope is not exaggerated
    axes.set_xlabel(grain.capitalize())
    axes.set_ylabel(_axis_label(plot))
    axes.yaxis.set_major_formatter(_tick_formatter(plot.fmt, plot.currency))
    axes.grid(axis="y", alpha=0.3)
    if others:
        axes.legend(frameon=False, fontsize=8)


def _date_ticks(axes: Any, days: list[date], grain: str) -> None:
    """One tick per point when they fit (labelled by the grain), else matplotlib's concise dates."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    if len(days) <= 12:
        style = {"month": "%b %Y", "week": "wk %b %d", "day": "%b %d"}[grain]
        axes.set_xticks(days, labels=[d.strftime(style) for d in days])
        return
    locator = AutoDateLocator(minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _draw_bars(axes: Any, plot: _Plot) -> None:
    shown = [r for r in plot.rows if _number(r.get(plot.metric)) is not None][:MAX_BARS]
    names = [" / ".join(_cell(r.get(d)) for d in plot.dimensions) for r in shown]
    values = [_number(r.get(plot.metric)) or 0.0 for r in shown]
    positions = list(range(len(shown)))
    axes.barh(positions, values, color=_COLORS[0], height=0.65)
    axes.set_yticks(positions, labels=[_shorten(n) for n in names])
    axes.invert_yaxis()  # the answer's first row on top
    axes.set_xlabel(_axis_label(plot))
    axes.set_ylabel(" / ".join(_dimension_label(d) for d in plot.dimensions))
    axes.xaxis.set_major_formatter(_tick_formatter(plot.fmt, plot.currency))
    axes.grid(axis="x", alpha=0.3)
    labels = [format_value(v, plot.fmt, plot.currency) for v in values]
    axes.bar_label(axes.containers[0], labels=labels, padding=3, fontsize=8)
    axes.margins(x=0.18)
    if len(plot.rows) > len(shown):
        axes.text(1.0, -0.02, f"first {len(shown)} of {len(plot.rows)}", fontsize=8,
                  ha="right", va="top", transform=axes.transAxes, color="#6b7280")


def _title(plot: _Plot, grain: str | None) -> str:
    ordered = [grain, *(d for d in plot.dimensions if d != grain)] if grain else plot.dimensions
    title = f"{plot.label} by " + " and ".join(_dimension_label(d).lower() for d in ordered)
    period = plot.period or {}
    if period.get("start") and period.get("end"):
        end = date.fromordinal(date.fromisoformat(period["end"]).toordinal() - 1)  # end is exclusive
        title += f"\n{period['start']} to {end.isoformat()}"
    return title


def _axis_label(plot: _Plot) -> str:
    if plot.fmt == "money":
        return f"{plot.label} ({plot.currency})"
    if plot.fmt == "rate":
        return f"{plot.label} (%)"
    if plot.fmt in ("bet_units", "bet_profit"):
        return f"{plot.label} (units)"
    return plot.label


def _dimension_label(name: str) -> str:
    dimension = load_definitions().dimensions.get(name)
    return dimension.label if dimension else name.replace("_", " ").capitalize()


def _tick_formatter(fmt: str, currency: str) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: _tick(value, fmt, currency))


def _tick(value: float, fmt: str, currency: str) -> str:
    """Short axis labels: ``$1.2k``, ``25%``, ``1.5x``, ``1,200``."""
    if fmt == "rate":
        return f"{value * 100:.0f}%" if abs(value) >= 0.1 or value == 0 else f"{value * 100:.1f}%"
    if fmt == "ratio":
        return f"{value:.1f}x"
    text = _compact(abs(value))
    if fmt == "money":
        symbol = SYMBOLS.get(currency)
        text = f"{symbol}{text}" if symbol else f"{currency} {text}"
    return f"-{text}" if value < 0 else text


def _compact(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:,.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _cell(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _shorten(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ChartingResponder:
    """Adds a chart to any reply whose rows draw well (wraps the brain; every channel gets it).

    Args:
        inner: the responder that answers (the brain or the agent graph).
        currency_of: the workspace's currency by workspace name.
        out_dir: where charts are written (``TALLY_DATA_DIR/charts``).
    """

    def __init__(self, inner: Responder, currency_of: Callable[[str], str], out_dir: Path) -> None:
        self.inner = inner
        self.currency_of = currency_of
        self.out_dir = out_dir

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        """The inner reply, with ``chart`` set when its rows make a chart."""
        import asyncio

        reply = await self.inner.respond(workspace=workspace, conversation=conversation,
                                                text=text, user_name=user_name)
        if reply.chart or not reply.ok:
            return reply
        try:
            return await asyncio.to_thread(attach_chart, reply, self.out_dir, self.currency_of(workspace))
        except Exception:  # a chart is a bonus: the answer goes out without it
            logger.exception("could not draw a chart for %r in %s", text, workspace)
            return reply
