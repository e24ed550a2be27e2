"""The sign-in pages: email and password, one-time links, and sign-out.

- ``GET /sign-in`` the form; ``POST /sign-in`` (``email``, ``password``, ``csrf``, ``next``).
- ``GET /sign-in/link?token=…`` a page with one button; ``POST /sign-in/link`` redeems the
  link. Opening the link changes nothing (a link preview or a scanner cannot use it up);
  only the button's POST does.
- ``POST /playground/api/sign-out`` ends the session (behind the gate: session + CSRF).

The forms carry a CSRF token that must equal the ``tally_sign_in`` cookie set with the
page (double submit; the gate has already checked Origin/Referer). Attempts are limited
per client address and per email (:data:`~bot.web_auth.SIGN_IN_PER_IP_PER_MINUTE`...).
Pages are plain HTML with every value escaped, styled by ``static/sign-in.css``, under the
same Content-Security-Policy as the playground.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.web_auth import (
    PLAYGROUND,
    SESSION_COOKIE,
    SIGN_IN,
    SlidingWindow,
    WebAuth,
    client_ip,
    cookie,
    session_from,
)
from storage.sign_in import MAX_TYPED_EMAIL, SESSION_TTL
from storage.users import User

logger = logging.getLogger(__name__)

FORM_COOKIE = "tally_sign_in"
LINK_GONE = ("This sign-in link has expired or was already used. Ask for a new one "
             "(tally user link EMAIL).")
MAX_FORM_BYTES = 8_192
STYLESHEET = Path(__file__).parent / "channels" / "static" / "sign-in.css"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: browsers send "Origin: null" with a form post from a
    # no-referrer page, and the gate would refuse the sign-in as cross-site.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInPages:
    """The sign-in routes.

    Args:
        auth: the shared stores, hosts and limits.
    """

    def __init__(self, auth: WebAuth) -> None:
        self.auth = auth
        self._limited_audits = SlidingWindow(1, clock=auth.sign_ins_by_ip.clock)

    def routes(self) -> Sequence[BaseRoute]:
        """The pages, their stylesheet and sign-out."""
        return [
            Route(SIGN_IN, self.form_page, methods=["GET"]),
            Route(SIGN_IN, self.password, methods=["POST"]),
            Route(f"{SIGN_IN}/link", self.link_page, methods=["GET"]),
            Route(f"{SIGN_IN}/link", self.link, methods=["POST"]),
            Route(f"{SIGN_IN}/static/sign-in.css", self.stylesheet, methods=["GET"]),
            Route(f"{PLAYGROUND}/api/sign-out", self.sign_out, methods=["POST"]),
        ]

    # --- pages ---------------------------------------------------------------------------
    async def form_page(self, request: Request) -> Response:
        if await self.auth.session_of(request.scope) is not None:
            return RedirectResponse(_next(request.query_params.get("next")), status_code=303)
        return self._form(request, _next(request.query_params.get("next")))

    async def link_page(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        if not token:
            return RedirectResponse(SIGN_IN, status_code=303)
        user = await asyncio.to_thread(self.auth.sign_in.link_user, token)
        if user is None:
            return self._message(request, LINK_GONE, 400)
        csrf = _form_token(request)
        body = (f'<p class="lead">You are signing in to Tally as '
                f'<strong id="account">{html.escape(user.email)}</strong> with a one-time link.</p>'
                f'<form method="post" action="{SIGN_IN}/link">'
                f'{_hidden("token", token)}{_hidden("csrf", csrf)}'
                '<button id="continue" type="submit">Sign in</button></form>')
        return self._page(request, "Sign in", body, csrf)

    async def stylesheet(self, _request: Request) -> Response:
        return FileResponse(STYLESHEET, media_type="text/css; charset=utf-8")

    # --- actions -------------------------------------------------------------------------
    async def password(self, request: Request) -> Response:
        form = await _form_fields(request)
        target = _next(form.get("next"))
        if not _form_token_ok(request, form):
            return self._form(request, target, "This page had expired: please try again.", 400)
        email = form.get("email", "").strip().lower()
        ip = client_ip(request.scope)
        if not (self.auth.sign_ins_by_ip.allow(ip) and self.auth.sign_ins_by_email.allow(email)):
            await self._failed(ip, "rate_limited", "password", email)
            return self._form(request, target, "Too many sign-in attempts: wait a minute and "
                                               "try again.", 429, email)
        user = await asyncio.to_thread(self.auth.users.verify_password, email,
                                       form.get("password", ""))
        if user is None:
            await self._failed(ip, "wrong_password", "password", email)
            return self._form(request, target, "That email and password do not match.", 401, email)
        return await self._signed_in(request, user, "password", target)

    async def link(self, request: Request) -> Response:
        form = await _form_fields(request)
        if not _form_token_ok(request, form):
            return self._message(request, "This page had expired: open the link again.", 400)
        ip = client_ip(request.scope)
        if not self.auth.sign_ins_by_ip.allow(ip):
            await self._failed(ip, "rate_limited", "link", None)
            return self._message(request, "Too many sign-in attempts: wait a minute and try "
                                          "again.", 429)
        user = await asyncio.to_thread(self.auth.sign_in.redeem_link, form.get("token", ""))
        if user is None:
            await self._failed(ip, "link_used_or_expired", "link", None)
            return self._message(request, LINK_GONE, 400)
        return await self._signed_in(request, user, "link", PLAYGROUND)

    async def sign_out(self, request: Request) -> Response:
        session_from(request.state)  # behind the gate: only a signed-in page gets here
        await asyncio.to_thread(self.auth.sign_in.end_session, cookie(request.scope, SESSION_COOKIE))
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=self.auth.secure(request.scope))
        return response

    async def _failed(self, ip: str, reason: str, method: str, email: str | None) -> None:
        """One warning line per refused sign-in, and an audit record; a flood of rate-limited
        attempts is audited once per address per minute (each is still logged)."""
        typed = (email or "")[:MAX_TYPED_EMAIL]
        logger.warning("web sign-in refused (%s, %s) for %r from %s", reason, method, typed, ip)
        if reason == "rate_limited" and not self._limited_audits.allow(ip):
            return
        await asyncio.to_thread(self.auth.sign_in.record_failure, reason=reason, method=method,
                                email=email, ip=ip)

    async def _signed_in(self, request: Request, user: User, method: str, target: str) -> Response:
        started = await asyncio.to_thread(self.auth.sign_in.start_session, user,
                                          ip=client_ip(request.scope), method=method)
        response = RedirectResponse(target, status_code=303)
        self.auth.set_session_cookie(response, request.scope, started.token,
                                     int(SESSION_TTL.total_seconds()))
        response.delete_cookie(FORM_COOKIE, path=SIGN_IN)
        return response

    # --- rendering -----------------------------------------------------------------------
    def _form(self, request: Request, target: str, error: str | None = None, status: int = 200,
              email: str = "") -> Response:
        csrf = _form_token(request)
        alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        body = (f'{alert}<form method="post" action="{SIGN_IN}">'
                f'{_hidden("csrf", csrf)}{_hidden("next", target)}'
                '<label>Email<input id="email" name="email" type="email" autocomplete="username" '
                f'required value="{html.escape(email)}"></label>'
                '<label>Password<input id="password" name="password" type="password" '
                'autocomplete="current-password" required></label>'
                '<button type="submit">Sign in</button></form>'
                '<p class="hint">No password? The operator can print a one-time sign-in link: '
                '<code>tally user link EMAIL</code>.</p>')
        return self._page(request, "Sign in", body, csrf, status)

    def _message(self, request: Request, text: str, status: int) -> Response:
        body = (f'<p class="error" role="alert">{html.escape(text)}</p>'
                f'<p class="hint"><a href="{SIGN_IN}">Sign in with a password</a></p>')
        return self._page(request, "Sign in", body, _form_token(request), status)

    def _page(self, request: Request, title: str, body: str, csrf: str,
              status: int = 200) -> Response:
        page = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<title>{html.escape(title)} · Tally</title>'
                f'<link rel="stylesheet" href="{SIGN_IN}/static/sign-in.css"></head><body>'
                '<main class="card"><div class="brand"><span class="logo" aria-hidden="true">'
                f'▮▮▮</span> Tally</div><h1>{html.escape(title)}</h1>{body}</main></body></html>')
        response = HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)
        response.set_cookie(FORM_COOKIE, csrf, max_age=3600, path=SIGN_IN, httponly=True,
                            samesite="strict", secure=self.auth.secure(request.scope))
        return response


def _form_token(request: Request) -> str:
    """The form's CSRF token: the browser's current one, or a new one."""
    current = cookie(request.scope, FORM_COOKIE)
    return current if 32 <= len(current) <= 128 else secrets.token_urlsafe(32)


def _form_token_ok(request: Request, form: dict[str, str]) -> bool:
    expected = cookie(request.scope, FORM_COOKIE)
    sent = form.get("csrf", "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


async def _form_fields(request: Request) -> dict[str, str]:
    """The urlencoded form's first value of each field ({} when too large or unreadable)."""
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        return {}
    try:
        fields = parse_qs(raw.decode("utf-8"), max_num_fields=16)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {key: values[0] for key, values in fields.items()}


def _next(value: str | None) -> str:
    """Where to go after signing in: a playground path, never another site."""
    if value and (value == PLAYGROUND or value.startswith(f"{PLAYGROUND}/")) and "//" not in value \
            and "\\" not in value:
        return value
    return PLAYGROUND


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
