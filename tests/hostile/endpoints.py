"""Every HTTP endpoint of ``tally serve``, served for hostile-input tests.

:func:`serve_endpoints` builds the real runtime from settings (Slack over HTTP,
WhatsApp, Telegram in webhook mode, the playground, the Shopify and Stripe webhook
gateway), each platform pointed at its fake API on 127.0.0.1, and serves the real
ASGI app with uvicorn on loopback. :class:`Endpoints` signs requests the way each
platform does and tells whether anything was written: a queued webhook event, a
warehouse row, an answer stored or sent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from cryptography.fernet import Fernet
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.channels.playground import PlaygroundChannel
from bot.channels.slack import SlackChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.web_auth import SESSION_COOKIE
from connectors.credentials import ConnectorStore, load_key
from connectors.webhooks import WebhookGateway
from storage.access import Role
from storage.sign_in import SignIn
from storage.state import AnswerRow
from storage.users import Users
from tests.conftest import FIXTURES
from tests.fakes import slack_api as fs
from tests.fakes import telegram_api as ft
from tests.fakes import whatsapp_api as fw
from tests.fakes.server import serve
from tests.fakes.shopify import SECRET as SHOPIFY_SECRET
from tests.fakes.shopify import SHOP
from tests.fakes.stripe import WEBHOOK_SECRET as STRIPE_SECRET

TELEGRAM_SECRET = "hostile-telegram-secret"
PATHS = {"slack": "/slack/events", "whatsapp": "/whatsapp/webhook",
         "telegram": "/telegram/webhook", "shopify": "/webhooks/shopify",
         "stripe": "/webhooks/stripe", "playground": "/playground/api/chat"}
#: chats bound to the shop workspace, so a valid signed question would be answered
SLACK_CHANNEL, WHATSAPP_NUMBER, TELEGRAM_CHAT = "C0SHOP0001", "5511987654321", 7001
WAREHOUSE_TABLES = ("orders", "order_items", "refunds", "customers", "saas_customers",
                    "saas_plans", "subscriptions", "invoices")


class Records(logging.Handler):
    """Keeps every log record (from every thread) for the assertions."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def tracebacks(self) -> list[str]:
        """Records that carry a traceback, as ``logger: message``."""
        return [f"{r.name}: {r.getMessage()}" for r in self.records
                if r.exc_info or "Traceback" in r.getMessage()]


@dataclass
class Endpoints:
    """The served app, its fakes and the runtime behind it."""

    url: str
    runtime: Runtime
    gateway: WebhookGateway
    slack: fs.FakeSlack
    graph: fw.FakeGraph
    telegram: ft.FakeTelegram
    log: Records
    client: httpx.Client = field(init=False)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _sessions: dict[bool | str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30)

    # --- sending ---------------------------------------------------------------------------
    def post(self, endpoint: str, body: bytes, headers: Mapping[str, str] | None = None, *,
             signed: bool | str = False, path: str | None = None, method: str = "POST"
             ) -> httpx.Response:
        """Sends ``body`` to ``endpoint``; ``signed`` adds a valid signature (``"stale"``: an
        hour-old one, ``"wrong"``: one made with another secret)."""
        sent = dict(headers or {})
        if signed:
            sent.update(self.signature(endpoint, body, sent, signed))
        return self.client.request(method, path or PATHS[endpoint], content=body, headers=sent)

    def signature(self, endpoint: str, body: bytes, headers: Mapping[str, str],
                  how: bool | str = True) -> dict[str, str]:
        """The headers that sign ``body`` for ``endpoint`` as its platform would."""
        now = int(time.time()) - (3600 if how == "stale" else 0)
        wrong = how == "wrong"
        if endpoint == "slack":
            secret = "not-the-secret" if wrong else fs.SIGNING_SECRET
            digest = hmac.new(secret.encode(), f"v0:{now}:".encode() + body, hashlib.sha256)
            return {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": f"v0={digest.hexdigest()}"}
        if endpoint == "whatsapp":
            return {"X-Hub-Signature-256": fw.sign(body, "wrong" if wrong else fw.APP_SECRET)}
        if endpoint == "telegram":
            return {"X-Telegram-Bot-Api-Secret-Token": "wrong" if wrong else TELEGRAM_SECRET}
        if endpoint == "shopify":
            secret = "wrong" if wrong else SHOPIFY_SECRET
            digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
            found = {k.lower() for k in headers}
            extra = {} if "x-shopify-topic" in found else {"X-Shopify-Topic": "orders/create"}
            if "x-shopify-event-id" not in found:
                extra["X-Shopify-Event-Id"] = f"hostile-{next(self._ids)}-{time.time_ns()}"
            if "x-shopify-shop-domain" not in found:
                extra["X-Shopify-Shop-Domain"] = SHOP
            return {"X-Shopify-Hmac-Sha256": digest.decode(), **extra}
        if endpoint == "stripe":
            secret = "whsec_wrong" if wrong else STRIPE_SECRET
            digest = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256)
            return {"Stripe-Signature": f"t={now},v1={digest.hexdigest()}"}
        if endpoint == "playground":  # signed in: a member's session cookie and CSRF token
            return self.session(how)
        return {}

    def session(self, how: bool | str = True) -> dict[str, str]:
        """A playground session's headers (``"stale"``: an expired one, ``"wrong"``: made up)."""
        if how == "wrong":
            return {"Cookie": f"{SESSION_COOKIE}=made-up", "X-CSRF-Token": "made-up"}
        if how not in self._sessions:
            users = Users(self.runtime.app.state)
            email = "hostile@example.com"
            user = users.find(email) or users.create(email, actor="test")
            users.set_role(email, "shop", Role.MEMBER, actor="test")
            days = 8 if how == "stale" else 0  # sessions last 7 days
            clock = lambda: datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)  # noqa: E731
            started = SignIn(self.runtime.app.state, clock).start_session(user, ip=None, method="test")
            self._sessions[how] = {"Cookie": f"{SESSION_COOKIE}={started.token}",
                                   "X-CSRF-Token": started.csrf_token}
        return self._sessions[how]

    # --- what was written ------------------------------------------------------------------
    def writes(self) -> dict[str, int]:
        """Counts of everything a request could have written or sent."""
        app = self.runtime.app
        with app.state.engine.connect() as conn:
            events = conn.execute(sa.text("SELECT count(*) FROM webhook_events")).scalar_one()
        with app.state.session() as s:
            answers = s.scalar(sa.select(sa.func.count()).select_from(AnswerRow)) or 0
        warehouse = app.workspaces.warehouse("shop")
        rows = {t: warehouse.fetch(f"SELECT count(*) FROM {t}")[0][0] for t in WAREHOUSE_TABLES}
        return {"webhook_events": events, "answers": answers,
                "slack_posts": len(self.slack.posts()), "whatsapp_sends": len(self.graph.messages),
                "telegram_sends": len(self.telegram.sent), **rows}

    def settle(self, seconds: float = 0.3) -> None:
        """Gives background answers and the webhook worker time to finish."""
        time.sleep(seconds)


class _Lifespan:
    """Runs ``start`` / ``stop`` on uvicorn's loop around the app (ASGI lifespan)."""

    def __init__(self, app: ASGIApp, context: Any) -> None:
        self.app, self.context = app, context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        await receive()
        async with self.context():
            await send({"type": "lifespan.startup.complete"})
            await receive()
        await send({"type": "lifespan.shutdown.complete"})


def _settings(data_dir: Path, slack: str, graph: str, telegram: str) -> Settings:
    return Settings(_env_file=None, TALLY_DATA_DIR=data_dir, TALLY_HTTP_HOST="127.0.0.1",  # type: ignore[call-arg]
                    TALLY_SECRET_KEY=Fernet.generate_key().decode(), TALLY_USER_RATE_LIMIT=100000,
                    TALLY_PUBLIC_URL="https://tally.example",
                    SLACK_BOT_TOKEN=fs.BOT_TOKEN, SLACK_SIGNING_SECRET=fs.SIGNING_SECRET,
                    SLACK_API_URL=f"{slack}/api/",
                    WHATSAPP_TOKEN=fw.TOKEN, WHATSAPP_PHONE_NUMBER_ID=fw.PHONE_NUMBER_ID,
                    WHATSAPP_APP_SECRET=fw.APP_SECRET, WHATSAPP_VERIFY_TOKEN=fw.VERIFY_TOKEN,
                    WHATSAPP_API_URL=f"{graph}/{fw.VERSION}",
                    TELEGRAM_BOT_TOKEN=ft.TOKEN, TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
                    TELEGRAM_API_URL=telegram)


def _prepare(runtime: Runtime) -> WebhookGateway:
    """The shop workspace with Shopify and Stripe connected and a chat bound per platform."""
    from storage.importer import import_directory

    app = runtime.app
    app.workspaces.create("shop", "USD", "America/Sao_Paulo")
    import_directory(app.workspaces.warehouse("shop"), FIXTURES / "shop")
    store = ConnectorStore(app.state, load_key(app.settings))
    store.save("shop", "shopify", {"shop": SHOP}, {"access_token": "t", "webhook_secret": SHOPIFY_SECRET})
    store.save("shop", "stripe", {}, {"api_key": "sk_test_x", "webhook_secret": STRIPE_SECRET})
    for platform, chat in (("slack", SLACK_CHANNEL), ("whatsapp", f"+{WHATSAPP_NUMBER}"),
                           ("telegram", str(TELEGRAM_CHAT))):
        runtime.dispatcher.bind(platform, chat, "shop", "test")
    gateways = [s.__self__ for s in runtime.services if isinstance(getattr(s, "__self__", None),
                                                                    WebhookGateway)]
    return gateways[0]


def channel_of(runtime: Runtime, kind: type) -> Any:
    return next(c for c in runtime.channels if isinstance(c, kind))


@contextmanager
def serve_endpoints(data_dir: Path) -> Iterator[Endpoints]:
    """Every endpoint, served on loopback with its fakes, until the block ends."""
    log = Records()
    logging.getLogger().addHandler(log)
    slack, graph, telegram = fs.FakeSlack(users={"U0ANA00001": fs.user("U0ANA00001", "Ana")}), \
        fw.FakeGraph(), ft.FakeTelegram()
    with serve(slack.app) as slack_url, serve(graph.app) as graph_url, \
            serve(telegram.app) as telegram_url:
        runtime = build_runtime(_settings(data_dir, slack_url, graph_url, telegram_url))
        gateway = _prepare(runtime)

        @asynccontextmanager
        async def running() -> AsyncIterator[None]:
            stop = asyncio.Event()
            worker = asyncio.create_task(gateway.run(stop))
            await channel_of(runtime, TelegramChannel).start()
            yield
            stop.set()
            await worker
            for kind in (SlackChannel, WhatsAppChannel, TelegramChannel, PlaygroundChannel):
                await channel_of(runtime, kind).stop()

        try:
            with serve(_Lifespan(runtime.http, running), lifespan="on") as url:
                endpoints = Endpoints(url, runtime, gateway, slack, graph, telegram, log)
                yield endpoints
                endpoints.client.close()
        finally:
            runtime.app.close()
            logging.getLogger().removeHandler(log)


def as_json(value: Any) -> bytes:
    return json.dumps(value).encode()
