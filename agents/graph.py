"""The brain of every channel: a LangGraph graph, router → analytics | marketing | commerce_ops.

``understand`` reads the message in the light of the conversation (follow-ups, "why?",
"how did you get that?") or parses it, and picks the agent; each agent node computes the
answer through the metric catalog. With an LLM configured the router and the agents use
it (tool calls over the catalog, numbers guarded); without one, or when it fails, the
deterministic parser answers the same turn. Conversations are checkpointed in SQLite
beside the app state, so memory survives a restart.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from agents.answer import compose
from agents.brain import Brain, agent_for, unanswerable_reply
from agents.explain import explain
from agents.followups import resolve_followup
from agents.help import help_reply
from agents.insights.drivers import describe_driver, find_drivers
from agents.llm import AGENTS
from agents.llm_agent import LLMTurn, LLMUnusable, route_with_llm
from agents.memory import Turn, query_from_dict, query_to_dict, reply_from_dict, reply_to_dict
from agents.parser import Help, ParseContext, Parsed, parse
from agents.reply import Reply, TableData
from bot.app import App
from storage.catalog import AsOf, Engine, Query
from storage.catalog.display import format_change
from storage.errors import TallyError

logger = logging.getLogger(__name__)
MEMORY_TURNS = 10


def _keep_recent(old: list[Turn], new: list[Turn]) -> list[Turn]:
    return (old + new)[-MEMORY_TURNS:]


class GraphState(TypedDict, total=False):
    """One turn's state; ``turns`` is the conversation's memory (checkpointed)."""

    question: str
    workspace: str
    user_name: str | None
    as_of: str | None
    plan: dict[str, Any]
    agent: str
    reply: dict[str, Any]
    turns: Annotated[list[Turn], _keep_recent]


class TallyGraph:
    """The agent graph; implements the runtime's Responder protocol.

    Args:
        app: the wired application.
        llm: a chat model (``ChatOpenAI``) or None for the deterministic brain only.
        memory_path: the SQLite file of the checkpointer (default: beside the app state).
    """

    def __init__(self, app: App, llm: Any | None = None, memory_path: Path | None = None) -> None:
        self.app = app
        self.brain = Brain(app)
        self.llm = llm
        path = memory_path or app.settings.data_dir / "memory.sqlite"
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self.checkpointer = SqliteSaver(self._conn)
        self._lock = threading.Lock()
        builder = StateGraph(GraphState)
        builder.add_node("understand", self._understand)
        for agent in AGENTS:
            builder.add_node(agent, partial(self._agent, agent))
            builder.add_edge(agent, END)
        builder.add_edge(START, "understand")
        builder.add_conditional_edges("understand", lambda state: state["agent"],
                                      {agent: agent for agent in AGENTS})
        self.graph = builder.compile(checkpointer=self.checkpointer)

    # --- entry points ----------------------------------------------------------------------
    def ask(self, workspace: str, text: str, conversation: str = "default",
            as_of: AsOf | None = None, user_name: str | None = None) -> Reply:
        """Answers one message of a conversation (raises WorkspaceError for an unknown workspace)."""
        self.app.engine(workspace)
        config: RunnableConfig = {"configurable": {"thread_id": f"{workspace}|{conversation}"}}
        state: GraphState = {"question": text, "workspace": workspace, "user_name": user_name,
                             "as_of": as_of.day.isoformat() if as_of else None}
        result = self.graph.invoke(state, config, durability="exit")
        return reply_from_dict(result["reply"])

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        """The Responder protocol: the same turn, off the event loop."""
        return await asyncio.to_thread(self.ask, workspace, text, conversation, None, user_name)

    def close(self) -> None:
        """Closes the checkpointer's database."""
        self._conn.close()

    # --- nodes -------------------------------------------------------------------------------
    def _as_of(self, state: GraphState, engine: Engine) -> AsOf:
        day = state.get("as_of")
        tz = engine.workspace.tz
        return AsOf.for_day(date.fromisoformat(day), tz) if day else AsOf.now(tz)

    def _understand(self, state: GraphState) -> dict[str, Any]:
        try:
            return self._plan(state)
        except TallyError as exc:  # e.g. "the month before" the first month of the calendar
            return {"plan": {"kind": "unanswerable", "understood": [], "missing": str(exc)},
                    "agent": "analytics"}

    def _plan(self, state: GraphState) -> dict[str, Any]:
        engine = self.app.engine(state["workspace"])
        as_of = self._as_of(state, engine)
        ctx = ParseContext(as_of, self.brain.vocabulary(state["workspace"]), state.get("user_name"))
        text = state["question"]
        turns = [t for t in state.get("turns", []) if t.get("query")]
        last = turns[-1] if turns else None
        last_query_dict = last.get("query") if last else None
        last_query = _remembered(last_query_dict)
        followup = resolve_followup(text, last_query, last.get("intent", "metric") if last else "", ctx)
        plan: dict[str, Any]
        if followup is not None:
            plan = {"kind": followup.kind, "query": query_to_dict(followup.query),
                    "intent": followup.intent, "understood": list(followup.understood)}
            return {"plan": plan, "agent": agent_for(followup.query.metrics)}
        outcome = parse(text, ctx)
        plan = _plan_of(outcome)
        agent = agent_for(tuple(plan["query"]["metrics"])) if plan["kind"] == "query" else "analytics"
        if self.llm is not None and plan["kind"] in ("query", "unanswerable"):
            try:
                agent = route_with_llm(self.llm, text)
                plan["llm"] = True
            except Exception as exc:  # no LLM answer: the parser's plan stands
                logger.warning("LLM routing failed, using the parser: %s", exc)
        return {"plan": plan, "agent": agent}

    def _agent(self, agent: str, state: GraphState) -> dict[str, Any]:
        engine = self.app.engine(state["workspace"])
        as_of = self._as_of(state, engine)
        plan = state["plan"]
        reply: Reply | None = None
        if plan.get("llm"):
            reply = self._llm_reply(agent, state, engine, as_of)
        if reply is None:
            reply = self._deterministic(plan, state, engine, as_of)
        reply = Reply(reply.text, reply.table, reply.chart, reply.suggestions,
                      {**reply.data, "agent": agent}, reply.ok)
        update: dict[str, Any] = {"reply": reply_to_dict(reply)}
        query = reply.data.get("_query") or plan.get("query")
        if reply.ok and query:
            update["turns"] = [Turn(question=state["question"], query=query,
                                    intent=plan.get("intent", "metric"), agent=agent, text=reply.text)]
        reply.data.pop("_query", None)
        update["reply"] = reply_to_dict(reply)
        return update

    def _llm_reply(self, agent: str, state: GraphState, engine: Engine, as_of: AsOf) -> Reply | None:
        history = [(t["question"], t.get("text", "")) for t in state.get("turns", [])]
        turn = LLMTurn(self.llm, self.app.settings, engine, agent, as_of)
        try:
            reply = turn.run(state["question"], history)
        except (LLMUnusable, TallyError, Exception) as exc:  # any failure: the parser answers
            logger.warning("LLM turn failed (%s), the parser answers: %s", type(exc).__name__, exc)
            return None
        data = {**reply.data, "question": state["question"], "text": reply.text}
        if turn.last is not None:
            data["_query"] = query_to_dict(turn.last.query)
        return Reply(reply.text, reply.table, reply.chart, reply.suggestions, data, reply.ok)

    def _deterministic(self, plan: dict[str, Any], state: GraphState, engine: Engine,
                       as_of: AsOf) -> Reply:
        text = state["question"]
        verticals = self.brain.vocabulary(state["workspace"]).verticals
        kind = plan["kind"]
        if kind == "help":
            return help_reply(verticals, plan.get("topic"), text)
        if kind == "unanswerable":
            return unanswerable_reply(text, tuple(plan.get("understood", ())), plan["missing"],
                                      verticals)
        query = query_from_dict(plan["query"])
        try:
            if kind == "why":
                return _why_reply(engine, query, as_of, text)
            if kind == "how":
                return explain(engine, query, as_of)
            result = engine.run(query, as_of)
        except TallyError as exc:
            return unanswerable_reply(text, tuple(plan.get("understood", ())), str(exc), verticals)
        reply = compose(result, engine.defs, engine.workspace.currency, text, plan.get("intent", "metric"))
        data = {"question": text, "text": reply.text, **{k: v for k, v in reply.data.items()
                                                          if k != "question"}}
        return Reply(reply.text, reply.table, reply.chart, reply.suggestions, data)


def _remembered(stored: dict[str, Any] | None) -> Query | None:
    """The conversation's last query; one that no longer resolves (a period outside the
    calendar, remembered before it was refused) is forgotten rather than failing every turn."""
    if not stored:
        return None
    try:
        return query_from_dict(stored)
    except TallyError:
        return None


def _plan_of(outcome: Any) -> dict[str, Any]:
    if isinstance(outcome, Parsed):
        return {"kind": "query", "query": query_to_dict(outcome.query), "intent": outcome.intent,
                "understood": list(outcome.understood)}
    if isinstance(outcome, Help):
        return {"kind": "help", "topic": outcome.topic}
    return {"kind": "unanswerable", "understood": list(outcome.understood),
            "missing": outcome.missing}


def _why_reply(engine: Engine, query: Any, as_of: AsOf, question: str) -> Reply:
    found = find_drivers(engine, query, as_of)
    metric = found.metric
    defs = engine.defs
    fmt = defs.metrics[metric].format
    cmp = found.total.comparison
    label = defs.metrics[metric].label
    if cmp is None or cmp.change.get(metric) in (None, 0):
        head = f"{label} did not change vs {cmp.period.plain() if cmp else 'the period before'}."
    else:
        moved = format_change(cmp.change[metric], cmp.change_rate.get(metric), fmt,
                              engine.workspace.currency).lstrip("+-")
        direction = "up" if float(cmp.change[metric]) > 0 else "down"  # type: ignore[arg-type]
        verb = "were" if label.endswith("s") and not label.endswith("ss") else "was"
        head = f"{label} {verb} {direction} {moved} vs {cmp.period.plain()}."
    if not found.drivers:
        return Reply(head + " No single breakdown explains it.", data={"question": question})
    parts = [describe_driver(engine, metric, d) for d in found.drivers]
    text = head + " What drove it: " + "; ".join(parts) + "."
    table = TableData(("Breakdown", "Value", "Change", "Share of change"), tuple(
        (defs.dimensions[d.dimension].label, d.value,
         format_change(d.change, None, fmt, engine.workspace.currency).replace(" (new)", ""),
         f"{d.share * 100:.0f}%" if d.share is not None else "") for d in found.drivers))
    drivers = [{"dimension": d.dimension, "value": d.value, "change": d.change, "share": d.share}
               for d in found.drivers]
    return Reply(text, table, data={"question": question, "text": text, "metrics": [metric],
                                    "drivers": drivers})
