"""A discontinued product (products.active = false) is never suggested for reordering.

The multi fixture's Linen Shirt is at its reorder point (12 on hand, 1.0 a day, 4 days of
lead time plus safety stock): listed while active, left out once discontinued — from the
reorder list, the "running out" list, the digest's stock line and stock alerts alike. Its
stock still answers "how many linen shirts do we have".
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.insights.rules_parse import parse_rule
from agents.insights.score import stock_insights
from agents.parser import ParseContext, Parsed, parse
from agents.vocabulary import build_vocabulary
from storage.catalog import Engine, Filter, Query
from storage.catalog.model import ACTIVE_PRODUCTS
from storage.importer import import_directory
from storage.warehouse import Warehouse
from storage.workspaces import Workspace
from tests.conftest import FIXTURES


def _engine(folder: Path, shirt_active: bool) -> Engine:
    shutil.copytree(FIXTURES / "multi", folder)
    products = folder / "products.csv"
    text = products.read_text(encoding="utf-8")
    if not shirt_active:
        text = text.replace("Linen Shirt,Apparel,40,10,true", "Linen Shirt,Apparel,40,10,false")
    products.write_text(text, encoding="utf-8")
    warehouse = Warehouse(":memory:")
    import_directory(warehouse, folder)
    return Engine(Workspace("multi", "USD", "UTC"), warehouse)


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[bool, Engine]]:
    found = {active: _engine(tmp_path_factory.mktemp("p") / "multi", active) for active in (True, False)}
    yield found
    for engine in found.values():
        engine.warehouse.close()


def _listed(engine: Engine, question: str, as_of) -> list[str]:
    parsed = parse(question, ParseContext(as_of, build_vocabulary(engine)))
    assert isinstance(parsed, Parsed) and parsed.intent == "stock_alert_list", parsed
    assert ACTIVE_PRODUCTS in parsed.query.filters
    return [str(r["product"]) for r in engine.run(parsed.query, as_of).rows]


@pytest.mark.parametrize("question", ["what should I reorder", "what runs out in 30 days"])
def test_a_discontinued_product_leaves_the_stock_lists(engines, multi_as_of, question):
    assert "Linen Shirt" in _listed(engines[True], question, multi_as_of)
    assert "Linen Shirt" not in _listed(engines[False], question, multi_as_of)


def test_the_digest_stock_line_skips_a_discontinued_product(engines, multi_as_of, monkeypatch):
    monkeypatch.setattr("agents.insights.score.STOCK_DAYS", 30)  # the shirt has 12 days of cover
    assert "Linen Shirt" in stock_insights(engines[True], multi_as_of)[0].text
    assert not any("Linen Shirt" in i.text for i in stock_insights(engines[False], multi_as_of))


def test_a_discontinued_products_stock_is_still_answered(engines, multi_as_of):
    query = Query(("on_hand",), None, filters=(Filter("product", ("Linen Shirt",)),))
    assert float(engines[False].run(query, multi_as_of).value) == 12  # type: ignore[arg-type]


def test_a_stock_alert_never_fires_for_a_discontinued_product(engines, multi_as_of):
    rule = parse_rule("alert me when days of stock drops below 20", engines[True].defs)
    assert rule.dimension == "product"
    for active, engine in engines.items():
        fired = [r["product"] for r in engine.run(rule.query(multi_as_of), multi_as_of).rows
                 if r["days_of_stock"] is not None and rule.crosses(float(r["days_of_stock"]))]
        assert fired == (["Linen Shirt"] if active else [])
