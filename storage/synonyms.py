"""Words a workspace's admins taught Tally: "when we say takings we mean revenue".

Each synonym is a phrase of the workspace's own ("takings", "wh1") and the words it
stands for ("revenue", "Sao Paulo Store"), with what kind of thing those words are
(``metric``, ``value`` or ``period``: the brain checks that before anything is stored).
The brain rewrites every question of the workspace with them before parsing
(:meth:`SynonymStore.synonyms` is its port); every change is in the audit log.

Reads are cached for a moment per workspace (one cache per state store, shared by every
:class:`SynonymStore` over it), so a question costs no database query: a change made by
this process is seen at once, one made by another process within :data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.audit import record_audit
from storage.errors import TallyError
from storage.state import SynonymRow
from storage.state_store import StateStore

KINDS = ("metric", "value", "period")
PHRASE_LIMIT = 64
MEANING_LIMIT = 200
CACHE_SECONDS = 2.0
_EDGES = " \t'\"‘’“”`.,;:!?"
_Cache = dict[str, tuple[float, dict[str, str]]]
_CACHES: weakref.WeakKeyDictionary[StateStore, _Cache] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Synonym:
    """One taught word.

    Attributes:
        phrase: the workspace's word, lower case with single spaces ("takings").
        meaning: the words it stands for, as the parser reads them ("revenue").
        kind: what the meaning is: ``metric``, ``value`` or ``period``.
        created_by: who taught it (``slack:U123``); created_at: when (naive UTC).
    """

    phrase: str
    meaning: str
    kind: str
    created_by: str | None = None
    created_at: datetime | None = None

    def as_json(self) -> dict[str, str]:
        """What the audit log keeps of it."""
        return {"phrase": self.phrase, "meaning": self.meaning, "kind": self.kind}


def normal_phrase(text: str) -> str:
    """A phrase as stored and matched: quotes and end punctuation off, lower case, single spaces."""
    return " ".join(text.strip(_EDGES).lower().split())


class SynonymError(TallyError):
    """A synonym that cannot be stored (too long, empty, not a word)."""


class SynonymStore:
    """The workspace synonyms in the state database.

    Args:
        state: the state store.
        clock: monotonic seconds, for the read cache (tests pass their own).
    """

    def __init__(self, state: StateStore, clock: Callable[[], float] = time.monotonic) -> None:
        self.state = state
        self.clock = clock
        with _LOCK:
            self._cache = _CACHES.setdefault(state, {})

    def synonyms(self, workspace: str) -> Mapping[str, str]:
        """Phrase → the words it stands for (the brain's port; cached for a moment)."""
        now = self.clock()
        with _LOCK:
            cached = self._cache.get(workspace)
        if cached is not None and 0 <= now - cached[0] < CACHE_SECONDS:
            return cached[1]
        found = {s.phrase: s.meaning for s in self.list(workspace)}
        with _LOCK:
            self._cache[workspace] = (now, found)
        return found

    def list(self, workspace: str) -> list[Synonym]:
        """The workspace's synonyms, alphabetically."""
        with self.state.session() as s:
            rows = s.scalars(sa.select(SynonymRow).where(SynonymRow.workspace == workspace)
                             .order_by(SynonymRow.phrase)).all()
        return [_synonym(row) for row in rows]

    def teach(self, workspace: str, synonym: Synonym, actor: str) -> Synonym | None:
        """Stores a synonym (replacing the phrase's earlier meaning), with an audit record.

        Returns:
            The synonym it replaced, if any.

        Raises:
            SynonymError: an empty or too long phrase or meaning, or an unknown kind.
        """
        phrase, meaning = normal_phrase(synonym.phrase), " ".join(synonym.meaning.split())
        _check(phrase, meaning, synonym.kind)
        with self.state.session() as s, s.begin():
            row = s.scalar(_one(workspace, phrase))
            before = _synonym(row) if row is not None else None
            if row is None:
                row = SynonymRow(workspace=workspace, phrase=phrase)
                s.add(row)
            row.meaning, row.kind, row.created_by = meaning, synonym.kind, actor
            after = Synonym(phrase, meaning, synonym.kind)
            record_audit(s, actor=actor, action="synonym.teach", workspace=workspace,
                         before=before.as_json() if before else None, after=after.as_json())
        self._forget_cache(workspace)
        return before

    def forget(self, workspace: str, phrase: str, actor: str) -> Synonym | None:
        """Removes a synonym, with an audit record; returns it, or None if there was none."""
        with self.state.session() as s, s.begin():
            row = s.scalar(_one(workspace, normal_phrase(phrase)))
            if row is None:
                return None
            gone = _synonym(row)
            s.delete(row)
            record_audit(s, actor=actor, action="synonym.forget", workspace=workspace,
                         before=gone.as_json(), after=None)
        self._forget_cache(workspace)
        return gone

    def _forget_cache(self, workspace: str) -> None:
        with _LOCK:
            self._cache.pop(workspace, None)


def _one(workspace: str, phrase: str) -> sa.Select[SynonymRow]:
    return sa.select(SynonymRow).where(SynonymRow.workspace == workspace,
                                       SynonymRow.phrase == phrase)


def _check(phrase: str, meaning: str, kind: str) -> None:
    if kind not in KINDS:
        raise SynonymError(f"a synonym is a {', '.join(KINDS)}, not {kind!r}")
    if not re.search(r"\w", phrase) or not re.search(r"\w", meaning):
        raise SynonymError("say both the word and what it means, e.g. "
                           "\"when we say takings we mean revenue\"")
    if len(phrase) > PHRASE_LIMIT or len(meaning) > MEANING_LIMIT:
        raise SynonymError(f"a synonym is at most {PHRASE_LIMIT} characters, and its meaning "
                           f"at most {MEANING_LIMIT}")


def _synonym(row: SynonymRow) -> Synonym:
    return Synonym(row.phrase, row.meaning, row.kind, row.created_by, row.created_at)
