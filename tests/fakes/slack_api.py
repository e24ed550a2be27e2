"""A fake Slack Web API (``/api/<method>``) that records what the bot posts, plus helpers
that build and sign Events API, slash command and interactivity requests the way Slack does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

BOT_TOKEN = "xoxb-fake-bot-token"
SIGNING_SECRET = "fake-signing-secret"
TEAM_ID = "T0TALLY01"
BOT_USER_ID = "U0TALLYBOT"
BOT_ID = "B0TALLYBOT"
API_APP_ID = "A0TALLYAPP"


@dataclass
class FakeSlack:
    """Records every Web API call; ``users`` maps user ids to their ``users.info`` objects.

    Attributes:
        calls: ``(method, arguments, result)`` in arrival order.
        uploads: bytes uploaded to the upload URLs, by file id.
        not_member_of: channels where chat.postMessage answers ``not_in_channel``.
        responses: bodies posted to response URLs (``/response/<id>``).
        stall_posts: while True, chat.postMessage calls hang (the bot is "acked but not
            answered"); a call whose client went away meanwhile is dropped, never posted,
            as Slack drops a request it never finished reading.
        stalled: the arguments of every call that hung; dropped: of those dropped.
    """

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    not_member_of: set[str] = field(default_factory=set)
    responses: list[dict[str, Any]] = field(default_factory=list)
    stall_posts: bool = False
    stalled: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Any = field(default_factory=lambda: itertools.count(1))

    def posts(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        """The arguments of every call to ``method``."""
        with self._lock:
            return [args for name, args, _ in self.calls if name == method]

    def results(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        """What the fake answered to every call to ``method``."""
        with self._lock:
            return [result for name, _, result in self.calls if name == method]

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/api/{method}", self._api, methods=["GET", "POST"]),
            Route("/upload/v1/{file_id}", self._upload, methods=["POST"]),
            Route("/response/{hook}", self._response, methods=["POST"]),
        ])

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        args = {**dict(request.query_params), **await _arguments(request)}
        if method == "chat.postMessage" and self.stall_posts and not await self._stall(request, args):
            return Response(status_code=499)
        with self._lock:
            ts = f"{int(time.time())}.{next(self._ts):06d}"
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        result = {"ok": False, "error": "unknown_method"} if handler is None \
            else handler(args, ts, str(request.base_url).rstrip("/"))
        with self._lock:
            self.calls.append((method, args, result))
        return JSONResponse(result)

    async def _stall(self, request: Request, args: dict[str, Any]) -> bool:
        """Hangs while ``stall_posts``; False when the client went away (nothing is posted)."""
        with self._lock:
            self.stalled.append(args)
        while self.stall_posts:
            if await request.is_disconnected():
                with self._lock:
                    self.dropped.append(args)
                return False
            await asyncio.sleep(0.05)
        return True

    def _auth_test(self, args: dict[str, Any], ts: str, base: str) -> dict[str, Any]:
        return {"ok": True, "url": "https://tally-test.slack.com/", "team": "Tally Test",
                "user": "tally", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _chat_postMessage(self, args: dict[str, Any], ts: str, base: str) -> dict[str, Any]:
        if args.get("channel") in self.not_member_of:
            return {"ok": False, "error": "not_in_channel"}
        return {"ok": True, "channel": args["channel"], "ts": ts,
                "message": {"type": "message", "subtype": "bot_message", "text": args.get("text"),
                            "ts": ts, "bot_id": BOT_ID, "user": BOT_USER_ID,
                            "blocks": args.get("blocks", [])}}

    def _chat_postEphemeral(self, args: dict[str, Any], ts: str, base: str) -> dict[str, Any]:
        return {"ok": True, "message_ts": ts}

    def _users_info(self, args: dict[str, Any], ts: str, base: str) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _files_getUploadURLExternal(self, args: dict[str, Any], ts: str, base: str
                                    ) -> dict[str, Any]:
        file_id = f"F{ts.replace('.', '')}"
        return {"ok": True, "upload_url": f"{base}/upload/v1/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any], ts: str, base: str
                                      ) -> dict[str, Any]:
        files = args["files"] if isinstance(args["files"], list) else json.loads(args["files"])
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title"), "name": "chart.png",
                                       "mimetype": "image/png"} for f in files]}

    async def _upload(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.uploads[request.path_params["file_id"]] = body
        return PlainTextResponse(f"OK - {len(body)}")

    async def _response(self, request: Request) -> Response:
        with self._lock:
            self.responses.append(json.loads(await request.body()))
        return PlainTextResponse("ok")


async def _arguments(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return {}
    if request.headers.get("content-type", "").startswith("application/json"):
        return json.loads(body)
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def user(user_id: str, name: str, *, admin: bool = False, team: str = TEAM_ID) -> dict[str, Any]:
    """A ``users.info`` user object (``team``: the Slack team they belong to)."""
    return {"id": user_id, "team_id": team, "name": name.lower(), "real_name": name,
            "is_admin": admin, "is_owner": False, "is_bot": False, "deleted": False,
            "tz": "America/Sao_Paulo", "profile": {"display_name": name, "real_name": name}}


# --- requests from Slack --------------------------------------------------------------------
def signed_headers(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    """The headers Slack sends with a request body (``X-Slack-Signature`` v0)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            "Content-Type": content_type}


def event_callback(event: dict[str, Any], event_id: str, *, user_team: str | None = None) -> str:
    """An Events API ``event_callback`` envelope around ``event``.

    ``user_team``: the sender is of another Slack team in a Slack Connect channel (the
    envelope stays the installation's, the event names the sender's team).
    """
    sender = {"team": user_team, "user_team": user_team, "source_team": user_team} \
        if user_team else {"team": TEAM_ID}
    return json.dumps({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": API_APP_ID,
        "event": {**event, **sender}, "type": "event_callback", "event_id": event_id,
        "event_time": int(float(event.get("event_ts", event.get("ts", "0")))),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": user_team is not None, "event_context": f"4-{event_id}"})


def mention(channel: str, user_id: str, text: str, ts: str, thread_ts: str | None = None
            ) -> dict[str, Any]:
    """An ``app_mention`` event (``text`` follows the bot's ``<@U…>`` mention)."""
    event = {"type": "app_mention", "user": user_id, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts,
             "channel": channel, "event_ts": ts, "client_msg_id": f"msg-{ts}"}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(channel: str, user_id: str, text: str, ts: str, *, channel_type: str = "im",
            thread_ts: str | None = None) -> dict[str, Any]:
    """A ``message`` event (``message.im`` by default; ``channel_type='channel'`` in threads)."""
    event = {"type": "message", "user": user_id, "text": text, "ts": ts, "channel": channel,
             "event_ts": ts, "channel_type": channel_type, "client_msg_id": f"msg-{ts}"}
    if thread_ts:
        event.update(thread_ts=thread_ts, parent_user_id=user_id)
    return event


def slash_command(channel: str, user_id: str, text: str, response_url: str,
                  trigger_id: str = "1337.42.trigger") -> str:
    """A ``/tally`` slash command as Slack posts it (form-encoded)."""
    return urlencode({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": "tally-test",
        "channel_id": channel, "channel_name": "general", "user_id": user_id,
        "user_name": "ana", "command": "/tally", "text": text, "api_app_id": API_APP_ID,
        "is_enterprise_install": "false", "response_url": response_url, "trigger_id": trigger_id})


def button_click(channel: str, user_id: str, action_id: str, value: str, message_ts: str,
                 thread_ts: str | None = None) -> str:
    """A ``block_actions`` interactivity payload for a button (form-encoded ``payload=``);
    ``thread_ts`` when the clicked message is in a thread (Slack puts it in the container)."""
    payload: dict[str, Any] = {
        "type": "block_actions", "api_app_id": API_APP_ID, "token": "legacy-verification-token",
        "user": {"id": user_id, "username": "ana", "name": "ana", "team_id": TEAM_ID},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": False},
        "trigger_id": "1337.43.trigger", "team": {"id": TEAM_ID, "domain": "tally-test"},
        "enterprise": None, "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "message": {"type": "message", "bot_id": BOT_ID, "user": BOT_USER_ID, "ts": message_ts,
                    "text": "Revenue…"},
        "state": {"values": {}}, "response_url": "https://hooks.slack.com/actions/T/1/x",
        "actions": [{"action_id": action_id, "block_id": "tally_feedback", "value": value,
                     "type": "button", "action_ts": message_ts,
                     "text": {"type": "plain_text", "text": "👍", "emoji": True}}]}
    if thread_ts:
        payload["container"]["thread_ts"] = payload["message"]["thread_ts"] = thread_ts
    return urlencode({"payload": json.dumps(payload)})


def parse_form(body: str) -> dict[str, str]:
    return dict(parse_qsl(body))
