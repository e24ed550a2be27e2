"""The scheduler: subscriptions as APScheduler jobs in the state database, on a frozen clock.

APScheduler reads the wall clock, so time-machine freezes it at chosen instants (never
real waiting); ``run_due`` runs what is due at that instant and waits for the sends.
Sends go to an in-memory channel that records what it was given.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
import time_machine

from agents.reply import Reply
from bot.app import App
from bot.channels.base import ConversationRef, SendResult
from bot.scheduler import JOBSTORE, REPORTS, ProactiveScheduler, job_id, period_key, trigger_for
from bot.settings import Settings
from bot.subscriptions import SubscriptionStore
from storage.catalog import AsOf, Engine
from tests.conftest import build_app

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
CHAT = ConversationRef("telegram", "7001")
OTHER_CHAT = ConversationRef("telegram", "7002")


class RecordingChannel:
    """A platform that records every send (what the delivery log must agree with)."""

    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[ConversationRef, Reply]] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def routes(self) -> list[object]:
        return []

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        self.sent.append((ref, reply))
        return SendResult(True, (f"m{len(self.sent)}",))


def digest_of_the_day(engine: Engine, as_of: AsOf, subscription: object) -> Reply:
    return Reply(f"Digest for {engine.workspace.name} as of {as_of.day.isoformat()}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """A workspace in Berlin (DST) on the shop fixture's data."""
    found = build_app(tmp_path_factory.mktemp("data"), ("berlin", "EUR", "Europe/Berlin", "shop"))
    yield found
    found.close()


@pytest.fixture(autouse=True)
def _clean(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REPORTS, "digest", digest_of_the_day)
    with app.state.engine.begin() as connection:
        for table in ("subscriptions", "deliveries", "scheduler_jobs"):
            connection.exec_driver_sql(f"DELETE FROM {table}")


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest_asyncio.fixture
async def running(app: App, channel: RecordingChannel) -> AsyncIterator[list[ProactiveScheduler]]:
    """Schedulers started by a test (each on its own App, as separate processes would be)."""
    started: list[ProactiveScheduler] = []
    yield started
    for proactive in started:
        if proactive.scheduler.running:
            proactive.scheduler.shutdown(wait=False)
        if proactive.app is not app:
            proactive.app.close()
    await asyncio.sleep(0)


def start(app: App, channel: RecordingChannel, started: list[ProactiveScheduler],
          fresh_app: bool = False) -> ProactiveScheduler:
    """A scheduler process on the state database (``fresh_app``: its own connections)."""
    own = App(Settings(TALLY_DATA_DIR=app.settings.data_dir)) if fresh_app else app
    proactive = ProactiveScheduler(own, [channel], clock=lambda: datetime.now(UTC))
    proactive.scheduler.start()
    proactive.sync_jobs()
    started.append(proactive)
    return proactive


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def subscribe_digest(app: App, ref: ConversationRef = CHAT, schedule: str = "0 8 * * *") -> int:
    return SubscriptionStore(app.state).subscribe("berlin", ref, "digest", schedule, "Europe/Berlin").id


def texts(channel: RecordingChannel) -> list[str]:
    return [reply.text for _, reply in channel.sent]


def test_8_00_in_berlin_stays_8_00_local_across_both_dst_changes(app):
    subscription = SubscriptionStore(app.state).subscribe("berlin", CHAT, "digest", "0 8 * * *",
                                                          "Europe/Berlin")
    trigger = trigger_for(subscription)
    fires = [trigger.get_next_fire_time(None, berlin(2025, 3, 29, 0, 0))]
    for _ in range(2):  # spring forward in the night of 29 to 30 March
        fires.append(trigger.get_next_fire_time(fires[-1], fires[-1]))
    assert [f.astimezone(BERLIN).hour for f in fires] == [8, 8, 8]
    assert [f.astimezone(UTC).hour for f in fires] == [7, 6, 6]
    autumn = trigger.get_next_fire_time(None, berlin(2025, 10, 26, 0, 0))  # falls back at 3:00
    assert autumn.astimezone(BERLIN).hour == 8 and autumn.astimezone(UTC).hour == 7
    assert period_key(fires[1], "Europe/Berlin") == "2025-03-30T08:00"


def test_9_am_mondays_in_new_york_stay_9_am_when_clocks_go_back():
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab("0 9 * * mon", timezone="America/New_York")
    before = trigger.get_next_fire_time(None, datetime(2025, 10, 25, tzinfo=NEW_YORK))
    after = trigger.get_next_fire_time(before, before)
    assert (before.astimezone(UTC).hour, after.astimezone(UTC).hour) == (13, 14)
    assert before.astimezone(NEW_YORK).hour == after.astimezone(NEW_YORK).hour == 9


@pytest.mark.asyncio
async def test_the_scheduler_sends_at_8_local_on_both_sides_of_the_spring_change(app, channel, running):
    subscription_id = subscribe_digest(app)
    with time_machine.travel(berlin(2025, 3, 29, 7, 0), tick=False) as clock:
        proactive = start(app, channel, running)
        await proactive.run_due()
        assert channel.sent == []
        clock.move_to(berlin(2025, 3, 29, 8, 0, 20))
        await proactive.run_due()
        clock.move_to(berlin(2025, 3, 30, 7, 59))  # 05:59 UTC: an hour early in winter time
        await proactive.run_due()
        assert len(channel.sent) == 1
        clock.move_to(berlin(2025, 3, 30, 8, 0, 20))
        await proactive.run_due()
    assert texts(channel) == ["Digest for berlin as of 2025-03-29", "Digest for berlin as of 2025-03-30"]
    keys = [(r.period_key, r.status) for r in proactive.log.records(subscription_id)]
    assert keys == [("2025-03-29T08:00", "sent"), ("2025-03-30T08:00", "sent")]


@pytest.mark.asyncio
async def test_after_days_of_downtime_the_missed_digest_is_sent_once_then_the_schedule_resumes(
        app, channel, running):
    subscription_id = subscribe_digest(app)
    with time_machine.travel(berlin(2025, 4, 1, 7, 0), tick=False) as clock:
        first = start(app, channel, running)
        clock.move_to(berlin(2025, 4, 1, 8, 0, 10))
        await first.run_due()
        first.scheduler.shutdown(wait=False)  # the bot goes down for four days
        clock.move_to(berlin(2025, 4, 5, 10, 30))
        second = start(app, channel, running, fresh_app=True)
        await second.run_due()
        await second.run_due()
        job = second.scheduler.get_job(job_id(subscription_id), JOBSTORE)
        assert job.next_run_time == berlin(2025, 4, 6, 8, 0)
    assert texts(channel) == ["Digest for berlin as of 2025-04-01", "Digest for berlin as of 2025-04-05"]
    assert [r.period_key for r in second.log.records(subscription_id)] == ["2025-04-01T08:00",
                                                                         "2025-04-05T08:00"]


@pytest.mark.asyncio
async def test_a_restart_mid_schedule_reloads_the_jobs_and_resends_nothing(app, channel, running):
    subscription_id = subscribe_digest(app, schedule="30 7 * * *")
    with time_machine.travel(berlin(2025, 4, 2, 7, 0), tick=False) as clock:
        first = start(app, channel, running)
        clock.move_to(berlin(2025, 4, 2, 7, 30, 5))
        await first.run_due()
        first.scheduler.shutdown(wait=False)
        clock.move_to(berlin(2025, 4, 2, 7, 31))
        restarted = start(app, channel, running, fresh_app=True)
        [job] = restarted.scheduler.get_jobs(jobstore=JOBSTORE)
        assert job.id == job_id(subscription_id) and job.next_run_time == berlin(2025, 4, 3, 7, 30)
        await restarted.run_due()
        # Even a run of the same period (as a crash before the job store update would cause).
        assert await restarted.run_subscription(subscription_id, scheduled=berlin(2025, 4, 2, 7, 30)) \
            == "duplicate"
    assert len(channel.sent) == 1


@pytest.mark.asyncio
async def test_two_schedulers_started_by_mistake_deliver_a_period_once(app, channel, running):
    subscription_id = subscribe_digest(app)
    with time_machine.travel(berlin(2025, 4, 3, 7, 0), tick=False) as clock:
        one = start(app, channel, running)
        two = start(app, channel, running, fresh_app=True)
        clock.move_to(berlin(2025, 4, 3, 8, 0, 1))
        await asyncio.gather(one.run_due(), two.run_due())
        # Both processes found the job due before either moved it on: the log arbitrates.
        scheduled = berlin(2025, 4, 3, 8, 0)
        outcomes = await asyncio.gather(one.run_subscription(subscription_id, scheduled=scheduled),
                                        two.run_subscription(subscription_id, scheduled=scheduled))
    assert outcomes == ["duplicate", "duplicate"]
    assert texts(channel) == ["Digest for berlin as of 2025-04-03"]
    [record] = one.log.records(subscription_id)
    assert (record.status, record.attempts) == ("sent", 1)


@pytest.mark.asyncio
async def test_two_fresh_runs_of_one_period_race_and_exactly_one_sends(app, channel, running):
    subscription_id = subscribe_digest(app)
    one, two = start(app, channel, running), start(app, channel, running, fresh_app=True)
    scheduled = berlin(2025, 4, 4, 8, 0)
    outcomes = await asyncio.gather(one.run_subscription(subscription_id, scheduled=scheduled),
                                    two.run_subscription(subscription_id, scheduled=scheduled))
    assert sorted(outcomes) == ["duplicate", "sent"]
    assert len(channel.sent) == 1


@pytest.mark.asyncio
async def test_only_when_notable_skips_quiet_days_and_records_the_skip(app, channel, running,
                                                                      monkeypatch):
    monkeypatch.setitem(REPORTS, "digest", lambda engine, as_of, s: None if s.only_when_notable else
                        Reply("always"))
    store = SubscriptionStore(app.state)
    quiet = store.subscribe("berlin", CHAT, "digest", "0 8 * * *", "Europe/Berlin", only_when_notable=True)
    loud = store.subscribe("berlin", OTHER_CHAT, "digest", "0 8 * * *", "Europe/Berlin")
    proactive = start(app, channel, running)
    scheduled = berlin(2025, 4, 7, 8, 0)
    assert await proactive.run_subscription(quiet.id, scheduled=scheduled) == "skipped"
    assert await proactive.run_subscription(loud.id, scheduled=scheduled) == "sent"
    assert [ref for ref, _ in channel.sent] == [OTHER_CHAT]
    assert [r.status for r in proactive.log.records(quiet.id)] == ["skipped"]


@pytest.mark.asyncio
async def test_a_deleted_subscriptions_job_is_removed_when_it_comes_due(app, channel, running):
    subscription_id = subscribe_digest(app)
    with time_machine.travel(berlin(2025, 4, 8, 7, 0), tick=False) as clock:
        proactive = start(app, channel, running)
        SubscriptionStore(app.state).delete(subscription_id)
        clock.move_to(berlin(2025, 4, 8, 8, 0, 5))
        await proactive.run_due()
        assert proactive.scheduler.get_jobs(jobstore=JOBSTORE) == []
    assert channel.sent == []


def test_sync_jobs_follows_the_subscriptions_table(app, channel, tmp_path: Path):
    proactive = ProactiveScheduler(app, [channel])
    first = subscribe_digest(app)
    second = subscribe_digest(app, OTHER_CHAT, "0 9 * * mon")
    proactive.sync_jobs()
    assert {j.id for j in proactive.scheduler.get_jobs(jobstore=JOBSTORE)} == {job_id(first), job_id(second)}
    SubscriptionStore(app.state).delete(first)
    proactive.sync_jobs()
    assert [j.id for j in proactive.scheduler.get_jobs(jobstore=JOBSTORE)] == [job_id(second)]
