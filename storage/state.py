"""Application state (workspaces; later bindings, subscriptions, audit) in SQLAlchemy 2.x.

SQLite under the data directory by default; any SQLAlchemy URL works
(``TALLY_STATE_URL=postgresql+psycopg://...``). Schema changes are versioned
migrations written with Alembic's operations and applied when the store opens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:  # Alembic is imported only when a migration runs (it costs start-up time).
    from alembic.operations import Operations


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of the state models."""


class WorkspaceRow(Base):
    """A tenant: a business or a guild, with its reporting currency and timezone."""

    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


class ConnectorConfigRow(Base):
    """A data source connected to a workspace; its secrets are a Fernet token, never plain text."""

    __tablename__ = "connector_configs"
    __table_args__ = (sa.UniqueConstraint("workspace", "connector"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str] = mapped_column(sa.String(64))
    connector: Mapped[str] = mapped_column(sa.String(32))
    options: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON, no secrets
    secrets: Mapped[bytes] = mapped_column(sa.LargeBinary)  # Fernet token of a JSON object
    interval_minutes: Mapped[int | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    last_sync_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class WebhookEventRow(Base):
    """A received webhook: the durable queue and the idempotency record in one row."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        sa.UniqueConstraint("connector", "workspace", "event_id"),
        sa.Index("ix_webhook_events_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(sa.String(32))
    workspace: Mapped[str] = mapped_column(sa.String(64))
    event_id: Mapped[str] = mapped_column(sa.String(200))
    topic: Mapped[str] = mapped_column(sa.String(100))
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    received_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending|done|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    processed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class WebhookEntityVersionRow(Base):
    """The newest applied version of a record, so an older webhook never overwrites it."""

    __tablename__ = "webhook_entity_versions"
    connector: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64))


def _v1(op: Operations) -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _v2_connectors(op: Operations) -> None:
    op.create_table(
        "connector_configs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("connector", sa.String(32), nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("secrets", sa.LargeBinary, nullable=False),
        sa.Column("interval_minutes", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_sync_at", sa.DateTime, nullable=True),
        sa.Column("last_status", sa.String(16), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.UniqueConstraint("workspace", "connector"),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("connector", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("processed_at", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.UniqueConstraint("connector", "workspace", "event_id"),
    )
    op.create_index("ix_webhook_events_due", "webhook_events", ["status", "next_attempt_at"])
    op.create_table(
        "webhook_entity_versions",
        sa.Column("connector", sa.String(32), primary_key=True),
        sa.Column("workspace", sa.String(64), primary_key=True),
        sa.Column("entity", sa.String(200), primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
    )


class ChannelBindingRow(Base):
    """A chat (Slack channel or team, Discord guild, Telegram chat, WhatsApp number) → workspace."""

    __tablename__ = "channel_bindings"
    __table_args__ = (sa.UniqueConstraint("platform", "chat_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(200))  # "T123/*" binds a whole Slack team
    workspace: Mapped[str] = mapped_column(sa.String(64))
    created_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    # Migration 6: the role the chat's messages act with (storage.access.Role), and for
    # Slack the team the binding was made for (messages from another team never use it).
    role: Mapped[str] = mapped_column(sa.String(16), default="member", server_default="member")
    team_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


class ProcessedEventRow(Base):
    """A platform delivery taken on, claimed until its answer is sent (storage.inbound)."""

    __tablename__ = "processed_events"
    __table_args__ = (sa.Index("ix_processed_events_due", "status", "lease_until"),)
    platform: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=_utcnow)
    # Migration 7: claimed|answered|failed, the claims made, the claim's lease, the message
    # to answer again (JSON, dropped once answered) and when the platform confirmed it.
    status: Mapped[str] = mapped_column(sa.String(16), default="claimed", server_default="answered")
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    message: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AnswerRow(Base):
    """Every answer given: question, parsed query, reply; feedback points at it."""

    __tablename__ = "answers"
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    conversation: Mapped[str] = mapped_column(sa.String(300))
    workspace: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    question: Mapped[str] = mapped_column(sa.Text)
    query: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # JSON of the answer's data
    answer: Mapped[str] = mapped_column(sa.Text)
    message_ids: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


class FeedbackRow(Base):
    """A thumbs up (+1) or down (−1) on an answer, one per user and answer."""

    __tablename__ = "feedback"
    answer_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    score: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


class AuditRow(Base):
    """Who changed what, when: bindings, subscriptions, bets."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=_utcnow)
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(64))
    workspace: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    before: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    after: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


def _v3_runtime(op: Operations) -> None:
    """The chat runtime's tables, created from their models (the same columns, once)."""
    bind = op.get_bind()
    for row in (ChannelBindingRow, ProcessedEventRow, AnswerRow, FeedbackRow, AuditRow):
        row.__table__.create(bind)  # type: ignore[attr-defined]


class SubscriptionRow(Base):
    """A chat's standing order for a report (digest, weekly report, ...) on a cron schedule."""

    __tablename__ = "subscriptions"
    __table_args__ = (sa.Index("ix_subscriptions_chat", "platform", "chat_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str] = mapped_column(sa.String(64))
    platform: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(200))
    thread_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    space_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    kind: Mapped[str] = mapped_column(sa.String(32))  # a key of bot.subscriptions.KINDS
    schedule: Mapped[str] = mapped_column(sa.String(100))  # crontab: "minute hour day month weekday"
    timezone: Mapped[str] = mapped_column(sa.String(64))  # the workspace's, when subscribed
    only_when_notable: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


class DeliveryRow(Base):
    """One scheduled send: (subscription, period) is unique, so a period is claimed once."""

    __tablename__ = "deliveries"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "period_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column()
    period_key: Mapped[str] = mapped_column(sa.String(64))  # the local scheduled time
    status: Mapped[str] = mapped_column(sa.String(16), default="claimed")  # claimed|sent|failed|skipped
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime] = mapped_column(default=_utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    message_ids: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # JSON list
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


def _v4_subscriptions(op: Operations) -> None:
    """Subscriptions, their delivery log, and APScheduler's job table (its 3.x layout)."""
    bind = op.get_bind()
    for row in (SubscriptionRow, DeliveryRow):
        row.__table__.create(bind)  # type: ignore[attr-defined]
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )


class AlertRuleRow(Base):
    """A chat's threshold rule ("alert me when daily revenue drops below 1000")."""

    __tablename__ = "alert_rules"
    # AUTOINCREMENT: a deleted rule's id is never reused, so its firings never shadow a new rule.
    __table_args__ = (sa.Index("ix_alert_rules_chat", "platform", "chat_id"),
                      {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str] = mapped_column(sa.String(64), index=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(200))
    thread_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    space_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    metric: Mapped[str] = mapped_column(sa.String(64))  # also in spec; a column for "snooze revenue"
    spec: Mapped[str] = mapped_column(sa.Text)  # JSON of agents.insights.rules_parse.RuleSpec
    created_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    snoozed_until: Mapped[datetime | None] = mapped_column(nullable=True)


class AlertFiringRow(Base):
    """A rule's condition that fired: (condition, window) is unique, so it is claimed once."""

    __tablename__ = "alert_firings"
    __table_args__ = (sa.UniqueConstraint("condition_key", "window_key"),
                      sa.Index("ix_alert_firings_condition", "condition_key", "fired_at"),
                      sa.Index("ix_alert_firings_chat", "chat_key", "fired_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(index=True)
    workspace: Mapped[str] = mapped_column(sa.String(64))
    chat_key: Mapped[str] = mapped_column(sa.String(500))  # where it was sent (the daily budget)
    condition_key: Mapped[str] = mapped_column(sa.String(300))  # rule id + dimension value
    window_key: Mapped[str] = mapped_column(sa.String(64))  # the period checked (or the day, for stocks)
    fired_at: Mapped[datetime] = mapped_column()
    value: Mapped[float | None] = mapped_column(nullable=True)
    delivery: Mapped[str] = mapped_column(sa.String(16), default="single")  # single|summary


def _v5_alert_rules(op: Operations) -> None:
    """Alert rules and their firings, created from their models."""
    bind = op.get_bind()
    for row in (AlertRuleRow, AlertFiringRow):
        row.__table__.create(bind)  # type: ignore[attr-defined]


class SynonymRow(Base):
    """A word a workspace's admins taught Tally ("takings" means revenue); state migration 8."""

    __tablename__ = "synonyms"
    __table_args__ = (sa.UniqueConstraint("workspace", "phrase"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str] = mapped_column(sa.String(64))
    phrase: Mapped[str] = mapped_column(sa.String(64))  # lower case, single spaces
    meaning: Mapped[str] = mapped_column(sa.String(200))  # the words it stands for
    kind: Mapped[str] = mapped_column(sa.String(16))  # metric | value | period
    created_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


def _v8_synonyms(op: Operations) -> None:
    """Workspace synonyms, created from their model."""
    SynonymRow.__table__.create(op.get_bind())  # type: ignore[attr-defined]
