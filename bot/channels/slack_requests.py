"""What ``POST /slack/events`` checks before slack-bolt sees a request.

In order: the ``X-Slack-Signature`` (v0 HMAC of the raw body, timestamp within five
minutes) before anything is parsed, then the body is parsed the way bolt parses it
(JSON, or a form whose ``payload`` is JSON), then its shape: the fields bolt and
Tally's listeners read must have the types Slack sends. A request that fails gets
401 (signature) or 400 (anything else), one log line, and never reaches bolt, so a
bad body can neither cost a traceback nor a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, model_validator
from slack_bolt.request.internals import extract_content_type, parse_body
from starlette.requests import Request
from starlette.responses import Response

logger = logging.getLogger(__name__)

MAX_AGE_SECONDS = 300  # Slack's (and bolt's) replay window
SIGNATURE_HEADER = "x-slack-signature"
TIMESTAMP_HEADER = "x-slack-request-timestamp"

Text = StrictStr | None
Id = Annotated[StrictStr, Field(max_length=255)] | None


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _containers_are_not_null(cls, data: Any) -> Any:
        # bolt tests `"type" in body["event"]`: a present-but-null container would crash it.
        if isinstance(data, dict):
            for key in _CONTAINERS:
                if key in data and data[key] is None:
                    raise ValueError(f"{key} is null")
        return data


class _Object(_Shape):
    """An event, message, item, user, team or channel object: the ids bolt reads are text."""

    id: Id = None
    type: Id = None
    subtype: Id = None
    team: Id | _Object = None
    user: Id | _Object = None
    channel: Id | _Object = None
    enterprise: Id | _Object = None
    enterprise_id: Id = None
    team_id: Id = None
    user_id: Id = None
    channel_id: Id = None
    user_team: Id = None
    channel_type: Id = None
    bot_id: Id = None
    ts: Id = None
    thread_ts: Id = None
    event_ts: Id = None
    text: Text = None
    app_installed_team_id: Id = None
    is_enterprise_install: StrictBool | StrictStr | None = None
    message: _Object | None = None
    previous_message: _Object | None = None
    item: _Object | None = None
    assistant_thread: _Object | None = None
    inputs: dict[str, Any] | None = None


class _Action(_Shape):
    action_id: Annotated[StrictStr, Field(max_length=255)]  # bolt matches listeners on it
    block_id: Id = None
    value: Text = None
    type: Id = None


class _Authorization(_Shape):
    enterprise_id: Id = None
    team_id: Id = None
    user_id: Id = None
    is_enterprise_install: StrictBool | None = None


class _Container(_Shape):
    """Any object bolt only looks into for ids (a view, a container, function data)."""

    team_id: Id = None
    app_installed_team_id: Id = None
    execution_id: Id = None
    inputs: dict[str, Any] | None = None


class SlackPayload(_Object):
    """A request body: an Events API envelope, a slash command or an interactivity payload."""

    event: _Object | None = None
    event_id: Id = None
    api_app_id: Id = None
    command: Text = None
    challenge: Text = None
    response_url: Text = None
    response_urls: list[dict[str, Text]] | None = None
    trigger_id: Text = None
    token: Text = None
    ssl_check: Text = None
    user_name: Text = None
    is_ext_shared_channel: StrictBool | None = None
    context_team_id: Id = None
    context_enterprise_id: Id = None
    function_execution_id: Id = None
    bot_access_token: Text = None
    authorizations: list[_Authorization] | None = None
    actions: list[_Action] | None = None
    view: _Container | None = None
    container: _Container | None = None
    function_data: _Container | None = None

    @model_validator(mode="after")
    def _fits_its_type(self) -> SlackPayload:
        if self.type is None and self.command is None and self.ssl_check is None:
            raise ValueError("neither an event, an interaction nor a slash command")
        if self.type == "event_callback" and (self.event is None or not self.event.type):
            raise ValueError("an event_callback without an event type")
        if self.type == "block_actions" and not (self.actions and isinstance(self.user, _Object)
                                                 and self.user.id and not isinstance(self.channel, str)):
            raise ValueError("block_actions without actions, a user object or a channel object")
        event = self.event
        if event is not None and event.type in _QUESTIONS and event.user is not None \
                and not (isinstance(event.user, str) and isinstance(event.channel, str)):
            raise ValueError(f"a {event.type} event without a user id and a channel id")
        if self.command is not None and not (self.channel_id and self.user_id):
            raise ValueError("a slash command without channel_id and user_id")
        return self


_BOLT_TYPES = ("url_verification", "block_actions")  # answered by bolt or Tally's listeners
_QUESTIONS = ("app_mention", "message")  # the events Tally answers (slack_render.event_to_inbound)
_CONTAINERS = ("event", "message", "previous_message", "item", "assistant_thread", "view",
               "container", "function_data", "authorizations", "actions", "response_urls")


def valid_signature(body: bytes, timestamp: str | None, signature: str | None, secret: str,
                    now: float) -> bool:
    """Whether ``signature`` is Slack's v0 HMAC of ``v0:{timestamp}:{body}``, made recently."""
    if not (timestamp and signature and secret) or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def parse(body: bytes, content_type: str | None) -> SlackPayload:
    """The body as bolt will read it, typed; raises ValueError with the reason when it cannot be."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    if not text:
        raise ValueError("the body is empty")
    try:
        parsed = parse_body(text, extract_content_type({"content-type": [content_type or ""]}))
    except (ValueError, RecursionError):
        raise ValueError("the body is neither JSON nor a form with a JSON payload") from None
    if not isinstance(parsed, dict) or not parsed:
        raise ValueError("the body is not a Slack payload object")
    try:
        return SlackPayload.model_validate(parsed)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "the body"
        raise ValueError(f"{where}: {error['msg']}"[:200]) from None


async def refusal(request: Request, signing_secret: str, now: float) -> Response | None:
    """The response that keeps ``request`` from bolt, or None to let bolt handle it.

    401 unsigned, 400 malformed, and 200 for a signed, well-formed kind Tally does not
    handle (an event it does not answer, a modal): acknowledged, so Slack does not retry it.
    """
    body = await request.body()
    if not valid_signature(body, request.headers.get(TIMESTAMP_HEADER),
                           request.headers.get(SIGNATURE_HEADER), signing_secret, now):
        logger.warning("slack: request with a missing, bad or stale signature refused")
        return Response("invalid signature", status_code=401)
    try:
        payload = parse(body, request.headers.get("content-type"))
    except ValueError as exc:
        logger.warning("slack: signed request refused: %s", exc)
        return Response("malformed request", status_code=400)
    if not _handled(payload):
        logger.info("slack: %s not for Tally, acknowledged", _kind(payload))
        return Response(status_code=200)
    return None


def _handled(payload: SlackPayload) -> bool:
    """Whether bolt has something for it: Tally's events, buttons and command, and Slack's checks."""
    if payload.type == "event_callback":
        return payload.event is not None and payload.event.type in _QUESTIONS
    return payload.type in _BOLT_TYPES or payload.command is not None or payload.ssl_check is not None


def _kind(payload: SlackPayload) -> str:
    event = payload.event.type if payload.event is not None else None
    return repr(f"{payload.type}/{event}" if event else payload.type)[:80]
