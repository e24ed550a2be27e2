"""WhatsApp Cloud API: signed webhooks in, a thin httpx sender out.

``GET /whatsapp/webhook`` answers Meta's verification handshake; ``POST`` checks the
``X-Hub-Signature-256`` HMAC of the raw body, acknowledges at once and answers in a
background task. Charts are uploaded to ``/media`` and sent as image messages. When the
24-hour customer-service window is closed (error 131047, answered by the API or reported
later in a ``failed`` status webhook), the text goes out as the approved template
``WHATSAPP_TEMPLATE`` instead. pywa is not used: it hard-codes the Graph host, and every
base URL here must be a setting.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import Coroutine, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.channels.webhook_payloads import WhatsAppWebhook, parse_body
from bot.channels.whatsapp_render import (
    PLATFORM,
    failed_statuses,
    image_message,
    inbound_messages,
    render,
    template_message,
    text_message,
)
from bot.funnel import process_error
from bot.pipeline import Pipeline
from bot.settings import Settings

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/whatsapp/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
WINDOW_CLOSED = 131047  # "Re-engagement message": more than 24 hours since the user wrote
DEFAULT_TEMPLATE_LANGUAGE = "en"
_REMEMBERED_SENDS = 1000


class CloudAPIError(Exception):
    """An error the Cloud API answered (``{"error": {"code": ..., "message": ...}}``)."""

    def __init__(self, code: int, message: str, status: int) -> None:
        super().__init__(f"WhatsApp API error {code} (HTTP {status}): {message}")
        self.code = code
        self.status = status


def valid_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``header`` is ``sha256=`` + the HMAC-SHA256 of the raw body with the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    given = header.removeprefix("sha256=").encode("utf-8", "replace")
    return hmac.compare_digest(given, expected.encode())


class WhatsAppSender:
    """A thin Cloud API client for one business phone number.

    Args:
        api_url: the Graph API base with its version (``WHATSAPP_API_URL``).
        phone_number_id: the sending number's id (``WHATSAPP_PHONE_NUMBER_ID``).
        token: the access token (``WHATSAPP_TOKEN``).
        client: an injected ``httpx.AsyncClient`` (one is created otherwise).
    """

    def __init__(self, api_url: str, phone_number_id: str, token: SecretStr,
                 client: httpx.AsyncClient | None = None) -> None:
        self.base = f"{api_url.rstrip('/')}/{phone_number_id}"
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
        self._headers = {"Authorization": f"Bearer {token.get_secret_value()}"}

    async def post_message(self, body: dict[str, Any]) -> str:
        """Sends one ``/messages`` body; returns the new message's ``wamid``."""
        response = await self.client.post(f"{self.base}/messages", json=body, headers=self._headers)
        return str(_result(response)["messages"][0]["id"])

    async def upload_media(self, path: str, mime_type: str = "image/png") -> str:
        """Uploads a file to ``/media``; returns its media id."""
        content = await asyncio.to_thread(Path(path).read_bytes)
        response = await self.client.post(
            f"{self.base}/media", headers=self._headers,
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (Path(path).name, content, mime_type)})
        return str(_result(response)["id"])

    async def aclose(self) -> None:
        await self.client.aclose()


def _result(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.is_success and isinstance(payload, dict) and "error" not in payload:
        return payload
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    raise CloudAPIError(int(error.get("code", 0)), str(error.get("message", response.reason_phrase)),
                        response.status_code)


class WhatsAppChannel:
    """WhatsApp inside the runtime: webhook routes, background answers, template fallback.

    Args:
        sender: the Cloud API client.
        dispatcher: where inbound messages go.
        app_secret: signs every webhook POST (``WHATSAPP_APP_SECRET``).
        verify_token: the handshake token (``WHATSAPP_VERIFY_TOKEN``).
        template: the approved template for messages outside the 24-hour window.
        template_language: that template's language code.
    """

    platform = PLATFORM

    def __init__(self, sender: WhatsAppSender, dispatcher: Pipeline, app_secret: SecretStr,
                 verify_token: SecretStr, template: str,
                 template_language: str = DEFAULT_TEMPLATE_LANGUAGE) -> None:
        self.sender = sender
        self.dispatcher = dispatcher
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.template = template
        self.template_language = template_language
        self._tasks: set[asyncio.Task[object]] = set()
        # wamid → (recipient, text) of recent sends, for a 131047 reported by status webhook.
        self._recent: OrderedDict[str, tuple[str, str]] = OrderedDict()

    async def start(self) -> None:
        """Nothing to connect: Meta calls the webhook."""
        logger.info("whatsapp: receiving webhooks on %s", WEBHOOK_PATH)

    async def open_outbound(self) -> None:
        """Nothing to open: the Graph API sender is ready once built."""

    async def stop(self) -> None:
        """Finishes the answers in flight and closes the HTTP client."""
        await self.drain()
        await self.sender.aclose()

    async def drain(self) -> None:
        """Waits until every background answer has been sent."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        """Posts a reply to a number; outside the 24-hour window, as the approved template."""
        return await self._deliver(ref.chat_id, reply)

    def routes(self) -> Sequence[Any]:
        """``GET`` (verification handshake) and ``POST`` (signed events) ``/whatsapp/webhook``."""
        return [Route(WEBHOOK_PATH, self._webhook, methods=["GET", "POST"])]

    # --- receiving -------------------------------------------------------------------------
    async def _webhook(self, request: Request) -> Response:
        if request.method == "GET":
            return self._handshake(request)
        body = await request.body()
        if not valid_signature(body, request.headers.get(SIGNATURE_HEADER),
                               self.app_secret.get_secret_value()):
            logger.warning("whatsapp: webhook with a missing or bad signature refused")
            return Response("bad signature", status_code=401)
        try:
            payload = parse_body(body, WhatsAppWebhook)
        except ValueError as exc:
            logger.warning("whatsapp: signed webhook refused: %s", exc)
            return Response("not a webhook payload", status_code=400)
        # Acknowledge now, answer later: Meta retries deliveries that are slow to get a 200.
        for message in inbound_messages(payload):
            self._spawn(self._answer(message))
        for wamid, code in failed_statuses(payload):
            if code == WINDOW_CLOSED and wamid in self._recent:
                self._spawn(self._send_template(*self._recent.pop(wamid)))
        return Response(status_code=200)

    def _handshake(self, request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode(), self.verify_token.get_secret_value().encode()):
            return PlainTextResponse(params.get("hub.challenge", ""))
        # never the token: a guess could be the real one mistyped
        logger.warning("whatsapp: verification handshake refused (%s)",
                       "wrong verify token" if params.get("hub.mode") == "subscribe"
                       else f"mode {params.get('hub.mode', '')[:20]!r}, not 'subscribe'")
        return Response("verification failed", status_code=403)

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, message: InboundMessage) -> None:
        try:
            await self.dispatcher.answer(message, partial(self._deliver, message.ref.chat_id))
        except Exception:  # a background task has no caller to raise to
            process_error("whatsapp: answering %s", message.event_id, log=logger)

    # --- sending ---------------------------------------------------------------------------
    async def _deliver(self, to: str, reply: Reply) -> SendResult:
        rendered = render(reply)
        ids: list[str] = []
        try:
            if rendered.image and rendered.caption:
                ids.append(await self._send_image(to, rendered.image, rendered.caption))
            for text in rendered.texts:
                ids.append(await self.sender.post_message(text_message(to, text)))
            if rendered.image and not rendered.caption:
                ids.append(await self._send_image(to, rendered.image, None))
        except CloudAPIError as exc:
            if exc.code == WINDOW_CLOSED and not ids:
                return await self._send_template(to, reply.text)
            logger.warning("whatsapp: sending failed: %s", exc)
            return SendResult(False, tuple(ids), str(exc))
        except (httpx.HTTPError, OSError) as exc:
            logger.warning("whatsapp: sending failed: %s", exc)
            return SendResult(False, tuple(ids), str(exc))
        if ids:
            self._remember(ids[0], to, reply.text)
        return SendResult(True, tuple(ids))

    async def _send_image(self, to: str, path: str, caption: str | None) -> str:
        media_id = await self.sender.upload_media(path)
        return await self.sender.post_message(image_message(to, media_id, caption))

    async def _send_template(self, to: str, text: str) -> SendResult:
        logger.info("whatsapp: 24-hour window closed, sending template %s", self.template)
        try:
            wamid = await self.sender.post_message(
                template_message(to, self.template, self.template_language, text))
        except (CloudAPIError, httpx.HTTPError) as exc:
            logger.warning("whatsapp: template %s failed: %s", self.template, exc)
            return SendResult(False, (), str(exc))
        return SendResult(True, (wamid,))

    def _remember(self, wamid: str, to: str, text: str) -> None:
        self._recent[wamid] = (to, text)
        while len(self._recent) > _REMEMBERED_SENDS:
            self._recent.popitem(last=False)


def build(settings: Settings, dispatcher: Pipeline) -> WhatsAppChannel | None:
    """The WhatsApp channel, or None unless token, number id, app secret and verify token are set."""
    required = {"WHATSAPP_TOKEN": settings.whatsapp_token,
                "WHATSAPP_PHONE_NUMBER_ID": settings.whatsapp_phone_number_id,
                "WHATSAPP_APP_SECRET": settings.whatsapp_app_secret,
                "WHATSAPP_VERIFY_TOKEN": settings.whatsapp_verify_token}
    missing = [name for name, value in required.items() if not value]
    if missing:
        if settings.whatsapp_token is not None:
            logger.warning("whatsapp: not started, missing %s", ", ".join(missing))
        return None
    assert settings.whatsapp_token and settings.whatsapp_phone_number_id
    assert settings.whatsapp_app_secret and settings.whatsapp_verify_token
    sender = WhatsAppSender(settings.whatsapp_api_url, settings.whatsapp_phone_number_id,
                            settings.whatsapp_token)
    return WhatsAppChannel(sender, dispatcher, settings.whatsapp_app_secret,
                           settings.whatsapp_verify_token, settings.whatsapp_template)
