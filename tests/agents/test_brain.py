"""The offline brain end to end: a typed question in, the catalog's exact numbers out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from agents.answer import Conversation, LastTurn, answer, unanswerable_reply
from agents.followups import Resolution
from agents.reply import Reply, end_sentence
from bot.app import App
from bot.brain_ports import brain_ports
from storage.catalog import AsOf, Query, resolve_period
from storage.importer import import_directory
from tests.conftest import MULTI, SHOP, build_app


class Brain:
    """The one answer path over a test app: each question a fresh conversation."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.ports = brain_ports(app)

    def ask(self, workspace: str, question: str, as_of: AsOf) -> Reply:
        return answer(question, Conversation(workspace, as_of), self.ports)


@pytest.fixture(scope="module")
def brain(tmp_path_factory: pytest.TempPathFactory) -> Brain:
    return Brain(build_app(tmp_path_factory.mktemp("data"), SHOP, MULTI))


def shop_as_of(brain: Brain) -> AsOf:
    return AsOf.for_day(date(2025, 4, 10), brain.app.workspace("shop").tz)


def multi_as_of(brain: Brain) -> AsOf:
    return AsOf.for_day(date(2025, 3, 28), brain.app.workspace("multi").tz)


@pytest.mark.parametrize(("question", "value"), [
    ("revenue in march 2025", 240),
    ("how much did we make in March 2025?", 240),
    ("sales march 2025", 240),
    ("revnue march 2025", 240),
    ("@tally net revenue for March 2025 pls", 215),
    ("refunds march 2025", 25),
    ("how many orders in march 2025", 4),
    ("AOV March 2025", 60),
    ("units sold march 2025", 11),
    ("new customers in march 2025", 2),
    ("returning customers march 2025", 1),
    ("repeat rate march 2025", 1 / 3),
    ("gross margin march 2025", 68 / 160),
    ("revenue from Brazil in March 2025", 110),
    ("revenue excluding brazil march 2025", 130),
    ("revenue from 2025-04-01 to 2025-04-01", 1000),
    ("refunds from 2025-04-01 to 2025-04-05", 50),
    ("orders last 30 days", 3),
])
def test_shop_questions(brain, question, value):
    reply = brain.ask("shop", question, shop_as_of(brain))
    assert reply.ok, reply.text
    assert reply.data["value"] == pytest.approx(value)


@pytest.mark.parametrize(("question", "value"), [
    ("what's our MRR", 570), ("ARR", 6840), ("arpa", 142.5), ("active customers", 4),
    ("new mrr this month", 110), ("expansion mrr this month", 50),
    ("contraction MRR this month", 50), ("churned mrr this month", 200),
    ("money lost to churn this month", 200), ("reactivation mrr this month", 60),
    ("net new mrr this month", -30), ("logo churn this month", 1 / 3),
    ("NRR this month", 400 / 600), ("new subscriptions this month", 2),
    ("ad spend this month", 150), ("ctr this month", 0.05), ("cpc this month", 1.0),
    ("CPM this month", 50), ("cpa this month", 10), ("roas this month", 700 / 150),
    ("MER this month", 160 / 150), ("CAC this month", 150), ("sessions this month", 150),
    ("conversion rate this month", 0.04),
    ("on hand for Linen Shirt", 12), ("days of cover for linen shirt", 12),
    ("on hand for Linen Shirt at the Store", 2), ("stock at Warehouse for linen shirt", 10),
    ("open PO units", 30),
    ("Sharpie's profit this month", -1), ("sharpies win rate this month", 1 / 3),
    ("how many pending bets", 1), ("Sharpie's record this month", "1-2-1"),
])
def test_other_verticals(brain, question, value):
    reply = brain.ask("multi", question, multi_as_of(brain))
    assert reply.ok, reply.text
    if isinstance(value, str):
        assert reply.data["value"] == value
    else:
        assert reply.data["value"] == pytest.approx(value)


def test_breakdown_reply_has_rows_and_a_table(brain):
    reply = brain.ask("shop", "revenue by country march 2025", shop_as_of(brain))
    assert reply.data["rows"] == [{"country": "BR", "revenue": 110}, {"country": "US", "revenue": 80},
                                  {"country": "MX", "revenue": 50}]
    assert reply.table and reply.table.rows[0] == ("BR", "$110.00")
    assert reply.data["agent"] == "analytics"


def test_comparison_in_words_and_json(brain):
    reply = brain.ask("shop", "revenue march 2025 vs previous month", shop_as_of(brain))
    assert reply.data["compare"] == {"period": {"start": "2025-02-01", "end": "2025-03-01"},
                                     "value": 80, "change": 160, "change_rate": 2.0}
    assert "up $160.00 (+200.0%) vs February 2025" in reply.text


def test_rates_are_fractions_in_json_and_percents_in_text(brain):
    reply = brain.ask("multi", "ctr this month", multi_as_of(brain))
    assert reply.data["value"] == pytest.approx(0.05)
    assert "5.0%" in reply.text
    assert reply.data["agent"] == "marketing"


def test_stock_list_goes_to_commerce_ops(brain):
    reply = brain.ask("multi", "what runs out of stock in 14 days?", multi_as_of(brain))
    assert reply.data["agent"] == "commerce_ops"
    assert [r["product"] for r in reply.data["rows"]] == ["Linen Shirt"]


def test_leaderboard(brain):
    reply = brain.ask("multi", "leaderboard this month min 1 bet", multi_as_of(brain))
    assert [r["bettor"] for r in reply.data["rows"]] == ["LockSmith", "Sharpie"]


@pytest.mark.parametrize("question", [
    "weather tomorrow", "revenue next month", "employee headcount", "revenue in Narnia",
    "delete all orders", "asdf qwer", "revenue on 3/4", "",
])
def test_refusals_never_carry_a_number(brain, question):
    reply = brain.ask("shop", question, shop_as_of(brain))
    assert not reply.ok
    assert reply.data["error"] == "unanswerable"
    assert "value" not in reply.data
    assert len(reply.data["examples"]) >= 2


def test_a_refusal_asking_did_you_mean_mx_gets_no_extra_period():
    reply = unanswerable_reply("sales in mexcio last month", ("sales (revenue)",),
                               "'mexcio' is not a country in your data; did you mean MX?",
                               frozenset({"shop"}))
    assert "did you mean MX? I won't guess a number." in reply.text
    assert "?." not in reply.text and "!." not in reply.text


@pytest.mark.parametrize(("said", "sentence"), [
    ("did you mean MX?", "did you mean MX?"), ("no such bettor!", "no such bettor!"),
    ("no data", "no data."), ("no data.", "no data."), ("no data. ", "no data."),
])
def test_a_sentence_ending_in_a_question_or_exclamation_mark_gets_no_period(said, sentence):
    assert end_sentence(said) == sentence


@dataclass(frozen=True)
class ReadPastResolution(Resolution):
    """A follow-up's resolution that carries its parse's corrections (agents/followups'
    Resolution gains ``assumed`` for this; here the field is added the same way)."""

    assumed: tuple[str, ...] = ()


def test_revnue_yestrday_mid_conversation_says_reading_this_as_like_a_fresh_question(brain):
    when = shop_as_of(brain)
    fresh = brain.ask("shop", "revnue yestrday", when)
    plan = ReadPastResolution("query", Query(("revenue",), resolve_period("yesterday", when)),
                              assumed=("'revnue' read as revenue",))
    last = LastTurn(Query(("orders",), resolve_period("march 2025", when)))
    mid = answer("revnue yestrday", Conversation("shop", when, last=last), brain.ports, plan)
    assert fresh.text.startswith("Reading this as: revenue, yesterday")
    assert mid.text.splitlines()[0] == fresh.text.splitlines()[0]
    assert mid.data["assumed"] == ["'revnue' read as revenue"]


def test_revnue_yestrday_after_orders_march_2025_says_reading_this_as(brain):
    when = shop_as_of(brain)
    last = LastTurn(Query(("orders",), resolve_period("march 2025", when)))
    mid = answer("revnue yestrday", Conversation("shop", when, last=last), brain.ports)
    assert mid.text.startswith("Reading this as: revenue, yesterday")


def test_saas_question_in_a_shop_workspace_is_refused_with_the_reason(brain):
    reply = brain.ask("shop", "what's our MRR", shop_as_of(brain))
    assert not reply.ok
    assert "subscription" in reply.text.lower()


def test_help_lists_examples_of_the_workspace_verticals(brain):
    reply = brain.ask("shop", "what can you do?", shop_as_of(brain))
    assert reply.ok and "Sales & customers" in reply.text
    assert "Betting" not in reply.text


def test_internal_errors_become_an_error_id_not_a_crash(brain, monkeypatch):
    engine = brain.app.engine("shop")
    monkeypatch.setattr(engine, "run", lambda *a, **k: 1 / 0)
    reply = brain.ask("shop", "revenue march 2025", shop_as_of(brain))
    assert not reply.ok and reply.data["error"] == "internal" and len(reply.data["error_id"]) == 8


def test_vocabulary_is_refreshed_after_new_data(brain, tmp_path: Path):
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "orders.csv").write_text(
        "order_id,created_at,status,currency,subtotal,discount,shipping,tax,total,country\n"
        "o100,2025-03-05T12:00:00Z,paid,USD,5,0,0,0,5,AR\n")
    import_directory(brain.app.workspaces.warehouse("shop"), folder)
    reply = brain.ask("shop", "revenue in AR march 2025", shop_as_of(brain))
    assert reply.ok and reply.data["value"] == 5


def test_when_will_we_run_out_is_days_of_stock_not_a_forecast(brain):
    reply = brain.ask("multi", "when will we run out of linen shirts?", multi_as_of(brain))
    assert reply.ok, reply.text
    assert reply.text.startswith("Linen Shirt has 12.0 days of stock: 12 on hand")  # whole units
    assert reply.data["rows"][0]["days_of_stock"] == pytest.approx(12)


@pytest.mark.parametrize(("question", "value"), [  # Linen Shirt: 14 sold Mar 10, 14 Mar 27
    ("average daily units for linen shirt", 28 / 28),  # the 28 days ending yesterday
    ("average daily units for linen shirt from 2025-03-10 to 2025-03-28", 28 / 19),
    ("average daily units for linen shirt from 2025-03-20 to 2025-03-28", 14 / 9),
    ("average daily units for linen shirt in march 2025", 28 / 28),  # Mar 1-28: not the future
    ("days of cover for linen shirt from 2025-03-20 to 2025-03-28", 12 / (14 / 9)),
])
def test_daily_demand_over_the_period_asked(brain, question, value):
    reply = brain.ask("multi", question, multi_as_of(brain))
    assert reply.ok, reply.text
    assert reply.data["value"] == pytest.approx(value)
