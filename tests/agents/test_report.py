"""The weekly report: chat reply and PDF / HTML / CSV exports, through `tally report`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from agents.insights.digest import build_weekly_report
from agents.insights.report import WeeklyReport, build_report, resolve_week, to_csv
from bot.charts import attach_chart
from bot.report_export import to_html, to_pdf
from storage.catalog import AsOf, Engine, Query
from tests.agents.demo_workspaces import END, demo_engine

WEEK = "2025-W21"  # May 19 – May 25, 2025: the planted revenue drop is on Saturday the 24th


@pytest.fixture(scope="module")
def demo() -> Iterator[Engine]:
    engine = demo_engine()
    yield engine
    engine.warehouse.close()


@pytest.fixture(scope="module")
def report(demo: Engine) -> WeeklyReport:
    as_of = AsOf.for_day(END, demo.workspace.tz)
    return build_report(demo, as_of, resolve_week(WEEK, as_of))


def test_weeks_are_read_as_iso_weeks_dates_or_last_week() -> None:
    as_of = AsOf.for_day(date(2025, 6, 2), __import__("zoneinfo").ZoneInfo("UTC"))
    assert resolve_week("2025-W21", as_of).start == date(2025, 5, 19)
    assert resolve_week("2025-05-22", as_of).start == date(2025, 5, 19)
    assert resolve_week("last week", as_of).start == date(2025, 5, 26)


def test_report_numbers_are_the_catalogs_and_the_anomaly_is_listed(demo: Engine,
                                                                   report: WeeklyReport) -> None:
    revenue = next(r for r in report.metrics if r["metric"] == "revenue")
    expected = demo.run(Query(("revenue",), report.week), AsOf.for_day(END, demo.workspace.tz)).value
    assert revenue["value"] == pytest.approx(float(expected))  # type: ignore[arg-type]
    assert len(report.daily) == 7
    assert any("Sat May 24" in text for text in report.anomalies)


def test_csv_parses_into_the_key_metric_table(report: WeeklyReport) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert [r["metric"] for r in rows] == [m["metric"] for m in report.metrics]
    assert float(rows[0]["value"]) == pytest.approx(report.metrics[0]["value"])


def test_html_is_self_contained_with_the_numbers(report: WeeklyReport) -> None:
    page = to_html(report)
    assert "data:image/png;base64," in page and "<script" not in page and 'src="http' not in page
    assert report.show(report.metrics[0], "value") in page


def test_pdf_starts_with_the_pdf_magic(report: WeeklyReport, tmp_path: Path) -> None:
    path = tmp_path / "week.pdf"
    to_pdf(report, path)
    assert path.read_bytes()[:5] == b"%PDF-"


def test_weekly_report_reply_for_chat(demo: Engine, tmp_path: Path) -> None:
    reply = attach_chart(build_weekly_report(demo, AsOf.for_day(END, demo.workspace.tz)), tmp_path)
    assert reply.text.startswith("Weekly report for demo, week 2025-W22")
    assert reply.table is not None and reply.chart and Path(reply.chart).exists()


def test_tally_report_writes_each_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main
    from tests.agents.demo_workspaces import demo_folder

    monkeypatch.setenv("TALLY_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    created = runner.invoke(main, ["import", str(demo_folder() / "demo"), "--workspace", "demo",
                                   "--create", "--timezone", "America/New_York"])
    assert created.exit_code == 0, created.output
    for fmt in ("csv", "html", "pdf"):
        out = tmp_path / f"r.{fmt}"
        result = runner.invoke(main, ["report", "--workspace", "demo", "--week", WEEK,
                                      "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 100
    bad = runner.invoke(main, ["report", "--workspace", "demo", "--week", "someday"])
    assert bad.exit_code == 1
