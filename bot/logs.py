"""Log lines never carry a secret: every secret setting's value is masked in them.

Some libraries put credentials into their own error messages (python-telegram-bot's
``InvalidToken`` quotes the rejected token), so masking happens on the final line,
traceback included, for every formatter Tally installs: the runtime's ``key=value``
lines (bot/http.py) and the command line's plain ones (:func:`configure_cli_logging`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from pydantic import SecretStr

from bot.settings import Settings

CLI_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secret_values(settings: Settings) -> list[str]:
    """The plain values of every secret setting that is set (what logs must never show)."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            values.append(value.get_secret_value())
    return values


# Secrets that are not settings but pass through this process (connector credentials read
# by `tally connect` or decrypted for a sync): every mask hides them too.
_PROCESS_SECRETS: set[str] = set()


def mask_also(secrets: Iterable[str]) -> None:
    """Adds secrets to every :class:`SecretMask` of this process, present and future."""
    _PROCESS_SECRETS.update(s for s in secrets if len(s) >= 4)


class SecretMask:
    """Replaces each secret with ``***`` (longest first, so one containing another goes whole).

    Besides ``secrets``, it hides every value given to :func:`mask_also`.
    """

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = {s for s in secrets if len(s) >= 4}

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets | _PROCESS_SECRETS, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


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
