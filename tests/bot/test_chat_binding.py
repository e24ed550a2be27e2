"""Binding a chat in the chat: a one-time code an admin created, never a workspace name.

Through the real dispatcher and offline brain on two workspaces with data (``shop`` and
``tenantb``); codes are made by the same function ``tally bind-code create`` calls, and the
dispatcher's wall clock is injected to let them expire.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from agents.answer import Answerer
from agents.reply import Reply
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage
from bot.pipeline import Pipeline
from storage.access import BindCodeRow, Role
from storage.bind_codes import canonical_code, create_bind_code, parse_expiry
from storage.state import AuditRow, ChannelBindingRow
from tests.conftest import SHOP, build_app

NOW = datetime(2026, 12, 6, 1, 0)
WORKSPACES = ("shop", "tenantb")


@pytest.fixture
def dispatcher(tmp_path: Path) -> Iterator[Pipeline]:
    app = build_app(tmp_path, SHOP, ("tenantb", "USD", "UTC", "shop"))
    found = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=1000)
    found.slack_team = "T1"
    found.now = [NOW]  # type: ignore[attr-defined]
    found.utcnow = lambda: found.now[0]  # type: ignore[method-assign,attr-defined]
    yield found
    app.close()


def telegram(chat: str = "-100") -> ConversationRef:
    return ConversationRef("telegram", chat)


def say(dispatcher: Pipeline, text: str, ref: ConversationRef | None = None, *,
        user: str = "u1", admin: bool = False) -> Reply:
    reply = asyncio.run(dispatcher.handle(InboundMessage(ref or telegram(), text, user, "Ana",
                                                         is_admin=admin)))
    assert reply is not None
    return reply


def new_code(dispatcher: Pipeline, workspace: str = "shop", role: Role = Role.MEMBER,
             minutes: int = 30) -> str:
    return create_bind_code(dispatcher.app.state, workspace=workspace, role=role,
                            actor="cli:root", now=NOW, expires_in=timedelta(minutes=minutes)).code


def bound(dispatcher: Pipeline, platform: str, chat: str) -> tuple[str, str] | None:
    with dispatcher.app.state.session() as s:
        row = s.scalar(sa.select(ChannelBindingRow).where(ChannelBindingRow.platform == platform,
                                                          ChannelBindingRow.chat_id == chat))
        return None if row is None else (row.workspace, row.role)


def names_no_workspace(reply: Reply) -> bool:
    return not any(name in reply.text for name in WORKSPACES) and "known:" not in reply.text


def test_a_code_binds_a_chat_once_with_its_role_without_a_platform_admin(dispatcher):
    code = new_code(dispatcher, role=Role.VIEWER)
    reply = say(dispatcher, f"connect {code}")
    assert reply.ok and "shop" in reply.text and "viewer" in reply.text
    assert bound(dispatcher, "telegram", "-100") == ("shop", "viewer")
    assert say(dispatcher, "revenue march 2025").data["value"] == 240
    reused = say(dispatcher, f"connect {code}", telegram("-200"))
    assert not reused.ok and "already used" in reused.text and names_no_workspace(reused)
    assert bound(dispatcher, "telegram", "-200") is None


def test_only_the_codes_hash_is_stored_and_creation_and_redemption_are_audited(dispatcher):
    code = new_code(dispatcher)
    say(dispatcher, f"connect {code}")
    with dispatcher.app.state.session() as s:
        [row] = s.scalars(sa.select(BindCodeRow)).all()
        audit = s.scalars(sa.select(AuditRow).where(AuditRow.action.like("bind%"))
                          .order_by(AuditRow.id)).all()
        trail = [(a.action, a.actor, a.workspace) for a in audit]
        text = " ".join(f"{a.before} {a.after}" for a in audit)
    assert row.code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert (row.used_by, row.used_at) == ("telegram:u1", NOW)
    assert trail == [("bind_code.create", "cli:root", "shop"), ("bind", "telegram:u1", "shop"),
                     ("bind_code.redeem", "telegram:u1", "shop")]
    assert code[6:10] not in text and code[11:] not in text  # the code never reaches the log


@pytest.mark.parametrize("typed", [
    "connect {code}", "connect {lower}", "Connect {bare}", "bind {bare_lower}",
    "connect {spaced}", "connect to {code}", "bind code {code}.",
])
def test_a_code_is_read_in_any_case_with_or_without_tally(dispatcher, typed):
    code = new_code(dispatcher)
    bare = code.removeprefix("TALLY-")
    said = typed.format(code=code, lower=code.lower(), bare=bare, bare_lower=bare.lower().replace("-", ""),
                        spaced=bare.replace("-", " ").lower())
    assert say(dispatcher, said).ok, said
    assert bound(dispatcher, "telegram", "-100") == ("shop", "member")


def test_an_expired_code_is_refused_just_like_an_unknown_one(dispatcher):
    code = new_code(dispatcher, minutes=30)
    dispatcher.now[0] = NOW + timedelta(minutes=30, seconds=1)
    expired = say(dispatcher, f"connect {code}")
    unknown = say(dispatcher, "connect TALLY-2345-6789")
    assert not expired.ok and expired.text == unknown.text and names_no_workspace(expired)
    assert bound(dispatcher, "telegram", "-100") is None
    dispatcher.now[0] = NOW + timedelta(minutes=29)  # still good before it expires
    assert say(dispatcher, f"connect {code}").ok


def test_another_workspaces_name_typed_in_a_bound_chat_moves_nothing_and_names_nothing(dispatcher):
    say(dispatcher, f"connect {new_code(dispatcher)}")
    for admin in (False, True):
        reply = say(dispatcher, "connect tenantb", admin=admin)
        assert not reply.ok and "one-time code" in reply.text and names_no_workspace(reply)
    assert bound(dispatcher, "telegram", "-100") == ("shop", "member")
    assert say(dispatcher, "revenue march 2025").data["value"] == 240


def test_no_reply_in_an_unbound_chat_names_a_workspace(dispatcher):
    ref = ConversationRef("slack", "C9", None, "T1")
    for text in ("revenue march 2025", "connect tenantb", "connect shop", "bind nope",
                 "connect TALLY-2345-6789", "list workspaces", "help"):
        for admin in (False, True):
            reply = say(dispatcher, text, ref, admin=admin)
            assert not reply.ok and names_no_workspace(reply), (text, reply.text)
    command = asyncio.run(dispatcher.handle(InboundMessage(ref, "", "u1", command="subscribe")))
    assert command is not None and names_no_workspace(command)


def test_a_code_for_b_moves_a_chat_bound_to_a_only_for_an_admin_there(dispatcher):
    say(dispatcher, f"connect {new_code(dispatcher)}")
    code = new_code(dispatcher, "tenantb")
    refused = say(dispatcher, f"connect {code}", user="u2")
    assert not refused.ok and "already connected" in refused.text and names_no_workspace(refused)
    assert bound(dispatcher, "telegram", "-100") == ("shop", "member")
    # The refusal did not spend the code: the workspace's admin (here the platform's admin,
    # who is admin of the workspace this chat is bound to) may still use it.
    moved = say(dispatcher, f"connect {code}", admin=True)
    assert moved.ok and "tenantb" in moved.text
    assert bound(dispatcher, "telegram", "-100") == ("tenantb", "member")


def test_a_chat_bound_as_admin_may_be_moved_by_anyone_in_it(dispatcher):
    say(dispatcher, f"connect {new_code(dispatcher, role=Role.ADMIN)}")
    assert say(dispatcher, f"connect {new_code(dispatcher, 'tenantb')}", user="u2").ok
    assert bound(dispatcher, "telegram", "-100") == ("tenantb", "member")


def test_a_code_typed_in_discord_binds_the_whole_server(dispatcher):
    ref = ConversationRef("discord", "555000000000000001", None, "900000000000000001")
    assert say(dispatcher, f"connect {new_code(dispatcher)}", ref).ok
    assert bound(dispatcher, "discord", "900000000000000001") == ("shop", "member")
    other_channel = ConversationRef("discord", "555000000000000002", None, "900000000000000001")
    assert say(dispatcher, "revenue march 2025", other_channel).data["value"] == 240


def test_a_slack_code_binds_the_channel_for_the_senders_team(dispatcher):
    ref = ConversationRef("slack", "C0SHARED1", "171.1", "T0OTHER01")
    assert say(dispatcher, f"connect {new_code(dispatcher)}", ref).ok
    with dispatcher.app.state.session() as s:
        row = s.scalar(sa.select(ChannelBindingRow).where(ChannelBindingRow.chat_id == "C0SHARED1"))
        assert row.team_id == "T0OTHER01"
    assert say(dispatcher, "revenue march 2025", ref).data["value"] == 240
    installation = ConversationRef("slack", "C0SHARED1", "171.2", "T1")
    assert names_no_workspace(say(dispatcher, "revenue march 2025", installation))


def test_a_chat_bound_to_a_workspace_that_is_gone_lists_no_others(dispatcher):
    dispatcher.bind("telegram", "-100", "shop", "cli:root")
    with dispatcher.app.state.session() as s, s.begin():
        s.execute(sa.update(ChannelBindingRow).values(workspace="closed-shop"))
    reply = say(dispatcher, "revenue march 2025")
    assert not reply.ok and "no longer exists" in reply.text and names_no_workspace(reply)


def test_code_shapes_and_expiries_people_type():
    assert canonical_code(" tally-8f3k-2qx9 ") == "TALLY-8F3K-2QX9"
    assert canonical_code("8F3K2QX9") == "TALLY-8F3K-2QX9"
    assert canonical_code("shop") is None and canonical_code("TALLY-0O1I-2QX9") is None
    assert parse_expiry("30m") == timedelta(minutes=30) and parse_expiry("2 hours") == timedelta(hours=2)
    for bad in ("", "soon", "0m", "8d", "-5m"):
        with pytest.raises(Exception, match=r"duration|between"):
            parse_expiry(bad)
