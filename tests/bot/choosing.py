"""A brain that offers choices for one vague question, for the channels' choice tests.

"how are we doing?" gets three readings to pick from, the way the parser offers them
when it is not sure; everything else is answered by the real agent graph on the shop
fixture. The graph remembers the offered choices as it does for the parser's own
(its ``choices`` state), so "2" typed next is answered from the graph's memory.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from agents.graph import TallyGraph
from agents.reply import Reply

VAGUE = "how are we doing?"
CHOICES = ("revenue march 2025", "orders march 2025", "revenue by country march 2025")
OFFER = "I can read that a few ways; which one do you mean?"


class ChoosingBrain:
    """The Responder: choices for :data:`VAGUE`, the graph for everything else."""

    def __init__(self, graph: TallyGraph) -> None:
        self.graph = graph

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        if text.strip().lower() != VAGUE:
            return await self.graph.respond(workspace=workspace, conversation=conversation,
                                            text=text, user_name=user_name)
        config: RunnableConfig = {"configurable": {"thread_id": f"{workspace}|{conversation}"}}
        self.graph.graph.update_state(config, {"choices": list(CHOICES)}, as_node="analytics")
        data = {"question": text, "text": OFFER, "error": "unanswerable", "choices": list(CHOICES)}
        return Reply(OFFER, data=data, ok=False, choices=CHOICES)
