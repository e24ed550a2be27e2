"""OAuth 2.0 for Google APIs (GA4, Google Ads): a refresh token exchanged for access tokens.

The token endpoint is ``GOOGLE_OAUTH_URL``/token. An access token is reused
until a minute before it expires; a 401 from an API drops it so the next call
gets a fresh one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.base import ConnectorContext
from connectors.errors import ConnectorConfigError, CredentialError
from connectors.http import send_with_retries


class GoogleAuth:
    """Access tokens from a saved refresh token.

    Args:
        context: holds ``client_id`` (option), ``client_secret`` and ``refresh_token`` (secrets).
        reconnect_hint: what the user should do when Google refuses the refresh token.
    """

    def __init__(self, context: ConnectorContext, reconnect_hint: str) -> None:
        self.context = context
        self.hint = reconnect_hint
        self.url = f"{context.settings.google_oauth_url.rstrip('/')}/token"
        self._token: str | None = None
        self._expires: datetime | None = None
        for name in ("client_secret", "refresh_token"):
            if not context.secrets.get(name):
                raise ConnectorConfigError(f"Google needs --{name.replace('_', '-')}")
        if not context.options.get("client_id"):
            raise ConnectorConfigError("Google needs --client-id (the OAuth client's id)")

    async def authorization(self) -> str:
        """The ``Authorization`` header value, refreshing the token when needed."""
        now = self.context.clock()
        if self._token is None or self._expires is None or now >= self._expires:
            await self._refresh(now)
        return f"Bearer {self._token}"

    def forget(self) -> None:
        """Drops the access token (after a 401), so the next call refreshes it."""
        self._token = None

    async def post_json(self, provider: str, url: str, body: Mapping[str, Any],
                        headers: Mapping[str, str] | None = None) -> Any:
        """POSTs ``body`` with a bearer token; a rejected token is refreshed once and retried."""
        try:
            return await self._post(provider, url, body, headers or {})
        except CredentialError:
            self.forget()  # an access token can expire mid-sync
            return await self._post(provider, url, body, headers or {})

    async def _post(self, provider: str, url: str, body: Mapping[str, Any],
                    headers: Mapping[str, str]) -> Any:
        all_headers = {**headers, "Authorization": await self.authorization()}

        async def send() -> httpx.Response:
            return await self.context.client.post(url, json=dict(body), headers=all_headers)
        response = await send_with_retries(send, self.context.retry, provider, self.hint)
        return response.json()

    async def _refresh(self, now: datetime) -> None:
        form = {"grant_type": "refresh_token", "client_id": str(self.context.options["client_id"]),
                "client_secret": self.context.secrets["client_secret"],
                "refresh_token": self.context.secrets["refresh_token"]}

        async def send() -> httpx.Response:
            return await self.context.client.post(self.url, data=form)
        response = await send_with_retries(send, self.context.retry, "Google sign-in", self.hint,
                                           interpret=self._refused)
        body = response.json()
        self._token = str(body["access_token"])
        self._expires = now + timedelta(seconds=int(body.get("expires_in", 3600)) - 60)

    def _refused(self, response: httpx.Response) -> Exception | None:
        # Google answers a revoked or expired refresh token with 400 invalid_grant.
        if response.status_code in (400, 401):
            return CredentialError(f"Google refused the saved authorization (revoked or expired "
                                   f"refresh token); {self.hint}")
        return None
