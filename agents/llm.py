"""The optional LLM: routing and tool calls over the metric catalog.

Any OpenAI-compatible endpoint works through langchain-openai's ``ChatOpenAI``
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``TALLY_LLM_MODEL``). The LLM chooses the agent
and fills catalog queries through tools whose schema lists the catalog's metrics,
dimensions and comparison kinds; the catalog computes every number. The LLM may phrase
the reply, but the number guard (:mod:`agents.number_guard`) rejects a reply with a
number that is not in the tool results, and any failure (no key, timeout, endpoint
error, malformed call) falls back to the deterministic parser for that turn.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.ports import LLMConfig
from storage.catalog import Filter, Order, Query
from storage.catalog.definitions import CatalogDefs

logger = logging.getLogger(__name__)

AGENTS = ("analytics", "marketing", "commerce_ops")


class FilterArg(BaseModel):
    """A filter in a tool call."""

    model_config = ConfigDict(extra="forbid")
    dimension: str
    values: list[str]
    exclude: bool = False


class QueryArgs(BaseModel):
    """The arguments of ``query_metrics`` (no workspace: the conversation fixes it)."""

    model_config = ConfigDict(extra="forbid")
    metrics: list[str] = Field(min_length=1)
    period: str | None = None
    dimensions: list[str] = Field(default_factory=list)
    filters: list[FilterArg] = Field(default_factory=list)
    order_by: str | None = None
    descending: bool = True
    limit: int | None = Field(default=None, ge=1, le=100)
    compare: Literal["previous", "year"] | None = None


class SqlArgs(BaseModel):
    """The arguments of ``run_sql``."""

    model_config = ConfigDict(extra="forbid")
    sql: str


def make_chat_model(config: LLMConfig) -> Any | None:
    """``ChatOpenAI`` for the configured endpoint, or None without a key."""
    if config.api_key is None:
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=config.model, api_key=config.api_key,
                      base_url=config.base_url, timeout=config.timeout_seconds,
                      max_retries=0, temperature=0)


def route_tool() -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": "route", "description": "Choose the agent that answers the question.",
        "parameters": {"type": "object", "additionalProperties": False, "required": ["agent"],
                       "properties": {"agent": {"type": "string", "enum": list(AGENTS)}}}}}


def query_tool(defs: CatalogDefs, metrics: list[str]) -> dict[str, Any]:
    """``query_metrics``: its schema enumerates this agent's metrics and every dimension."""
    dims = list(defs.dimensions)
    filter_schema = {"type": "object", "additionalProperties": False,
                     "required": ["dimension", "values"],
                     "properties": {"dimension": {"type": "string", "enum": dims},
                                    "values": {"type": "array", "items": {"type": "string"}},
                                    "exclude": {"type": "boolean"}}}
    described = "; ".join(f"{m}: {defs.metrics[m].description}" for m in metrics)
    return {"type": "function", "function": {
        "name": "query_metrics",
        "description": "Compute catalog metrics exactly. Metrics: " + described,
        "parameters": {"type": "object", "additionalProperties": False, "required": ["metrics"],
                       "properties": {
                           "metrics": {"type": "array", "items": {"type": "string", "enum": metrics}},
                           "period": {"type": "string", "description": (
                               "today, yesterday, this week, last week, this month, last month, "
                               "this quarter, last quarter, this year, last year, last N days, "
                               "last N weeks, last N months, 'March 2025', 'Q1 2025', '2025', "
                               "'2025-03-04', 'from 2025-03-01 to 2025-03-15'; omit for the default")},
                           "dimensions": {"type": "array", "items": {"type": "string", "enum": dims}},
                           "filters": {"type": "array", "items": filter_schema},
                           "order_by": {"type": "string"}, "descending": {"type": "boolean"},
                           "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                           "compare": {"type": "string", "enum": ["previous", "year"]}}}}}


def sql_tool() -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": "run_sql", "description": "Run one read-only SELECT on the workspace's tables.",
        "parameters": {"type": "object", "additionalProperties": False, "required": ["sql"],
                       "properties": {"sql": {"type": "string"}}}}}


def to_query(args: QueryArgs, period: Any) -> Query:
    """A catalog query from validated tool arguments (period already resolved)."""
    order = Order(args.order_by, args.descending) if args.order_by else None
    return Query(metrics=tuple(args.metrics), period=period, dimensions=tuple(args.dimensions),
                 filters=tuple(Filter(f.dimension, tuple(f.values), f.exclude) for f in args.filters),
                 order=order, limit=args.limit, compare=args.compare)


def parse_args(model: type[BaseModel], raw: Any) -> BaseModel:
    """Validates a tool call's arguments (a malformed call raises ValueError with the reason)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        return model.model_validate(data)
    except (ValidationError, json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"malformed tool arguments: {exc}") from None
