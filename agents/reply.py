"""Reply: the one thing the brain returns, rendered by each channel in its own format.

A reply carries the words, an optional table and chart, follow-up suggestions, and the
structured answer (``data``) that ``tally ask --json`` prints. The brain never draws: a
chart is a :class:`ChartSpec` (data), drawn by the runtime on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class TableData:
    """A compact table: column titles and display-ready cells."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def as_text(self, max_rows: int = 15) -> str:
        """A monospace rendering for terminals and plain-text platforms."""
        shown = self.rows[:max_rows]
        widths = [max(len(c), *(len(r[i]) for r in shown)) if shown else len(c)
                  for i, c in enumerate(self.columns)]

        def line(cells: tuple[str, ...]) -> str:
            return "  ".join(cell.rjust(w) if i else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(cells, widths, strict=True)))

        out = [line(self.columns), "  ".join("-" * w for w in widths)]
        out.extend(line(r) for r in shown)
        if len(self.rows) > max_rows:
            out.append(f"… {len(self.rows) - max_rows} more rows")
        return "\n".join(out)


@dataclass(frozen=True)
class ChartSpec:
    """A chart to draw, as data: the runtime draws it on the way out (``bot.charts``).

    Attributes:
        data: the answer JSON shape the chart is drawn from (``rows``, ``metrics``, ...).
        currency: the workspace currency, for money axes.
    """

    data: dict[str, Any]
    currency: str


@dataclass(frozen=True)
class Reply:
    """What Tally says back.

    Attributes:
        text: one or two sentences a person likes to read.
        table: rows for a breakdown, if any.
        chart: path of a PNG chart, once the runtime has drawn one.
        suggestions: follow-up questions that work on this workspace.
        data: the structured answer (interfaces.md's JSON shape, unrounded numbers).
        ok: False when the question could not be answered.
        chart_spec: a chart the runtime should draw (digests, reports, recaps).
        answer_id: the id the runtime recorded the answer under (feedback buttons point at it).
        choices: readings offered when a question was not clear enough to answer, each a
            complete question; channels show them as buttons (Slack, Discord, Telegram,
            the playground) or numbered lines (terminal, WhatsApp), and the one picked is
            answered as asked.
    """

    text: str
    table: TableData | None = None
    chart: str | None = None
    suggestions: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    chart_spec: ChartSpec | None = None
    answer_id: str | None = None
    choices: tuple[str, ...] = ()

    def as_text(self) -> str:
        """The whole reply as plain text (terminal, logs)."""
        parts = [self.text]
        if self.choices:
            parts.append("\n".join(f"{n}. {c}" for n, c in enumerate(self.choices, 1)))
        if self.table:
            parts.append(self.table.as_text())
        if self.suggestions:
            parts.append("Try: " + " · ".join(f'"{s}"' for s in self.suggestions))
        return "\n\n".join(parts)


def json_number(value: Any) -> Any:
    """JSON-ready value: Decimals as numbers, dates as ISO strings, everything else as is."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def end_sentence(text: str) -> str:
    """``text`` ending as a sentence: a period added unless it already ends in ".", "?" or
    "!" ("did you mean MX?" stays as it is, never "did you mean MX?.")."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."
