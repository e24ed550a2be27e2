"""``tally user`` and ``tally member``: the people who sign in to the web, and their roles.

The CLI is the operator: it creates users, prints one-time sign-in links, sets passwords
(from a hidden prompt or standard input, never from the command line, where ``ps`` and
the shell history would keep them) and gives roles on workspaces. Every change is in the
audit log with actor ``cli:<os user>``.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from rich.table import Table

from bot.app import App
from bot.cli.common import console, err_console, make_app, user_errors
from bot.web_auth import sign_in_url
from storage.access import parse_role
from storage.audit import cli_actor
from storage.sign_in import LINK_TTL, SignIn, first_owner_links
from storage.users import User, UserError, Users


# --- users ---------------------------------------------------------------------------------
@click.group("user")
def user() -> None:
    """Create users, print sign-in links, set passwords."""


@user.command("create")
@click.argument("email")
@click.option("--name", default=None, help="How answers address them (default: their email).")
@click.option("--workspace", "-w", default=None, help="Give them a role on this workspace.")
@click.option("--role", default="member", show_default=True,
              help="Their role on --workspace: viewer, member, admin or owner.")
@click.option("--instance-owner", is_flag=True,
              help="Owner of every workspace created from now on (like the first owner).")
@user_errors
def user_create(email: str, name: str | None, workspace: str | None, role: str,
                instance_owner: bool) -> None:
    """Create a user who signs in to the playground."""
    chosen = parse_role(role)
    app = make_app()
    try:
        users = Users(app.state)
        if workspace is not None:
            app.workspaces.get(workspace)  # an unknown workspace fails before the user exists
        created = users.create(email, actor=cli_actor(), name=name, instance_owner=instance_owner)
        if workspace is not None:
            users.set_role(created.email, workspace, chosen, actor=cli_actor())
    finally:
        app.close()
    where = f" ({chosen.value} of {workspace})" if workspace else ""
    console.print(f"Created user [bold]{created.email}[/bold]{where}. Sign-in link: "
                  f"`tally user link {created.email}`; a password: "
                  f"`tally user password {created.email}`.", highlight=False)


@user.command("list")
@user_errors
def user_list() -> None:
    """List users, their roles, and whether they have a password."""
    app = make_app()
    try:
        users = Users(app.state)
        table = Table("email", "name", "roles", "password", "last sign-in (UTC)")
        for person in users.all():
            roles = ", ".join(f"{ws}: {r.value}" for ws, r in users.workspaces_of(person.id).items())
            if person.instance_owner:
                roles = f"instance owner; {roles}" if roles else "instance owner"
            table.add_row(person.email, person.name or "", roles, "yes" if person.has_password else "no",
                          f"{person.last_sign_in_at:%Y-%m-%d %H:%M}" if person.last_sign_in_at else "never")
    finally:
        app.close()
    console.print(table)


@user.command("link")
@click.argument("email")
@click.option("--minutes", type=click.IntRange(1, 7 * 24 * 60), default=int(LINK_TTL.total_seconds() // 60),
              show_default=True, help="Minutes the link stays valid.")
@user_errors
def user_link(email: str, minutes: int) -> None:
    """Print a one-time sign-in link (it works once, until it expires)."""
    app = make_app()
    try:
        person = Users(app.state).get(email)
        token = SignIn(app.state).create_link(person, timedelta(minutes=minutes), actor=cli_actor())
        url = sign_in_url(app.settings, token)
    finally:
        app.close()
    err_console.print(f"One-time sign-in link for {person.email} (valid {minutes} minutes, "
                      "works once):", highlight=False)
    click.echo(url)


@user.command("password")
@click.argument("email")
@user_errors
def user_password(email: str) -> None:
    """Set a password, typed at a hidden prompt (or read from standard input)."""
    app = make_app()
    try:
        users = Users(app.state)
        person = users.get(email)
        users.set_password(person.email, read_password(), actor=cli_actor())
    finally:
        app.close()
    console.print(f"Password set for [bold]{person.email}[/bold].", highlight=False)


def read_password() -> str:
    """A hidden, confirmed prompt in a terminal; the first line of stdin otherwise."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    if not line:
        raise UserError("no password on standard input: pipe it in, or run in a terminal")
    return line.rstrip("\r\n")


# --- members -------------------------------------------------------------------------------
@click.group("member")
def member() -> None:
    """Give users roles on a workspace."""


@member.command("add")
@click.argument("email")
@click.option("--workspace", "-w", required=True, help="The workspace.")
@click.option("--role", default="member", show_default=True,
              help="viewer (asks), member (own alerts, subscriptions, bets), admin or owner.")
@user_errors
def member_add(email: str, workspace: str, role: str) -> None:
    """Give EMAIL a role on a workspace (or change it)."""
    chosen = parse_role(role)
    app = make_app()
    try:
        before = Users(app.state).set_role(email, workspace, chosen, actor=cli_actor())
    finally:
        app.close()
    was = f" (was {before.value})" if before else ""
    console.print(f"{email.strip().lower()} is now {chosen.value} of [bold]{workspace}[/bold]{was}.",
                  highlight=False)


@member.command("remove")
@click.argument("email")
@click.option("--workspace", "-w", required=True, help="The workspace.")
@user_errors
def member_remove(email: str, workspace: str) -> None:
    """Take EMAIL's role on a workspace away."""
    app = make_app()
    try:
        role = Users(app.state).remove_member(email, workspace, actor=cli_actor())
    finally:
        app.close()
    console.print(f"{email.strip().lower()} is no longer {role.value} of [bold]{workspace}[/bold].",
                  highlight=False)


@member.command("list")
@click.option("--workspace", "-w", required=True, help="The workspace.")
@user_errors
def member_list(workspace: str) -> None:
    """List a workspace's members and their roles."""
    app = make_app()
    try:
        app.workspaces.get(workspace)
        found = Users(app.state).members(workspace)
    finally:
        app.close()
    table = Table("email", "name", "role")
    for person, role in found:
        table.add_row(person.email, person.name or "", role.value)
    console.print(table)


def announce_sign_in(app: App, port: int | None = None) -> list[User]:
    """What ``tally serve`` prints once it listens: how to sign in to the playground.

    On a fresh install, the first owner's one-time link (see
    :func:`storage.sign_in.first_owner_links`); otherwise where to sign in.
    """
    sign_in = SignIn(app.state)
    sign_in.purge_expired()  # sessions and links past their expiry: nothing left to open
    links = first_owner_links(Users(app.state), sign_in)
    for person, token in links:
        err_console.print(f"\nSign in to the playground as {person.email} with this one-time link "
                          "(valid 24 hours; `tally user link EMAIL` prints another):\n"
                          f"    {sign_in_url(app.settings, token, port)}\n", highlight=False,
                          soft_wrap=True)
    if not links:
        base = sign_in_url(app.settings, "-", port).split("/sign-in/")[0]
        err_console.print(f"Sign in at {base}/sign-in (`tally user link EMAIL` prints a "
                          "one-time link).", highlight=False, soft_wrap=True)
    return [person for person, _token in links]
