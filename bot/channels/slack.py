"""Slack: a slack-bolt ``AsyncApp`` over HTTP (``POST /slack/events``) or Socket Mode.

Every request is acknowledged at once and answered from a background task, so Slack's
3-second deadline never waits on the brain. Retries (``X-Slack-Retry-Num``) are not
dropped: the dispatcher claims each ``event_id``, so a retry of an event already taken
gets no second answer while a retry of a lost delivery is answered; an event acked but
never answered (the process died) is answered again once its claim's lease expires.

Answers are worked out on a second event loop in a thread of their own: the
dispatcher's database writes and the brain then never hold up the loop that serves
``POST /slack/events``, so acks stay fast under load.

Where answers go: a mention in a channel is answered in a thread rooted at it (the
thread is the conversation: replies there are follow-ups, no mention needed), a direct
message in the DM, ``/tally`` in the channel it was typed in.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agents.reply import Reply
from bot.channels import slack_requests
from bot.channels.base import ConversationRef, InboundMessage, SendResult
from bot.channels.choices import STALE, Click, picked_message
from bot.channels.slack_render import (
    CHOICE_ACTION_PREFIX,
    FEEDBACK_ACTION_PREFIX,
    action_ref,
    choice_from_action,
    command_to_inbound,
    event_to_inbound,
    feedback_from_action,
    render,
)
from bot.funnel import process_error
from bot.pipeline import Pipeline
from bot.settings import Settings
from storage.conversations import answered_in

logger = logging.getLogger(__name__)

USER_CACHE_SECONDS = 600
# Answers worked out at once. The brain is CPU-bound Python: more threads only contend
# for the GIL with the loop that acks (measured with bench/slack.py), not answer faster.
ANSWER_CONCURRENCY = 4
# Seconds auth.test may take while a request waits (Slack gives up on an ack after 3).
AUTH_TEST_TIMEOUT = 2.0
# Errors after which a slash command's answer goes through its response_url instead.
_NOT_A_MEMBER = ("not_in_channel", "channel_not_found")


class SlackChannel:
    """The Slack platform: bolt listeners in, Block Kit out.

    Args:
        dispatcher: where inbound messages go.
        bot_token: the ``xoxb-`` token; signing_secret: verifies HTTP requests.
        api_url: the Web API base URL (a local fake in tests).
        app_token: the ``xapp-`` token; when set, events arrive over Socket Mode.
    """

    platform = "slack"

    def __init__(self, dispatcher: Pipeline, *, bot_token: str, signing_secret: str,
                 api_url: str, app_token: str | None = None) -> None:
        self.dispatcher = dispatcher
        self.client = AsyncWebClient(token=bot_token, base_url=api_url)
        self.signing_secret = signing_secret
        self._identity: asyncio.Task[AuthorizeResult] | None = None
        # process_before_response: the listeners below only parse and spawn a task, so
        # running them before the ack costs nothing and keeps the tasks ours to await.
        # authorize: the bot's identity (auth.test) is looked up once, with a timeout, not
        # by bolt on the first request with none.
        # Bolt's own client carries no token: the one authorize returns is set per request.
        self.bolt = AsyncApp(client=AsyncWebClient(base_url=api_url), signing_secret=signing_secret,
                             name="tally", process_before_response=True,
                             authorize=lambda: self._authorize(),
                             request_verification_enabled=bool(signing_secret))
        self.handler = AsyncSlackRequestHandler(self.bolt)
        self.app_token = app_token
        self._verifies_signatures = bool(signing_secret)
        self._socket: Any = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._answers: _AnswerLoop | None = None
        self._users: dict[str, tuple[float, str | None, bool, str | None]] = {}
        self.bolt.event("app_mention")(self._on_event)
        self.bolt.event("message")(self._on_event)
        self.bolt.command("/tally")(self._on_command)
        self.bolt.action(re.compile(f"^{FEEDBACK_ACTION_PREFIX}"))(self._on_feedback)
        self.bolt.action(re.compile(f"^{CHOICE_ACTION_PREFIX}"))(self._on_choice)

    # --- Channel protocol ----------------------------------------------------------------
    async def start(self) -> None:
        """Looks up the bot's identity, then opens Socket Mode when an app token is set."""
        await self.identity(timeout=5 * AUTH_TEST_TIMEOUT)
        self._learn_team()
        if self.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, self.app_token)
            await self._socket.connect_async()
            logger.info("slack: connected over Socket Mode")

    async def open_outbound(self) -> None:
        """Nothing to open: the Web API client is ready once built."""

    async def stop(self) -> None:
        """Closes Socket Mode and waits for the answers in flight."""
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self.wait_idle()
        if self._answers is not None:
            self._answers.close()
            self._answers = None

    async def wait_idle(self) -> None:
        """Returns once every answer started so far has been sent."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def routes(self) -> Sequence[Any]:
        """``POST /slack/events`` for events, interactivity and slash commands."""
        if not self._verifies_signatures:  # never accept unsigned requests over HTTP
            return []

        async def slack_events(request: Request) -> Response:
            refused = await slack_requests.refusal(request, self.signing_secret, time.time())
            if refused is not None:
                return refused
            if await self.identity(timeout=AUTH_TEST_TIMEOUT) is None:
                return Response("Slack's API does not answer; retry later", status_code=503,
                                headers={"Retry-After": "60"})
            return await self.handler.handle(request)

        return [Route("/slack/events", slack_events, methods=["POST"])]

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        """Posts a reply (in the thread of ``ref``, if any) and uploads its chart there."""
        message = render(reply)
        try:
            posted = await self.client.chat_postMessage(
                channel=ref.chat_id, thread_ts=ref.thread_id, text=message.text,
                blocks=message.blocks, unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            logger.warning("slack: chat.postMessage to %s failed: %s", ref.chat_id, error)
            return SendResult(False, error=error)
        ids = [f"{ref.chat_id}:{posted['ts']}"]
        if message.chart:
            await self._upload_chart(ref, message.chart)
        return SendResult(True, tuple(ids))

    async def identity(self, timeout: float) -> AuthorizeResult | None:
        """The bot's identity from ``auth.test`` (looked up once), or None after ``timeout`` s."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._lookup()), timeout)
        except TimeoutError:
            logger.warning("slack: auth.test did not answer within %.1f s", timeout)
        except (SlackApiError, OSError, ValueError):  # logged once by _note_failure
            pass
        return None

    def _lookup(self) -> asyncio.Task[AuthorizeResult]:
        """The auth.test lookup in flight or done; a failed one is started again."""
        task = self._identity
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._identity = asyncio.ensure_future(self._auth_test())
            task.add_done_callback(_note_failure)
        return task

    async def _auth_test(self) -> AuthorizeResult:
        response = await self.client.auth_test()
        return AuthorizeResult.from_auth_test_response(auth_test_response=response,
                                                       bot_token=self.client.token)

    async def _authorize(self) -> AuthorizeResult:
        # HTTP requests reach bolt only once identity() answered, so this never waits there;
        # over Socket Mode an unknown identity still lets the event in (bots' own messages
        # are left out by their bot_id).
        found = await self.identity(timeout=AUTH_TEST_TIMEOUT)
        return found or AuthorizeResult(enterprise_id=None, team_id=None, bot_token=self.client.token)

    # --- listeners (run before the ack: keep them quick) ----------------------------------
    async def _on_event(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        message = event_to_inbound(body, context.bot_user_id)
        if message is None:
            return
        event = body["event"]
        in_channel_thread = event["type"] == "message" and event.get("channel_type") != "im"
        self._spawn(self._answer(message, only_in_tallys_thread=in_channel_thread))

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._answer(command_to_inbound(body)))

    async def _on_feedback(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        vote = feedback_from_action(body)
        if vote is not None:
            self._spawn(self._store_feedback(*vote, (body.get("channel") or {}).get("id")))

    async def _on_choice(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if (picked := choice_from_action(body)) is not None:
            user = str((body.get("user") or {}).get("id"))
            action_ts = (body.get("actions") or [{}])[0].get("action_ts")
            self._spawn(self._answer_choice(Click(action_ref(body), *picked, user,
                                                  event_id=f"choice:{user}:{action_ts}")))

    # --- background work -----------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Runs ``work`` on the answer loop; :meth:`wait_idle` and :meth:`stop` wait for it."""
        if self._answers is None:
            self._answers = _AnswerLoop()
        future = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._answers.loop))
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    def _slots(self) -> asyncio.Semaphore:
        assert self._answers is not None  # _answer only runs on the answer loop
        return self._answers.slots

    async def _answer(self, message: InboundMessage, only_in_tallys_thread: bool = False) -> None:
        try:
            if only_in_tallys_thread and not self._tally_answered_in(message.ref):
                return
            message = await self._with_user(message)
            await self.dispatcher.answer(message, partial(self._reply, message), slot=self._slots())
        except Exception:  # a background task has nobody above it to catch
            process_error("slack: answering in %s", message.ref.key, log=logger)

    async def _answer_choice(self, click: Click) -> None:
        """A choice button: its question, asked by whoever clicked, in the answer's thread."""
        message = picked_message(self.dispatcher.app.state, click)
        if message is not None:
            await self._answer(message)
            return
        try:
            await self.client.chat_postEphemeral(channel=click.ref.chat_id, user=click.user_id,
                                                 thread_ts=click.ref.thread_id, text=STALE)
        except SlackApiError as exc:
            logger.info("slack: could not tell %s a choice is stale: %s", click.user_id,
                        exc.response.get("error"))

    async def _reply(self, message: InboundMessage, reply: Reply) -> SendResult:
        """Posts the answer; a slash command's goes through its response URL where Tally is no member."""
        result = await self.send(message.ref, reply)
        response_url = message.raw.get("response_url")
        if not result.ok and result.error in _NOT_A_MEMBER and response_url:
            return SendResult(await self._respond(str(response_url), reply))
        return result

    async def _respond(self, response_url: str, reply: Reply) -> bool:
        """Slash commands work in channels the bot is not in: answer via the response URL."""
        message = render(reply)
        response = await AsyncWebhookClient(response_url).send(
            text=message.text, blocks=message.blocks, response_type="in_channel")
        return response.status_code == 200

    async def _upload_chart(self, ref: ConversationRef, chart: str) -> None:
        try:
            await self.client.files_upload_v2(channel=ref.chat_id, thread_ts=ref.thread_id,
                                              file=chart, filename=Path(chart).name, title="Chart")
        except (SlackApiError, OSError) as exc:
            logger.warning("slack: chart upload to %s failed: %s", ref.chat_id, exc)

    async def _store_feedback(self, answer_id: str, user_id: str, score: int,
                              channel: str | None) -> None:
        if not self.dispatcher.feedback(answer_id, user_id, score) or not channel:
            return
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user_id,
                                                 text="Thanks for the feedback!")
        except SlackApiError as exc:
            logger.info("slack: could not thank %s: %s", user_id, exc.response.get("error"))

    async def _with_user(self, message: InboundMessage) -> InboundMessage:
        """Adds the sender's display name, admin flag and own team (users.info, cached).

        users.info names the sender's home team: when it is not the event's (a Slack Connect
        guest), the message speaks for that team, so a binding made for another team never
        answers it, and an admin of another team is no admin here.
        """
        self._learn_team()
        now = time.monotonic()
        cached = self._users.get(message.user_id)
        if cached is None or now - cached[0] > USER_CACHE_SECONDS:
            name, is_admin, team = await self._user_info(message)
            cached = (now, name, is_admin, team)
            self._users[message.user_id] = cached
        _, name, is_admin, team = cached
        ref = message.ref
        if team and team != ref.space_id:
            logger.info("slack: %s is of team %s, not %s: answered for their own team",
                        message.user_id, team, ref.space_id)
            ref = replace(ref, space_id=team)
        return replace(message, ref=ref, user_name=name or message.user_name, is_admin=is_admin)

    async def _user_info(self, message: InboundMessage) -> tuple[str | None, bool, str | None]:
        """(display name, Slack admin or owner, home team) of the sender, from users.info."""
        try:
            user = (await self.client.users_info(user=message.user_id))["user"]
        except SlackApiError as exc:
            logger.info("slack: users.info failed: %s", exc.response.get("error"))
            return message.user_name, False, None
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or user.get("name")
        return name, bool(user.get("is_admin") or user.get("is_owner")), user.get("team_id")

    def _learn_team(self) -> None:
        """The bot token's own team (auth.test): Slack bindings made without one serve it only.

        Read from the identity looked up at start or before bolt took the request (answers
        run on another event loop, which cannot await that lookup).
        """
        found = self._identity
        if self.dispatcher.slack_team is not None or found is None or not found.done():
            return
        if not found.cancelled() and found.exception() is None and found.result().team_id:
            self.dispatcher.slack_team = found.result().team_id

    def _tally_answered_in(self, ref: ConversationRef) -> bool:
        """Whether Tally has answered in this thread (so a reply there is a follow-up)."""
        return answered_in(self.dispatcher.app.state, "slack", ref.key)


def _note_failure(task: asyncio.Task[AuthorizeResult]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.warning("slack: auth.test failed: %s", error)


class _AnswerLoop:
    """An event loop in a daemon thread, for the work that follows an ack."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.slots = asyncio.Semaphore(ANSWER_CONCURRENCY)
        self.thread = threading.Thread(target=self.loop.run_forever, name="slack-answers",
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def build(settings: Settings, dispatcher: Pipeline) -> SlackChannel | None:
    """The Slack channel, or None when its credentials are not set.

    HTTP mode needs ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET``; Socket Mode needs
    ``SLACK_BOT_TOKEN`` and ``SLACK_APP_TOKEN``.
    """
    if settings.slack_bot_token is None:
        return None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    if not secret and not app_token:
        logger.warning("slack: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP) "
                       "nor SLACK_APP_TOKEN (Socket Mode): Slack stays off")
        return None
    return SlackChannel(dispatcher, bot_token=settings.slack_bot_token.get_secret_value(),
                        signing_secret=secret, api_url=settings.slack_api_url, app_token=app_token)
