"""``tally unanswered --workspace W [--limit N]``: what people asked that Tally could not answer.

The refused questions (recorded answers whose data says ``unanswerable``) and the
answers rated 👎, grouped by the words Tally did not understand, most frequent first,
with counts and example questions: the words an admin should teach ("when we say
takings we mean revenue"). A refusal's own ``unknown`` words are used when it recorded
some; otherwise (none recorded, or an empty list) the question is read again as the
workspace is now (data, vocabulary and taught words). Either way a word taught since no
longer shows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import click
import sqlalchemy as sa
from rich.table import Table

from agents.parser import ParseContext
from agents.teach import unknown_words
from bot.app import App
from bot.cli.common import console, make_app, user_errors
from storage.state import AnswerRow, FeedbackRow
from storage.synonyms import SynonymStore

NONE = "(no unknown word)"
EXAMPLES = 2


@dataclass(frozen=True)
class Asked:
    """One recorded question that went wrong: refused, rated 👎, or both."""

    question: str
    refused: bool
    disliked: bool
    unknown: tuple[str, ...] | None  # as recorded; None: not recorded


@dataclass
class WordCount:
    """How often a word was not understood, and where."""

    word: str
    times: int = 0
    refused: int = 0
    disliked: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, asked: Asked) -> None:
        self.times += 1
        self.refused += asked.refused
        self.disliked += asked.disliked
        if asked.question not in self.examples and len(self.examples) < EXAMPLES:
            self.examples.append(asked.question)


@click.command("unanswered")
@click.option("--workspace", "-w", required=True, help="The workspace whose questions to read.")
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="Show at most this many words.")
@user_errors
def unanswered_command(workspace: str, limit: int) -> None:
    """Refused and 👎 questions by the words Tally did not understand, most frequent first."""
    app = make_app()
    try:
        app.workspaces.get(workspace)  # an unknown workspace: one line, exit 1
        counts = unanswered(app, workspace)
    finally:
        app.close()
    if not counts:
        console.print(f"No refused or 👎 questions on {workspace} yet.", highlight=False)
        return
    console.print(_table(workspace, counts[:limit], len(counts)))


def unanswered(app: App, workspace: str) -> list[WordCount]:
    """The words not understood in the workspace's refused and 👎 questions, most frequent first."""
    asked = list(_asked(app, workspace))
    if not asked:
        return []
    ctx, taught = _reading(app, workspace), SynonymStore(app.state).synonyms(workspace)
    counts: dict[str, WordCount] = {}
    for one in asked:
        # An empty recorded list is no answer: refusals like "'mexcio' is not a country in
        # your data; did you mean MX?" record none, so the question is read again.
        words = one.unknown or unknown_words(one.question, ctx, taught)
        words = tuple(w for w in words if w not in taught)  # taught since: nothing left to teach
        for word in words or (NONE,):
            counts.setdefault(word, WordCount(word)).add(one)
    order = Counter({word: c.times for word, c in counts.items()})
    return [counts[word] for word, _ in sorted(order.items(), key=lambda kv: (-kv[1], kv[0] == NONE,
                                                                                kv[0]))]


def _asked(app: App, workspace: str) -> Iterator[Asked]:
    """Each refused or 👎 answer once (a refusal rated 👎 is both)."""
    disliked = (sa.select(FeedbackRow.answer_id).where(FeedbackRow.score < 0)).scalar_subquery()
    query = (sa.select(AnswerRow.question, AnswerRow.query, AnswerRow.id.in_(disliked))
             .where(AnswerRow.workspace == workspace).order_by(AnswerRow.created_at.desc()))
    with app.state.session() as s:
        rows = s.execute(query).all()
    for question, raw, was_disliked in rows:
        data = _data(raw)
        refused = data.get("error") == "unanswerable" or data.get("ok") is False
        if refused or was_disliked:
            recorded = data.get("unknown")
            unknown = tuple(str(w).lower() for w in recorded) if isinstance(recorded, list) else None
            yield Asked(str(data.get("question") or question), refused, bool(was_disliked), unknown)


def _data(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:  # an answer recorded before its data was JSON
        return {}
    return data if isinstance(data, dict) else {}


def _reading(app: App, workspace: str) -> ParseContext:
    from bot.brain_ports import brain_ports  # the brain only for this command (start-up time)

    ports = brain_ports(app)
    engine = ports.engines.engine(workspace)
    return ParseContext(ports.clock(engine.workspace.tz), ports.vocabularies.get(workspace))


def _table(workspace: str, counts: list[WordCount], total: int) -> Table:
    more = f" (the first {len(counts)} of {total})" if total > len(counts) else ""
    table = Table(title=f"Words Tally did not understand on {workspace}{more}",
                  caption='Teach one in chat: "when we say WORD we mean revenue"')
    for column, justify in (("word", "left"), ("times", "right"), ("refused", "right"),
                            ("👎", "right"), ("example questions", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for count in counts:
        table.add_row(count.word, str(count.times), str(count.refused), str(count.disliked),
                      "\n".join(count.examples))
    return table
