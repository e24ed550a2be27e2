"""Alert rules: words → rules, rules → alerts (once, with cooldown, snooze and a daily budget).

Fixture facts the expectations rest on (worked out from tests/fixtures):
- shop (America/Sao_Paulo): revenue on Sat Mar 1, 2025 is $110.00 (o2); on Sun Mar 2 nothing
  ($0.00); on Tue Apr 1 $1,000.00 (o8).
- multi (UTC): ROAS over Feb 24 – Mar 2 is 4.00x on meta (400/100) and 6.00x on google
  (300/50); Linen Shirt has 12 on hand and sold 28 units in the 28 days before Mar 28
  (12.0 days of cover), Canvas Tote has no recent sales; churned MRR is $200 in the week of
  Mar 3 (k2) and $50 in the week of Jan 27 (k5), $0 in the week of Mar 10.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agents.answer import Answerer
from agents.insights.rules import AlertPolicy, RuleParseError, RuleSpec, RuleStore, evaluate_rules, parse_rule
from agents.insights.rules_store import Claim
from agents.reply import Reply
from bot.app import App
from bot.brain_ports import brain_ports
from bot.channels.base import ConversationRef, InboundMessage
from bot.commands.alerts import register_rule_commands, rule_command_for_text
from bot.pipeline import Pipeline
from storage.catalog import AsOf, load_definitions
from storage.state import AlertFiringRow
from tests.conftest import MULTI, SHOP, build_app

DEFS = load_definitions()
REF = ConversationRef("slack", "C1", None, "T1")
OTHER = ConversationRef("telegram", "42")
T0 = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)


# --- parsing --------------------------------------------------------------------------------
def test_daily_revenue_drops_below_1000_watches_yesterdays_revenue():
    spec = parse_rule("alert me when daily revenue drops below 1000", DEFS, currency="USD")
    assert (spec.metric, spec.op, spec.threshold, spec.period, spec.dimension) == \
        ("revenue", "<", 1000.0, "yesterday", None)


def test_any_product_under_10_days_of_stock_is_days_of_cover_per_product_now():
    spec = parse_rule("tell me when any product has under 10 days of stock", DEFS)
    assert (spec.metric, spec.op, spec.threshold, spec.period, spec.dimension) == \
        ("days_of_stock", "<", 10.0, None, "product")


def test_roas_by_channel_falls_under_2_is_checked_per_channel():
    spec = parse_rule("notify when ROAS by channel falls under 2", DEFS)
    assert (spec.metric, spec.op, spec.threshold, spec.period, spec.dimension) == \
        ("roas", "<", 2.0, "yesterday", "channel")


def test_mrr_churn_last_week_over_500_is_churned_mrr_of_last_week():
    spec = parse_rule("ping me if MRR churn last week > 500", DEFS)
    assert (spec.metric, spec.op, spec.threshold, spec.period, spec.dimension) == \
        ("churned_mrr", ">", 500.0, "last week", None)


@pytest.mark.parametrize(("text", "metric", "op", "threshold", "period", "filters"), [
    ("revenue today so far above $1.5k", "revenue", ">", 1500.0, "today", ()),
    ("alert me when churn rate exceeds 5%", "logo_churn_rate", ">", 0.05, "yesterday", ()),
    ("alert me when conversion rate last 7 days is below 2", "conversion_rate", "<", 0.02,
     "last 7 days", ()),
    ("notify when ad spend for channel google goes over 300", "ad_spend", ">", 300.0, "yesterday",
     (("channel", "google"),)),
    ("alert me when MRR is at most 1,000", "mrr", "<=", 1000.0, None, ()),
])
def test_thresholds_periods_and_filters(text, metric, op, threshold, period, filters):
    spec = parse_rule(text, DEFS, currency="USD")
    assert (spec.metric, spec.op, spec.threshold, spec.period, spec.filters) == \
        (metric, op, threshold, period, filters)


@pytest.mark.parametrize(("text", "says"), [
    ("alert me when revenue drops", "no condition such as 'below 1000'"),
    ("alert me when revenue in narnia drops below 5", "'narnia'"),
    ("alert me when revenue and orders drop below 5", "one metric, and I found revenue and orders"),
    ("alert me when revenue drops below €100", "reports in USD"),
    ("alert me when ROAS by plan falls under 2", "ROAS can't be split by plan"),
    ("alert me when weather goes above 30", "weather"),
    ("alert me when it goes below 5", "no metric"),
    ("alert me when orders drop below 5%", "percent threshold needs a rate"),
])
def test_rules_it_cannot_read_are_refused_naming_what_was_understood(text, says):
    with pytest.raises(RuleParseError) as refused:
        parse_rule(text, DEFS, currency="USD")
    assert says in str(refused.value)
    if "narnia" in text:
        assert refused.value.understood == ("metric Revenue", "'below 5'")


def test_a_rule_survives_storage_as_json():
    spec = parse_rule("notify when ad spend for channel google goes over 300", DEFS)
    assert RuleSpec.from_json(spec.to_json()) == spec


# --- evaluation -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def loaded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Both fixture workspaces, imported once (the slow part); rules are cleared per test."""
    found = build_app(tmp_path_factory.mktemp("rules"), SHOP, MULTI)
    yield found
    found.close()


@pytest.fixture
def app(loaded_app: App) -> App:
    with loaded_app.state.session() as s, s.begin():
        for table in ("alert_firings", "alert_rules", "channel_bindings", "audit_log"):
            s.execute(sa.text(f"DELETE FROM {table}"))
        s.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'alert_rules'"))
    return loaded_app


def as_of(app: App, workspace: str, day: date) -> AsOf:
    return AsOf.for_day(day, app.engine(workspace).workspace.tz)


def add(app: App, workspace: str, text: str, ref: ConversationRef = REF) -> int:
    return RuleStore(app.state).add(workspace, ref, parse_rule(text, DEFS, currency="USD")).id


# (workspace, rule, a day it holds, a later day it holds again, a day it does not hold,
#  the value first alerted, and words of the alert)
RULE_TYPES = [
    pytest.param("shop", "alert me when daily revenue drops below 1000", date(2025, 3, 2),
                 date(2025, 3, 3), date(2025, 4, 2), 110, "Revenue yesterday (Sat Mar 1, 2025) was "
                 "$110.00, below your alert threshold of $1,000.00", id="daily-threshold"),
    pytest.param("multi", "notify when ROAS by channel last 7 days falls under 5", date(2025, 3, 3),
                 date(2025, 3, 4), date(2025, 3, 20), 4, "ROAS for channel meta last 7 days",
                 id="per-channel-rate"),
    pytest.param("multi", "tell me when any product has under 14 days of stock", date(2025, 3, 28),
                 date(2025, 3, 29), date(2025, 3, 1), 12,
                 "Days of stock for product Linen Shirt is 12.0 days",
                 id="stock-cover-per-product"),
    pytest.param("multi", "ping me if MRR churn last week > 40", date(2025, 3, 12), date(2025, 2, 4),
                 date(2025, 3, 18), 200, "Churned MRR last week (Mar 3 – Mar 9, 2025) was $200.00, above",
                 id="weekly-metric"),
]


@pytest.mark.parametrize(("workspace", "text", "holds", "holds_later", "quiet", "value", "words"),
                         RULE_TYPES)
def test_each_rule_type_fires_once_where_it_holds(app, workspace, text, holds, holds_later, quiet,
                                                  value, words):
    rule_id = add(app, workspace, text)
    assert evaluate_rules(app, workspace, as_of(app, workspace, quiet), T0) == []
    sent = evaluate_rules(app, workspace, as_of(app, workspace, holds), T0)
    assert len(sent) == 1
    ref, reply = sent[0]
    assert ref == REF and words in reply.text and reply.data["alert"]["rule_id"] == rule_id
    assert reply.data["value"] == value
    engine = app.engine(workspace)  # the alert's number is the catalog's
    spec = RuleStore(app.state).get(rule_id).spec
    result = engine.run(spec.query(as_of(app, workspace, holds)), as_of(app, workspace, holds))
    numbers = [r[spec.metric] for r in result.rows] if spec.dimension else [result.value]
    assert value in [float(n) for n in numbers if n is not None]


@pytest.mark.parametrize(("workspace", "text", "holds", "holds_later", "quiet", "value", "words"),
                         RULE_TYPES)
def test_each_rule_type_respects_its_cooldown(app, workspace, text, holds, holds_later, quiet, value,
                                              words):
    add(app, workspace, text)
    assert len(evaluate_rules(app, workspace, as_of(app, workspace, holds), T0)) == 1
    assert evaluate_rules(app, workspace, as_of(app, workspace, holds), T0 + timedelta(minutes=1)) == []
    later = as_of(app, workspace, holds_later)
    assert evaluate_rules(app, workspace, later, T0 + timedelta(hours=23)) == []  # still cooling down
    assert len(evaluate_rules(app, workspace, later, T0 + timedelta(hours=25))) == 1


def test_the_same_week_is_told_once_even_after_the_cooldown(app):
    add(app, "multi", "ping me if MRR churn last week > 40")
    assert len(evaluate_rules(app, "multi", as_of(app, "multi", date(2025, 3, 12)), T0)) == 1
    next_day = as_of(app, "multi", date(2025, 3, 13))  # still "last week" = Mar 3 – Mar 9
    assert evaluate_rules(app, "multi", next_day, T0 + timedelta(days=1, hours=1)) == []


@pytest.mark.parametrize(("workspace", "text", "holds", "holds_later", "quiet", "value", "words"),
                         RULE_TYPES)
def test_each_rule_type_respects_snooze(app, workspace, text, holds, holds_later, quiet, value, words):
    rule_id = add(app, workspace, text)
    store = RuleStore(app.state)
    assert [r.id for r in store.snooze(REF, T0 + timedelta(days=3), rule_id=rule_id)] == [rule_id]
    assert evaluate_rules(app, workspace, as_of(app, workspace, holds), T0 + timedelta(days=2)) == []
    woken = T0 + timedelta(days=3, minutes=1)
    assert len(evaluate_rules(app, workspace, as_of(app, workspace, holds), woken)) == 1


def test_snoozing_by_metric_leaves_other_rules_running(app):
    revenue = add(app, "shop", "alert me when daily revenue drops below 1000")
    orders = add(app, "shop", "alert me when daily orders drop below 5")
    snoozed = RuleStore(app.state).snooze(REF, T0 + timedelta(days=3), metric="revenue")
    assert [r.id for r in snoozed] == [revenue]
    sent = evaluate_rules(app, "shop", as_of(app, "shop", date(2025, 3, 2)), T0)
    assert [reply.data["alert"]["rule_id"] for _, reply in sent] == [orders]


def test_more_alerts_than_the_budget_arrive_as_one_summary(app):
    rules = ["daily revenue drops below 1000", "daily orders below 5", "daily aov below 500",
             "daily customers below 3", "daily units sold below 50", "daily net revenue below 1000"]
    ids = [add(app, "shop", "alert me when " + words) for words in rules]
    other = add(app, "shop", "alert me when daily revenue drops below 2000", ref=OTHER)
    sent = evaluate_rules(app, "shop", as_of(app, "shop", date(2025, 3, 2)), T0)
    by_chat = {ref: reply for ref, reply in sent}
    assert len(sent) == 2 and set(by_chat) == {REF, OTHER}
    summary = by_chat[REF]
    assert summary.text.startswith("🔔 6 alerts fired at once") and summary.table is not None
    assert [row[0] for row in summary.table.rows] == [f"#{i}" for i in ids]
    assert summary.table.rows[0] == ("#1", "Revenue yesterday (Sat Mar 1, 2025)", "$110.00",
                                     "below $1,000.00")
    assert by_chat[OTHER].data["alert"]["rule_id"] == other  # its own budget: one by one
    deliveries = {f.rule_id: f.delivery for f in RuleStore(app.state).firings()}
    assert deliveries == {**dict.fromkeys(ids, "summary"), other: "single"}


def test_the_budget_counts_what_the_chat_already_got_today(app):
    policy = AlertPolicy(daily_budget=2)
    add(app, "shop", "alert me when daily revenue drops below 1000")
    assert len(evaluate_rules(app, "shop", as_of(app, "shop", date(2025, 3, 2)), T0, policy)) == 1
    add(app, "shop", "alert me when daily orders drop below 5")
    add(app, "shop", "alert me when daily aov drops below 500")
    sent = evaluate_rules(app, "shop", as_of(app, "shop", date(2025, 3, 2)), T0 + timedelta(hours=1),
                          policy)
    assert len(sent) == 1 and sent[0][1].table is not None and len(sent[0][1].table.rows) == 2


def test_a_window_claimed_elsewhere_is_not_claimed_again(app):
    rule_id = add(app, "shop", "alert me when daily revenue drops below 1000")
    rule = RuleStore(app.state).get(rule_id)
    claim = Claim(rule, f"{rule_id}|*", "2025-03-01/2025-03-02", 110.0)
    other_process = RuleStore(app.state)
    assert other_process.claim([claim], T0 - timedelta(days=3), timedelta(hours=24)) == [claim]
    # the cooldown has long passed, but that window was told: the unique key refuses it
    assert evaluate_rules(app, "shop", as_of(app, "shop", date(2025, 3, 2)), T0) == []
    with app.state.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AlertFiringRow)) == 1


# --- chat commands --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "command"), [
    ("alert me when daily revenue drops below 1000", "alert"),
    ("notify when ROAS by channel falls under 2", "alert"),
    ("ping me if MRR churn last week > 500", "alert"),
    ("tell me when any product has under 10 days of stock", "alert"),
    ("list my alerts", "alerts"),
    ("alerts", "alerts"),
    ("delete alert 3", "alert"),
    ("snooze revenue alerts for 3 days", "snooze"),
    ("unsnooze alert 2", "unsnooze"),
    ("tell me when we sold the most", None),
    ("revenue last week", None),
    ("subscribe alerts", None),
])
def test_typed_messages_route_to_rule_commands(text, command):
    assert rule_command_for_text(text) == command


@pytest.fixture
def dispatcher(app: App) -> Pipeline:
    found = Pipeline(app, Answerer(brain_ports(app)), rate_limit_per_minute=100)
    found.bind("slack", "C1", "shop", "cli", team_id="T1")
    found.bind("telegram", "42", "shop", "cli")
    register_rule_commands(found, lambda: T0)
    return found


def say(dispatcher: Pipeline, text: str, ref: ConversationRef = REF, command: str | None = None) -> Reply:
    message = InboundMessage(ref, text, "U1", "Ana", command=command or rule_command_for_text(text))
    reply = asyncio.run(dispatcher.handle(message))
    assert reply is not None
    return reply


def test_rules_are_made_listed_snoozed_and_deleted_from_chat(dispatcher):
    made = say(dispatcher, "alert me when daily revenue drops below 1000")
    assert made.ok and made.text.startswith("Alert #1 set: Revenue daily below $1,000.00.")
    assert say(dispatcher, "notify when orders for channel POS drop below 3").data["rule"]["filters"] \
        == [["sales_channel", "pos"]]
    listed = say(dispatcher, "list my alerts")
    assert [row[0] for row in listed.table.rows] == ["#1", "#2"]
    assert listed.table.rows[0][2] == "active"
    snoozed = say(dispatcher, "snooze revenue alerts for 3 days")
    assert snoozed.text == "Snoozed 1 alert (#1) until Sat Mar 15 06:00 (America/Sao_Paulo)."
    assert say(dispatcher, "alerts").table.rows[0][2].startswith("snoozed until Sat Mar 15")
    assert say(dispatcher, "unsnooze alert 1").text == "Resumed 1 alert (#1)."
    assert not say(dispatcher, "delete alert 1", ref=OTHER).ok  # another chat's rule
    assert say(dispatcher, "delete alert 1").text.startswith("Deleted alert #1")
    assert say(dispatcher, "delete 2", command="alert").ok  # /tally alert delete 2
    assert "no alert rules in this chat" in say(dispatcher, "rules").text


def test_chat_refusals_say_what_went_wrong(dispatcher):
    unread = say(dispatcher, "alert me when revenue in narnia drops below 5")
    assert not unread.ok and "'narnia'" in unread.text and "metric Revenue" in unread.text
    unknown = say(dispatcher, "alert me when orders for channel tiktok drop below 3")
    assert not unknown.ok and "tiktok" in unknown.text and "pos" in unknown.text
    assert not say(dispatcher, "snooze revnue alerts for 3 days").ok  # never "all" by accident
    assert "no alert rules" in say(dispatcher, "alerts").text
