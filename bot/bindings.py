"""Chat bindings: which workspace a chat asks about, with which role, for which Slack team.

A chat is bound by an admin of the workspace: from the CLI (``tally connect slack C0123
--workspace acme``), or in the chat itself with a one-time code an admin created
(``tally bind-code create --workspace acme`` → "connect TALLY-8F3K-2QX9"). A workspace
name typed in a chat never binds it, and no reply names a workspace to a chat that is
not bound to it.

What a code binds: the Slack channel (for the Slack team of the person who typed it),
the Discord server, the Telegram chat, the WhatsApp number. Redeeming needs no platform
admin (Telegram and WhatsApp have none): the code is the workspace admin's consent, and
whoever they gave it to chooses the chat. A chat already bound moves only for someone
with admin rights on its current binding (its role, or the platform's admins raised to
admin of that bound workspace), so a code for B never takes over a chat bound to A.

Slack teams: a Slack binding serves only the Slack team it was made for. Slack Connect
shares one channel id between teams, so a message from another team is never answered
from it; ``T123/*`` serves team T123 only; a binding made without a team (``tally
connect slack C0123``) serves the installation's own team, the bot token's
(``auth.test``), learned by the Slack channel at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from agents.reply import Reply
from bot.app import App
from bot.channels.base import ConversationRef, InboundMessage
from storage.access import Action, Role, allows, chat_role, role_named
from storage.audit import record_audit
from storage.bind_codes import canonical_code, take_bind_code
from storage.bindings import binding_rows
from storage.state import ChannelBindingRow, WorkspaceRow
from storage.state_store import StateStore

_CONNECT = re.compile(r"^\s*(?:connect|bind)\s+(?:to\s+)?(?:workspace\s+)?(?:code\s+)?"
                      r"([a-z0-9][\w-]*(?:\s+[a-z0-9]{4})?)\s*[.!]?\s*$", re.IGNORECASE)
HOW_TO_BIND = ("ask an admin of your Tally workspace to run `tally bind-code create --workspace "
               "NAME` and say \"connect\" with the code here")
BAD_CODE = ("That code doesn't work: it is unknown, expired or already used. Codes are good "
            f"once; {HOW_TO_BIND} to get a new one.")
NOT_A_CODE = f"Chats are connected with a one-time code, not a workspace name: {HOW_TO_BIND}."
ALREADY_BOUND = ("This chat is already connected to a workspace, and only an admin of that "
                 "workspace can move it (from the CLI, or by saying \"connect\" with a code here).")
GONE = ("The workspace this chat was connected to no longer exists. An admin can connect the "
        "chat again: `tally connect` from the CLI, or a code from `tally bind-code create`.")


@dataclass(frozen=True)
class Binding:
    """The binding a message was found to belong to.

    Attributes:
        workspace: the bound workspace; exists: whether that workspace still exists.
        role: the role the chat's messages act with (before platform admins are raised).
        chat_id: the binding's own chat id (the channel, ``T123/*``, the guild ...).
    """

    workspace: str
    role: Role
    chat_id: str
    exists: bool = True


def connect_request(message: InboundMessage) -> str | None:
    """What follows "connect" or "bind" in a typed message (a code, or a name), else None."""
    if message.command not in (None, "ask", "connect", "bind"):
        return None
    match = _CONNECT.match(message.text)
    return match.group(1) if match else None


def bind_target(ref: ConversationRef) -> str:
    """The chat id a binding made from this conversation names: Discord binds the server."""
    if ref.platform == "discord" and ref.space_id:
        return ref.space_id
    return ref.chat_id


def acting_role(message: InboundMessage, binding: Binding) -> Role | None:
    """The role a message acts with: its own when a web surface set one, else the binding's
    (a platform's admins raised to admin of this bound workspace only)."""
    if message.role is not None:
        return role_named(message.role)  # an unknown name acts with no role at all
    return chat_role(binding.role, message.is_admin)


# --- finding ---------------------------------------------------------------------------------
def find_binding(state: StateStore, ref: ConversationRef,
                 slack_team: str | None = None) -> Binding | None:
    """The binding that serves this conversation: its chat, its space (guild), or its whole
    Slack team, in that order; one query. ``slack_team`` is the installation's own team."""
    candidates = [ref.chat_id]
    if ref.space_id:
        candidates += [ref.space_id, f"{ref.space_id}/*"]
    by_chat = {row.chat_id: (row, exists) for row, exists in
               binding_rows(state, ref.platform, candidates) if serves(row, ref, slack_team)}
    for chat in candidates:
        if chat in by_chat:
            row, exists = by_chat[chat]
            return Binding(row.workspace, _role(row.role), row.chat_id, exists)
    return None


def serves(row: ChannelBindingRow, ref: ConversationRef, slack_team: str | None) -> bool:
    """Whether a binding answers this conversation: on Slack, only for its own team."""
    if ref.platform != "slack":
        return True
    return ref.space_id is not None and binding_team(row, slack_team) == ref.space_id


def binding_team(row: ChannelBindingRow, slack_team: str | None) -> str | None:
    """The Slack team a binding is for: recorded, named (``T123/*``), or the installation's."""
    if row.team_id:
        return row.team_id
    if row.chat_id.endswith("/*"):
        return row.chat_id[:-2]
    return slack_team


def _role(value: str | None) -> Role:
    try:
        return Role(value or Role.MEMBER.value)
    except ValueError:  # a hand-edited row: the least a chat can do
        return Role.VIEWER


# --- binding -----------------------------------------------------------------------------------
def bind_chat(app: App, platform: str, chat_id: str, workspace: str, actor: str, *,
              role: Role = Role.MEMBER, team_id: str | None = None) -> None:
    """Creates or moves a binding and records it in the audit log (one transaction)."""
    with app.state.session() as s, s.begin():
        write_binding(s, platform, chat_id, workspace, actor, role=role, team_id=team_id)


def write_binding(s: Session, platform: str, chat_id: str, workspace: str, actor: str, *,
                  role: Role = Role.MEMBER, team_id: str | None = None) -> None:
    """:func:`bind_chat` inside the caller's transaction."""
    if platform == "slack" and team_id is None and chat_id.endswith("/*"):
        team_id = chat_id[:-2]
    row = s.scalar(sa.select(ChannelBindingRow).where(
        ChannelBindingRow.platform == platform, ChannelBindingRow.chat_id == chat_id))
    before = _described(row)
    if row is None:
        row = ChannelBindingRow(platform=platform, chat_id=chat_id, created_by=actor)
        s.add(row)
    row.workspace, row.role, row.team_id = workspace, role.value, team_id
    record_audit(s, actor=actor, action="bind", workspace=workspace, before=before,
                 after=_described(row))


def _described(row: ChannelBindingRow | None) -> dict[str, str | None] | None:
    if row is None:
        return None
    return {"platform": row.platform, "chat": row.chat_id, "workspace": row.workspace,
            "role": row.role, "team": row.team_id}


def redeem_in_chat(app: App, message: InboundMessage, said: str, binding: Binding | None, *,
                   now: datetime, slack_team: str | None) -> Reply:
    """ "connect CODE" typed in a chat: binds it with the code's workspace and role.

    Every refusal is one plain sentence that names no workspace.
    """
    if canonical_code(said) is None:
        return Reply(NOT_A_CODE, ok=False)
    ref, target = message.ref, bind_target(message.ref)
    team = ref.space_id if ref.platform == "slack" else None
    if ref.platform == "slack" and team is None:
        return Reply(BAD_CODE, ok=False)  # a Slack message without its team binds nothing
    actor = f"{ref.platform}:{message.user_id}"
    with app.state.session() as s, s.begin():
        if not _may_move(s, message, binding, target, slack_team):
            return Reply(ALREADY_BOUND, ok=False)
        code = take_bind_code(s, said, now=now, used_by=actor)
        if code is None or s.scalar(sa.select(WorkspaceRow.id).where(
                WorkspaceRow.name == code.workspace)) is None:
            return Reply(BAD_CODE, ok=False)
        role = _role(code.role)
        write_binding(s, ref.platform, target, code.workspace, actor, role=role, team_id=team)
        record_audit(s, actor=actor, action="bind_code.redeem", workspace=code.workspace,
                     after={"platform": ref.platform, "chat": target, "team": team,
                            "role": role.value, "code_created_by": code.created_by,
                            "code_created_at": code.created_at.isoformat()})
    return Reply(f"Connected: questions here now go to the workspace {code.workspace} "
                 f"(this chat acts as {role.value}).")


def _may_move(s: Session, message: InboundMessage, binding: Binding | None, target: str,
              slack_team: str | None) -> bool:
    """Whether the sender may (re)bind ``target``: nobody holds it, or they are its admin."""
    row = s.scalar(sa.select(ChannelBindingRow).where(
        ChannelBindingRow.platform == message.ref.platform, ChannelBindingRow.chat_id == target))
    if row is not None and not serves(row, message.ref, slack_team):
        return False  # another Slack team's binding of a shared channel
    current = [binding] if binding is not None else []
    if row is not None and (binding is None or binding.chat_id != row.chat_id):
        current.append(Binding(row.workspace, _role(row.role), row.chat_id))
    return all(allows(acting_role(message, held), Action.BIND_CHAT) for held in current)


def unbound_reply(ref: ConversationRef) -> Reply:
    """Instructions for a chat that is not connected to any workspace yet (names none)."""
    target = bind_target(ref)
    if ref.platform == "slack" and ref.space_id:
        target = f"{ref.space_id}/{ref.chat_id}"
    return Reply(
        "This chat isn't connected to a workspace yet, so I can't answer here. An admin of "
        f"your Tally workspace can run `tally connect {ref.platform} {target} --workspace NAME`, "
        "or create a one-time code with `tally bind-code create --workspace NAME` and say "
        "\"connect\" with the code here.", ok=False)
