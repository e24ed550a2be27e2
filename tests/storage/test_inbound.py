"""Claims of inbound deliveries: leases, take-overs, answers and giving up, on a frozen clock."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.inbound import ANSWERED, CLAIMED, FAILED, InboundLedger
from storage.state import ProcessedEventRow
from storage.state_store import StateStore

LEASE = timedelta(seconds=60)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    found = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield found
    found.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(store: StateStore, clock: Clock) -> InboundLedger:
    return InboundLedger(store, lease=LEASE, max_attempts=3, clock=clock)


def row(store: StateStore, event_id: str = "Ev1") -> ProcessedEventRow:
    with store.session() as s:
        found = s.get(ProcessedEventRow, ("slack", event_id))
    assert found is not None
    return found


def test_a_retry_while_the_lease_is_live_gets_no_second_claim(ledger, clock):
    assert ledger.claim("slack", "Ev1", '{"text": "revenue"}')
    clock.advance(59)
    assert not ledger.claim("slack", "Ev1", '{"text": "revenue"}')
    assert ledger.status("slack", "Ev1") == CLAIMED


def test_a_retry_after_the_lease_expired_unanswered_takes_the_claim_over(ledger, store, clock):
    assert ledger.claim("slack", "Ev1", '{"text": "revenue"}')
    clock.advance(60)
    assert ledger.claim("slack", "Ev1", '{"text": "revenue"}')
    taken = row(store)
    assert taken.attempts == 2 and taken.lease_until == (clock.now + LEASE).replace(tzinfo=None)
    assert not ledger.claim("slack", "Ev1")  # the one who took it over holds a fresh lease


def test_an_answered_delivery_is_never_claimed_again_and_its_text_is_dropped(ledger, store, clock):
    assert ledger.claim("slack", "Ev1", '{"text": "revenue"}')
    ledger.answered("slack", "Ev1")
    clock.advance(3600)
    assert not ledger.claim("slack", "Ev1", '{"text": "revenue"}')
    done = row(store)
    assert done.status == ANSWERED and done.message is None and done.lease_until is None
    assert done.answered_at == START.replace(tzinfo=None)
    assert ledger.due(["slack"]) == []


def test_after_the_last_attempt_the_delivery_is_given_up_with_a_log_line(ledger, store, clock, caplog):
    assert ledger.claim("slack", "Ev1", "{}")
    for _ in range(2):
        clock.advance(61)
        assert ledger.claim("slack", "Ev1", "{}")
    clock.advance(61)
    with caplog.at_level(logging.WARNING, logger="storage.inbound"):
        assert not ledger.claim("slack", "Ev1", "{}")
        assert not ledger.claim("slack", "Ev1", "{}")
    assert row(store).status == FAILED and row(store).attempts == 3
    assert [r.getMessage() for r in caplog.records] == [
        "giving up on slack delivery Ev1: 3 attempts did not get an answer sent"]
    assert ledger.due(["slack"]) == []


def test_due_lists_expired_unanswered_claims_of_the_running_platforms_oldest_first(ledger, clock):
    ledger.claim("slack", "Ev1", '{"n": 1}')
    clock.advance(10)
    ledger.claim("telegram", "9", '{"n": 2}')
    ledger.claim("slack", "Ev2", '{"n": 3}')
    ledger.claim("slack", "Ev3")  # nothing stored to answer it with
    ledger.claim("slack", "Ev4", '{"n": 4}')
    ledger.answered("slack", "Ev4")
    assert ledger.due(["slack", "telegram"]) == []
    clock.advance(65)
    assert [(c.platform, c.event_id, c.message) for c in ledger.due(["slack", "telegram"])] == [
        ("slack", "Ev1", '{"n": 1}'), ("telegram", "9", '{"n": 2}'), ("slack", "Ev2", '{"n": 3}')]
    assert [c.event_id for c in ledger.due(["slack"])] == ["Ev1", "Ev2"]


def test_a_renewed_lease_keeps_a_slow_answer_from_being_taken_over(ledger, clock):
    ledger.claim("slack", "Ev1", "{}")
    clock.advance(50)
    ledger.renew([("slack", "Ev1")])
    clock.advance(50)  # 100 s after the claim, 50 s after the renewal
    assert ledger.due(["slack"]) == []
    assert not ledger.claim("slack", "Ev1", "{}")
    clock.advance(11)
    assert [c.event_id for c in ledger.due(["slack"])] == ["Ev1"]


def test_two_processes_on_one_database_take_an_expired_claim_over_once(store, clock):
    first = InboundLedger(store, lease=LEASE, clock=clock)
    second = InboundLedger(store, lease=LEASE, clock=clock)
    assert first.claim("slack", "Ev1", "{}")
    clock.advance(61)
    assert [second.claim("slack", "Ev1", "{}"), first.claim("slack", "Ev1", "{}")] == [True, False]


def test_rows_from_before_migration_7_read_as_answered(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a state database as migration 6 left it, for this table
        conn.exec_driver_sql("CREATE TABLE tally_state_version (version INTEGER PRIMARY KEY, "
                             "description VARCHAR(200), applied_at DATETIME)")
        conn.exec_driver_sql("INSERT INTO tally_state_version VALUES (6, 'old', '2026-01-01')")
        conn.exec_driver_sql("CREATE TABLE processed_events (platform VARCHAR(16) NOT NULL, "
                             "event_id VARCHAR(200) NOT NULL, received_at DATETIME NOT NULL, "
                             "PRIMARY KEY (platform, event_id))")
        conn.exec_driver_sql("INSERT INTO processed_events VALUES ('slack', 'EvOld', '2026-01-01')")
    engine.dispose()
    store = StateStore(url)
    ledger = InboundLedger(store, clock=lambda: START)
    status, claimed_again = ledger.status("slack", "EvOld"), ledger.claim("slack", "EvOld", "{}")
    attempts = row(store, "EvOld").attempts
    store.close()
    assert (status, claimed_again, attempts) == (ANSWERED, False, 1)


#: One delivery's life: the clock moves, the platform retries, the process answers.
STEPS = st.lists(st.one_of(st.tuples(st.just("wait"), st.integers(0, 150)),
                           st.tuples(st.just("claim"), st.sampled_from(["a", "b"])),
                           st.just(("answer", ""))), max_size=25)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> StateStore:
    found = StateStore(f"sqlite:///{tmp_path_factory.mktemp('claims') / 'state.db'}")
    yield found
    found.close()


@settings(max_examples=80, deadline=None)
@given(steps=STEPS)
def test_claims_never_overlap_and_nothing_is_claimed_after_the_answer(shared_store, steps):
    clock, event_id = Clock(), uuid.uuid4().hex
    ledgers = {name: InboundLedger(shared_store, lease=LEASE, max_attempts=3, clock=clock)
               for name in ("a", "b")}
    granted: list[datetime] = []
    answered = False
    for action, value in steps:
        if action == "wait":
            clock.advance(value)
        elif action == "answer":
            if not granted:  # only a claimant answers
                continue
            ledgers["a"].answered("slack", event_id)
            answered = True
        elif ledgers[value].claim("slack", event_id, "{}"):
            assert not answered, "claimed after the answer was sent"
            assert not granted or clock.now - granted[-1] >= LEASE, "two live claims"
            granted.append(clock.now)
    assert len(granted) <= 3
