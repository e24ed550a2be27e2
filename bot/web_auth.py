"""The gate in front of the web surfaces: hosts, origins, sessions, CSRF, rate limits.

:class:`WebGate` is ASGI middleware on the runtime's app. For every request to the
playground (``/playground...``) and the sign-in pages (``/sign-in...``) it:

1. refuses a ``Host`` that is not this server's (``localhost``, ``127.0.0.1`` or ``[::1]``
   with the port it listens on, or ``TALLY_PUBLIC_URL``'s host): a DNS-rebinding page on
   another name never reaches the API;
2. refuses a state-changing request (anything but GET/HEAD/OPTIONS) whose ``Origin`` (or,
   without one, ``Referer``) is another origin, and one with neither whose content type
   is not JSON (a cross-site ``text/plain`` form post);
3. on ``/playground...``: finds the signed-in user from the ``tally_session`` cookie (a
   page without one is redirected to ``/sign-in``, an API call gets 401 JSON) and checks
   the session's CSRF token in the ``X-CSRF-Token`` header of every state-changing
   request, in constant time. The session is handed to the routes as
   ``request.state.session``.

The sign-in pages themselves live in :mod:`bot.web_sign_in`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.settings import Settings
from storage.sign_in import ActiveSession, SignIn
from storage.users import Users

logger = logging.getLogger(__name__)

SESSION_COOKIE = "tally_session"
CSRF_HEADER = "x-csrf-token"
PLAYGROUND = "/playground"
SIGN_IN = "/sign-in"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
SIGN_IN_PER_IP_PER_MINUTE = 10
SIGN_IN_PER_EMAIL_PER_MINUTE = 5


class SlidingWindow:
    """At most ``limit`` events per key in any sliding ``window`` seconds.

    Keys whose window has emptied are forgotten once more than :attr:`max_keys` are held,
    so guessing many emails or addresses cannot grow the process without bound.
    """

    max_keys = 10_000

    def __init__(self, limit: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        """Counts one event for ``key``; False (not counted) when over the limit."""
        now = self.clock()
        if len(self._seen) > self.max_keys:
            self._forget_idle(now)
        seen = self._seen[key]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        idle = [key for key, seen in self._seen.items() if not seen or now - seen[-1] >= self.window]
        for key in idle:
            del self._seen[key]


class WebAuth:
    """What the gate and the sign-in pages share: the stores, the hosts, the limits.

    Args:
        users: the users and their roles.
        sign_in: links and sessions.
        settings: ``TALLY_PUBLIC_URL`` (an allowed host; https makes cookies Secure),
            ``TALLY_HTTP_PORT`` and ``TALLY_USER_RATE_LIMIT`` (chat messages per user).
        clock: monotonic seconds, for the rate limits.
    """

    def __init__(self, users: Users, sign_in: SignIn, settings: Settings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.users = users
        self.sign_in = sign_in
        self.settings = settings
        public = urlsplit(settings.public_url) if settings.public_url else None
        self.public_origin = f"{public.scheme}://{public.netloc}".lower() if public else None
        self.public_hosts = _host_forms(public.netloc, public.scheme) if public else set()
        self.sign_ins_by_ip = SlidingWindow(SIGN_IN_PER_IP_PER_MINUTE, clock=clock)
        self.sign_ins_by_email = SlidingWindow(SIGN_IN_PER_EMAIL_PER_MINUTE, clock=clock)
        self.chats_by_user = SlidingWindow(settings.user_rate_limit_per_minute, clock=clock)

    # --- hosts and origins ---------------------------------------------------------------
    def allowed_host(self, scope: Scope) -> str | None:
        """The request's ``Host`` when it names this server, else None."""
        host = (Headers(scope=scope).get("host") or "").strip().lower()
        if not host:
            return None
        if host in self.public_hosts:
            return host
        server = scope.get("server")
        port = server[1] if server and server[1] else self.settings.http_port
        loopback = {f"{name}:{port}" for name in LOOPBACK_NAMES}
        if port == (443 if scope.get("scheme") == "https" else 80):
            loopback |= set(LOOPBACK_NAMES)
        return host if host in loopback else None

    def same_origin(self, scope: Scope, host: str, origin: str) -> bool:
        """Whether ``origin`` (an Origin or Referer value) is this very server."""
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
            return False
        if host in self.public_hosts:
            return f"{parts.scheme}://{parts.netloc}".lower() == self.public_origin
        return parts.scheme == scope.get("scheme", "http")

    def cross_site_refusal(self, scope: Scope, host: str) -> str | None:
        """Why a state-changing request looks cross-site, or None when it does not."""
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None:
            return None if self.same_origin(scope, host, origin) else f"the Origin {origin!r}"
        referer = headers.get("referer")
        if referer:
            return None if self.same_origin(scope, host, referer) else "the Referer"
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        return None if kind == "application/json" else "no Origin and a non-JSON body"

    def secure(self, scope: Scope) -> bool:
        """Whether cookies get ``Secure``: https public URL, or an https request."""
        return scope.get("scheme") == "https" or (self.public_origin or "").startswith("https:")

    # --- sessions ------------------------------------------------------------------------
    async def session_of(self, scope: Scope) -> ActiveSession | None:
        """The signed-in user of the request's session cookie, or None."""
        token = cookie(scope, SESSION_COOKIE)
        return await asyncio.to_thread(self.sign_in.session, token) if token else None

    def set_session_cookie(self, response: Response, scope: Scope, token: str,
                           max_age: int) -> None:
        """``tally_session``: HttpOnly, SameSite=Strict, Path=/, Secure over https."""
        response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True,
                            samesite="strict", secure=self.secure(scope))


def sign_in_url(settings: Settings, token: str, port: int | None = None) -> str:
    """The address of a one-time sign-in link: ``TALLY_PUBLIC_URL``, else localhost.

    Args:
        settings: the public URL and the configured port.
        token: the link's token.
        port: the port the server really listens on (``TALLY_HTTP_PORT=0`` picks one).
    """
    base = (settings.public_url or "").rstrip("/")
    if not base:
        base = f"http://localhost:{port or settings.http_port}"
    return f"{base}{SIGN_IN}/link?token={quote(token)}"


def cookie(scope: Scope, name: str) -> str:
    """A cookie's value from the request ('' when absent or unreadable)."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(Headers(scope=scope).get("cookie", ""))
    except Exception:  # http.cookies raises CookieError on malformed headers: no cookie then
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel is not None else ""


def client_ip(scope: Scope) -> str:
    """The client's address (uvicorn has applied a trusted proxy's X-Forwarded-For)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _host_forms(netloc: str, scheme: str) -> set[str]:
    host = netloc.lower()
    default = ":443" if scheme == "https" else ":80"
    return {host, host.removesuffix(default)} | ({host + default} if ":" not in host else set())


class WebGate:
    """ASGI middleware: the checks of the module docstring, before any web route runs.

    Args:
        app: the app inside.
        auth: hosts, sessions and limits.
    """

    def __init__(self, app: ASGIApp, *, auth: WebAuth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not _under(path, PLAYGROUND) and not _under(path, SIGN_IN):
            await self.app(scope, receive, send)
            return
        refusal = await self.check(scope, path)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def check(self, scope: Scope, path: str) -> Response | None:
        """The refusal for this request, or None to let it through (session attached)."""
        host = self.auth.allowed_host(scope)
        if host is None:
            return _refuse(scope, 400, "unknown Host: open Tally at its own address "
                                       "(set TALLY_PUBLIC_URL when it is behind a proxy)")
        unsafe = scope["method"] not in SAFE_METHODS
        if unsafe and (why := self.auth.cross_site_refusal(scope, host)) is not None:
            return _refuse(scope, 403, f"cross-site request refused ({why})")
        if not _under(path, PLAYGROUND):
            return None
        session = await self.auth.session_of(scope)
        if session is None:
            if scope["method"] == "GET" and not path.startswith(f"{PLAYGROUND}/api/"):
                return RedirectResponse(f"{SIGN_IN}?next={quote(path)}", status_code=303)
            return JSONResponse({"error": "sign in first", "sign_in": SIGN_IN}, status_code=401)
        if unsafe:
            sent = Headers(scope=scope).get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                return _refuse(scope, 403, "missing or wrong CSRF token: reload the page")
        scope.setdefault("state", {})["session"] = session
        return None


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _refuse(scope: Scope, status: int, message: str) -> Response:
    logger.warning("web %s %s refused (%d): %s", scope["method"], scope["path"], status, message)
    return JSONResponse({"error": message}, status_code=status)


def session_from(state: Any) -> ActiveSession:
    """The session the gate attached to ``request.state`` (routes behind the gate only)."""
    session = getattr(state, "session", None)
    if not isinstance(session, ActiveSession):
        raise RuntimeError("this route is served without the web gate in front of it")
    return session
