"""``tally bind`` and ``tally bind-code create``: which workspace a chat asks about.

``bind`` checks the chat id has its platform's shape first (:func:`bind_platform`, also
used by ``tally connect slack C123``); ``bind-code`` prints a one-time code to say in the chat.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import click

from bot.app import App
from bot.bindings import bind_chat
from bot.cli.common import console, err_console, user_errors
from bot.settings import Settings
from storage.access import Role, parse_role
from storage.audit import cli_actor
from storage.bind_codes import create_bind_code, parse_expiry
from storage.errors import TallyError

BIND_PLATFORMS = ("slack", "discord", "telegram", "whatsapp")
# Slack ids are upper-case letters and digits (always some digits): C… public, G… private, D… DM.
_SLACK_CHANNEL = re.compile(r"^[CGD](?=[A-Z0-9]*\d)[A-Z0-9]{6,}$")
_SLACK_TEAM = re.compile(r"^T(?=[A-Z0-9]*\d)[A-Z0-9]{6,}/\*$")
_SLACK_TEAM_CHANNEL = re.compile(r"^T(?=[A-Z0-9]*\d)[A-Z0-9]{6,}/[CGD](?=[A-Z0-9]*\d)[A-Z0-9]{6,}$")
_DISCORD_GUILD = re.compile(r"^\d{17,20}$")
_TELEGRAM_CHAT = re.compile(r"^-?\d{1,20}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class BindError(TallyError):
    """A chat id that does not have its platform's shape, or an unknown platform."""


@click.command("bind")
@click.argument("platform")
@click.argument("chat_id")
@click.option("--workspace", "-w", required=True, help="The workspace this chat asks about.")
@click.option("--role", default=Role.MEMBER.value, show_default=True,
              help="The role the chat acts with: viewer, member or admin.")
@user_errors
def bind(platform: str, chat_id: str, workspace: str, role: str) -> None:
    """Bind a chat (Slack channel or team, Discord guild, Telegram chat, WhatsApp number)."""
    app = App(Settings())
    try:
        chat = bind_platform(app, platform, chat_id, workspace, cli_actor(), role=role)
    finally:
        app.close()
    console.print(bound_line(platform, chat, workspace))


@click.group("bind-code")
def bind_code() -> None:
    """One-time codes that bind a chat to a workspace from inside the chat."""


@bind_code.command("create")
@click.option("--workspace", "-w", required=True, help="The workspace the chat will ask about.")
@click.option("--role", default=Role.MEMBER.value, show_default=True,
              help="The role the chat acts with: viewer, member or admin.")
@click.option("--expires", default="30m", show_default=True,
              help="How long the code works: 90s, 30m, 2h, 1d (at most 7d).")
@user_errors
def bind_code_create(workspace: str, role: str, expires: str) -> None:
    """Print a one-time code; saying "connect CODE" in a chat binds that chat."""
    chat_role, expires_in = parse_role(role), parse_expiry(expires)
    app = App(Settings())
    try:
        app.workspaces.get(workspace)  # raises WorkspaceError naming the known ones
        issued = create_bind_code(app.state, workspace=workspace, role=chat_role,
                                  actor=cli_actor(), now=datetime.now(UTC).replace(tzinfo=None),
                                  expires_in=expires_in)
    finally:
        app.close()
    click.echo(issued.code)
    err_console.print(
        f"One-time code for workspace [bold]{workspace}[/bold] (the chat acts as "
        f"{issued.role.value}), good once until {issued.expires_at:%Y-%m-%d %H:%M} UTC. In the "
        f"chat (Slack: mention Tally), say: connect {issued.code}", highlight=False)


def bound_line(platform: str, chat: str, workspace: str) -> str:
    """What a CLI binding prints (a Slack channel without a team says whose it is)."""
    line = f"Bound {platform.strip().lower()} {chat} to workspace [bold]{workspace}[/bold]."
    if platform.strip().lower() == "slack" and "/" not in chat:
        line += (" It answers the Slack team of the bot's token only; bind TEAM_ID/CHANNEL_ID "
                 "to name another team.")
    return line


def bind_platform(app: App, platform: str, chat_id: str, workspace: str, actor: str = "cli",
                  *, role: str | Role = Role.MEMBER) -> str:
    """Binds a platform chat to a workspace after checking the id has the platform's shape.

    Args:
        app: the application.
        platform: ``slack``, ``discord``, ``telegram`` or ``whatsapp``.
        chat_id: a Slack channel id (``C…``), ``TEAM_ID/CHANNEL_ID`` or ``TEAM_ID/*``, a
            Discord guild id, a Telegram chat id (negative for groups), or a WhatsApp number
            in E.164 (``+15551234567``). A Slack channel without a team serves the team of
            the bot's token (``auth.test`` when ``tally serve`` runs), never another team.
        workspace: an existing workspace.
        actor: who binds, for the audit log.
        role: the role the chat's messages act with (``member`` by default; not owner).

    Returns:
        The chat id as given, normalized (upper-case Slack ids, E.164 without spaces).

    Raises:
        BindError: unknown platform or a chat id of the wrong shape (the message says which
            shape is expected and where to find it).
        WorkspaceError: the workspace does not exist.
    """
    platform = platform.strip().lower()
    if platform not in BIND_PLATFORMS:
        raise BindError(f"unknown platform {platform!r}: use one of {', '.join(BIND_PLATFORMS)}")
    chat = normalize_chat_id(platform, chat_id)
    chat_role = parse_role(role) if isinstance(role, str) else role
    if chat_role is Role.OWNER:
        raise BindError("a chat can act as viewer, member or admin, not owner")
    app.workspaces.get(workspace)  # raises WorkspaceError naming the known ones
    team, stored = None, chat
    if platform == "slack" and _SLACK_TEAM_CHANNEL.match(chat):
        team, _, stored = chat.partition("/")
    bind_chat(app, platform, stored, workspace, actor, role=chat_role, team_id=team)
    return chat


def normalize_chat_id(platform: str, chat_id: str) -> str:
    """The chat id in the form the platform's channel reports it, or BindError."""
    raw = chat_id.strip()
    if platform == "slack":
        chat = raw.upper()
        if _SLACK_CHANNEL.match(chat) or _SLACK_TEAM.match(chat) or _SLACK_TEAM_CHANNEL.match(chat):
            return chat
        raise BindError(f"{chat_id!r} is not a Slack channel id: use the id from the channel's "
                        "details (like C0123456789, or T0123456789/C0123456789 to name its "
                        "Slack team), not its name, or TEAM_ID/* (like T0123456789/*) for a "
                        "whole Slack team")
    if platform == "discord":
        if _DISCORD_GUILD.match(raw):
            return raw
        raise BindError(f"{chat_id!r} is not a Discord server (guild) id: it is a number of 17-20 "
                        "digits (Server Settings → Widget, or right-click the server → Copy Server ID)")
    if platform == "telegram":
        if _TELEGRAM_CHAT.match(raw):
            return raw
        raise BindError(f"{chat_id!r} is not a Telegram chat id: use the numeric id (groups are "
                        "negative, like -1001234567890), not a @username")
    number = re.sub(r"[\s().-]", "", raw)
    if _E164.match(number):
        return number
    raise BindError(f"{chat_id!r} is not a phone number in E.164 form: write + then the country "
                    "code and number, like +5511987654321")
