"""One line restating how a question was read, for answers that read past or corrected words.

When the parser corrected a typo or read past a word ("revnue yestrday", "how many
units did we move"), the asker should see what was answered before the number:
"Reading this as: revenue, yesterday." Built from the query, not from the asker's
words, so it says exactly what was run.
"""

from __future__ import annotations

from agents.compose import sentence_label
from storage.catalog.definitions import load_definitions
from storage.catalog.model import Query

_COMPARE = {"previous": "vs the previous period", "year": "vs the same dates last year",
            "week": "vs the same day last week"}


_INTENTS = {"leaderboard": "the leaderboard", "stock_alert_list": "the products running out"}
_LIST_FILTERS = frozenset({"stockout_risk", "days_of_stock_below", "product_status"})


def reading_line(query: Query, intent: str = "metric") -> str:
    """ "Reading this as: revenue by sales channel, BR, year to date." """
    defs = load_definitions()
    names = [sentence_label(defs.metrics[m].label) if m in defs.metrics else m.replace("_", " ")
             for m in query.metrics]
    said = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
    parts = [_INTENTS.get(intent, said)]
    listed = intent in _INTENTS  # a list's own rows and filters go without saying
    dims = [d for d in query.dimensions if not (listed and d in ("bettor", "product"))]
    if dims:
        parts[0] += " by " + " and ".join(
            defs.dimensions[d].label.lower() if d in defs.dimensions else d.replace("_", " ")
            for d in dims)
    for flt in query.filters:
        if not (listed and flt.dimension in _LIST_FILTERS):
            parts.append(("excluding " if flt.exclude else "") + ", ".join(flt.values))
    if query.period is not None:
        parts.append(query.period.describe())
    if query.compare in _COMPARE:
        parts.append(_COMPARE[query.compare])
    if query.order is not None and query.limit:
        parts.append(f"{'top' if query.order.descending else 'bottom'} {query.limit}")
    return "Reading this as: " + ", ".join(p for p in parts if p) + "."


def with_reading(text: str, query: Query, assumed: tuple[str, ...],
                 intent: str = "metric") -> str:
    """``text`` with the reading line in front when anything was assumed."""
    return f"{reading_line(query, intent)}\n{text}" if assumed else text
