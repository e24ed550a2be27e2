"""Telegram: python-telegram-bot's Application, by long polling or by webhook.

``to_inbound`` turns a Bot API update into an :class:`InboundMessage` (private chats,
``/ask``, ``/digest``, ``/subscribe``, and group messages that mention or reply to the
bot); :func:`bot.channels.telegram_render.render` turns a reply into HTML messages.
Webhook mode is used when ``TELEGRAM_WEBHOOK_SECRET`` and ``TALLY_PUBLIC_URL`` are set;
otherwise the bot long-polls ``getUpdates``. Flood control is PTB's ``AIORateLimiter``,
which waits out a 429's ``retry_after`` and retries.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.channels.choices import STALE, Click, picked_message
from bot.channels.telegram_render import choice_from_callback, render
from bot.channels.webhook_payloads import TelegramUpdate, parse_body
from bot.pipeline import Pipeline
from bot.settings import Settings

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMANDS = frozenset({"ask", "digest", "subscribe", "unsubscribe", "subscriptions",
                      "alert", "alerts", "snooze", "unsnooze",  # alert rules
                      "bet", "stats", "leaderboard", "record",  # betting
                      "teach", "synonyms", "forget"})  # the workspace's own words
UPDATES = ["message", "callback_query"]  # texts, and clicks on choice buttons
HELP_COMMANDS = frozenset({"start", "help"})
MAX_RETRIES = 3
_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is (from ``getMe``): mentions and replies are recognised by these."""

    id: int
    username: str


# --- inbound: an update in, a message for the dispatcher out ------------------------------
def to_inbound(update: dict[str, Any], me: BotIdentity) -> InboundMessage | None:
    """The message an update carries for Tally, or None when it is not addressed to the bot.

    Private chats: every text. Groups: commands for this bot, and texts that mention
    ``@me.username`` or reply to one of the bot's messages. ``/start`` and ``/help`` ask
    for help; other commands travel as ``InboundMessage.command``.
    """
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return None
    sender = message.get("from") or {}
    if sender.get("is_bot"):
        return None
    chat = message["chat"]
    private = chat.get("type") == "private"
    text: str = message["text"]
    command = None
    if match := _COMMAND.match(text):
        name, target, rest = match.group(1).lower(), match.group(2), match.group(3) or ""
        if target is not None and target.lower() != me.username.lower():
            return None  # "/ask@OtherBot": another bot's command
        if name in HELP_COMMANDS:
            name, rest = "ask", "help"
        elif name not in COMMANDS and not private and target is None:
            return None  # an unknown bare command in a group is likely another bot's
        command, text = name, rest
    elif not private:
        if not (_mentions(message, me) or _replies_to(message, me)):
            return None
        text = re.sub(rf"@{re.escape(me.username)}\b", " ", text, flags=re.IGNORECASE)
    thread = message.get("message_thread_id") if message.get("is_topic_message") else None
    return InboundMessage(
        ref=ConversationRef(PLATFORM, str(chat["id"]), str(thread) if thread else None),
        text=" ".join(text.split()), user_id=str(sender.get("id", chat["id"])),
        user_name=_display_name(sender), event_id=f"{chat['id']}:{message['message_id']}",
        command=command if command != "ask" else None, raw=update)


def _mentions(message: dict[str, Any], me: BotIdentity) -> bool:
    for entity in message.get("entities") or ():
        if entity.get("type") == "text_mention" and (entity.get("user") or {}).get("id") == me.id:
            return True
        if entity.get("type") == "mention" and \
                _entity_text(message["text"], entity).lower() == f"@{me.username.lower()}":
            return True
    return False


def _replies_to(message: dict[str, Any], me: BotIdentity) -> bool:
    replied = message.get("reply_to_message") or {}
    # In forum topics every message "replies" to the topic's first message: not to us.
    return (replied.get("from") or {}).get("id") == me.id and "forum_topic_created" not in replied


def _entity_text(text: str, entity: dict[str, Any]) -> str:
    # Entity offsets count UTF-16 code units, not Python characters.
    encoded = text.encode("utf-16-le")
    start, length = entity["offset"] * 2, entity["length"] * 2
    return encoded[start:start + length].decode("utf-16-le", errors="ignore")


def _display_name(sender: dict[str, Any]) -> str | None:
    name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
    return name or sender.get("username")


# --- the channel -----------------------------------------------------------------------------
class TelegramChannel:
    """Telegram inside the runtime: receives updates, answers through the dispatcher.

    Args:
        application: the PTB application (built by :func:`build`).
        dispatcher: where inbound messages go.
        webhook_url: the public URL of ``POST /telegram/webhook``; None to long-poll.
        webhook_secret: the ``secret_token`` Telegram echoes in every webhook call.
    """

    platform = PLATFORM

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], dispatcher: Pipeline,
                 webhook_url: str | None = None, webhook_secret: SecretStr | None = None) -> None:
        self.application = application
        self.dispatcher = dispatcher
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.me: BotIdentity | None = None
        application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT,
                                               self._on_message))
        application.add_handler(CallbackQueryHandler(self._on_choice))
        application.add_error_handler(self._on_error)

    async def start(self) -> None:
        """Logs in (``getMe``), registers the webhook or starts polling, then processes updates."""
        await self.application.initialize()
        bot = self.application.bot
        self.me = BotIdentity(bot.id, bot.username)
        if self.webhook_url and self.webhook_secret:
            await bot.set_webhook(self.webhook_url, allowed_updates=UPDATES,
                                  secret_token=self.webhook_secret.get_secret_value())
        elif self.application.updater is not None:
            await self.application.updater.start_polling(allowed_updates=UPDATES)
        await self.application.start()
        logger.info("telegram: running as @%s (%s)", self.me.username,
                    "webhook" if self.webhook_url else "polling")

    async def open_outbound(self) -> None:
        """Initializes the bot (``getMe``, HTTP connections) without polling or a webhook."""
        await self.application.initialize()

    async def stop(self) -> None:
        """Stops fetching updates, finishes the ones in flight, and closes the connections."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        """Posts a reply to a chat (and forum topic), as HTML messages and a chart photo."""
        return await self._deliver(ref, reply, reply_to=None)

    def routes(self) -> Sequence[Any]:
        """``POST /telegram/webhook`` in webhook mode; nothing when long-polling."""
        if not (self.webhook_url and self.webhook_secret):
            return []
        return [Route(WEBHOOK_PATH, self._webhook, methods=["POST"])]

    # --- receiving -------------------------------------------------------------------------
    async def _webhook(self, request: Request) -> Response:
        assert self.webhook_secret is not None
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            logger.warning("telegram: webhook without its secret token refused")
            return Response("missing secret token", status_code=401)
        if not hmac.compare_digest(given.encode(), self.webhook_secret.get_secret_value().encode()):
            logger.warning("telegram: webhook with a wrong secret token refused")
            return Response("bad secret token", status_code=403)
        try:
            update = Update.de_json(parse_body(await request.body(), TelegramUpdate),
                                    self.application.bot)
        except Exception as exc:  # ValueError from the shape check; PTB's parser raises anything
            logger.warning("telegram: webhook body refused: %s", exc)
            update = None
        if update is None:
            return Response("not an update", status_code=400)
        # Queued, not processed inline: Telegram gets its 200 at once, the answer follows.
        await self.application.update_queue.put(update)
        return Response(status_code=200)

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if self.me is None:
            return
        inbound = to_inbound(update.to_dict(), self.me)
        if inbound is None:
            return
        message = update.effective_message
        reply_to = message.message_id if message else None
        await self.dispatcher.answer(inbound, partial(self._deliver, inbound.ref, reply_to=reply_to))

    async def _on_choice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A choice button: its question, asked by whoever clicked, in the answer's chat."""
        query = update.callback_query
        picked = choice_from_callback(query.data if query else None)
        if query is None or picked is None or not isinstance(query.message, Message):
            return
        chat, sender = query.message.chat, query.from_user
        thread = query.message.message_thread_id if query.message.is_topic_message else None
        ref = ConversationRef(PLATFORM, str(chat.id), str(thread) if thread else None)
        name = _display_name(sender.to_dict())
        inbound = picked_message(self.dispatcher.app.state, Click(
            ref, *picked, str(sender.id), name, event_id=f"callback:{query.id}"))
        await query.answer(None if inbound is not None else STALE)  # the button stops spinning
        if inbound is not None:
            await self.dispatcher.answer(inbound, partial(
                self._deliver, ref, reply_to=query.message.message_id))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram: error while handling an update", exc_info=context.error)

    # --- sending ---------------------------------------------------------------------------
    async def _deliver(self, ref: ConversationRef, reply: Reply, reply_to: int | None = None
                       ) -> SendResult:
        rendered = render(reply)
        chat_id: int | str = int(ref.chat_id) if ref.chat_id.lstrip("-").isdigit() else ref.chat_id
        thread = int(ref.thread_id) if ref.thread_id else None
        sent: list[Message] = []
        bot = self.application.bot
        try:
            if rendered.photo and rendered.caption:
                sent.append(await bot.send_photo(
                    chat_id, Path(rendered.photo), caption=rendered.caption, parse_mode=ParseMode.HTML,
                    message_thread_id=thread, reply_parameters=_reply_to(reply_to)))
            for n, text in enumerate(rendered.texts, 1):
                keyboard = _keyboard(rendered.buttons) if n == len(rendered.texts) else None
                sent.append(await bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, message_thread_id=thread,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_parameters=None if sent else _reply_to(reply_to), reply_markup=keyboard))
            if rendered.photo and not rendered.caption:
                sent.append(await bot.send_photo(chat_id, Path(rendered.photo), message_thread_id=thread))
        except TelegramError as exc:
            logger.warning("telegram: sending to chat %s failed: %s", ref.chat_id, exc)
            return SendResult(False, tuple(str(m.message_id) for m in sent), str(exc))
        return SendResult(True, tuple(str(m.message_id) for m in sent))


def _keyboard(buttons: tuple[tuple[str, str], ...]) -> InlineKeyboardMarkup | None:
    """One button per row: a reading is a whole question, too long to sit side by side."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)]
                                 for text, data in buttons])


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id, allow_sending_without_reply=True)


class _RedactToken(logging.Filter):
    """Removes the bot token from log records: the Bot API puts it in every URL."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token in record.getMessage():
            record.msg, record.args = record.getMessage().replace(self.token, "<token>"), None
        return True


# The loggers that print Bot API URLs (httpx at INFO, PTB at DEBUG).
_URL_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Updater")


def build(settings: Settings, dispatcher: Pipeline) -> TelegramChannel | None:
    """The Telegram channel, or None when ``TELEGRAM_BOT_TOKEN`` is not set."""
    if settings.telegram_bot_token is None:
        return None
    token = settings.telegram_bot_token.get_secret_value()
    for name in _URL_LOGGERS:
        url_logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactToken) and f.token == token for f in url_logger.filters):
            url_logger.addFilter(_RedactToken(token))
    api = settings.telegram_api_url.rstrip("/")
    webhook_url = None
    if settings.telegram_webhook_secret is not None and settings.public_url:
        webhook_url = settings.public_url.rstrip("/") + WEBHOOK_PATH
    builder = (Application.builder().token(token).base_url(f"{api}/bot")
               .base_file_url(f"{api}/file/bot").rate_limiter(AIORateLimiter(max_retries=MAX_RETRIES))
               # Answers run concurrently: one slow question must not hold up every chat.
               .concurrent_updates(True))
    if webhook_url:
        builder = builder.updater(None)
    return TelegramChannel(builder.build(), dispatcher, webhook_url,
                           settings.telegram_webhook_secret if webhook_url else None)
