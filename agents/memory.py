"""What a conversation remembers between turns, in a form the checkpointer can store.

A turn keeps the question, the catalog query it became (as plain JSON), the intent
and the agent that answered. Queries round-trip exactly through :func:`query_to_dict`
and :func:`query_from_dict`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from agents.reply import Reply, TableData
from storage.catalog.model import Filter, Order, Query
from storage.catalog.periods import Period


class Turn(TypedDict, total=False):
    """One answered turn of a conversation."""

    question: str
    query: dict[str, Any] | None
    intent: str
    agent: str
    text: str


def period_to_dict(period: Period | None) -> dict[str, Any] | None:
    if period is None:
        return None
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "kind": period.kind,
            "phrase": period.phrase, "n": period.n}


def period_from_dict(raw: dict[str, Any] | None) -> Period | None:
    if raw is None:
        return None
    return Period(date.fromisoformat(raw["start"]), date.fromisoformat(raw["end"]), raw["kind"],
                  raw.get("phrase", ""), raw.get("n", 1))


def query_to_dict(query: Query) -> dict[str, Any]:
    """A JSON-ready form of a catalog query."""
    return {
        "metrics": list(query.metrics),
        "period": period_to_dict(query.period),
        "dimensions": list(query.dimensions),
        "filters": [{"dimension": f.dimension, "values": list(f.values), "exclude": f.exclude}
                    for f in query.filters],
        "order": {"by": query.order.by, "descending": query.order.descending} if query.order else None,
        "limit": query.limit,
        "compare": query.compare,
        "min_count": query.min_count,
    }


def query_from_dict(raw: dict[str, Any]) -> Query:
    """The catalog query stored by :func:`query_to_dict`."""
    order = raw.get("order")
    return Query(
        metrics=tuple(raw["metrics"]),
        period=period_from_dict(raw.get("period")),
        dimensions=tuple(raw.get("dimensions", ())),
        filters=tuple(Filter(f["dimension"], tuple(f["values"]), bool(f.get("exclude")))
                      for f in raw.get("filters", ())),
        order=Order(order["by"], order["descending"]) if order else None,
        limit=raw.get("limit"),
        compare=raw.get("compare"),
        min_count=raw.get("min_count"),
    )


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """A JSON-ready form of a reply (for the graph's state)."""
    table = ({"columns": list(reply.table.columns), "rows": [list(r) for r in reply.table.rows]}
             if reply.table else None)
    return {"text": reply.text, "table": table, "chart": reply.chart,
            "suggestions": list(reply.suggestions), "data": reply.data, "ok": reply.ok,
            "choices": list(reply.choices)}


def reply_from_dict(raw: dict[str, Any]) -> Reply:
    """The reply stored by :func:`reply_to_dict`."""
    table = raw.get("table")
    return Reply(
        text=raw["text"],
        table=TableData(tuple(table["columns"]), tuple(tuple(r) for r in table["rows"]))
        if table else None,
        chart=raw.get("chart"), suggestions=tuple(raw.get("suggestions", ())),
        data=raw.get("data", {}), ok=raw.get("ok", True), choices=tuple(raw.get("choices", ())),
    )
