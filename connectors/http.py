"""Requests with retries: 429 honours Retry-After, 5xx and network errors back off.

Permanent errors are not retried: 401/403 become :class:`CredentialError`, other
4xx :class:`ProviderError`, each with a message saying what to fix. The sleep is
injected so tests can check the waits without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from connectors.errors import CredentialError, ProviderError, TransientError

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failed request.

    Attributes:
        attempts: tries in all, the first included.
        base_delay: the first backoff in seconds, doubled each retry (with jitter).
        max_delay: the cap of one wait, Retry-After included.
        sleep: awaited with each wait (``asyncio.sleep``; tests record instead).
    """

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    sleep: Sleep = field(default=asyncio.sleep, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait after failed try ``attempt`` (1-based): exponential, half-jittered."""
        delay = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        # Jitter keeps many syncs throttled together from retrying in lockstep.
        return delay * (0.5 + random.random() / 2)

    def retry_after(self, response: httpx.Response, attempt: int) -> float:
        """The provider's Retry-After (seconds) when it sent one, else the backoff."""
        header = response.headers.get("retry-after")
        try:
            return min(max(float(header), 0.0), self.max_delay) if header else self.backoff(attempt)
        except ValueError:  # an HTTP date: rare from APIs, back off instead of parsing it
            return self.backoff(attempt)


Send = Callable[[], Awaitable[httpx.Response]]
# A provider's own reading of a failed response: seconds to wait and retry, an error to
# raise, or None for the standard reading (Meta signals throttling with HTTP 400, say).
Interpret = Callable[[httpx.Response], float | Exception | None]


async def send_with_retries(send: Send, policy: RetryPolicy, provider: str,
                            reconnect_hint: str, interpret: Interpret | None = None) -> httpx.Response:
    """Sends a request until it succeeds, fails permanently, or the tries run out.

    Args:
        send: makes the request once (called again on each retry).
        policy: the retry policy.
        provider: the provider's name, for messages ("Shopify").
        reconnect_hint: what the user should do when the credentials are rejected.
        interpret: the provider's reading of failed responses, before the standard one.

    Returns:
        the first 2xx response.

    Raises:
        CredentialError: 401 or 403.
        ProviderError: another 4xx.
        TransientError: 429, 5xx or network errors on every try.
    """
    problem = ""
    for attempt in range(1, policy.attempts + 1):
        try:
            response = await send()
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            problem, wait = f"network error ({type(exc).__name__})", policy.backoff(attempt)
        else:
            if response.is_success:
                return response
            problem, wait = _retryable(response, policy, attempt, provider, reconnect_hint, interpret)
        if attempt < policy.attempts:
            logger.info("%s: %s, retrying in %.2fs (try %d of %d)", provider, problem, wait,
                        attempt + 1, policy.attempts)
            await policy.sleep(wait)
    raise TransientError(f"{provider} kept failing ({problem}) after {policy.attempts} tries")


def _retryable(response: httpx.Response, policy: RetryPolicy, attempt: int, provider: str,
               reconnect_hint: str, interpret: Interpret | None) -> tuple[str, float]:
    """(problem, seconds to wait) for a failure worth retrying; raises for a permanent one."""
    status = response.status_code
    special = interpret(response) if interpret else None
    if isinstance(special, Exception):
        raise special
    if special is not None:
        return f"HTTP {status} (throttled)", special
    if status in (401, 403):
        raise CredentialError(f"{provider} rejected the credentials (HTTP {status}); {reconnect_hint}")
    if status != 429 and status < 500:
        raise ProviderError(f"{provider} refused the request (HTTP {status}: {_short(response)}); "
                            "check the connector's options")
    wait = policy.retry_after(response, attempt) if status == 429 else policy.backoff(attempt)
    return f"HTTP {status}", wait


def _short(response: httpx.Response) -> str:
    """The start of an error body, for the message (providers do not echo secrets back)."""
    return response.text.strip().replace("\n", " ")[:200] or response.reason_phrase
