"""The playground: a web chat for signed-in users, through the same dispatcher.

Every path under ``/playground`` is behind :class:`bot.web_auth.WebGate`: a signed-in user
(the session is ``request.state.session``), this server's own Host, a same-origin request
with the session's CSRF token for every POST. ``GET /playground`` serves a single page
(``static/playground.*``: vanilla HTML, CSS and JS, nothing from the network). Its JSON API:

- ``GET /playground/api/session``: the user's email and name, and the CSRF token the page
  sends as ``X-CSRF-Token``.
- ``GET /playground/api/workspaces``: the workspaces the user has a role on, with the role.
- ``POST /playground/api/chat`` ``{workspace, conversation, text}``: one message, answered
  by the dispatcher as platform ``playground``, as the user (``user:<id>``) with their
  role on the workspace; a workspace they have no role on is refused with 403, the same
  answer as for one that does not exist. ``conversation`` is the browser tab's id, so
  follow-ups in a tab share memory (each user's tabs are their own). A reply's ``choices``
  (readings offered when a question was not clear) are buttons: a click sends that question
  as the next message, so it takes this same path. The playground's
  space of a workspace is bound to it on first use (actor ``playground``). At most
  ``TALLY_USER_RATE_LIMIT`` messages per user per minute (429 after).
- ``POST /playground/api/feedback`` ``{answer_id, conversation, score}``: 👍 / 👎 on an
  answer of a workspace the user has a role on.
- ``GET /playground/charts/{name}``: a generated chart, and nothing else (names are checked
  against the charts' own pattern and resolved inside the charts folder).

The page renders every piece of text with ``textContent``: no answer or data can inject
markup.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.charts import is_chart_name
from bot.http import log_context
from bot.pipeline import Pipeline
from bot.web_auth import WebAuth, session_from
from storage.access import Role
from storage.conversations import answer_workspace
from storage.errors import TallyError
from storage.sign_in import ActiveSession

logger = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
ASSETS = {"playground.css": "text/css; charset=utf-8",
          "playground.js": "text/javascript; charset=utf-8"}
MAX_BODY_BYTES = 16_384
MAX_TEXT = 2_000
_CONVERSATION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
PLAYGROUND_ACTOR = "playground"


class PlaygroundChannel:
    """The web playground as a :class:`~bot.channels.base.Channel`.

    Args:
        dispatcher: the dispatcher every platform goes through.
        charts_dir: the folder of generated charts, the only one served.
        auth: the users' roles and the per-user message limit.
    """

    platform = "playground"

    def __init__(self, dispatcher: Pipeline, charts_dir: Path, auth: WebAuth) -> None:
        self.dispatcher = dispatcher
        self.auth = auth
        self.charts_dir = charts_dir
        #: proactive messages (digests, alerts) sent to playground chats, newest last
        self.outbox: deque[tuple[ConversationRef, Reply]] = deque(maxlen=200)
        self._bound: set[str] = set()

    async def start(self) -> None:
        """Nothing to connect: the playground lives on the shared HTTP app."""

    async def open_outbound(self) -> None:
        """Nothing to open: proactive messages wait in the outbox."""

    async def stop(self) -> None:
        """Nothing to close: in-flight requests are finished by the HTTP server."""

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        """Keeps a proactive message for the page (there is no push channel to a browser)."""
        self.outbox.append((ref, reply))
        return SendResult(ok=True, message_ids=(uuid.uuid4().hex[:12],))

    def routes(self) -> Sequence[BaseRoute]:
        """The page, its assets, its JSON API and the chart files."""
        return [
            Route("/playground", self.page, methods=["GET"]),
            Route("/playground/static/{name}", self.asset, methods=["GET"]),
            Route("/playground/api/session", self.session, methods=["GET"]),
            Route("/playground/api/workspaces", self.workspaces, methods=["GET"]),
            Route("/playground/api/chat", self.chat, methods=["POST"]),
            Route("/playground/api/feedback", self.feedback, methods=["POST"]),
            Route("/playground/charts/{name}", self.chart, methods=["GET"]),
        ]

    # --- pages -------------------------------------------------------------------------------
    async def page(self, _request: Request) -> Response:
        return FileResponse(STATIC / "playground.html", media_type="text/html; charset=utf-8",
                            headers=_PAGE_HEADERS)

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return _error(404, "no such file")
        return FileResponse(STATIC / name, media_type=ASSETS[name])

    async def chart(self, request: Request) -> Response:
        name = request.path_params["name"]
        if not is_chart_name(name):
            return _error(404, "no such chart")
        path = (self.charts_dir / name).resolve()
        if path.parent != self.charts_dir.resolve() or not path.is_file():
            return _error(404, "no such chart")
        # Content-addressed names: the same name always holds the same picture.
        return FileResponse(path, media_type="image/png",
                            headers={"Cache-Control": "public, max-age=86400, immutable"})

    # --- API -----------------------------------------------------------------------------------
    async def session(self, request: Request) -> Response:
        session = session_from(request.state)
        return JSONResponse({"email": session.user.email, "name": session.user.name,
                             "csrf_token": session.csrf_token},
                            headers={"Cache-Control": "no-store"})

    async def workspaces(self, request: Request) -> Response:
        user = session_from(request.state).user
        roles = await asyncio.to_thread(self.auth.users.workspaces_of, user.id)
        found = await asyncio.to_thread(self.dispatcher.app.workspaces.list)
        return JSONResponse({"workspaces": [
            {"name": w.name, "currency": w.currency, "timezone": w.timezone,
             "role": roles[w.name].value} for w in found if w.name in roles]})

    async def chat(self, request: Request) -> Response:
        session = session_from(request.state)
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        workspace, conversation = str(body.get("workspace") or ""), str(body.get("conversation") or "")
        text = str(body.get("text") or "").strip()
        if not _CONVERSATION.match(conversation):
            return _error(400, "conversation must be 8-64 letters, digits, - or _")
        if not text or len(text) > MAX_TEXT:
            return _error(400, f"text must be 1-{MAX_TEXT} characters")
        role = await asyncio.to_thread(self.auth.users.role_of, session.user.id, workspace)
        if role is None:
            return _no_such_workspace()
        if not self.auth.chats_by_user.allow(f"user:{session.user.id}"):
            return _error(429, "You're asking faster than I can keep up with: wait a minute.")
        ref = ConversationRef(self.platform, chat_id=f"tab:{session.user.id}:{conversation}",
                              space_id=workspace)
        with log_context(platform=self.platform, conversation=ref.key, workspace=workspace):
            try:
                await self._bind(workspace)
            except TallyError:
                return _no_such_workspace()
            message = _inbound(ref, text, session, role, str(body.get("message_id") or "") or None)
            # The HTTP response is the answer: it is confirmed once it is ready to be returned.
            reply = await self.dispatcher.answer(message, _in_response)
        if reply is None:  # the same message_id again (a retried request): already answered
            return JSONResponse({"duplicate": True}, status_code=409)
        return JSONResponse(self.render(reply))

    async def feedback(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        conversation = str(body.get("conversation") or "")
        if not _CONVERSATION.match(conversation):
            return _error(400, "conversation must be 8-64 letters, digits, - or _")
        try:
            score = int(body.get("score") or 0)
        except (TypeError, ValueError):
            score = 0
        if score not in (1, -1):
            return _error(400, "score must be 1 or -1")
        answer_id, user = str(body.get("answer_id") or ""), session_from(request.state).user
        workspace = await asyncio.to_thread(self._answer_workspace, answer_id)
        role = await asyncio.to_thread(self.auth.users.role_of, user.id, workspace or "")
        stored = role is not None and await asyncio.to_thread(
            self.dispatcher.feedback, answer_id, f"user:{user.id}", score)
        return JSONResponse({"ok": stored}, status_code=200 if stored else 404)

    def _answer_workspace(self, answer_id: str) -> str | None:
        return answer_workspace(self.dispatcher.app.state, answer_id)

    async def _bind(self, workspace: str) -> None:
        # The whole playground space of a workspace is bound once; every tab that chooses
        # it is then answered from it (and only from it).
        if workspace in self._bound:
            return
        await asyncio.to_thread(self._bind_space, workspace)
        self._bound.add(workspace)

    def _bind_space(self, workspace: str) -> None:
        ref = ConversationRef(self.platform, chat_id="tab:-", space_id=workspace)
        if self.dispatcher.workspace_for(ref) != workspace:
            self.dispatcher.bind(self.platform, workspace, workspace, PLAYGROUND_ACTOR)

    # --- rendering -------------------------------------------------------------------------------
    def render(self, reply: Reply) -> dict[str, Any]:
        """The reply as the page's JSON: text, table, chart URL, choices, suggestions, answer id."""
        table = None
        if reply.table is not None:
            table = {"columns": list(reply.table.columns), "rows": [list(r) for r in reply.table.rows]}
        chart = self.chart_url(reply.chart)
        data = json.loads(json.dumps({**reply.data, "chart": chart}, default=str))  # no server paths
        return {"text": reply.text, "ok": reply.ok, "table": table, "chart": chart,
                "choices": list(reply.choices), "suggestions": list(reply.suggestions),
                "answer_id": reply.answer_id,
                "data": data}

    def chart_url(self, chart: str | None) -> str | None:
        """The URL of a generated chart, or None for a file outside the charts folder."""
        if not chart:
            return None
        path = Path(chart).resolve()
        if path.parent != self.charts_dir.resolve() or not is_chart_name(path.name):
            return None
        return f"/playground/charts/{path.name}"


_PAGE_HEADERS = {
    # Everything the page needs is its own: no script, style, image or request elsewhere.
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def _in_response(_reply: Reply) -> SendResult:
    return SendResult(True)


async def _json_body(request: Request) -> dict[str, Any] | Response:
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        return _error(413, "message too large")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _error(413, "message too large")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return _error(400, "the body must be JSON")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    return body


def _inbound(ref: ConversationRef, text: str, session: ActiveSession, role: Role,
             message_id: str | None) -> InboundMessage:
    """The message as the signed-in user sends it, with their role on the workspace."""
    return InboundMessage(ref, text, user_id=f"user:{session.user.id}",
                          user_name=session.user.display_name,
                          # one user's retry ids never collide with another's
                          event_id=f"user:{session.user.id}:{message_id}" if message_id else None,
                          role=role.value)


def _no_such_workspace() -> JSONResponse:
    # The same answer whether the workspace exists or not: no probing for names.
    return _error(403, "You have no workspace by that name: choose one from the list.")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
