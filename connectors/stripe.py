"""Stripe, with the official SDK: plans, customers, subscriptions, invoices, MRR spans.

The SDK is pointed at ``STRIPE_API_URL`` and its own retries are off: every
call goes through :meth:`StripeConnector._call`, which applies Tally's policy
(429 waits Retry-After, 5xx and network errors back off, 401/403 ask to
reconnect).

The first sync of a stream walks its list 100 at a time with ``starting_after``;
the page position is the cursor, so a killed walk resumes where it stopped. Stripe
lists cannot filter by "updated since", so later syncs read the changes from the
Events API instead (``GET /v1/events`` since the cursor's second, the same events
the webhooks carry): one page or two instead of the whole account. Stripe keeps
events for 30 days; a cursor older than that walks the list again. MRR spans are
recomputed whole, and only when a subscription or invoice event arrived since the
last computation (a span depends on all of its subscription's invoices).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, ClassVar

import stripe

from connectors import stripe_mapping as m
from connectors.base import Batch, ConnectorContext, Option, dump_cursor, load_cursor, tables_of
from connectors.errors import CredentialError, ProviderError, TransientError
from connectors.stripe_webhooks import StripeWebhooks, event_updates

PAGE = 100
#: Stripe's events are listed for 30 days; a day's margin for clocks and slow syncs.
EVENTS_KEPT = timedelta(days=29)
#: stream → (the event types that change it, the table its records land in)
STREAM_EVENTS: dict[str, tuple[str, str]] = {
    "plans": ("price.*", "saas_plans"),
    "customers": ("customer.*", "saas_customers"),
    "subscriptions": ("customer.subscription.*", "subscriptions"),
    "invoices": ("invoice.*", "invoices"),
}
SPAN_EVENTS = ("customer.subscription.*", "invoice.*")


class StripeConnector(StripeWebhooks):
    """A Stripe account.

    Options:
        api_key: a secret or restricted (read-only) key (secret).
        webhook_secret: the webhook endpoint's ``whsec_`` signing secret (secret, optional).
    """

    name: ClassVar[str] = "stripe"
    streams: ClassVar[tuple[str, ...]] = ("plans", "customers", "subscriptions", "invoices",
                                          "subscription_mrr")
    options: ClassVar[tuple[Option, ...]] = (
        Option("api_key", "Stripe secret or restricted key", secret=True),
        Option("webhook_secret", "the endpoint's whsec_ signing secret", secret=True, required=False),
    )

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        self.client = stripe.StripeClient(
            context.secrets.get("api_key", ""), max_network_retries=0,
            base_addresses={"api": context.settings.stripe_api_url},
            http_client=stripe.HTTPXClient(timeout=30))

    async def check(self) -> str:
        """Lists one customer: proves the key can read."""
        await self._call(lambda: self.client.v1.customers.list_async(params={"limit": 1}))
        return "Stripe account"

    async def sync(self, stream: str, cursor: str | None) -> AsyncIterator[Batch]:
        """Yields the changes of ``stream`` since ``cursor``: pages of a walk, or one batch of events.

        Cursors: ``{"after": id, "started": [t, ids]}`` mid-walk, ``{"since": t, "seen": ids}``
        once walked. ``t`` is the newest event's second when the walk began, so nothing
        that changes during the walk is missed: its event is read next time. Event times
        are whole seconds, so reads include ``t`` and skip the events already ``seen``.
        """
        state = load_cursor(cursor)
        if stream == "subscription_mrr":
            async for batch in self._sync_spans(state):
                yield batch
            return
        since = state.get("since")
        if since is not None and self._events_kept(int(since)):
            yield await self._changes(stream, int(since), state.get("seen", []))
            return
        started = state.get("started") if state.get("after") else None
        if started is None:
            started = await self._latest_event()
        lister, params, mapper = self._lists()[stream]
        after = state.get("after")
        while True:
            page = await self._page(lister, params, after)
            objects = [o.to_dict() for o in page.data]
            after = objects[-1]["id"] if page.has_more and objects else None
            next_cursor = ({"after": after, "started": started} if after
                           else {"since": started[0], "seen": started[1]})
            yield Batch(stream, tables_of(mapper(objects)), dump_cursor(next_cursor))
            if after is None:
                return

    def _events_kept(self, since: int) -> bool:
        """Whether Stripe still lists the events since ``since`` (else: walk again)."""
        return since >= (self.context.clock() - EVENTS_KEPT).timestamp()

    async def _latest_event(self) -> tuple[int, list[str]]:
        """The newest event's second and id (now when there is none): where changes start."""
        page = await self._call(lambda: self.client.v1.events.list_async(params={"limit": 1}))
        if page.data:
            return int(page.data[0].created), [str(page.data[0].id)]
        return int(self.context.clock().timestamp()), []

    async def _events(self, event_type: str, since: int, seen: list[str]) -> list[dict[str, Any]]:
        """The events of ``event_type`` (a ``*`` pattern) since second ``since``, but ``seen``."""
        params = {"type": event_type, "created": {"gte": since}}
        found = await self._all(self.client.v1.events.list_async, params)
        return [e for e in found if e["id"] not in seen]

    async def _changes(self, stream: str, since: int, seen: list[str]) -> Batch:
        """One batch: the newest state of each record with an event since ``since``."""
        event_type, table = STREAM_EVENTS[stream]
        events = await self._events(event_type, since, seen)
        newest: dict[str, Any] = {}
        for event in sorted(events, key=lambda e: int(e["created"])):  # the API lists newest first
            for update in event_updates(event):
                held = newest.get(update.entity)
                if table in update.rows and (held is None or update.version >= held.version):
                    newest[update.entity] = update
        rows = [row for update in newest.values() for row in update.rows[table]]
        return Batch(stream, tables_of({table: rows}), dump_cursor(_after_events(events, since, seen)))

    async def _sync_spans(self, state: Mapping[str, Any]) -> AsyncIterator[Batch]:
        """MRR spans, recomputed when a subscription or invoice changed since the cursor."""
        since = state.get("since")
        started = await self._latest_event()
        if since is not None and self._events_kept(int(since)):
            seen = state.get("seen", [])
            changed = [e for t in SPAN_EVENTS for e in await self._events(t, int(since), seen)]
            if not changed:
                return
        yield await self._spans(started)

    def _lists(self) -> dict[str, tuple[Callable[..., Awaitable[Any]], dict[str, Any], Any]]:
        v1 = self.client.v1
        return {
            "plans": (v1.prices.list_async, {"expand": ["data.product"]},
                      lambda objs: {"saas_plans": [r for o in objs if (r := m.plan_row(o))]}),
            "customers": (v1.customers.list_async, {},
                          lambda objs: {"saas_customers": [m.customer_row(o) for o in objs]}),
            "subscriptions": (v1.subscriptions.list_async, {"status": "all"},
                              lambda objs: {"subscriptions": [m.subscription_row(o) for o in objs]}),
            "invoices": (v1.invoices.list_async, {},
                         lambda objs: {"invoices": [m.invoice_row(o) for o in objs]}),
        }

    async def _spans(self, started: tuple[int, list[str]]) -> Batch:
        """Every subscription's MRR spans from its invoices (recomputed whole: spans merge)."""
        subscriptions = await self._all(self.client.v1.subscriptions.list_async, {"status": "all"})
        invoices = await self._all(self.client.v1.invoices.list_async, {})
        by_subscription: dict[str, list[dict[str, Any]]] = {}
        for invoice in invoices:
            if (sub_id := m.invoice_subscription(invoice)) is not None:
                by_subscription.setdefault(sub_id, []).append(invoice)
        spans = [span for sub in subscriptions
                 for span in m.mrr_spans(sub, by_subscription.get(sub["id"], []))]
        return Batch("subscription_mrr", tables_of({"subscription_mrr": spans}),
                     dump_cursor({"since": started[0], "seen": started[1]}))

    async def _all(self, lister: Callable[..., Awaitable[Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after = None
        while True:
            page = await self._page(lister, params, after)
            found.extend(o.to_dict() for o in page.data)
            if not (page.has_more and page.data):
                return found
            after = found[-1]["id"]

    async def _page(self, lister: Callable[..., Awaitable[Any]], params: dict[str, Any],
                    after: str | None) -> Any:
        """One page of a list, after the object ``after`` (the first page for None)."""
        page_params = {**params, "limit": PAGE, **({"starting_after": after} if after else {})}
        return await self._call(lambda: lister(params=page_params))

    async def _call(self, request: Callable[[], Awaitable[Any]]) -> Any:
        """One SDK call under Tally's retry policy, Stripe's errors translated."""
        policy = self.context.retry
        problem = ""
        for attempt in range(1, policy.attempts + 1):
            try:
                return await request()
            except (stripe.AuthenticationError, stripe.PermissionError) as exc:
                raise CredentialError(
                    f"Stripe rejected the API key ({_code(exc)}); create a new "
                    f"restricted key and run `tally connect stripe --workspace "
                    f"{self.context.workspace}` with it in STRIPE_API_KEY (or --api-key-file "
                    "PATH)") from None
            except stripe.RateLimitError as exc:
                problem, header = "rate limited (429)", (exc.headers or {}).get("retry-after")
                wait = min(float(header), policy.max_delay) if header else policy.backoff(attempt)
            except (stripe.APIConnectionError, stripe.APIError) as exc:
                problem, wait = f"{type(exc).__name__} ({exc.http_status})", policy.backoff(attempt)
            except stripe.StripeError as exc:
                raise ProviderError(f"Stripe refused the request ({_code(exc)}); "
                                    "check the key's permissions (read access to billing)") from None
            if attempt < policy.attempts:
                await policy.sleep(wait)
        raise TransientError(f"Stripe kept failing ({problem}) after {policy.attempts} tries; "
                             "the sync resumes from its cursor next time")


def _after_events(events: list[dict[str, Any]], since: int, seen: list[str]) -> dict[str, Any]:
    """The cursor after ``events``: their newest second and the ids read in it."""
    latest = max((int(e["created"]) for e in events), default=since)
    ids = [str(e["id"]) for e in events if int(e["created"]) == latest]
    return {"since": latest, "seen": ids + (seen if latest == since else [])}


def _code(exc: stripe.StripeError) -> str:
    """Stripe's error code ("api_key_expired"), not its message: messages echo part of the key."""
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    return str(exc.code or (body.get("error") or {}).get("code") or f"HTTP {exc.http_status}")
