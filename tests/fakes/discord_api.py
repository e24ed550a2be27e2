"""A fake Discord HTTP API (v10) that records what the bot sends, plus gateway payloads
(``INTERACTION_CREATE``, ``MESSAGE_CREATE``) in Discord's format for injecting events.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "fake.discord.bot-token"
APP_ID = "1100000000000000001"
BOT_ID = APP_ID  # Discord bots' user id is their application id
GUILD, CHANNEL = "1200000000000000001", "1200000000000000002"
TIMESTAMP = "2025-04-10T12:00:00.000000+00:00"
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view channel, send messages, use commands


def user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A Discord user object."""
    return {"id": user_id, "username": name.lower(), "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot, "public_flags": 0, "flags": 0}


BOT_USER = user(BOT_ID, "Tally", bot=True)


@dataclass
class Sent:
    """One thing the bot sent: where, the JSON payload, and the attached files' bytes."""

    route: str
    payload: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeDiscord:
    """Records commands synced, interaction callbacks, follow-ups and channel messages."""

    sent: list[Sent] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1300000000000000001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, route: str) -> list[Sent]:
        """What was sent to a route kind: callback, followup, delete_original, message."""
        with self._lock:
            return [s for s in self.sent if s.route == route]

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/users/@me", self._me),
            Route("/oauth2/applications/@me", self._application),
            Route("/applications/{app}/commands", self._sync, methods=["PUT"]),
            Route("/interactions/{id}/{token}/callback", self._callback, methods=["POST"]),
            Route("/webhooks/{app}/{token}", self._followup, methods=["POST"]),
            Route("/webhooks/{app}/{token}/messages/@original", self._delete_original,
                  methods=["DELETE"]),
            Route("/channels/{channel}/messages", self._channel_message, methods=["POST"]),
        ])

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bot {TOKEN}"

    async def _me(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, status_code=401)
        return JSONResponse({**BOT_USER, "verified": True, "mfa_enabled": False, "locale": "en-US"})

    async def _application(self, request: Request) -> Response:
        return JSONResponse({
            "id": APP_ID, "name": "Tally", "icon": None, "description": "", "summary": "",
            "type": None, "bot_public": True, "bot_require_code_grant": False,
            "verify_key": "0" * 64, "flags": 1 << 19, "owner": user("1000000000000000009", "Owner"),
            "team": None, "bot": BOT_USER, "interactions_endpoint_url": None,
            "rpc_origins": [], "tags": [], "approximate_guild_count": 1})

    async def _sync(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, status_code=401)
        commands = await request.json()
        synced = [{**c, "id": str(next(self._ids)), "application_id": APP_ID, "version": "1",
                   "default_member_permissions": None, "dm_permission": True, "nsfw": False,
                   "type": c.get("type", 1), "options": c.get("options", [])} for c in commands]
        with self._lock:
            self.commands = synced
        return JSONResponse(synced)

    async def _callback(self, request: Request) -> Response:
        payload, files = await _body(request)
        with self._lock:
            self.sent.append(Sent("callback", payload, files))
        kind = payload["type"]
        return JSONResponse({
            "interaction": {"id": request.path_params["id"], "type": 2,
                            "response_message_loading": kind == 5,
                            "response_message_ephemeral": bool(
                                (payload.get("data") or {}).get("flags", 0) & 64)},
            "resource": {"type": kind}})

    async def _followup(self, request: Request) -> Response:
        payload, files = await _body(request)
        message = self._message(payload, files, CHANNEL, webhook=request.path_params["app"])
        with self._lock:
            self.sent.append(Sent("followup", payload, files, message))
        return JSONResponse(message)

    async def _delete_original(self, request: Request) -> Response:
        with self._lock:
            self.sent.append(Sent("delete_original", {}))
        return Response(status_code=204)

    async def _channel_message(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, status_code=401)
        payload, files = await _body(request)
        message = self._message(payload, files, request.path_params["channel"])
        with self._lock:
            self.sent.append(Sent("message", payload, files, message))
        return JSONResponse(message)

    def _message(self, payload: dict[str, Any], files: dict[str, bytes], channel: str,
                 webhook: str | None = None) -> dict[str, Any]:
        message_id = str(next(self._ids))
        attachments = [{"id": str(next(self._ids)), "filename": a["filename"], "size": len(data),
                        "url": f"https://cdn.discordapp.com/attachments/{channel}/{a['filename']}",
                        "proxy_url": f"https://media.discordapp.net/{a['filename']}",
                        "content_type": "image/png"}
                       for a, data in zip(payload.get("attachments", []), files.values(), strict=False)]
        return {"id": message_id, "channel_id": channel, "guild_id": GUILD, "type": 0 if not webhook else 20,
                "author": BOT_USER, "content": payload.get("content") or "", "timestamp": TIMESTAMP,
                "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
                "mention_roles": [], "attachments": attachments, "embeds": payload.get("embeds", []),
                "pinned": False, "flags": payload.get("flags", 0),
                "components": payload.get("components", []),
                **({"webhook_id": webhook, "application_id": APP_ID} if webhook else {}),
                **({"message_reference": payload["message_reference"]}
                   if payload.get("message_reference") else {})}


async def _body(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """JSON bodies, or multipart ``payload_json`` with ``files[n]`` parts."""
    if not request.headers.get("content-type", "").startswith("multipart/"):
        raw = await request.body()
        return (json.loads(raw) if raw else {}), {}
    form = await request.form()
    files: dict[str, bytes] = {}
    payload: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[value.filename or key] = await value.read()
        elif key == "payload_json":
            payload = json.loads(value)
    return payload, files


# --- gateway payloads -----------------------------------------------------------------------
def member(user_obj: dict[str, Any], permissions: int = MEMBER_PERMISSIONS) -> dict[str, Any]:
    return {"user": user_obj, "roles": [], "nick": None, "avatar": None, "joined_at": TIMESTAMP,
            "premium_since": None, "deaf": False, "mute": False, "flags": 0, "pending": False,
            "permissions": str(permissions), "communication_disabled_until": None}


def _channel(channel: str, guild: str) -> dict[str, Any]:
    return {"id": channel, "type": 0, "guild_id": guild, "name": "general", "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
            "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}


def _interaction(interaction_id: str, kind: int, data: dict[str, Any], who: dict[str, Any], *,
                 guild: str, channel: str, permissions: int, message: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    payload = {"id": interaction_id, "application_id": APP_ID, "type": kind,
               "token": f"interaction-token-{interaction_id}", "version": 1, "guild_id": guild,
               "channel_id": channel, "channel": _channel(channel, guild),
               "member": member(who, permissions), "data": data, "locale": "en-US",
               "guild_locale": "en-US", "app_permissions": str(MEMBER_PERMISSIONS),
               "entitlements": [], "authorizing_integration_owners": {"0": guild}, "context": 0,
               "attachment_size_limit": 10485760}
    if message is not None:
        payload["message"] = message
    return payload


def slash_command(interaction_id: str, name: str, who: dict[str, Any], *, guild: str = GUILD,
                  channel: str = CHANNEL, permissions: int = MEMBER_PERMISSIONS,
                  command_id: str = "1300000000000000001", **options: str) -> dict[str, Any]:
    """An ``INTERACTION_CREATE`` for a chat input command (``/ask question:...``)."""
    data = {"id": command_id, "name": name, "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()]}
    return _interaction(interaction_id, 2, data, who, guild=guild, channel=channel,
                        permissions=permissions)


def button_click(interaction_id: str, custom_id: str, who: dict[str, Any],
                 message: dict[str, Any]) -> dict[str, Any]:
    """An ``INTERACTION_CREATE`` for a click on a button of ``message``."""
    data = {"custom_id": custom_id, "component_type": 2}
    return _interaction(interaction_id, 3, data, who, guild=GUILD,
                        channel=message["channel_id"], permissions=MEMBER_PERMISSIONS,
                        message=message)


def message_create(message_id: str, who: dict[str, Any], content: str, *, guild: str | None = GUILD,
                   channel: str = CHANNEL, mentions: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """A ``MESSAGE_CREATE`` dispatch (``guild=None`` for a direct message)."""
    payload: dict[str, Any] = {
        "id": message_id, "channel_id": channel, "author": who, "content": content,
        "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False, "mention_everyone": False,
        "mentions": list(mentions), "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": False, "type": 0, "flags": 0, "components": [], "nonce": message_id}
    if guild is not None:
        payload.update(guild_id=guild, member={k: v for k, v in member(who).items() if k != "user"})
    return payload
