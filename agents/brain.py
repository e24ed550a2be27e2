"""The offline brain: a question in, a reply out, with the exact numbers of the catalog.

``Brain.ask`` parses the message with the deterministic parser, runs the catalog
query and phrases the result. Questions it cannot answer get an honest reply with
what was understood, what was not, and examples that work on this workspace.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from agents.answer import compose
from agents.help import examples_for, help_reply
from agents.parser import Help, ParseContext, Parsed, Unanswerable, Vocabulary, parse
from agents.reply import Reply
from bot.app import App
from storage.catalog import AsOf, Engine
from storage.errors import QueryError, TallyError

logger = logging.getLogger(__name__)

AGENT_OF_VERTICAL = {"shop": "analytics", "saas": "analytics", "betting": "analytics",
                     "marketing": "marketing", "ops": "commerce_ops"}
MARKETING_METRICS = frozenset({
    "ad_spend", "impressions", "clicks", "conversions", "conversion_value", "ctr", "cpc", "cpm",
    "cpa", "roas", "blended_roas", "cac", "sessions", "users", "web_conversions", "web_revenue",
    "conversion_rate"})
OPS_METRICS = frozenset({
    "on_hand", "avg_daily_units", "days_of_stock", "lead_time_days", "safety_stock",
    "reorder_point", "stockout_risk", "open_po_units", "sell_through", "gross_margin"})
VOCABULARY_DIMENSIONS = ("country", "sales_channel", "source", "product", "sku", "category",
                         "plan", "segment", "channel", "campaign", "medium", "location",
                         "supplier", "bettor", "sport", "league", "market")
TABLE_VERTICALS = {"orders": "shop", "subscription_mrr": "saas", "ad_performance_daily": "marketing",
                   "web_traffic_daily": "marketing", "inventory_levels": "ops", "bets": "betting"}


def workspace_verticals(engine: Engine) -> frozenset[str]:
    """The verticals a workspace has data for (shop, saas, marketing, ops, betting)."""
    counts = engine.warehouse.row_counts()
    return frozenset(v for table, v in TABLE_VERTICALS.items() if counts.get(table))


def agent_for(metrics: tuple[str, ...]) -> str:
    """Which agent owns a question, by its first metric."""
    if metrics and metrics[0] in MARKETING_METRICS:
        return "marketing"
    if metrics and metrics[0] in OPS_METRICS:
        return "commerce_ops"
    return "analytics"


@dataclass(frozen=True)
class _CachedVocabulary:
    version: str
    vocabulary: Vocabulary


class Brain:
    """Answers questions about a workspace without any LLM.

    Args:
        app: the wired application (workspaces, engines).
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self._vocabularies: dict[str, _CachedVocabulary] = {}
        self._lock = threading.Lock()

    def vocabulary(self, workspace: str) -> Vocabulary:
        """Entity values of the workspace's own data, rebuilt when its data changes.

        Kept in memory and in a JSON file beside the warehouse, so a cold ``tally ask``
        does not scan the tables for their distinct values again.
        """
        engine = self.app.engine(workspace)
        version = engine.warehouse.load_version()
        with self._lock:
            cached = self._vocabularies.get(workspace)
            if cached and cached.version == version:
                return cached.vocabulary
        path = self.app.workspaces.path(workspace).with_suffix(".vocabulary.json")
        vocabulary = _read_vocabulary(path, version)
        if vocabulary is None:
            vocabulary = build_vocabulary(engine)
            _write_vocabulary(path, version, vocabulary)
        with self._lock:
            self._vocabularies[workspace] = _CachedVocabulary(version, vocabulary)
        return vocabulary

    def ask(self, workspace: str, text: str, as_of: AsOf | None = None,
            user_name: str | None = None) -> Reply:
        """Answers one message.

        Raises:
            WorkspaceError: the workspace does not exist.
        """
        engine = self.app.engine(workspace)
        as_of = as_of or AsOf.now(engine.workspace.tz)
        try:
            return self._ask(engine, workspace, text, as_of, user_name)
        except TallyError as exc:
            return unanswerable_reply(text, (), str(exc), frozenset())
        except Exception:  # the error funnel: the user gets an id, the log the traceback
            error_id = uuid.uuid4().hex[:8]
            logger.exception("error %s answering %r in workspace %s", error_id, text, workspace)
            message = (f"Sorry, something went wrong on my side (error {error_id}). "
                       "The details are in the log; please try again or rephrase.")
            return Reply(message, data={"question": text, "text": message, "error": "internal",
                                        "error_id": error_id}, ok=False)

    def _ask(self, engine: Engine, workspace: str, text: str, as_of: AsOf,
             user_name: str | None) -> Reply:
        vocabulary = self.vocabulary(workspace)
        outcome = parse(text, ParseContext(as_of=as_of, vocabulary=vocabulary, user_name=user_name))
        if isinstance(outcome, Help):
            return help_reply(vocabulary.verticals, outcome.topic, text)
        if isinstance(outcome, Unanswerable):
            return unanswerable_reply(text, outcome.understood, outcome.missing,
                                      vocabulary.verticals)
        return self._answer(engine, text, outcome, as_of)

    def _answer(self, engine: Engine, text: str, parsed: Parsed, as_of: AsOf) -> Reply:
        try:
            result = engine.run(parsed.query, as_of)
        except QueryError as exc:
            return unanswerable_reply(text, parsed.understood, str(exc),
                                      self.vocabulary(engine.workspace.name).verticals)
        reply = compose(result, engine.defs, engine.workspace.currency, text, parsed.intent)
        data = {"question": text, "text": reply.text, "agent": agent_for(parsed.query.metrics),
                **{k: v for k, v in reply.data.items() if k != "question"}}
        return Reply(reply.text, reply.table, reply.chart, reply.suggestions, data)


def _read_vocabulary(path: Path, version: str) -> Vocabulary | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if raw.get("version") != version:
        return None
    return Vocabulary(values=raw["values"], verticals=frozenset(raw["verticals"]),
                      aliases=raw["aliases"])


def _write_vocabulary(path: Path, version: str, vocabulary: Vocabulary) -> None:
    payload = {"version": version, "values": dict(vocabulary.values),
               "verticals": sorted(vocabulary.verticals), "aliases": dict(vocabulary.aliases)}
    try:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a file
    except OSError:
        logger.warning("could not cache the vocabulary at %s", path)


def build_vocabulary(engine: Engine) -> Vocabulary:
    """Dimension values, verticals with data, and aliases (SKU → product title)."""
    values = {dim: engine.dimension_values(dim) for dim in VOCABULARY_DIMENSIONS}
    verticals = workspace_verticals(engine)
    skus = engine.warehouse.fetch("SELECT sku, title FROM products WHERE sku IS NOT NULL")
    aliases = {"product": {sku: title for sku, title in skus if title}}
    return Vocabulary(values=values, verticals=verticals, aliases=aliases)


def unanswerable_reply(text: str, understood: tuple[str, ...], missing: str,
                       verticals: frozenset[str]) -> Reply:
    """What was understood, what was not, and questions that work here. Never a number."""
    got = f"I understood {'; '.join(understood)}, but " if understood else ""
    examples = examples_for(verticals)[:3]
    lowered = missing[0].lower() + missing[1:] if missing and not missing.startswith("I ") else missing
    message = f"{got}{lowered if got else missing}"
    message = message.rstrip(".") + ". I won't guess a number."
    data = {"question": text, "text": message, "error": "unanswerable",
            "understood": list(understood), "examples": examples}
    return Reply(text=message, suggestions=tuple(examples), data=data, ok=False)


class BrainResponder:
    """The offline brain behind the runtime's :class:`~bot.channels.base.Responder` protocol.

    Answers run in a worker thread so the event loop keeps acknowledging platforms.
    """

    def __init__(self, brain: Brain) -> None:
        self.brain = brain

    async def respond(self, *, workspace: str, conversation: str, text: str,
                      user_name: str | None = None) -> Reply:
        """Answers one message (``conversation`` is unused: the parser has no memory)."""
        import asyncio

        return await asyncio.to_thread(self.brain.ask, workspace, text, None, user_name)
