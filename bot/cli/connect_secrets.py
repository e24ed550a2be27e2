"""How ``tally connect`` reads a connector's secrets: never from the command line.

A process's arguments are readable by every local user (``ps``, ``/proc/<pid>/cmdline``)
and stay in shell history, so each secret option comes, in this order, from

1. ``--<name>-file PATH`` (``-`` reads stdin), e.g. ``--access-token-file ~/.shopify-token``;
2. the environment variable ``<CONNECTOR>_<NAME>``, e.g. ``SHOPIFY_ACCESS_TOKEN``,
   ``STRIPE_API_KEY``, ``META_ADS_ACCESS_TOKEN`` (:func:`secret_env_var`);
3. a hidden prompt, when a terminal is attached and the secret is required.

The old flags (``--access-token VALUE``) are still recognised, only to be refused with
a message saying how to pass the secret instead: silently dropping them would turn into
click's bare "no such option", and accepting them would keep the leak open.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

import click

from connectors.base import Option
from connectors.errors import ConnectorConfigError
from connectors.registry import CONNECTORS
from storage.masking import mask_also

# Every connector's secret options (a test keeps this in step with the connectors'
# declarations): name -> which connectors take it and what it is.
SECRET_OPTIONS = {
    "access_token": "shopify: an Admin API access token; meta-ads: a token with ads_read",
    "api_key": "stripe: a secret or restricted key, read-only is enough",
    "webhook_secret": "shopify: the app's client secret; stripe: the endpoint's whsec_ secret",
    "access_key_id": "files: the bucket's access key id (s3:// paths)",
    "secret_access_key": "files: the bucket's secret access key (s3:// paths)",
    "developer_token": "google-ads: the developer token",
    "client_secret": "ga4, google-ads: the OAuth client secret",
    "refresh_token": "ga4, google-ads: an OAuth refresh token for Tally",
}
# The variables of every connector's secrets, for `tally connect --help` (kept in step by a test).
SECRET_ENV_VARS = (
    "SHOPIFY_ACCESS_TOKEN", "SHOPIFY_WEBHOOK_SECRET", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET",
    "META_ADS_ACCESS_TOKEN", "GA4_CLIENT_SECRET", "GA4_REFRESH_TOKEN",
    "GOOGLE_ADS_DEVELOPER_TOKEN", "GOOGLE_ADS_CLIENT_SECRET", "GOOGLE_ADS_REFRESH_TOKEN",
    "FILES_ACCESS_KEY_ID", "FILES_SECRET_ACCESS_KEY",
)
SECRETS_EPILOG = (
    "Secrets are never given as flags (every user of the machine can read a process's "
    "arguments). Each comes from --NAME-file PATH ('-' reads stdin), else from the "
    "environment variable CONNECTOR_NAME (" + ", ".join(SECRET_ENV_VARS) + "), else, in a "
    "terminal, from a prompt that does not echo."
)
FILE_SUFFIX = "_file"
STDIN = "-"


def secret_env_var(connector: str, option: str) -> str:
    """The environment variable holding a connector's secret: ``SHOPIFY_ACCESS_TOKEN``."""
    return f"{connector}_{option}".upper().replace("-", "_")


def flag(option: str) -> str:
    """``access_token`` -> ``--access-token``."""
    return "--" + option.replace("_", "-")


def secret_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds ``--NAME-file PATH`` per secret option, and the old ``--NAME`` hidden (refused)."""
    for name, help_text in reversed(SECRET_OPTIONS.items()):
        func = click.option(flag(name) + "-file", name + FILE_SUFFIX, default=None,
                            metavar="PATH", help=f"{help_text}; read from PATH ('-': stdin)")(func)
        func = click.option(flag(name), name, default=None, hidden=True)(func)
    return func


def refuse_secrets_in_argv(connector: str, values: MutableMapping[str, Any]) -> None:
    """Raises ConnectorConfigError when a secret was given as a flag's value.

    Also removes the (empty) secret flags from ``values``, leaving the ``*_file`` ones.
    """
    given = [name for name in SECRET_OPTIONS if values.pop(name, None) is not None]
    if given:
        name = given[0]
        env = secret_env_var(connector if connector in CONNECTORS else "<connector>", name)
        raise ConnectorConfigError(
            f"{flag(name)} is not accepted: a secret on the command line is readable by every "
            f"user of this machine (ps, /proc) and stays in your shell history; set {env} or "
            f"pass {flag(name)}-file PATH ('-' reads stdin) instead, and consider rotating the "
            "value you typed")


def read_secrets(connector: str, options: Sequence[Option], values: MutableMapping[str, Any],
                 environ: Mapping[str, str] | None = None) -> None:
    """Fills ``values`` with the connector's secrets from files, the environment or a prompt.

    Pops every ``*_file`` entry from ``values``; raises ConnectorConfigError for a file the
    connector does not take, an unreadable or empty file, two secrets from stdin, or a
    required secret given nowhere when no terminal can ask for it.
    """
    environ = os.environ if environ is None else environ
    files = {name: values.pop(name + FILE_SUFFIX, None) for name in SECRET_OPTIONS}
    mine = {o.name for o in options if o.secret}
    unused = [name for name, path in files.items() if path is not None and name not in mine]
    if unused:
        raise ConnectorConfigError(f"{connector} does not take {flag(unused[0])}-file")
    if sum(path == STDIN for path in files.values()) > 1:
        raise ConnectorConfigError("only one secret can be read from stdin ('-'); give the "
                                   "others as files or environment variables")
    for option in (o for o in options if o.secret):
        path = files.get(option.name)
        value = _read_file(option.name, path) if path else environ.get(
            secret_env_var(connector, option.name), "").strip()
        if not value and option.required:
            value = _ask(connector, option)
        if value:
            values[option.name] = value
    mask_also(str(v) for k, v in values.items() if k in mine and v)


def _read_file(name: str, path: str) -> str:
    where = "stdin" if path == STDIN else path
    try:
        if path == STDIN:
            text = sys.stdin.read()
        else:
            with open(os.path.expanduser(path), encoding="utf-8") as fh:
                text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ConnectorConfigError(f"cannot read {flag(name)}-file {where}: {reason}") from None
    value = text.strip()
    if not value:
        raise ConnectorConfigError(f"{flag(name)}-file {where} is empty; it should hold the secret "
                                   "on one line")
    return value


def _ask(connector: str, option: Option) -> str:
    """Prompts without echo when a terminal is attached; otherwise says how to pass it."""
    env = secret_env_var(connector, option.name)
    if not sys.stdin.isatty():
        raise ConnectorConfigError(
            f"{connector} needs its {option.name.replace('_', ' ')} ({option.help}): set {env} "
            f"or pass {flag(option.name)}-file PATH ('-' reads stdin); in a terminal, tally "
            "connect asks for it")
    value = str(click.prompt(f"{option.help} (hidden; or set {env})", hide_input=True,
                             err=True)).strip()
    if not value:
        raise ConnectorConfigError(f"{connector} needs {option.help}; nothing was typed")
    return value
