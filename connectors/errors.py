"""Errors raised by connectors and the webhook gateway, written for the person who reads them.

Every message says what happened and what to do; none ever holds a credential.

::

    TallyError
    └── ConnectorError            anything a data source can do wrong
        ├── UnknownConnectorError  a connector name Tally does not know, or one not connected
        ├── ConnectorConfigError   missing or malformed options (a shop domain, a folder)
        ├── CredentialError        the provider rejected the credentials (revoked, expired)
        ├── ProviderError          a permanent API error (4xx) that retrying will not fix
        ├── TransientError         5xx, timeouts, 429: retried with backoff, raised when exhausted
        └── WebhookError           a webhook that cannot be accepted
            └── SignatureError     the signature is missing or wrong (HTTP 401, nothing written)
"""

from __future__ import annotations

from storage.errors import TallyError


class ConnectorError(TallyError):
    """Base of every connector error."""


class UnknownConnectorError(ConnectorError):
    """A connector name Tally does not know, or one the workspace has not connected."""


class ConnectorConfigError(ConnectorError):
    """Options that are missing or malformed; the message names the option."""


class CredentialError(ConnectorError):
    """The provider rejected the credentials; reconnect with new ones."""


class ProviderError(ConnectorError):
    """A permanent API error: the request is wrong or not allowed; retrying will not help."""


class TransientError(ConnectorError):
    """A temporary failure (5xx, timeout, rate limit) that persisted after every retry."""


class WebhookError(ConnectorError):
    """A webhook delivery that cannot be accepted (unknown shop, malformed body)."""


class SignatureError(WebhookError):
    """The webhook's signature is missing or does not match the shared secret."""
