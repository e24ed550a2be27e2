"""A fake WhatsApp Cloud API (Graph ``/{phone_number_id}/messages`` and ``/media``).

It records every message and media upload in the Cloud API's request format and answers
in its response format; a test can make the next free-form message fail with error
131047 (the 24-hour window is closed), as the real API does. Also: webhook payloads as
Meta posts them, and their ``X-Hub-Signature-256``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "EAAG-fake-whatsapp-token"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
WABA_ID = "102290129340398"
APP_SECRET = "fake-app-secret"
VERIFY_TOKEN = "fake-verify-token"
VERSION = "v21.0"


@dataclass
class Upload:
    """One recorded media upload."""

    media_id: str
    fields: dict[str, str]
    filename: str
    content_type: str
    content: bytes


class FakeGraph:
    """The fake Cloud API's state; ``app`` is the ASGI app to serve on 127.0.0.1."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.wamids: list[str] = []  # the id answered for each of ``messages``
        self.uploads: list[Upload] = []
        self.window_closed_for: set[str] = set()
        self._ids = itertools.count(1)
        base = f"/{VERSION}/{{phone_number_id}}"
        self.app = Starlette(routes=[Route(f"{base}/messages", self._messages, methods=["POST"]),
                                     Route(f"{base}/media", self._media, methods=["POST"])])

    def close_window(self, number: str) -> None:
        """Free-form messages to ``number`` fail with 131047 (templates still go through)."""
        self.window_closed_for.add(number.lstrip("+"))

    def wamid_of(self, message: dict[str, Any]) -> str:
        return self.wamids[self.messages.index(message)]

    def sent_to(self, number: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == number.lstrip("+") and kind in (None, m["type"])]

    async def _messages(self, request: Request) -> JSONResponse:
        if (denied := _check(request)) is not None:
            return denied
        body = await request.json()
        if body.get("messaging_product") != "whatsapp" or "to" not in body:
            return _error(400, 100, "(#100) Invalid parameter")
        if body["to"] in self.window_closed_for and body.get("type") != "template":
            return _error(400, 131047, "Re-engagement message",
                          "Message failed to send because more than 24 hours have passed since the "
                          "customer last replied to this number.")
        if body.get("type") == "text" and len(body["text"]["body"]) > 4096:
            return _error(400, 100, "(#100) Param text['body'] must be at most 4096 characters long.")
        if body.get("type") == "image" and not any(u.media_id == body["image"].get("id")
                                                   for u in self.uploads):
            return _error(400, 131053, "Media upload error")
        wamid = f"wamid.HBgLMTU1NTAxMjM0NTYVAgARGBI{next(self._ids):08d}AA=="
        self.messages.append(body)
        self.wamids.append(wamid)
        return JSONResponse({"messaging_product": "whatsapp",
                             "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                             "messages": [{"id": wamid}]})

    async def _media(self, request: Request) -> JSONResponse:
        if (denied := _check(request)) is not None:
            return denied
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or form.get("messaging_product") != "whatsapp":
            return _error(400, 100, "(#100) The parameter file is required.")
        media_id = f"{1_000_000_000 + next(self._ids)}"
        self.uploads.append(Upload(media_id, {k: v for k, v in form.items() if isinstance(v, str)},
                                   upload.filename or "", upload.content_type or "", await upload.read()))
        return JSONResponse({"id": media_id})


def _check(request: Request) -> JSONResponse | None:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
    if request.path_params["phone_number_id"] != PHONE_NUMBER_ID:
        return _error(400, 100, "Unsupported post request.")
    return None


def _error(status: int, code: int, message: str, details: str | None = None) -> JSONResponse:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbCdEfGhIjK"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return JSONResponse({"error": error}, status_code=status)


# --- webhooks as Meta posts them ------------------------------------------------------------------
def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """The ``X-Hub-Signature-256`` header Meta sends with ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _envelope(value: dict[str, Any]) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
             **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}


def text_webhook(sender: str, body: str, wamid: str, name: str = "Ana Souza") -> dict[str, Any]:
    """A ``messages`` webhook carrying one text from ``sender`` (digits, no ``+``)."""
    return _envelope({
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [{"from": sender, "id": wamid, "timestamp": str(int(time.time())),
                      "text": {"body": body}, "type": "text"}]})


def status_webhook(recipient: str, wamid: str, status: str, error_code: int | None = None) -> dict[str, Any]:
    """A ``statuses`` webhook (sent, delivered, read, or failed with an error code)."""
    entry: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(int(time.time())),
                             "recipient_id": recipient}
    if error_code is not None:
        entry["errors"] = [{"code": error_code, "title": "Re-engagement message",
                            "message": "Re-engagement message",
                            "error_data": {"details": "Message failed to send because more than 24 "
                                           "hours have passed since the customer last replied."}}]
    else:
        entry["conversation"] = {"id": "c0ffee", "origin": {"type": "service"}}
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    return _envelope({"statuses": [entry]})


def as_body(payload: dict[str, Any]) -> bytes:
    """The raw body Meta would post (the signature covers these exact bytes)."""
    return json.dumps(payload, separators=(",", ":")).encode()
