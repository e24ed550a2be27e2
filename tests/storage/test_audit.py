"""The audit log: records committed with their change, read back newest first, never a secret."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.audit import list_audit, record_audit
from storage.state import AuditRow
from storage.state_store import StateStore


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()


def test_a_record_reads_back_with_its_before_and_after(state):
    with state.session() as s, s.begin():
        record_audit(s, actor="cli:alice", action="workspace.update", workspace="acme",
                     before={"currency": "USD"}, after={"currency": "EUR"})

    [entry] = list_audit(state)

    assert (entry.actor, entry.action, entry.workspace) == ("cli:alice", "workspace.update", "acme")
    assert entry.before == {"currency": "USD"} and entry.after == {"currency": "EUR"}


def test_secret_fields_are_stored_as_set_never_their_value(state):
    with state.session() as s, s.begin():
        record_audit(s, actor="cli:alice", action="connector.connect", workspace="acme",
                     after={"shop": "acme.myshopify.com",
                            "secrets": {"access_token": "shpat_abc123", "webhook_secret": None},
                            "nested": [{"api_key": "sk_live_zzz"}], "refresh_token": ""})
    with state.session() as s:
        raw = s.scalars(sa.select(AuditRow.after)).one()

    assert "shpat_abc123" not in raw and "sk_live_zzz" not in raw
    [entry] = list_audit(state)
    assert entry.after == {"shop": "acme.myshopify.com", "nested": [{"api_key": "(set)"}],
                           "secrets": {"access_token": "(set)", "webhook_secret": None},
                           "refresh_token": None}


def test_a_record_rolled_back_with_its_change_is_not_in_the_log(state):
    with pytest.raises(RuntimeError), state.session() as s, s.begin():
        record_audit(s, actor="slack:U1", action="bind", workspace="acme", after={"chat": "C1"})
        raise RuntimeError("the change failed")

    assert list_audit(state) == []


def test_entries_are_newest_first_and_filter_by_workspace_limit_and_since(state):
    start = datetime(2026, 3, 1, 12, 0)
    with state.session() as s, s.begin():
        for n, workspace in enumerate(["acme", "other", "acme", "acme"]):
            row = record_audit(s, actor="cli:bob", action=f"step{n}", workspace=workspace)
            row.at = start + timedelta(hours=n)

    assert [e.action for e in list_audit(state)] == ["step3", "step2", "step1", "step0"]
    assert [e.action for e in list_audit(state, workspace="acme", limit=2)] == ["step3", "step2"]
    since = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    assert [e.action for e in list_audit(state, since=since)] == ["step3", "step2", "step1"]
    assert list_audit(state)[0].as_json()["at"] == "2026-03-01T15:00:00+00:00"
