"""The shapes of WhatsApp and Telegram webhook bodies, checked before anything reads them.

A verified body is parsed once here; what the channel reads afterwards (entries,
changes, messages, statuses; an update's message, chat, sender and entities) must
have the type the platform documents, so a body that does not gets 400 instead of
failing halfway through. Fields Tally does not read pass through unchecked.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

Text = StrictStr | None
Count = Annotated[StrictInt, Field(ge=0, lt=2**31)]
BigId = Annotated[StrictInt, Field(gt=-(2**53), lt=2**53)]  # Telegram ids fit a double
Epoch = Annotated[StrictInt, Field(ge=0, lt=2**40)]  # unix seconds, past 2038 too


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


# --- WhatsApp Cloud API ----------------------------------------------------------------------
class _WaText(_Shape):
    body: Text = None


class _WaMessage(_Shape):
    id: Text = None
    sender: Text = Field(default=None, alias="from")
    type: Text = None
    text: _WaText | None = None


class _WaProfile(_Shape):
    name: Text = None


class _WaContact(_Shape):
    wa_id: Text = None
    profile: _WaProfile | None = None


class _WaError(_Shape):
    code: Annotated[StrictInt, Field(ge=0, lt=2**31)] = 0


class _WaStatus(_Shape):
    id: Text = None
    status: Text = None
    errors: list[_WaError] | None = None


class _WaValue(_Shape):
    messages: list[_WaMessage] | None = None
    contacts: list[_WaContact] | None = None
    statuses: list[_WaStatus] | None = None
    metadata: dict[str, Any] | None = None


class _WaChange(_Shape):
    field: Text = None
    value: _WaValue | None = None


class _WaEntry(_Shape):
    changes: list[_WaChange] | None = None


class WhatsAppWebhook(_Shape):
    """A Cloud API webhook body: ``{"object", "entry": [{"changes": [{"field", "value"}]}]}``."""

    object: Text = None
    entry: list[_WaEntry] | None = None


# --- Telegram Bot API ------------------------------------------------------------------------
class _TgUser(_Shape):
    id: BigId
    is_bot: StrictBool
    first_name: StrictStr
    last_name: Text = None
    username: Text = None


class _TgChat(_Shape):
    id: BigId
    type: StrictStr


class _TgEntity(_Shape):
    type: StrictStr
    offset: Count
    length: Count
    user: _TgUser | None = None


class _TgReplied(_Shape):
    message_id: BigId
    date: Epoch
    chat: _TgChat
    sender: _TgUser | None = Field(default=None, alias="from")


class _TgMessage(_TgReplied):
    text: Text = None
    entities: list[_TgEntity] | None = None
    message_thread_id: BigId | None = None
    is_topic_message: StrictBool | None = None
    reply_to_message: _TgReplied | None = None


class TelegramUpdate(_Shape):
    """An update: its id and, for the ``message`` updates Tally asks for, the message."""

    update_id: BigId
    message: _TgMessage | None = None


Shape = TypeVar("Shape", bound=BaseModel)


def parse_body(body: bytes, shape: type[Shape]) -> dict[str, Any]:
    """The JSON object in ``body`` once it fits ``shape``; raises ValueError with the reason."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    try:
        shape.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "the body"
        raise ValueError(f"{where}: {error['msg']}"[:200]) from None
    return payload
