"""Teach Tally (a handler set): a workspace's own words, taught in chat by its admins.

"when we say takings we mean revenue", "'wh1' is the Sao Paulo Store" (``teach``);
"list synonyms", "what have you learned" (``synonyms``); "forget takings" (``forget``).
A meaning is stored only once the brain reads it as a metric, a value of the
workspace's data or a period (:func:`agents.teach.read_meaning`); from then on every
question of the workspace is read with it (:mod:`storage.synonyms`, audited).

Anyone in a bound chat lists the words; teaching and forgetting need an admin of the
workspace (the role the pipeline gave the message, :mod:`storage.access`).
"""

from __future__ import annotations

import asyncio
import re
from functools import cached_property
from typing import TYPE_CHECKING

from agents.answer import Ports
from agents.parser import ParseContext
from agents.reply import Reply, TableData
from agents.teach import Meaning, read_meaning
from bot.channels.base import InboundMessage
from bot.commands import CommandHandler, HandlerSet
from storage.access import AccessDenied, Action, require, role_named
from storage.synonyms import Synonym, SynonymError, SynonymStore, normal_phrase

if TYPE_CHECKING:
    from bot.app import App

TEACH_COMMANDS = ("teach", "synonyms", "forget")
HOW_TO = ("Teach me your words like this: \"when we say takings we mean revenue\", "
          "\"'wh1' is the Sao Paulo Store\"; \"list synonyms\" shows them, \"forget takings\" "
          "removes one.")
_Q = "'\"‘’“”`"
_WHEN = re.compile(r"^(?:please\s+)?(?:when(?:ever)?|if)\s+(?:we|i|people)\s+(?:say|write|type)\s+"
                   r"(?P<phrase>.+?)\s*,?\s+(?:we|i|they)\s+(?:mean|are\s+talking\s+about)\s+(?P<meaning>.+?)"
                   r"\s*[.!]?$", re.IGNORECASE)
_QUOTED = re.compile(rf"^(?:teach(?:\s+tally)?:?\s+)?[{_Q}](?P<phrase>[^{_Q}]+)[{_Q}]\s+"
                     r"(?:is|means|=|stands\s+for|is\s+short\s+for)\s+(?P<meaning>.+?)\s*[.!]?$",
                     re.IGNORECASE)
_BODY = re.compile(r"^(?P<phrase>[^=]+?)\s+(?:=|is|means|stands\s+for)\s+(?P<meaning>.+?)\s*[.!]?$",
                   re.IGNORECASE)
_LIST = re.compile(r"^(?:please\s+)?(?:(?:list|show|see)(?:\s+me)?\s+(?:the\s+|all\s+|our\s+|my\s+)*"
                   r"(?:synonyms|taught\s+words|words\s+you\s+(?:know|learned|learnt))"
                   r"|what\s+(?:have|did)\s+you\s+(?:learned|learnt|learn)(?:\s+(?:here|so\s+far))?"
                   r"|synonyms)\s*[?.!]?$", re.IGNORECASE)
_FORGET = re.compile(r"^(?:please\s+)?(?:forget|unlearn|(?:remove|delete)\s+(?:the\s+)?synonym)\s+"
                     r"(?:the\s+word\s+|about\s+)?(?P<phrase>.+?)\s*[.!]?$", re.IGNORECASE)


def teach_command_for_text(text: str) -> str | None:
    """The command a typed message means ("teach", "synonyms", "forget"), or None."""
    said = " ".join(text.split())
    if _LIST.match(said):
        return "synonyms"
    if _FORGET.match(said):
        return "forget"
    if _WHEN.match(said) or _QUOTED.match(said):
        return "teach"
    return None


def teaching(text: str, explicit: bool) -> tuple[str, str] | None:
    """``(phrase, meaning)`` of a teaching message; ``explicit`` (``/teach``) also reads "X = Y"."""
    said = " ".join(text.split())
    found = _WHEN.match(said) or _QUOTED.match(said) or (_BODY.match(said) if explicit else None)
    if found is None:
        return None
    return found.group("phrase").strip(_Q + " "), found.group("meaning").strip()


class TeachCommands:
    """The handlers, over the app's state (the synonyms) and the brain's ports (the check).

    Args:
        app: the opened app.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.store = SynonymStore(app.state)

    @cached_property
    def ports(self) -> Ports:
        from bot.brain_ports import brain_ports  # the brain's wiring, once a word is taught

        return brain_ports(self.app)

    async def teach(self, message: InboundMessage, workspace: str) -> Reply:
        """"when we say takings we mean revenue": checked, stored, audited (admins only)."""
        return await asyncio.to_thread(self._teach, message, workspace)

    async def synonyms(self, message: InboundMessage, workspace: str) -> Reply:
        """The workspace's taught words, alphabetically."""
        return await asyncio.to_thread(self._list, workspace)

    async def forget(self, message: InboundMessage, workspace: str) -> Reply:
        """"forget takings" (admins only)."""
        return await asyncio.to_thread(self._forget, message, workspace)

    def _teach(self, message: InboundMessage, workspace: str) -> Reply:
        asked = teaching(message.text, explicit=message.command == "teach" and
                         teach_command_for_text(message.text) is None)
        if asked is None:
            return Reply(HOW_TO, ok=False)
        try:
            require(role_named(message.role), Action.TEACH, workspace)
        except AccessDenied as exc:
            return Reply(f"Only an admin can teach me words here. {exc}", ok=False)
        phrase, said = asked
        ctx = self._context(workspace)
        meaning = read_meaning(said, ctx)
        if meaning is None:
            return Reply(f"I can't learn that: I don't know “{said}” as a metric, a value in "
                         f"{workspace}'s data or a period, so I stored nothing. {HOW_TO}", ok=False)
        if normal_phrase(phrase) == normal_phrase(meaning.text):
            return Reply(f"“{phrase}” already means {meaning.reading}: nothing to learn.", ok=False)
        try:
            before = self.store.teach(workspace, Synonym(phrase, meaning.text, meaning.kind),
                                      actor=f"{message.ref.platform}:{message.user_id}")
        except SynonymError as exc:
            return Reply(str(exc), ok=False)
        return Reply(_learned(normal_phrase(phrase), meaning, before, read_meaning(phrase, ctx)))

    def _list(self, workspace: str) -> Reply:
        found = self.store.list(workspace)
        if not found:
            return Reply(f"No words have been taught on {workspace} yet. {HOW_TO}")
        table = TableData(("word", "means", "kind"),
                          tuple((s.phrase, s.meaning, s.kind) for s in found))
        return Reply(f"Words taught on {workspace} ({len(found)}):", table=table,
                     data={"synonyms": [s.as_json() for s in found]})

    def _forget(self, message: InboundMessage, workspace: str) -> Reply:
        match = _FORGET.match(" ".join(message.text.split()))
        phrase = (match.group("phrase") if match else message.text).strip(_Q + " ")
        if not phrase:
            return Reply("Which word? Say \"forget takings\"; \"list synonyms\" shows them.", ok=False)
        try:
            require(role_named(message.role), Action.TEACH, workspace)
        except AccessDenied as exc:
            return Reply(f"Only an admin can make me forget words here. {exc}", ok=False)
        gone = self.store.forget(workspace, phrase, actor=f"{message.ref.platform}:{message.user_id}")
        if gone is None:
            return Reply(f"I haven't been taught “{phrase}” here; \"list synonyms\" shows what I "
                         "have.", ok=False)
        return Reply(f"Forgotten: “{gone.phrase}” no longer means {gone.meaning}.")

    def _context(self, workspace: str) -> ParseContext:
        engine = self.ports.engines.engine(workspace)
        return ParseContext(self.ports.clock(engine.workspace.tz),
                            self.ports.vocabularies.get(workspace))


def _learned(phrase: str, meaning: Meaning, before: Synonym | None, was: Meaning | None) -> str:
    what = {"metric": "the metric", "value": "the value", "period": "the period"}[meaning.kind]
    text = f"Got it: on this workspace “{phrase}” means {meaning.text} ({what} {meaning.reading})."
    if before is not None:
        text += f" It meant {before.meaning} before."
    elif was is not None and was.reading != meaning.reading:
        text += f" (Until now I read it as {was.reading}.)"
    return text + f" Say \"forget {phrase}\" to undo."


def teach_handlers(app: App) -> HandlerSet:
    """``teach``, ``synonyms`` and ``forget``, typed or slash."""
    commands = TeachCommands(app)
    handlers: dict[str, CommandHandler] = {
        "teach": commands.teach, "synonyms": commands.synonyms, "forget": commands.forget}
    return HandlerSet("teach", handlers, teach_command_for_text)
