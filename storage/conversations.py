"""What was said in chats: the answers given, the platform messages they were posted as,
and the 👍/👎 feedback on them.

The pipeline records every answer of the brain here (:func:`record_answer`), the
channels point reactions back at an answer through its platform message ids
(:func:`record_sent`, :func:`answer_for_message`), and :func:`record_feedback` keeps
one vote per user and answer.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from storage.state import AnswerRow, FeedbackRow
from storage.state_store import StateStore


def record_answer(state: StateStore, *, platform: str, conversation: str, workspace: str,
                  user_id: str | None, question: str, data: dict[str, Any], answer: str) -> str:
    """Stores an answer (its question, its data as JSON, its text); returns its new id."""
    answer_id = uuid.uuid4().hex[:16]
    with state.session() as s, s.begin():
        s.add(AnswerRow(id=answer_id, platform=platform, conversation=conversation,
                        workspace=workspace, user_id=user_id, question=question,
                        query=json.dumps(data, default=str), answer=answer))
    return answer_id


def record_sent(state: StateStore, answer_id: str, message_ids: tuple[str, ...]) -> None:
    """Remembers the platform ids of an answer's messages (reactions point at them)."""
    with state.session() as s, s.begin():
        row = s.get(AnswerRow, answer_id)
        if row is not None:
            row.message_ids = json.dumps(list(message_ids))


def answer_for_message(state: StateStore, platform: str, message_id: str) -> str | None:
    """The answer a platform message belongs to (for reaction feedback)."""
    pattern = f'%"{message_id}"%'
    with state.session() as s:
        return s.scalar(sa.select(AnswerRow.id).where(
            AnswerRow.platform == platform, AnswerRow.message_ids.like(pattern)))


def record_feedback(state: StateStore, answer_id: str, user_id: str, score: int) -> bool:
    """Stores 👍 (+1) or 👎 (−1); a second vote by the same user replaces the first.

    Returns:
        False when there is no such answer.
    """
    with state.session() as s, s.begin():
        if s.get(AnswerRow, answer_id) is None:
            return False
        s.merge(FeedbackRow(answer_id=answer_id, user_id=user_id, score=1 if score > 0 else -1,
                            created_at=datetime.now(UTC).replace(tzinfo=None)))
    return True


def answered_in(state: StateStore, platform: str, conversation: str) -> bool:
    """Whether Tally has answered in this conversation (a Slack thread reply is a follow-up)."""
    with state.session() as s:
        found = s.scalar(sa.select(AnswerRow.id).where(
            AnswerRow.platform == platform, AnswerRow.conversation == conversation).limit(1))
    return found is not None


def answer_workspace(state: StateStore, answer_id: str) -> str | None:
    """The workspace an answer was given in, or None for an unknown answer."""
    with state.session() as s:
        return s.scalar(sa.select(AnswerRow.workspace).where(AnswerRow.id == answer_id))


def offered_choices(state: StateStore, answer_id: str) -> tuple[str, str, tuple[str, ...]] | None:
    """``(platform, conversation, choices)`` of an answer that offered readings to pick from.

    The choices are the answer data's ``choices`` (complete questions); None for an
    unknown answer. A channel's choice button carries the answer id and a number and is
    resolved here, so the button never has to hold the question itself.
    """
    with state.session() as s:
        row = s.get(AnswerRow, answer_id)
    if row is None:
        return None
    try:
        data = json.loads(row.query or "{}")
    except ValueError:  # an answer stored before its data was JSON: it offered nothing
        data = {}
    raw = data.get("choices") if isinstance(data, dict) else None
    choices = tuple(str(c) for c in raw) if isinstance(raw, list) else ()
    return row.platform, row.conversation, choices
