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
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from agents.answer import Conversation, LastTurn, Plan, Ports, agent_of, answer, understand
from agents.followups import Resolution
from agents.llm import AGENTS
from agents.llm_agent import LLMTurn, LLMUnusable, route_with_llm
from agents.memory import Turn, query_from_dict, query_to_dict
from agents.parser import Parsed, Unanswerable
from agents.reply import Reply
from agents.teach import picked_choice
from storage.catalog import AsOf, Query
from storage.errors import TallyError

logger = logging.getLogger(__name__)
MEMORY_TURNS = 10
# The frozen types a turn's state holds; the checkpointer revives only these.
STATE_TYPES = [("agents.parser.types", "Parsed"), ("agents.parser.types", "Help"),
               ("agents.parser.types", "Unanswerable"), ("agents.followups", "Resolution"),
               ("storage.catalog.model", "Query"), ("storage.catalog.model", "Filter"),
               ("storage.catalog.model", "Order"), ("storage.catalog.periods", "Period"),
               ("agents.reply", "Reply"), ("agents.reply", "TableData"), ("agents.reply", "ChartSpec")]


def _keep_recent(old: list[Turn], new: list[Turn]) -> list[Turn]:
    return (old + new)[-MEMORY_TURNS:]


class GraphState(TypedDict, total=False):
    """One turn's state; ``turns`` is the conversation's memory (checkpointed)."""

    question: str
    workspace: str
    user_name: str | None
    as_of: str | None
    plan: Plan
    llm: bool
    agent: str
    reply: Reply
    turns: Annotated[list[Turn], _keep_recent]
    choices: list[str]  # the readings the last reply offered ("2" right after picks one)


class TallyGraph:
    """The agent graph; implements the runtime's Responder protocol.

    Args:
        ports: the engines, clock and LLM configuration the brain is given.
        llm: a chat model (``ChatOpenAI``) or None for the deterministic brain only.
        memory_path: the SQLite file of the checkpointer (None: in memory only).
    """

    def __init__(self, ports: Ports, llm: Any | None = None, memory_path: Path | None = None) -> None:
        self.ports = ports
        self.llm = llm
        self._conn = sqlite3.connect(str(memory_path or ":memory:"), check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        serde = JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)
        self.checkpointer = SqliteSaver(self._conn, serde=serde)
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
        self.ports.engines.engine(workspace)
        config: RunnableConfig = {"configurable": {"thread_id": f"{workspace}|{conversation}"}}
        state: GraphState = {"question": text, "workspace": workspace, "user_name": user_name,
                             "as_of": as_of.day.isoformat() if as_of else None}
        result = self.graph.invoke(state, config, durability="exit")
        reply: Reply = result["reply"]
        return reply

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        """The Responder protocol: the same turn, off the event loop."""
        return await asyncio.to_thread(self.ask, workspace, text, conversation, None, user_name)

    def close(self) -> None:
        """Closes the checkpointer's database."""
        self._conn.close()

    # --- nodes -------------------------------------------------------------------------------
    def _conversation(self, state: GraphState) -> Conversation:
        """The turn's conversation: workspace, as-of day, asker and its last answered query."""
        workspace = state["workspace"]
        day = state.get("as_of")
        tz = self.ports.engines.engine(workspace).workspace.tz
        turns = [t for t in state.get("turns", []) if t.get("query")]
        last_query = _remembered(turns[-1].get("query")) if turns else None
        last = LastTurn(last_query, turns[-1].get("intent", "metric")) if last_query else None
        return Conversation(workspace, AsOf.for_day(date.fromisoformat(day), tz) if day else None,
                            state.get("user_name"), last)

    def _understand(self, state: GraphState) -> dict[str, Any]:
        # "2" or "the second one" right after a reply that offered readings is that reading,
        # asked as it was offered: from here on the turn is that question.
        offered = state.get("choices") or ()
        picked = picked_choice(state["question"], offered) or (
            state["question"] if state["question"] in offered else None)  # a choice button's text
        question = picked or state["question"]
        conversation = self._conversation(state)
        if picked is not None:  # a reading offered is a whole question: asked as offered, not bent
            conversation = replace(conversation, last=None)
        plan = understand(question, conversation, self.ports)
        agent, llm = agent_of(plan), False
        if self.llm is not None and isinstance(plan, Parsed | Unanswerable):
            try:
                agent, llm = route_with_llm(self.llm, question), True
            except Exception as exc:  # no LLM answer: the parser's plan stands
                logger.warning("LLM routing failed, using the parser: %s", exc)
        return {"question": question, "plan": plan, "agent": agent, "llm": llm}

    def _agent(self, agent: str, state: GraphState) -> dict[str, Any]:
        conversation = self._conversation(state)
        plan = state["plan"]
        planned = plan.query if isinstance(plan, Parsed | Resolution) else None
        found = self._llm_reply(agent, state, conversation) if state.get("llm") else None
        if found is None:
            reply, query = answer(state["question"], conversation, self.ports, plan), planned
        else:
            reply, query = found[0], found[1] or planned
        data = {**reply.data, "agent": agent}
        if reply.choices:  # kept with the recorded answer too: a choice button names only its number
            data["choices"] = list(reply.choices)
        reply = replace(reply, data=data)
        update: dict[str, Any] = {"reply": reply, "choices": list(reply.choices)}
        if reply.ok and query is not None:
            intent = plan.intent if isinstance(plan, Parsed | Resolution) else "metric"
            update["turns"] = [Turn(question=state["question"], query=query_to_dict(query),
                                    intent=intent, agent=agent, text=reply.text)]
        return update

    def _llm_reply(self, agent: str, state: GraphState,
                   conversation: Conversation) -> tuple[Reply, Query | None] | None:
        """The LLM's guarded reply and the query it ran last, or None (the parser answers)."""
        history = [(t["question"], t.get("text", "")) for t in state.get("turns", [])]
        engine = self.ports.engines.engine(conversation.workspace)
        as_of = conversation.as_of or self.ports.clock(engine.workspace.tz)
        turn = LLMTurn(self.llm, self.ports.llm_config, engine, agent, as_of)
        try:
            reply = turn.run(state["question"], history)
        except (LLMUnusable, TallyError, Exception) as exc:  # any failure: the parser answers
            logger.warning("LLM turn failed (%s), the parser answers: %s", type(exc).__name__, exc)
            return None
        data = {**reply.data, "question": state["question"], "text": reply.text}
        return replace(reply, data=data), turn.last.query if turn.last is not None else None


def _remembered(stored: dict[str, Any] | None) -> Query | None:
    """The conversation's last query; one that no longer resolves (a period outside the
    calendar, remembered before it was refused) is forgotten rather than failing every turn."""
    if not stored:
        return None
    try:
        return query_from_dict(stored)
    except TallyError:
        return None
