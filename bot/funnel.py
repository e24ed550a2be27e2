"""The one error funnel (python-telegram-bot's ``Application.process_error``).

Whatever fails unexpectedly (an answer in the pipeline, a scheduled job, a delivery, a
channel's background task, a webhook event) is reported here from inside its ``except``
block: the log gets the traceback under a short error id and the context it happened
in; the person, when there is one, gets :func:`error_reply` naming only that id. A
user's own mistake (a :class:`~storage.errors.TallyError`) is never funnelled: it is
answered with its message where it happens.

A leaf module, so that everything may use it: the pipeline, the scheduler, deliveries,
and the connectors' webhook worker, which receives :func:`process_error` as a callback
from the runtime (connectors never import ``bot``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from agents.reply import Reply

logger = logging.getLogger(__name__)

#: The funnel's signature, for parts that receive it as a callback.
ErrorFunnel = Callable[..., str]


def process_error(what: str, *args: object, log: logging.Logger | None = None) -> str:
    """Logs the exception being handled with a new error id; returns the id.

    Args:
        what: what failed, a %-format string ("answering %s in %s"), filled with ``args``.
        log: the logger of the part that failed (its name shows where); the funnel's own
            by default.
    """
    error_id = uuid.uuid4().hex[:8]
    (log or logger).exception("error %s " + what, error_id, *args)
    return error_id


def error_reply(error_id: str) -> Reply:
    """What a person is told when their message hit an internal error."""
    return Reply(f"Sorry, something went wrong on my side (error {error_id}).", ok=False)
