"""One agent's turn with the LLM: route, call catalog tools, phrase, guard the numbers."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from agents.answer import MARKETING_METRICS, OPS_METRICS
from agents.compose import compose
from agents.llm import (
    AGENTS,
    QueryArgs,
    SqlArgs,
    parse_args,
    query_tool,
    route_tool,
    sql_tool,
    to_query,
)
from agents.number_guard import Allowed, numbers_supported
from agents.ports import LLMConfig
from agents.reply import Reply, json_number
from agents.sqlguard import run_select
from prompts import load
from storage.catalog import AsOf, Engine, Result, resolve_period
from storage.errors import TallyError

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage, BaseMessage

logger = logging.getLogger(__name__)
MAX_ROUNDS = 4


class LLMUnusable(Exception):
    """The LLM's turn cannot be used; the deterministic parser answers instead."""


def metrics_of(agent: str, engine: Engine) -> list[str]:
    """The catalog metrics an agent's tools may compute."""
    names = list(engine.defs.metrics)
    if agent == "marketing":
        return [m for m in names if m in MARKETING_METRICS]
    if agent == "commerce_ops":
        return [m for m in names if m in OPS_METRICS]
    return [m for m in names if m not in MARKETING_METRICS and m not in OPS_METRICS]


def route_with_llm(llm: Any, question: str) -> str:
    """The agent the LLM picks (raises LLMUnusable on anything but a valid route call)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    ai = llm.bind_tools([route_tool()], tool_choice="route").invoke(
        [SystemMessage(load("router")), HumanMessage(question)])
    if not getattr(ai, "tool_calls", None):
        raise LLMUnusable("the router answered without choosing an agent")
    agent = ai.tool_calls[0]["args"].get("agent")
    if agent not in AGENTS:
        raise LLMUnusable(f"the router chose an unknown agent {agent!r}")
    return str(agent)


class LLMTurn:
    """Runs the tool loop for one question of one workspace."""

    def __init__(self, llm: Any, config: LLMConfig, engine: Engine, agent: str, as_of: AsOf) -> None:
        self.llm, self.config, self.engine, self.agent, self.as_of = llm, config, engine, agent, as_of
        self.allowed = Allowed()
        self.last: Result | None = None

    def run(self, question: str, history: list[tuple[str, str]]) -> Reply:
        """The guarded reply, or LLMUnusable (the caller falls back to the parser)."""
        tools = [query_tool(self.engine.defs, metrics_of(self.agent, self.engine))]
        if self.config.adhoc_sql:
            tools.append(sql_tool())
        from langchain_core.messages import ToolMessage

        model = self.llm.bind_tools(tools)
        messages = self._messages(question, history)
        self.allowed.add(question)
        for _ in range(MAX_ROUNDS):
            ai = model.invoke(messages)
            messages.append(ai)
            if not ai.tool_calls and not ai.invalid_tool_calls:
                return self._final(ai)
            for call in ai.tool_calls:
                messages.append(ToolMessage(self._tool(call["name"], call["args"]), tool_call_id=call["id"]))
            for bad in ai.invalid_tool_calls:
                messages.append(ToolMessage("error: malformed tool arguments (not valid JSON)",
                                            tool_call_id=bad.get("id") or "invalid"))
        raise LLMUnusable("too many tool rounds")

    def _messages(self, question: str, history: list[tuple[str, str]]) -> list[BaseMessage]:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        ws = self.engine.workspace
        system = load(self.agent).format(workspace=ws.name, currency=ws.currency,
                                         timezone=ws.timezone, today=self.as_of.day.isoformat())
        messages: list[BaseMessage] = [SystemMessage(system)]
        for asked, answered in history[-3:]:
            messages += [HumanMessage(asked), AIMessage(answered)]
        messages.append(HumanMessage(question))
        return messages

    def _tool(self, name: str, args: Any) -> str:
        try:
            if name == "query_metrics":
                return self._query(parse_args(QueryArgs, args))  # type: ignore[arg-type]
            if name == "run_sql" and self.config.adhoc_sql:
                return self._sql(parse_args(SqlArgs, args))  # type: ignore[arg-type]
            return f"error: unknown tool {name!r}"
        except (ValueError, TallyError) as exc:
            logger.info("tool call rejected: %s", exc)
            return f"error: {exc}"

    def _query(self, args: QueryArgs) -> str:
        allowed_metrics = set(metrics_of(self.agent, self.engine))
        outside = [m for m in args.metrics if m not in allowed_metrics]
        if outside:
            raise ValueError(f"{', '.join(outside)} not available to the {self.agent} agent")
        period = resolve_period(args.period, self.as_of) if args.period else None
        result = self.engine.run(to_query(args, period), self.as_of)
        self.last = result
        reply = compose(result, self.engine.defs, self.engine.workspace.currency)
        self.allowed.add(reply.data)
        self.allowed.add(reply.text)
        if reply.table:
            self.allowed.add([list(r) for r in reply.table.rows])
        self.allowed.add(len(result.rows))
        return json.dumps({"text": reply.text, **reply.data}, default=str)

    def _sql(self, args: SqlArgs) -> str:
        names, rows = run_select(self.engine.warehouse, args.sql, self.config.adhoc_sql_row_limit,
                                 self.config.adhoc_sql_timeout_seconds)
        self.allowed.add([[json_number(v) for v in row] for row in rows])
        return json.dumps({"columns": names, "rows": [[json_number(v) for v in r] for r in rows]},
                          default=str)

    def _final(self, ai: AIMessage) -> Reply:
        text = ai.content if isinstance(ai.content, str) else str(ai.content)
        if self.last is None:
            raise LLMUnusable("the model answered without computing anything")
        exact = compose(self.last, self.engine.defs, self.engine.workspace.currency)
        unsupported = numbers_supported(text, self.allowed)
        if unsupported or not text.strip():
            logger.warning("LLM reply rejected: numbers not in the tool results: %s", unsupported)
            return Reply(exact.text, exact.table, exact.chart, exact.suggestions,
                         {**exact.data, "llm": "rejected"})
        return Reply(text.strip(), exact.table, exact.chart, exact.suggestions,
                     {**exact.data, "llm": "phrased"})
