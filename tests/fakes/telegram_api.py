"""A fake Telegram Bot API: ``/bot<token>/<method>`` with the real request and reply formats.

It serves ``getMe``, ``getUpdates`` (long polling over updates the test pushes),
``setWebhook``/``deleteWebhook``, and records ``sendMessage``/``sendPhoto`` after checking
them like Telegram does: the HTML must parse (known tags, balanced) and the text must fit
4096 characters (captions 1024) after entity parsing. A test can make the next call of a
method fail with a 429 ``retry_after``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT_ID = 123456
BOT_USERNAME = "TallyTestBot"
ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code",
                          "pre", "span", "tg-spoiler", "blockquote", "tg-emoji"})


class _TelegramHTML(HTMLParser):
    """Checks HTML the way the Bot API's parser rejects it ("can't parse entities")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.visible = 0
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = f"Unmatched end tag \"{tag}\""

    def handle_data(self, data: str) -> None:
        self.visible += len(data)


def parse_html(text: str) -> tuple[int, str | None]:
    """The visible length of an HTML text and the parse error Telegram would give, if any."""
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.stack and parser.error is None:
        parser.error = f"Can't find end tag corresponding to start tag \"{parser.stack[-1]}\""
    if parser.rawdata:  # an unterminated "<..." left in the buffer
        parser.error = parser.error or "Unclosed start tag"
    return parser.visible, parser.error


@dataclass
class Sent:
    """One recorded sendMessage / sendPhoto call (parameters as posted, files as bytes)."""

    method: str
    params: dict[str, Any]
    message_id: int
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> str:
        return str(self.params["chat_id"])

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row by row flattened ([] without one)."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [button for row in markup.get("inline_keyboard", ()) for button in row]

    def as_message(self) -> dict[str, Any]:
        """The message as Telegram would show it back in a callback query."""
        chat_id = int(self.params["chat_id"])
        return {"message_id": self.message_id, "date": int(time.time()), "text": self.text,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Tally", "username": BOT_USERNAME}}


class FakeTelegram:
    """The fake Bot API's state; ``app`` is the ASGI app to serve on 127.0.0.1."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[str, list[int]] = {}
        self.webhook: dict[str, Any] | None = None
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self._call, methods=["GET", "POST"])])

    # --- what tests use ----------------------------------------------------------------------
    def push(self, message: dict[str, Any]) -> dict[str, Any]:
        """Queues an update carrying ``message`` for the next getUpdates; returns the update."""
        with self._lock:
            update = {"update_id": next(self._update_ids), "message": message}
            self.updates.append(update)
        return update

    def push_callback(self, callback_query: dict[str, Any]) -> dict[str, Any]:
        """Queues an update carrying a ``callback_query`` (a click on an inline button)."""
        with self._lock:
            update = {"update_id": next(self._update_ids), "callback_query": callback_query}
            self.updates.append(update)
        return update

    def update(self, message: dict[str, Any]) -> dict[str, Any]:
        """An update carrying ``message`` (for webhook posts), with a fresh update id."""
        return {"update_id": next(self._update_ids), "message": message}

    def fail_next(self, method: str, retry_after: int = 1) -> None:
        """Makes the next call of ``method`` answer 429 Too Many Requests."""
        self.failures.setdefault(method, []).append(retry_after)

    def sent_to(self, chat_id: int | str) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == str(chat_id)]

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    # --- the API ---------------------------------------------------------------------------
    async def _call(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params, files = await _params(request)
        self.calls.append((method, params))
        if self.failures.get(method):
            retry_after = self.failures[method].pop(0)
            return _error(429, f"Too Many Requests: retry after {retry_after}",
                          parameters={"retry_after": retry_after})
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        return await handler(params, files)

    async def _getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> JSONResponse:
        return _ok(self.bot_user())

    async def _getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> JSONResponse:
        offset = int(params.get("offset", 0))
        # Long polling, capped short so the bot's shutdown never waits on an idle poll.
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 0.05)
        while True:
            with self._lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = list(self.updates)
            if ready or time.monotonic() >= deadline:
                return _ok(ready)
            await asyncio.sleep(0.01)

    async def _setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> JSONResponse:
        self.webhook = params
        return _ok(True)

    async def _deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> JSONResponse:
        self.webhook = None
        return _ok(True)

    async def _sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> JSONResponse:
        text = str(params.get("text", ""))
        visible, error = parse_html(text) if params.get("parse_mode") == "HTML" else (len(text), None)
        if error:
            return _error(400, f"Bad Request: can't parse entities: {error}")
        if not 1 <= visible <= 4096:
            return _error(400, "Bad Request: message is too long" if visible else
                          "Bad Request: message text is empty")
        return self._record("sendMessage", params, files, {"text": text})

    async def _answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]
                                   ) -> JSONResponse:
        if len(str(params.get("text") or "")) > 200:
            return _error(400, "Bad Request: MESSAGE_TOO_LONG")
        return _ok(True)

    async def _sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> JSONResponse:
        if "photo" not in files and "photo" not in params:
            return _error(400, "Bad Request: there is no photo in the request")
        caption = str(params.get("caption", ""))
        visible, error = parse_html(caption) if params.get("parse_mode") == "HTML" else (len(caption), None)
        if error or visible > 1024:
            return _error(400, f"Bad Request: {error or 'message caption is too long'}")
        photo = [{"file_id": "AgAD-fake", "file_unique_id": "fake1", "width": 800, "height": 600}]
        return self._record("sendPhoto", params, files, {"photo": photo, "caption": caption})

    def _record(self, method: str, params: dict[str, Any], files: dict[str, bytes],
                content: dict[str, Any]) -> JSONResponse:
        message_id = next(self._message_ids)
        self.sent.append(Sent(method, params, message_id, files))
        chat_id = int(params["chat_id"])
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        return _ok({"message_id": message_id, "date": int(time.time()), "chat": chat,
                    "from": self.bot_user(), **content})

    def bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Tally", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}


async def _params(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Bot API parameters: query string, form (urlencoded or multipart) or JSON body."""
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, bytes] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        params.update(await request.json())
    elif content_type:
        form = await request.form()
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = await value.read()
            else:
                params[key] = value
    return params, files


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: int, description: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": code, "description": description, **extra},
                        status_code=code)


# --- messages as Telegram delivers them ----------------------------------------------------------
_message_ids = itertools.count(500)


def user(user_id: int = 42, first_name: str = "Ana") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def private_text(chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    """A text message in a private chat with the bot (command entities included)."""
    chat = {"id": chat_id, "first_name": "Ana", "type": "private"}
    return _message(chat, user(chat_id), text, **extra)


def group_text(chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    """A text message in a supergroup; ``@mentions`` and commands get their entities."""
    chat = {"id": chat_id, "title": "Team", "type": "supergroup"}
    return _message(chat, user(), text, **extra)


def _message(chat: dict[str, Any], sender: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    message = {"message_id": next(_message_ids), "from": sender, "chat": chat,
               "date": int(time.time()), "text": text, **extra}
    entities = _entities(text)
    if entities:
        message["entities"] = entities
    return message


def _entities(text: str) -> list[dict[str, Any]]:
    import re

    entities = []
    for match in re.finditer(r"(?<![\w@])(/[A-Za-z0-9_]+(?:@\w+)?|@\w+)", text):
        kind = "bot_command" if match.group(1).startswith("/") and match.start() == 0 else "mention"
        if kind == "mention" and match.group(1).startswith("/"):
            continue
        offset = len(text[:match.start()].encode("utf-16-le")) // 2
        length = len(match.group(1).encode("utf-16-le")) // 2
        entities.append({"offset": offset, "length": length, "type": kind})
    return entities


_callback_ids = itertools.count(9000)


def callback_query(message: Sent, data: str, sender: dict[str, Any] | None = None) -> dict[str, Any]:
    """A click on an inline button of a message the bot sent."""
    return {"id": str(next(_callback_ids)), "from": sender or user(), "message": message.as_message(),
            "chat_instance": "-4242", "data": data}


def as_json(update: dict[str, Any]) -> bytes:
    return json.dumps(update).encode()
