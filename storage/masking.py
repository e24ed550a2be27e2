"""Secrets this process has seen, and the mask that hides them in any text.

The registry lives at the bottom of the house so every part can add to it: connectors
add the credentials they decrypt for a sync, the command line those it reads for
`tally connect`; the runtime's log formatters (``bot/logs.py``) mask them, with the
secret settings, in every line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
