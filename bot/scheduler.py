"""The scheduler: subscriptions become APScheduler jobs that build reports and deliver them.

Modelled on python-telegram-bot's ``JobQueue``: a job stores only its subscription's id
(in a persistent ``SQLAlchemyJobStore`` on the state database) and reloads the
subscription when it runs, so edits and deletions are seen without touching the job.

What makes it safe to restart and to run twice by mistake:

- Jobs coalesce: after downtime, the missed runs of a job become one catch-up run (the
  latest missed period). By default there is no misfire grace limit, so a digest missed
  while the bot was down is always sent once, late, rather than dropped.
- Every run claims its (subscription, period) key in the delivery log *before* building
  and sending; the period is the scheduled time in the subscription's timezone. A second
  scheduler on the same database, or a restart, finds the key taken and sends nothing.
- The job runs on this process's own executor, which hands it the scheduled run time
  (APScheduler 3 does not pass it to job functions), so the key is exact.

:data:`REPORTS` is the registry of report builders, one per kind of subscription; the
digest, the weekly report and the betting recaps register themselves when their modules
exist (imported defensively by :func:`load_reports`).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from agents.reply import Reply
from bot.app import App
from bot.channels.base import Channel
from bot.delivery import (
    CHECK_SUBSCRIPTION_ID,
    Check,
    Deliverer,
    DeliveryLog,
    DeliveryResult,
    RetryPolicy,
    Sleep,
    WorkspaceChecks,
)
from bot.funnel import process_error
from bot.subscriptions import (
    Subscription,
    SubscriptionError,
    SubscriptionStore,
)
from storage.catalog import AsOf, Engine
from storage.clock import Clock, utc_now

logger = logging.getLogger(__name__)

ReportFn = Callable[[Engine, AsOf, Subscription], Reply | None]
#: kind → report builder; None from a builder means "nothing worth sending" (only when notable).
REPORTS: dict[str, ReportFn] = {}

#: kind → (module, function, adapter to the registry's signature); loaded when present.
_BUILTIN_REPORTS: dict[str, tuple[str, str, Callable[[Any], ReportFn]]] = {
    "digest": ("agents.insights.digest", "build_digest",
               lambda f: lambda e, a, s: f(e, a, only_when_notable=s.only_when_notable)),
    "weekly_report": ("agents.insights.digest", "build_weekly_report", lambda f: lambda e, a, s: f(e, a)),
    "alerts": ("agents.insights.digest", "build_alerts", lambda f: lambda e, a, s: f(e, a)),
    "guild_recap": ("agents.betting.recaps", "guild_recap", lambda f: lambda e, a, s: f(e, a)),
    "daily_results": ("agents.betting.recaps", "daily_results", lambda f: lambda e, a, s: f(e, a)),
}

JOBSTORE = "subscriptions"
EXECUTOR = "subscriptions"
JOB_TABLE = "scheduler_jobs"
JOB_PREFIX = "subscription:"
#: How late a missed run may still be sent; None: always (once, coalesced).
MISFIRE_GRACE_SECONDS: int | None = None
SYNC_INTERVAL_SECONDS = 60.0


def load_reports() -> dict[str, ReportFn]:
    """:data:`REPORTS`, with the built-in builders whose modules can be imported added."""
    for kind, (module_name, function, adapt) in _BUILTIN_REPORTS.items():
        if kind in REPORTS:
            continue
        try:
            builder = getattr(importlib.import_module(module_name), function)
        except (ImportError, AttributeError) as exc:
            logger.debug("report %s unavailable: %s", kind, exc)
            continue
        REPORTS[kind] = adapt(builder)
    return REPORTS


async def subscription_job(subscription_id: int) -> None:
    """What the job store names; the ``subscriptions`` executor runs the real thing."""
    raise RuntimeError(f"subscription job {subscription_id} must run on the {EXECUTOR!r} executor")


def alerts_key(subscription_id: int, day: date) -> str:
    """The delivery key of one subscription's anomaly alerts about ``day`` (sent once)."""
    return f"alerts:{subscription_id}:{day.isoformat()}"


def job_id(subscription_id: int) -> str:
    return f"{JOB_PREFIX}{subscription_id}"


def trigger_for(subscription: Subscription) -> CronTrigger:
    """The subscription's crontab in its timezone (8:00 stays 8:00 local across DST)."""
    return CronTrigger.from_crontab(subscription.schedule, timezone=subscription.timezone)


def period_key(scheduled: datetime, timezone: str) -> str:
    """The idempotency key of a run: its scheduled local time, to the minute."""
    return scheduled.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


@dataclass
class _BoundJob:
    """A job as the executor runs it: this process's runner, with the scheduled time."""

    id: str
    name: str
    misfire_grace_time: int | None
    _jobstore_alias: str
    func: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.name} (id={self.id})"


class _SubscriptionExecutor(AsyncIOExecutor):
    """Runs subscription jobs with this process's :class:`ProactiveScheduler`.

    The job store is shared between processes, so jobs cannot name an instance: each
    process's executor (same alias, own instance) supplies it, plus the run time due.
    It also counts the runs in flight, so callers can wait for them (:meth:`idle`).
    """

    def __init__(self, run: Callable[..., Awaitable[Any]]) -> None:
        super().__init__()
        self._run = run
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        scheduled = run_times[-1]  # coalesced: the latest missed run stands for all of them
        bound = _BoundJob(job.id, job.name, job.misfire_grace_time, job._jobstore_alias,
                          functools.partial(self._tracked, scheduled=scheduled), job.args, job.kwargs)
        self.in_flight += 1
        self._idle.clear()
        super()._do_submit_job(bound, [scheduled])

    async def _tracked(self, *args: Any, scheduled: datetime) -> Any:
        try:
            return await self._run(*args, scheduled=scheduled)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def idle(self) -> None:
        """Returns once no subscription run is in flight."""
        await self._idle.wait()


class ProactiveScheduler:
    """Subscriptions' jobs, their runs, workspace checks, and sending reports now.

    Args:
        app: the wired application (state, workspaces, engines).
        channels: the running channels (by platform, or a sequence).
        clock: the current instant, aware (tests inject a frozen one).
        policy: delivery retries and backoff; sleep: how to wait between attempts.
        misfire_grace_seconds: how late a missed run may still be sent (None: always, once).
        charts_dir: where a chart is drawn for a report that has rows but no chart.
        data_hooks: the connectors' new-data hooks (``connectors.hooks.DataHooks``), which
            :meth:`add_check` subscribes to.
    """

    def __init__(self, app: App, channels: Mapping[str, Channel] | Iterable[Channel], *,
                 clock: Clock = utc_now, policy: RetryPolicy | None = None,
                 sleep: Sleep = asyncio.sleep, misfire_grace_seconds: int | None = MISFIRE_GRACE_SECONDS,
                 charts_dir: Any = None, data_hooks: Any = None) -> None:
        self.app = app
        self.clock = clock
        self.store = SubscriptionStore(app.state)
        self.log = DeliveryLog(app.state, clock)
        self.deliverer = Deliverer(channels, policy, sleep)
        self.charts_dir = charts_dir
        self.data_hooks = data_hooks
        #: the workspace checks (alert rules) added with :meth:`add_check`
        self.checks = WorkspaceChecks(app, self.deliverer, self.log, clock)
        self._executor = _SubscriptionExecutor(self.run_subscription)
        self.scheduler = AsyncIOScheduler(
            timezone="UTC",
            jobstores={"default": MemoryJobStore(),
                       JOBSTORE: SQLAlchemyJobStore(engine=app.state.engine, tablename=JOB_TABLE)},
            executors={"default": AsyncIOExecutor(), EXECUTOR: self._executor},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": misfire_grace_seconds})

    # --- jobs ------------------------------------------------------------------------------
    def sync_jobs(self) -> None:
        """Makes the job store match the subscriptions table (the source of truth).

        Unchanged jobs are left alone, so a job's missed run survives a restart. Call it
        once the scheduler has started (before, APScheduler would reschedule from now).
        """
        wanted = {job_id(s.id): s for s in self.store.list()}
        existing = {job.id: job for job in self.scheduler.get_jobs(jobstore=JOBSTORE)}
        for stale in existing.keys() - wanted.keys():
            self.scheduler.remove_job(stale, jobstore=JOBSTORE)
        for identifier, subscription in wanted.items():
            trigger = trigger_for(subscription)
            job = existing.get(identifier)
            if job is not None and _same_trigger(job.trigger, trigger):
                continue
            self.scheduler.add_job(
                subscription_job, trigger, id=identifier, args=(subscription.id,),
                name=f"{subscription.kind} for {subscription.workspace} in {subscription.ref.key}",
                executor=EXECUTOR, jobstore=JOBSTORE, replace_existing=True)

    async def run(self, stop: asyncio.Event) -> None:
        """A runtime service: keeps the jobs in step with subscriptions (CLI edits included)."""
        while not stop.is_set():
            try:
                self.sync_jobs()
            except Exception:  # a locked database now is no reason to stop syncing later
                process_error("syncing the subscription jobs", log=logger)
            try:
                await asyncio.wait_for(stop.wait(), SYNC_INTERVAL_SECONDS)
            except TimeoutError:
                continue

    async def run_due(self) -> None:
        """Runs the jobs that are due now and waits for their sends (what the timer does)."""
        self.scheduler.wakeup()  # queued on the loop: let it run, then wait for its runs
        await asyncio.sleep(0)
        await self._executor.idle()

    # --- runs ------------------------------------------------------------------------------
    async def run_subscription(self, subscription_id: int, *, scheduled: datetime) -> str:
        """Runs one scheduled send: claim the period, build the report, deliver, record.

        Returns:
            ``sent``, ``failed``, ``skipped`` (nothing notable), ``duplicate`` (the period
            was claimed already) or ``gone`` (the subscription was deleted).
        """
        subscription = self.store.get(subscription_id)
        if subscription is None:
            if self.scheduler.get_job(job_id(subscription_id), JOBSTORE) is not None:
                self.scheduler.remove_job(job_id(subscription_id), JOBSTORE)
            return "gone"
        if subscription.kind == "alerts":
            return await self.send_alerts(subscription, AsOf.now(ZoneInfo(subscription.timezone), scheduled))
        key = period_key(scheduled, subscription.timezone)
        delivery_id = self.log.claim(subscription.id, key)
        if delivery_id is None:
            logger.info("%s for %s: period %s already claimed", subscription.kind,
                        subscription.ref.key, key)
            return "duplicate"
        as_of = AsOf.now(ZoneInfo(subscription.timezone), scheduled)
        return await self._deliver(subscription, as_of, delivery_id)

    async def send_alerts(self, subscription: Subscription, as_of: AsOf) -> str:
        """Anomaly alerts: re-checked on every run (and after new data), sent once per day.

        Unlike a digest, a run that finds nothing claims nothing: late data can still
        reveal the day's anomaly at the next run, and then it goes out once.
        """
        try:
            reply = await self.build(subscription, as_of)
        except Exception:  # one workspace's alerts failing never stops the others'
            process_error("building the alerts of %s", subscription.workspace, log=logger)
            return "failed"
        if reply is None:
            return "skipped"
        delivery_id = self.log.claim(CHECK_SUBSCRIPTION_ID,
                                     alerts_key(subscription.id, as_of.day - timedelta(days=1)))
        if delivery_id is None:
            return "duplicate"
        result = await self.deliverer.send(subscription.ref, reply)
        self.log.finish(delivery_id, "sent" if result.ok else "failed", result)
        return "sent" if result.ok else "failed"

    async def send_now(self, workspace: str, kind: str, as_of: AsOf, key: str
                       ) -> list[tuple[Subscription, str]]:
        """Sends ``kind`` to every chat subscribed to it in ``workspace``, once per ``key``."""
        subscriptions = self.store.list(workspace=workspace, kind=kind)
        claimed = [(s, self.log.claim(s.id, key)) for s in subscriptions]
        outcomes = await asyncio.gather(*(self._deliver(s, as_of, d) for s, d in claimed
                                          if d is not None))
        results = iter(outcomes)
        return [(s, next(results) if d is not None else "duplicate") for s, d in claimed]

    async def _deliver(self, subscription: Subscription, as_of: AsOf, delivery_id: int) -> str:
        try:
            reply = await self.build(subscription, as_of)
        except Exception as exc:  # one report failing never stops the other subscriptions
            error_id = process_error("building the %s of %s", subscription.kind,
                                     subscription.workspace, log=logger)
            self.log.finish(delivery_id, "failed", error=f"the report failed: {exc} (error {error_id})")
            return "failed"
        if reply is None:
            self.log.finish(delivery_id, "skipped", error="nothing notable")
            return "skipped"
        result: DeliveryResult = await self.deliverer.send(subscription.ref, reply)
        status = "sent" if result.ok else "failed"
        self.log.finish(delivery_id, status, result)
        return status

    async def build(self, subscription: Subscription, as_of: AsOf) -> Reply | None:
        """The subscription's report as of ``as_of`` (None: nothing worth sending).

        Raises:
            SubscriptionError: no report of this kind exists in this version.
        """
        report = load_reports().get(subscription.kind)
        if report is None:
            raise SubscriptionError(f"the {subscription.label} is not available in this version.")
        engine = self.app.engine(subscription.workspace)
        reply = await asyncio.to_thread(report, engine, as_of, subscription)
        return None if reply is None else await self._with_chart(reply, subscription.workspace)

    async def _with_chart(self, reply: Reply, workspace: str) -> Reply:
        if self.charts_dir is None or reply.chart or len(reply.data.get("rows") or ()) < 2:
            return reply
        from bot.charts import attach_chart

        try:
            return await asyncio.to_thread(attach_chart, reply, self.charts_dir,
                                           self.app.workspace(workspace).currency)
        except Exception:  # a chart is a bonus: the report goes out without it
            process_error("drawing a chart for a report of %s", workspace, log=logger)
            return reply

    # --- workspace checks (alert rules) --------------------------------------------------------
    def add_check(self, name: str, check: Check, *, interval_seconds: float | None = None,
                  after_sync: bool = True) -> None:
        """Runs ``check`` for every workspace every ``interval_seconds`` and after new data.

        Args:
            name: the check's name (its job id is ``check:<name>``).
            check: ``check(engine, as_of, workspace) -> Iterable[Outgoing]``, run in a thread;
                each :class:`~bot.delivery.Outgoing` is delivered through :attr:`deliverer`
                and recorded; one with a ``key`` is sent at most once per key.
            interval_seconds: how often to run it (None: only after syncs).
            after_sync: also run it for a workspace when its connectors land new data.
        """
        self.checks.add(name, check)
        if interval_seconds:
            self.scheduler.add_job(self.run_check, IntervalTrigger(seconds=interval_seconds),
                                   args=(name,), id=f"check:{name}", name=f"check {name}",
                                   replace_existing=True)
        if after_sync and self.data_hooks is not None:
            self.data_hooks.register(lambda event: self.checks.soon(name, event.workspace))

    async def run_check(self, name: str, workspace: str | None = None) -> list[DeliveryResult]:
        """Runs a check added with :meth:`add_check` now, for one workspace or all."""
        return await self.checks.run(name, workspace)


def _same_trigger(current: Any, wanted: CronTrigger) -> bool:
    return str(current) == str(wanted) and str(getattr(current, "timezone", "")) == str(wanted.timezone)
