"""Anomaly alerts: re-checked by every run and after new data, sent once per reported day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from agents.reply import Reply
from bot.app import App
from bot.channels.base import ConversationRef, SendResult
from bot.runtime import anomaly_check
from bot.scheduler import ProactiveScheduler
from bot.settings import Settings
from storage.demo import DEMO_WORKSPACES, planted_anomalies
from storage.importer import import_directory
from tests.agents.demo_workspaces import END, demo_folder

REF = ConversationRef("memory", "ops-room")


class Recorder:
    platform = "memory"

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, ref: ConversationRef, reply: Reply) -> SendResult:
        self.sent.append(reply)
        return SendResult(ok=True, message_ids=(str(len(self.sent)),))

    def routes(self) -> list:
        return []


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    settings = Settings(_env_file=None, TALLY_DATA_DIR=tmp_path_factory.mktemp("alerts"))  # type: ignore[call-arg]
    app = App(settings)
    meta = DEMO_WORKSPACES["demo"]
    app.workspaces.create("demo", meta["currency"], meta["timezone"])
    import_directory(app.workspaces.warehouse("demo"), demo_folder() / "demo")
    yield app
    app.close()


def _at(app: App, day, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 5), app.workspace("demo").tz)


@pytest.mark.asyncio
async def test_an_anomaly_goes_out_once_whether_the_schedule_or_new_data_finds_it(app, tmp_path: Path):
    planted = next(a for a in planted_anomalies(END) if a.metric == "ad_spend")
    morning = _at(app, planted.day + timedelta(days=1), 7)
    recorder = Recorder()
    proactive = ProactiveScheduler(app, [recorder], clock=lambda: morning)
    proactive.add_check("anomalies", anomaly_check(proactive))
    subscription = proactive.store.subscribe("demo", REF, "alerts", "5 * * * *",
                                             app.workspace("demo").timezone)

    first = await proactive.run_subscription(subscription.id, scheduled=morning)
    later = await proactive.run_subscription(subscription.id, scheduled=morning + timedelta(hours=1))
    after_data = await proactive.run_check("anomalies", "demo")

    assert (first, later, after_data) == ("sent", "duplicate", [])
    assert len(recorder.sent) == 1 and "Ad spend" in recorder.sent[0].text


@pytest.mark.asyncio
async def test_a_quiet_run_claims_nothing_so_new_data_can_still_raise_the_alert(app):
    planted = next(a for a in planted_anomalies(END) if a.metric == "sessions")
    quiet = _at(app, planted.day - timedelta(days=6), 7)  # a normal day: nothing to say
    morning = _at(app, planted.day + timedelta(days=1), 7)
    now = {"t": quiet}
    recorder = Recorder()
    proactive = ProactiveScheduler(app, [recorder], clock=lambda: now["t"])
    proactive.add_check("anomalies", anomaly_check(proactive))
    room = ConversationRef("memory", "room-2")
    subscription = proactive.store.subscribe("demo", room, "alerts",
                                             "5 * * * *", app.workspace("demo").timezone)

    assert await proactive.run_subscription(subscription.id, scheduled=quiet) == "skipped"
    now["t"] = morning
    sent = await proactive.run_check("anomalies", "demo")  # new data landed: the check runs

    assert [r.ok for r in sent if r.ref == room] == [True]
    assert await proactive.run_subscription(subscription.id, scheduled=morning) == "duplicate"
    assert any("Sessions" in reply.text for reply in recorder.sent)
