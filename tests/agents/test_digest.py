"""The daily digest: catalog numbers, ranked insights, quiet days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from agents.insights.digest import build_digest
from agents.insights.score import NOTABLE_SCORE, make_insight, rank
from bot.charts import attach_chart
from storage.catalog import AsOf, Engine, Period, Query
from storage.demo import planted_anomalies
from storage.workspaces import Workspace
from tests.agents.demo_workspaces import END, demo_engine
from tests.conftest import make_engine


@pytest.fixture(scope="module")
def demo() -> Iterator[Engine]:
    engine = demo_engine()
    yield engine
    engine.warehouse.close()


def test_digest_numbers_equal_the_catalogs(demo: Engine, tmp_path: Path) -> None:
    as_of = AsOf.for_day(END, demo.workspace.tz)
    day = END - timedelta(days=1)
    reply = attach_chart(build_digest(demo, as_of), tmp_path)
    assert reply is not None and reply.chart and Path(reply.chart).read_bytes()[:4] == b"\x89PNG"
    keys = {k["metric"]: k for k in reply.data["key_metrics"]}
    assert {"revenue", "orders", "aov", "mrr", "new_mrr", "churned_mrr", "ad_spend", "roas"} <= set(keys)
    one_day = Period(day, day + timedelta(days=1), "day")
    week_ago = Period(day - timedelta(days=7), day - timedelta(days=6), "day")
    four_weeks = Period(day - timedelta(days=28), day, "days", n=28)
    mtd = Period(day.replace(day=1), day + timedelta(days=1), "mtd")
    for metric in ("revenue", "aov", "churned_mrr"):
        def value(period: Period, m: str = metric) -> float:
            return float(demo.run(Query((m,), period), as_of).value or 0)
        assert keys[metric]["yesterday"] == pytest.approx(value(one_day))
        assert keys[metric]["week_ago"] == pytest.approx(value(week_ago))
        assert keys[metric]["mtd"] == pytest.approx(value(mtd))
        assert keys[metric]["mtd_previous"] == pytest.approx(value(mtd.previous()))
    assert keys["revenue"]["average_4w"] == pytest.approx(value(four_weeks, "revenue") / 28)
    assert keys["aov"]["average_4w"] == pytest.approx(value(four_weeks, "aov"))
    assert f"Revenue {reply.table.rows[0][1]}" in reply.text  # type: ignore[union-attr]


def test_digest_of_a_planted_drop_leads_with_the_anomaly(demo: Engine) -> None:
    revenue = next(a for a in planted_anomalies(END) if a.metric == "revenue")
    reply = build_digest(demo, AsOf.for_day(revenue.day + timedelta(days=1), demo.workspace.tz))
    assert reply is not None
    insights = reply.data["insights"]
    assert 1 <= len(insights) <= 5
    assert insights[0]["kind"] == "anomaly" and insights[0]["metric"] in ("revenue", "orders")
    scores = [i["score"] for i in insights]
    assert scores == sorted(scores, reverse=True) and min(scores) >= NOTABLE_SCORE
    assert "What stands out:" in reply.text and "BR" in reply.text


def test_ranking_follows_the_score_not_the_order_found() -> None:
    found = [make_insight("stock", "days_of_stock", "stock", 1.0),         # 0.6
             make_insight("record", "revenue", "record", 3.0),             # 1.8
             make_insight("anomaly", "sessions", "sessions", 1.2),         # 0.48: not notable
             make_insight("anomaly", "churned_mrr", "churn", 1.5)]         # 1.5
    assert [i.text for i in rank(found)] == ["record", "churn", "stock"]
    assert len(rank([make_insight("mover", "revenue", str(n), 2.0) for n in range(9)])) == 5


def test_a_quiet_day_reads_as_one_line_or_nothing(tmp_path: Path) -> None:
    engine = make_engine("shop", Workspace("shop", "USD", "America/Sao_Paulo"))
    as_of = AsOf.for_day(date(2025, 4, 10), engine.workspace.tz)
    reply = build_digest(engine, as_of)
    assert reply is not None and reply.data["quiet"]
    assert "\n" not in reply.text and reply.text.startswith("Quiet day in shop")
    assert build_digest(engine, as_of, only_when_notable=True) is None
