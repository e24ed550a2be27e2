"""The terminal's answers: one line, a batch of lines, a chat, and how they are printed.

The CLI sends every line through the pipeline as the terminal channel
(:class:`bot.cli.terminal.TerminalSession`, passed in as an ``asker``), so chat commands
work as on every other surface; questions reach the brain through :func:`answer_one`,
whose replies (and ``--json`` objects) are what ``tally ask`` always printed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from rich.console import Console

from agents.answer import unanswerable_reply
from agents.graph import TallyGraph
from agents.reply import Reply
from bot.brain_ports import AppEngines
from storage.catalog import AsOf
from storage.errors import TallyError

logger = logging.getLogger(__name__)


def reply_json(reply: Reply) -> str:
    """The reply's JSON object; a chat command's data gets its text too (answers have it)."""
    data = reply.data if "text" in reply.data else {"text": reply.text, **reply.data}
    return json.dumps(data, ensure_ascii=False, default=str)


MAX_LINE_BYTES = 100_000  # a question, not a file: longer lines are reported, not read whole
#: How far past a too-long line the batch looks for the next line break before it stops.
MAX_SKIP_BYTES = 64 * 2**20


def answer_one(graph: TallyGraph, workspace: str, question: str, conversation: str,
               as_of: AsOf | None, *, chart: bool = True) -> Reply:
    """One question through the graph (with its chart); never raises for what was asked.

    A refusal of the question (a TallyError) is an unanswerable reply; anything else
    is an internal error whose id is in the reply and whose traceback is in the log.
    """
    try:
        reply = graph.ask(workspace, question, conversation, as_of)
        return with_chart(reply, graph, workspace) if chart else reply
    except TallyError as exc:
        return unanswerable_reply(question, (), str(exc), frozenset())
    except Exception:  # the error funnel: the asker gets an id, the log the traceback
        error_id = uuid.uuid4().hex[:8]
        logger.exception("error %s answering %r in workspace %s", error_id, question, workspace)
        text = (f"Sorry, something went wrong on my side (error {error_id}); the details are "
                "in the log. Please try again or rephrase.")
        return Reply(text, data={"question": question, "text": text, "error": "internal",
                                 "error_id": error_id}, ok=False)


#: One line of a conversation → its reply (the terminal session's ``ask``).
Asker = Callable[[str, str], Reply]


def answer_batch(graph: TallyGraph, workspace: str, source: IO[bytes], as_of: AsOf | None,
                 out: IO[str], *, asker: Asker | None = None) -> int:
    """One JSON object per question line (JSON Lines); returns how many lines failed.

    Each line is answered on its own: one that is unanswerable, not UTF-8, too long or
    hits an error gets its own JSON object (``"error"``, and ``"line"`` for lines that
    could not be read) and the batch goes on. Blank lines are skipped. Each line is a
    conversation of its own, so no line's metric, breakdown or filter reaches the next (a
    follow-up such as "and the month before?" has nothing to follow). ``asker`` answers a
    line (the terminal session, so commands work too); by default the graph alone.
    """
    ask = asker or (lambda question, conversation: answer_one(graph, workspace, question,
                                                              conversation, as_of))
    failed, number = 0, 0
    batch = f"batch:{uuid.uuid4().hex}"
    try:
        for number, raw in enumerate(_lines(source), start=1):
            failed += _answer_line(ask, f"{batch}:{number}", number, raw, out)
    except _NoLineEnd:
        _write(out, _line_error(number, "no_line_break", b"", (
            f"no line break within {MAX_SKIP_BYTES // 2**20} MiB after line {number}: this is "
            "not a text file of questions, one a line; the batch stopped here")))
        failed += 1
    return failed


def _answer_line(ask: Asker, conversation: str, number: int, raw: bytes | None,
                 out: IO[str]) -> int:
    """Answers one line and writes its JSON object; 1 when the line failed, else 0."""
    if raw is None:
        data = _line_error(number, "too_long", b"", f"line {number} is longer than "
                           f"{MAX_LINE_BYTES:,} bytes; ask one question per line")
    else:
        try:
            question = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            data = _line_error(number, "invalid_utf8", raw, f"line {number} is not UTF-8 "
                               f"text (byte {raw[exc.start]:#04x} at column {exc.start + 1}); "
                               "save the file as UTF-8")
        else:
            if not question:
                return 0
            reply = ask(question, conversation)
            # A chat command's data (a rule, a list) gets the line and the reply's text.
            data = (reply.data if "text" in reply.data
                    else {"question": question, "text": reply.text, **reply.data})
            data = data if reply.ok or "error" in data else {**data, "error": "unanswerable"}
    _write(out, data)
    return int("error" in data)


def _write(out: IO[str], data: dict[str, Any]) -> None:
    out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    out.flush()


class _NoLineEnd(Exception):
    """No line break within MAX_SKIP_BYTES of a too-long line: not a file of questions."""


def _lines(source: IO[bytes]) -> Iterator[bytes | None]:
    """The file's lines without their line break, None for a line over MAX_LINE_BYTES.

    A too-long line is reported (None) as soon as the limit is passed, then read past in
    chunks (so it never sits in memory) up to the next line break; with none within
    MAX_SKIP_BYTES (``/dev/zero``, a binary file) :class:`_NoLineEnd` stops the batch.
    """
    while chunk := source.readline(MAX_LINE_BYTES + 1):
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            yield None
            skipped = len(chunk)
            while (rest := source.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                skipped += len(rest)
                if skipped > MAX_SKIP_BYTES:
                    raise _NoLineEnd
            continue
        yield chunk.rstrip(b"\r\n")


def _line_error(number: int, code: str, raw: bytes, text: str) -> dict[str, Any]:
    said = raw[:200].decode("utf-8", errors="replace")
    return {"line": number, "error": code, "text": text, "question": said}


def chat(graph: TallyGraph, workspace: str, as_of: AsOf | None, console: Console,
         history: Path, conversation: str = "terminal", *, asker: Asker | None = None,
         waiting: Sequence[str] = ()) -> None:
    """An interactive chat with readline history; `exit` or Ctrl-D leaves.

    ``asker`` answers a line (the terminal session: commands work); ``waiting`` are the
    proactive messages that arrived for the terminal since the last chat, shown first.
    """
    try:
        import readline

        history.parent.mkdir(parents=True, exist_ok=True)
        if history.exists():
            readline.read_history_file(history)
    except (ImportError, OSError):  # pragma: no cover - readline is missing on some platforms
        readline = None  # type: ignore[assignment]
    console.print(f"[bold]Tally[/bold] · workspace [bold]{workspace}[/bold] · "
                  "ask about your numbers, 'help' for examples, 'exit' to leave.", highlight=False)
    for message in waiting:
        console.print(f"[bold cyan]tally (while you were away) ›[/bold cyan] "
                      f"{_markup_safe(message)}\n", highlight=False)
    while True:
        try:
            question = input("you › ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if question.lower() in ("exit", "quit", ":q"):
            break
        if not question:
            continue
        reply = (asker(question, conversation) if asker is not None
                 else answer_one(graph, workspace, question, conversation, as_of, chart=False))
        console.print(f"[bold cyan]tally ›[/bold cyan] {_markup_safe(shown(reply))}\n",
                      highlight=False)
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)


def shown(reply: Reply) -> str:
    """The reply as the terminal prints it: its numbered choices say how to pick one."""
    text = reply.as_text()
    if reply.choices:  # the next line "2" (or "the second one") is read from the conversation's memory
        text += "\n\nReply with a choice's number to ask it."
    return text


def _markup_safe(text: str) -> str:
    return text.replace("[", r"\[")


def with_chart(reply: Reply, graph: TallyGraph, workspace: str) -> Reply:
    """Adds a chart (PNG under the data directory) to answers that are a series or a breakdown."""
    if not reply.data.get("rows") or len(reply.data["rows"]) < 2:
        return reply
    from bot.charts import attach_chart  # matplotlib only when there is something to draw

    engines = graph.ports.engines
    if not isinstance(engines, AppEngines):  # a graph not built by make_graph: no data folder
        return reply
    return attach_chart(reply, engines.app.settings.data_dir / "charts",
                        engines.engine(workspace).workspace.currency)


def print_reply(reply: Reply, as_json: bool, console: Console) -> None:
    if as_json:
        sys.stdout.write(reply_json(reply) + "\n")
    else:
        console.print(_markup_safe(shown(reply)), highlight=False)

