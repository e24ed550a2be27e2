"""Taught words and picked readings: synonyms rewrite questions, meanings are checked before
they are stored, and "2" right after a reply with choices answers that reading."""

from __future__ import annotations

from datetime import date

import pytest
from langchain_core.runnables import RunnableConfig

from agents.graph import TallyGraph
from agents.parser import ParseContext
from agents.teach import apply_synonyms, picked_choice, read_meaning
from bot.app import App
from bot.brain_ports import brain_ports
from storage.catalog import AsOf
from storage.synonyms import Synonym, SynonymStore
from tests.conftest import MULTI, SHOP, build_app

CHOICES = ("revenue march 2025", "orders march 2025", "revenue by country march 2025")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    return build_app(tmp_path_factory.mktemp("teach"), SHOP, MULTI)


def context(app: App, workspace: str) -> ParseContext:
    engine = app.engine(workspace)
    return ParseContext(AsOf.for_day(date(2025, 4, 10), engine.workspace.tz),
                        brain_ports(app).vocabularies.get(workspace))


def test_synonyms_replace_whole_words_in_any_case_longest_first():
    taught = {"takings": "revenue", "net takings": "net revenue", "wh1": "Store"}
    assert apply_synonyms("Net  Takings in WH1 and takings", taught) == \
        "net revenue in Store and revenue"
    assert apply_synonyms("overtakings wh10", taught) == "overtakings wh10"


def test_a_meaning_is_never_rewritten_again():
    assert apply_synonyms("money", {"money": "cash money", "cash": "revenue"}) == "cash money"


@pytest.mark.parametrize(("said", "picked"), [
    ("2", "orders march 2025"), ("#3", "revenue by country march 2025"),
    ("the second one", "orders march 2025"), ("First", "revenue march 2025"),
    ("option 2 please", "orders march 2025"), ("the last one", "revenue by country march 2025"),
    ("I meant the third", "revenue by country march 2025")])
def test_a_short_reply_picks_a_choice(said, picked):
    assert picked_choice(said, CHOICES) == picked


@pytest.mark.parametrize("said", ["4", "revenue", "2 more orders", "second revenue", ""])
def test_anything_else_picks_nothing(said):
    assert picked_choice(said, CHOICES) is None


def test_with_no_choices_offered_a_number_is_just_a_message():
    assert picked_choice("2", ()) is None


def test_a_meaning_is_read_as_a_metric_a_value_or_a_period(app):
    shop, multi = context(app, "shop"), context(app, "multi")
    assert read_meaning("revenue", shop).kind == "metric"  # type: ignore[union-attr]
    brazil = read_meaning("Brazil", shop)
    assert brazil is not None and (brazil.kind, brazil.reading) == ("value", "country = BR")
    store = read_meaning("the Store", multi)
    assert store is not None and (store.kind, store.text) == ("value", "Store")
    assert read_meaning("last month", shop).kind == "period"  # type: ignore[union-attr]


@pytest.mark.parametrize("meaning", ["the weather", "revenue by country", "pizza", "", "Sharpie"])
def test_a_meaning_that_is_not_a_metric_value_or_period_of_the_shop_is_refused(app, meaning):
    assert read_meaning(meaning, context(app, "shop")) is None


def test_a_taught_word_is_understood_in_every_later_question(app, tmp_path):
    graph = TallyGraph(brain_ports(app), memory_path=tmp_path / "m.sqlite")
    when = AsOf.for_day(date(2025, 4, 10), app.workspace("shop").tz)
    assert not graph.ask("shop", "moolah march 2025", "c", when).ok
    store = SynonymStore(app.state)
    store.teach("shop", Synonym("moolah", "revenue", "metric"), actor="test")
    store.teach("shop", Synonym("zone9", "Brazil", "value"), actor="test")
    assert graph.ask("shop", "Moolah march 2025", "c", when).data["value"] == 240
    in_brazil = graph.ask("shop", "moolah in zone9 march 2025", "c", when)
    said_plainly = graph.ask("shop", "revenue in Brazil march 2025", "d", when)
    assert in_brazil.data["value"] == said_plainly.data["value"] == 110, in_brazil.text
    assert not graph.ask("multi", "moolah march 2025", "c", when).ok  # another workspace's words
    store.forget("shop", "moolah", actor="test")
    store.forget("shop", "zone9", actor="test")
    assert not graph.ask("shop", "moolah march 2025", "c", when).ok
    graph.close()


def test_a_number_right_after_choices_answers_that_reading_once(app, tmp_path):
    graph = TallyGraph(brain_ports(app), memory_path=tmp_path / "m.sqlite")
    when = AsOf.for_day(date(2025, 4, 10), app.workspace("shop").tz)
    graph.ask("shop", "revenue march 2025", "c", when)
    config: RunnableConfig = {"configurable": {"thread_id": "shop|c"}}
    graph.graph.update_state(config, {"choices": list(CHOICES)}, as_node="analytics")
    picked = graph.ask("shop", "the second one", "c", when)
    assert picked.ok and picked.data["question"] == "orders march 2025"
    asked = graph.ask("shop", "orders march 2025", "other", when)
    assert picked.text == asked.text == "Orders in March 2025 were 4."
    again = graph.ask("shop", "the second one", "c", when)
    assert not again.ok  # the choices were for the turn right after them only
    graph.close()


def test_the_parsers_own_choices_are_remembered_and_one_is_picked_by_its_number(app, tmp_path):
    graph = TallyGraph(brain_ports(app), memory_path=tmp_path / "m.sqlite")
    when = AsOf.for_day(date(2025, 4, 10), app.workspace("shop").tz)
    refused = graph.ask("shop", "revenue by weekday march 2025", "c", when)
    assert not refused.ok and refused.choices[0] == "revenue by week march 2025"
    assert refused.data["choices"] == list(refused.choices)  # kept with the recorded answer
    picked = graph.ask("shop", "1", "c", when)
    assert picked.data["question"] == "revenue by week march 2025"
    assert picked.text == graph.ask("shop", "revenue by week march 2025", "other", when).text
    graph.close()
