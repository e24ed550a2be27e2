"""Log lines never carry a secret: every secret setting's value is masked in them.

Some libraries put credentials into their own error messages (python-telegram-bot's
``InvalidToken`` quotes the rejected token), so masking happens on the final line,
traceback included, for every formatter Tally installs: the runtime's ``key=value``
lines (bot/http.py) and the command line's plain ones (:func:`configure_cli_logging`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import SecretStr

from bot.settings import Settings
from storage.masking import SecretMask as SecretMask  # the mask and its registry live in storage
from storage.masking import mask_also as mask_also

CLI_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secret_values(settings: Settings) -> list[str]:
    """The plain values of every secret setting that is set (what logs must never show)."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            values.append(value.get_secret_value())
    return values


class MaskingFormatter(logging.Formatter):
    """A plain :class:`logging.Formatter` whose lines have the secrets masked."""

    def __init__(self, fmt: str, secrets: Sequence[str] = ()) -> None:
        super().__init__(fmt)
        self.mask = SecretMask(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(super().format(record))


def configure_cli_logging(settings: Settings) -> None:
    """The command line's logging: plain lines on stderr, secrets masked.

    Like :func:`logging.basicConfig`, it leaves a root logger that already has handlers
    (a host application's, pytest's) as it is.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter(CLI_FORMAT, secret_values(settings)))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
