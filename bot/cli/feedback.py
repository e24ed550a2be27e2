"""``tally feedback export``: the answers people rated (👍/👎), to turn wrong answers into
test cases."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click
import sqlalchemy as sa

from bot.app import App
from bot.cli.common import user_errors
from bot.settings import Settings
from storage.state import AnswerRow, FeedbackRow

EXPORT_COLUMNS = ("answer_id", "time", "workspace", "platform", "user", "score", "question",
                  "query", "answer")


@click.group("feedback")
def feedback() -> None:
    """Answers people rated (👍/👎), to turn wrong answers into test cases."""


@feedback.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of standard output.")
@click.option("--workspace", "-w", default=None, help="Only this workspace's answers.")
@user_errors
def feedback_export(fmt: str, output: Path | None, workspace: str | None) -> None:
    """Export rated answers: question, parsed query (JSON), answer, score, user, time."""
    app = App(Settings())
    try:
        if output is None:
            count = export_feedback(app, sys.stdout, fmt, workspace)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = export_feedback(app, out, fmt, workspace)
            click.echo(f"Exported {count} rated answers to {output}.", err=True)
    finally:
        app.close()


def feedback_rows(app: App, workspace: str | None = None) -> Iterator[dict[str, Any]]:
    """Every vote joined with its answer, oldest first."""
    query = (sa.select(FeedbackRow, AnswerRow).join(AnswerRow, AnswerRow.id == FeedbackRow.answer_id)
             .order_by(FeedbackRow.created_at, FeedbackRow.answer_id, FeedbackRow.user_id))
    if workspace:
        query = query.where(AnswerRow.workspace == workspace)
    with app.state.session() as session:
        for vote, answer in session.execute(query):
            yield {"answer_id": answer.id, "time": vote.created_at.isoformat(timespec="seconds"),
                   "workspace": answer.workspace, "platform": answer.platform, "user": vote.user_id,
                   "score": vote.score, "question": answer.question,
                   "query": _parsed(answer.query), "answer": answer.answer}


def export_feedback(app: App, out: TextIO, fmt: str = "csv", workspace: str | None = None) -> int:
    """Writes :func:`feedback_rows` as CSV (``query`` as a JSON string) or JSON Lines.

    Returns:
        How many votes were written.
    """
    count = 0
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for row in feedback_rows(app, workspace):
        if writer is not None:
            writer.writerow({**row, "query": json.dumps(row["query"], sort_keys=True, default=str)})
        else:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        count += 1
    return count


def _parsed(query: str | None) -> Any:
    if not query:
        return None
    try:
        return json.loads(query)
    except ValueError:
        return query
