"""Callbacks run when new data lands in a workspace (sync or webhook).

The anomaly and rule checks subscribe here; a failing callback is logged and
never undoes or blocks the write that triggered it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewData:
    """What landed: the workspace, rows written per table, and where they came from."""

    workspace: str
    rows: Mapping[str, int]
    origin: str


DataCallback = Callable[[NewData], Awaitable[None] | None]


class DataHooks:
    """An ordered list of callbacks, called after each committed write."""

    def __init__(self) -> None:
        self._callbacks: list[DataCallback] = []

    def register(self, callback: DataCallback) -> DataCallback:
        """Adds a callback (usable as a decorator); returns it."""
        self._callbacks.append(callback)
        return callback

    def unregister(self, callback: DataCallback) -> None:
        """Removes a callback added earlier."""
        self._callbacks.remove(callback)

    async def fire(self, event: NewData) -> None:
        """Calls every callback in order; an exception is logged, not raised."""
        for callback in list(self._callbacks):
            try:
                result = callback(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("new-data callback %r failed for workspace %s", callback,
                                 event.workspace)
