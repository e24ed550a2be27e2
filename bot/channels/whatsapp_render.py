"""WhatsApp's side of the adapter: Cloud API webhook payloads in, message bodies out.

Pure functions, no HTTP: :func:`inbound_messages` reads a webhook payload,
:func:`render` turns a reply into WhatsApp-formatted texts (``*bold*``, tables in
triple backticks) of at most 4096 characters, and :func:`text_message`,
:func:`image_message` and :func:`template_message` build the ``/messages`` bodies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agents.reply import Reply
from bot.channels.base import ConversationRef, InboundMessage
from bot.channels.choices import numbered
from bot.channels.telegram_render import pack, split_text

PLATFORM = "whatsapp"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# Template body parameters may not hold newlines, tabs or more than 4 spaces in a row.
TEMPLATE_PARAMETER_LIMIT = 1024
_FENCE = "```"


@dataclass(frozen=True)
class WhatsAppMessages:
    """What one reply becomes on WhatsApp.

    Attributes:
        texts: message bodies, each within the 4096-character limit.
        image: path of the chart PNG, uploaded as media and sent as an image message.
        caption: the image's caption (≤ 1024); when set, the image goes first and carries
            the answer's sentence, and ``texts`` hold the rest.
    """

    texts: tuple[str, ...]
    image: str | None = None
    caption: str | None = None


# --- inbound ---------------------------------------------------------------------------------
def inbound_messages(payload: dict[str, Any]) -> list[InboundMessage]:
    """The text messages of a webhook payload (statuses and other types are skipped)."""
    found: list[InboundMessage] = []
    for entry in payload.get("entry") or ():
        for change in entry.get("changes") or ():
            value = change.get("value") or {}
            if change.get("field") != "messages":
                continue
            for message in value.get("messages") or ():
                inbound = to_inbound(message, value)
                if inbound is not None:
                    found.append(inbound)
    return found


def to_inbound(message: dict[str, Any], value: dict[str, Any]) -> InboundMessage | None:
    """One webhook ``messages[]`` item as an inbound question, or None if it is not text.

    The chat is the sender's number in E.164 (``+`` and digits): what ``tally connect
    whatsapp`` binds. The ``wamid`` is the event id, so a redelivery is answered once.
    """
    if message.get("type") != "text" or not message.get("from") or not message.get("id"):
        return None
    sender = str(message["from"])
    names = {c.get("wa_id"): (c.get("profile") or {}).get("name") for c in value.get("contacts") or ()}
    return InboundMessage(
        ref=ConversationRef(PLATFORM, e164(sender)),
        text=" ".join(str((message.get("text") or {}).get("body", "")).split()),
        user_id=sender, user_name=names.get(sender), event_id=str(message["id"]),
        raw={"message": message, "metadata": value.get("metadata") or {}})


def e164(number: str) -> str:
    """A phone number as ``+`` and digits (WhatsApp sends and accepts bare digits)."""
    return "+" + re.sub(r"\D", "", number)


def failed_statuses(payload: dict[str, Any]) -> list[tuple[str, int]]:
    """``(wamid, error code)`` of each ``failed`` status in a webhook payload."""
    failed = []
    for entry in payload.get("entry") or ():
        for change in entry.get("changes") or ():
            for status in (change.get("value") or {}).get("statuses") or ():
                if status.get("status") == "failed" and status.get("errors"):
                    failed.append((str(status.get("id")), int(status["errors"][0].get("code", 0))))
    return failed


# --- outbound --------------------------------------------------------------------------------
def render(reply: Reply, limit: int = TEXT_LIMIT) -> WhatsAppMessages:
    """The WhatsApp messages of a reply: text, numbered choices, the table in a code block,
    suggestions, chart."""
    caption = reply.text if reply.chart and reply.text and len(reply.text) <= CAPTION_LIMIT else None
    fragments: list[str] = []
    if reply.text and caption is None:
        fragments += split_text(reply.text, lambda s: len(s) <= limit)
    if reply.choices:  # numbered: "2" or "the second one" typed next picks one (the brain's memory)
        fragments += split_text(numbered(reply.choices), lambda s: len(s) <= limit)
    if reply.table is not None:
        fence = len(_FENCE) * 2 + 2
        fragments += [f"{_FENCE}\n{piece}\n{_FENCE}" for piece in split_text(
            reply.table.as_text(), lambda s: len(s) + fence <= limit, separators=("\n",))]
    if reply.suggestions:
        tries = "*Try:* " + " · ".join(f"“{s}”" for s in reply.suggestions)
        fragments += split_text(tries, lambda s: len(s) <= limit)
    return WhatsAppMessages(tuple(pack(fragments, limit)), reply.chart, caption)


def text_message(to: str, body: str) -> dict[str, Any]:
    """A ``/messages`` body for a text message."""
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": _digits(to),
            "type": "text", "text": {"preview_url": False, "body": body}}


def image_message(to: str, media_id: str, caption: str | None) -> dict[str, Any]:
    """A ``/messages`` body for an image already uploaded to ``/media``."""
    image: dict[str, Any] = {"id": media_id}
    if caption:
        image["caption"] = caption
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": _digits(to),
            "type": "image", "image": image}


def template_message(to: str, name: str, language: str, text: str) -> dict[str, Any]:
    """A ``/messages`` body for an approved template whose one body parameter is ``text``."""
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": _digits(to),
            "type": "template", "template": {
                "name": name, "language": {"code": language},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": template_parameter(text)}]}]}}


def template_parameter(text: str) -> str:
    """``text`` flattened into one line that WhatsApp accepts as a template parameter."""
    flat = re.sub(r"\s*\n\s*", " · ", text.strip())
    flat = re.sub(r"[ \t]+", " ", flat)
    if len(flat) > TEMPLATE_PARAMETER_LIMIT:
        flat = flat[:TEMPLATE_PARAMETER_LIMIT - 1].rstrip() + "…"
    return flat


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)
