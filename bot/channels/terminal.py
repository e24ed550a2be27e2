"""The terminal as a channel: ``tally ask`` and ``tally chat`` go through the pipeline.

A terminal message is an :class:`~bot.channels.base.InboundMessage` like any other, so
every chat command works there exactly as in the playground or Slack ("subscribe daily
digest at 8:00", "alert me when daily revenue drops below 1000", "record Sharpie"), and
questions reach the brain through the same route step.

Who the terminal is: the operator. Its chat is bound to the chosen workspace (a binding
of the ``terminal`` platform for that workspace, made once, by ``cli``) and its messages
act with the owner role, as the CLI does everywhere else. No rate limit applies.

Where proactive messages go: a subscription or alert rule made from the terminal is
delivered to the terminal's outbox (``TALLY_DATA_DIR/terminal/outbox.jsonl``) by
``tally serve``'s scheduler, and ``tally chat`` prints what arrived for its workspace
when it opens (then forgets it). ``tally ask`` never prints the outbox, so its output
stays exactly one answer.

The terminal of a workspace is one chat (``terminal`` in the workspace's space): what
``tally chat`` subscribes to or sets alerts in, ``tally ask "list my alerts"`` lists.
The brain's memory keeps the terminal's conversation names as they always were
(``terminal:ask`` for ``tally ask``, ``terminal`` for ``tally chat``, one per ``--batch``
run; :class:`bot.cli.terminal.TerminalResponder`), so follow-ups work as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.pipeline import Pipeline
from storage.access import Role

logger = logging.getLogger(__name__)

PLATFORM = "terminal"
ACTOR = "cli"
#: The chat id of a workspace's terminal (its space is the workspace).
CHAT = "terminal"


class TerminalOutbox:
    """Proactive messages for the terminal, kept until the next ``tally chat`` shows them."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "terminal" / "outbox.jsonl"

    def put(self, ref: ConversationRef, reply: Reply) -> None:
        """Appends one message for the workspace the terminal conversation is bound to."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"workspace": ref.space_id, "text": reply.as_text(),
                           "chart": reply.chart}, ensure_ascii=False)
        with self._locked("a") as out:
            out.write(line + "\n")

    def take(self, workspace: str) -> list[dict[str, Any]]:
        """The messages waiting for ``workspace``, removed from the outbox."""
        if not self.path.exists():
            return []
        with self._locked("r+") as box:
            entries = [json.loads(line) for line in box if line.strip()]
            mine = [e for e in entries if e.get("workspace") == workspace]
            box.seek(0)
            box.truncate()
            box.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in entries
                           if e.get("workspace") != workspace)
        return mine

    @contextlib.contextmanager
    def _locked(self, mode: str) -> Iterator[Any]:
        with self.path.open(mode, encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # the scheduler and a tally chat may meet here
            yield handle


class TerminalChannel:
    """The operator's terminal, bound to one workspace.

    Args:
        pipeline: the pipeline (with the chat commands) the terminal's messages go through.
        workspace: the workspace the terminal's chat is bound to.
        outbox: where proactive messages for the terminal wait.
    """

    platform = PLATFORM

    def __init__(self, pipeline: Pipeline, workspace: str, outbox: TerminalOutbox) -> None:
        self.pipeline = pipeline
        self.workspace = workspace
        self.outbox = outbox

    @property
    def ref(self) -> ConversationRef:
        """The terminal's chat on this workspace."""
        return ConversationRef(PLATFORM, CHAT, space_id=self.workspace)

    def bind(self) -> None:
        """Binds the terminal's chat to the workspace as its owner, unless it already is."""
        found = self.pipeline.binding_for(self.ref)
        if found is None or found.workspace != self.workspace or found.role is not Role.OWNER:
            self.pipeline.bind(PLATFORM, self.workspace, self.workspace, ACTOR, role=Role.OWNER)

    async def ask(self, text: str) -> Reply:
        """One message through the pipeline, as the operator; the reply to print."""
        message = InboundMessage(self.ref, text, user_id=ACTOR, user_name=None,
                                 role=Role.OWNER.value)
        reply = await self.pipeline.handle(message)
        assert reply is not None  # terminal messages carry no event id: never a duplicate
        return reply  # the answer id is the reply's own field: the output stays the answer's

    # --- the Channel protocol (proactive messages) ----------------------------------------
    async def start(self) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def open_outbound(self) -> None:
        """The outbox is a file: always ready."""

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        """Keeps a proactive message for the next ``tally chat`` on its workspace."""
        self.outbox.put(ref, reply)
        return SendResult(True)

    def routes(self) -> Sequence[Any]:
        """The terminal serves nothing over HTTP."""
        return []

