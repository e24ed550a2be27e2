"""Chat bindings as stored: which rows could serve a conversation, in one query.

What a binding means (the Slack team it serves, the role its messages act with, how
a chat binds itself with a code) is the runtime's (:mod:`bot.bindings`); this module
only reads the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from storage.state import ChannelBindingRow, WorkspaceRow
from storage.state_store import StateStore


def binding_rows(state: StateStore, platform: str,
                 chat_ids: Sequence[str]) -> list[tuple[ChannelBindingRow, bool]]:
    """The bindings of ``platform`` named by any of ``chat_ids``, each with whether its
    workspace still exists (one query: the pipeline asks it once per message)."""
    with state.session() as s:
        rows = s.execute(
            sa.select(ChannelBindingRow, WorkspaceRow.id)
            .outerjoin(WorkspaceRow, WorkspaceRow.name == ChannelBindingRow.workspace)
            .where(ChannelBindingRow.platform == platform,
                   ChannelBindingRow.chat_id.in_(list(chat_ids)))).all()
    return [(row, found is not None) for row, found in rows]
