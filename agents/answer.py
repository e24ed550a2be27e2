"""The one answer path: a question of a conversation in, a :class:`Reply` out.

``answer`` understands the question (a follow-up of the conversation's last turn, or a
question of its own, parsed by the deterministic parser), runs the catalog query and
phrases the result. Questions it cannot answer get an honest reply with what was
understood, what was not, and examples that work on this workspace; a failure of its
own gets an error id (the traceback goes to the log). The graph's agent nodes, the
terminal, the benchmarks and the tests all answer through here.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Literal

from agents.compose import compose
from agents.explain import explain, why_reply
from agents.followups import Resolution, resolve_followup
from agents.help import examples_for, help_reply
from agents.insights.digest import build_digest
from agents.parser import Help, ParseContext, Parsed, Unanswerable, Vocabulary, parse
from agents.ports import AsOfClock, Engines, LLMConfig, Synonyms
from agents.reading import with_reading
from agents.reply import Reply, end_sentence
from agents.teach import apply_synonyms
from agents.vocabulary import Vocabularies
from storage.catalog import AsOf, Engine, Query
from storage.errors import TallyError

logger = logging.getLogger(__name__)

Plan = Parsed | Help | Unanswerable | Resolution
"""What a question became: a query, help, a refusal, or a follow-up (query, why, how)."""

MARKETING_METRICS = frozenset({
    "ad_spend", "impressions", "clicks", "conversions", "conversion_value", "ctr", "cpc", "cpm",
    "cpa", "roas", "blended_roas", "cac", "sessions", "users", "web_conversions", "web_revenue",
    "conversion_rate"})
OPS_METRICS = frozenset({
    "on_hand", "avg_daily_units", "days_of_stock", "lead_time_days", "safety_stock",
    "reorder_point", "stockout_risk", "open_po_units", "sell_through", "gross_margin"})


class Ports:
    """What the brain is given by the runtime.

    Args:
        engines: opens a workspace's catalog engine.
        clock: "now" in a workspace's time zone (answers without an as-of day use it).
        llm_config: the optional LLM's configuration.
        synonyms: the words each workspace's admins taught (None: none taught).
    """

    def __init__(self, engines: Engines, clock: AsOfClock = AsOf.now,
                 llm_config: LLMConfig | None = None, synonyms: Synonyms | None = None) -> None:
        self.engines = engines
        self.clock = clock
        self.llm_config = llm_config or LLMConfig()
        self.synonyms = synonyms
        self.vocabularies = Vocabularies(engines)


@dataclass(frozen=True)
class LastTurn:
    """What a conversation remembers of its last answered question."""

    query: Query
    intent: str = "metric"


@dataclass(frozen=True)
class Conversation:
    """Who asks, where, and when.

    Attributes:
        workspace: the workspace the question is about.
        as_of: the day to answer as of (None: the clock's today).
        user_name: the asker's name ("my bets").
        last: the conversation's last answered turn, for follow-ups (None: a fresh one).
    """

    workspace: str
    as_of: AsOf | None = None
    user_name: str | None = None
    last: LastTurn | None = None


def agent_for(metrics: tuple[str, ...]) -> str:
    """Which agent owns a question, by its first metric."""
    if metrics and metrics[0] in MARKETING_METRICS:
        return "marketing"
    if metrics and metrics[0] in OPS_METRICS:
        return "commerce_ops"
    return "analytics"


def agent_of(plan: Plan) -> str:
    """The agent a plan goes to (analytics for help and refusals)."""
    if isinstance(plan, Parsed | Resolution):
        return agent_for(plan.query.metrics)
    return "analytics"


def as_of_for(conversation: Conversation, engine: Engine, ports: Ports) -> AsOf:
    return conversation.as_of or ports.clock(engine.workspace.tz)


def understand(question: str, conversation: Conversation, ports: Ports) -> Plan:
    """The question as a follow-up of the conversation, or parsed on its own.

    A TallyError (e.g. "the month before" the calendar's first month) is a refusal.
    """
    try:
        engine = ports.engines.engine(conversation.workspace)
        # Taught words first ("takings" → "revenue"): the rest of the path reads the workspace's sense.
        if ports.synonyms is not None:
            question = apply_synonyms(question, ports.synonyms.synonyms(conversation.workspace))
        vocabulary = ports.vocabularies.get(conversation.workspace)
        ctx = ParseContext(as_of_for(conversation, engine, ports), vocabulary,
                           conversation.user_name)
        last = conversation.last
        followup = resolve_followup(question, last.query if last else None,
                                    last.intent if last else "", ctx)
        return followup if followup is not None else parse(question, ctx)
    except TallyError as exc:
        return Unanswerable((), str(exc))


def answer(question: str, conversation: Conversation, ports: Ports,
           plan: Plan | None = None) -> Reply:
    """Answers one question of a conversation; never raises for what was asked.

    Args:
        question: the words asked.
        conversation: the workspace, as-of day, asker and memory.
        ports: the engines, clock and LLM configuration.
        plan: what the question became, when already understood (the graph routes on it).

    A refusal of the question (a TallyError) is an unanswerable reply; anything else is
    an internal error whose id is in the reply and whose traceback is in the log.
    """
    try:
        plan = plan if plan is not None else understand(question, conversation, ports)
        reply = _run(plan, question, conversation, ports)
        return replace(reply, data={**reply.data, "agent": agent_of(plan)})
    except TallyError as exc:
        return unanswerable_reply(question, (), str(exc), frozenset())
    except Exception:  # the error funnel: the user gets an id, the log the traceback
        error_id = uuid.uuid4().hex[:8]
        logger.exception("error %s answering %r in workspace %s", error_id, question,
                         conversation.workspace)
        message = (f"Sorry, something went wrong on my side (error {error_id}). "
                   "The details are in the log; please try again or rephrase.")
        return Reply(message, data={"question": question, "text": message, "error": "internal",
                                    "error_id": error_id}, ok=False)


def _assumed(plan: Parsed | Resolution) -> tuple[str, ...]:
    """What the parser read past or corrected to reach the plan's query. A follow-up's
    :class:`Resolution` carries it when it has the field (its parse's ``assumed``): a
    sloppy question mid-conversation gets the same "Reading this as" line as a fresh one."""
    found = plan.assumed if isinstance(plan, Parsed) else getattr(plan, "assumed", ())
    return tuple(str(note) for note in found) if isinstance(found, tuple) else ()


def _run(plan: Plan, question: str, conversation: Conversation, ports: Ports) -> Reply:
    engine = ports.engines.engine(conversation.workspace)
    vocabulary = ports.vocabularies.get(conversation.workspace)
    verticals = vocabulary.verticals
    if isinstance(plan, Help):
        if plan.topic == "status":  # "how are we doing?": the digest's snapshot, asked for
            snapshot = build_digest(engine, as_of_for(conversation, engine, ports))
            if snapshot is not None:
                return replace(snapshot, data={**snapshot.data, "question": question})
        return help_reply(verticals, plan.topic, question, vocabulary)
    if isinstance(plan, Unanswerable):
        return unanswerable_reply(question, plan.understood, plan.missing, vocabulary,
                                  plan.choices, plan.unknown)
    as_of = as_of_for(conversation, engine, ports)
    kind: Literal["query", "why", "how"] = plan.kind if isinstance(plan, Resolution) else "query"
    try:
        if kind == "why":
            return why_reply(engine, plan.query, as_of, question)
        if kind == "how":
            return explain(engine, plan.query, as_of)
        result = engine.run(plan.query, as_of)
    except TallyError as exc:
        return unanswerable_reply(question, plan.understood, str(exc), vocabulary)
    reply = compose(result, engine.defs, engine.workspace.currency, question, plan.intent)
    assumed = _assumed(plan)
    if assumed:  # read past or corrected, fresh or mid-conversation: say how it was read
        reply = replace(reply, text=with_reading(reply.text, plan.query, assumed, plan.intent),
                        data={**reply.data, "assumed": list(assumed)})
    data = {"question": question, "text": reply.text,
            **{k: v for k, v in reply.data.items() if k not in ("question", "text")}}
    return replace(reply, data=data)


def unanswerable_reply(text: str, understood: tuple[str, ...], missing: str,
                       verticals: frozenset[str] | Vocabulary, choices: tuple[str, ...] = (),
                       unknown: tuple[str, ...] = ()) -> Reply:
    """What was understood, what was not, and questions that work here. Never a number.

    ``choices`` (readings of the question that work here) become the reply's choices,
    which channels show as buttons or numbered lines; ``unknown`` are the words not
    understood, kept in the data for ``tally unanswered``.
    """
    got = f"I understood {'; '.join(understood)}, but " if understood else ""
    examples = examples_for(verticals)[:3]
    lowered = missing[0].lower() + missing[1:] if missing and not missing.startswith("I ") else missing
    message = f"{got}{lowered if got else missing}"
    message = end_sentence(message) + " I won't guess a number."
    if choices:
        message += " Did you mean one of these?"
    data = {"question": text, "text": message, "error": "unanswerable",
            "understood": list(understood), "examples": examples, "choices": list(choices),
            "unknown": list(unknown)}
    return Reply(text=message, suggestions=tuple(examples), data=data, ok=False,
                 choices=choices)


class Answerer:
    """The offline brain, without conversation memory, as the runtime's ``Responder``.

    Answers run in a worker thread so the event loop keeps acknowledging platforms.
    """

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        """Answers one message (``conversation`` is unused: no memory here)."""
        asked = Conversation(workspace, user_name=user_name)
        return await asyncio.to_thread(answer, text, asked, self.ports)
