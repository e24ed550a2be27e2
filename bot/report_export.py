"""The weekly report's exports that draw: a self-contained HTML page and a PDF.

The brain builds the report (:mod:`agents.insights.report`, with its CSV); the chart is
drawn here, on the way out, with the same figure as every other chart (:mod:`bot.charts`).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from agents.insights.report import WeeklyReport, chart_data, report_table, report_text
from bot.charts import figure_for


def chart_png(report: WeeklyReport) -> bytes | None:
    """The report's chart as PNG bytes (None when there is nothing to draw)."""
    figure = figure_for(chart_data(report), report.currency)
    if figure is None:
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def to_html(report: WeeklyReport) -> str:
    """A self-contained HTML page (the chart inlined as a base64 PNG)."""
    table = report_table(report)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in table.rows)
    png = chart_png(report)
    image = (f'<img alt="daily chart" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
             if png else "")
    items = "".join(f"<li>{html.escape(t)}</li>" for t in report.movers + report.anomalies)
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(report.title)}"
            "</title><style>body{font-family:sans-serif;max-width:52em;margin:2em auto}"
            "td,th{padding:.2em .8em;text-align:right}td:first-child{text-align:left}</style>"
            f"</head><body><h1>{html.escape(report.title)}</h1><table><tr>{head}</tr>{body}</table>"
            f"{image}<ul>{items}</ul></body></html>")


def to_pdf(report: WeeklyReport, path: Path) -> None:
    """A PDF: the summary text and table on page one, the chart on page two."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    with PdfPages(path, metadata={"Title": report.title}) as pdf:
        page = Figure(figsize=(8.27, 11.69))
        page.text(0.06, 0.96, report_text(report) + "\n\n" + report_table(report).as_text(),
                  va="top", ha="left", family="monospace", fontsize=7.5,
                  usetex=False, parse_math=False)  # "$" is money here, not TeX
        pdf.savefig(page)
        chart = figure_for(chart_data(report), report.currency)
        if chart is not None:
            pdf.savefig(chart)
