"""What the brain needs from the world above it, as narrow ports.

The brain is called; it calls nothing above it. The runtime (``bot/``) fills these in:
a way to open a workspace's catalog engine (and where its vocabulary may be cached),
a clock, the LLM's configuration, and the workspace's taught synonyms. Tests fill them in
with the real engines of a temporary data folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from storage.catalog import AsOf, Engine


class Engines(Protocol):
    """Opens the catalog engine of a workspace (raises WorkspaceError for an unknown one)."""

    def engine(self, workspace: str) -> Engine:
        """The workspace's catalog engine."""
        ...

    def vocabulary_path(self, workspace: str) -> Path | None:
        """Where the workspace's vocabulary may be cached between processes (None: not cached)."""
        ...


class Synonyms(Protocol):
    """The words a workspace's admins taught Tally (``storage.synonyms.SynonymStore``)."""

    def synonyms(self, workspace: str) -> Mapping[str, str]:
        """Phrase (lower case) → the words it stands for; every question is rewritten with them."""
        ...


AsOfClock = Callable[[ZoneInfo], AsOf]
""""Now" in a workspace's time zone: the end of today, as the catalog sees it."""


@dataclass(frozen=True)
class LLMConfig:
    """The optional LLM: endpoint, model and what its tools may do.

    Attributes:
        api_key: the OpenAI-compatible key; None keeps the brain offline.
        base_url: the endpoint (None: OpenAI's).
        model: the chat model name.
        timeout_seconds: per request.
        adhoc_sql: whether the LLM may run guarded read-only SQL.
        adhoc_sql_row_limit: rows an ad-hoc query may return.
        adhoc_sql_timeout_seconds: how long an ad-hoc query may run.
    """

    api_key: SecretStr | None = None
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 20.0
    adhoc_sql: bool = False
    adhoc_sql_row_limit: int = 200
    adhoc_sql_timeout_seconds: float = 5.0
