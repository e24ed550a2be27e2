"""``tally bets export`` writes a guild's bets in the import format: exported, imported into a
new workspace, every betting metric comes out the same."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from agents.betting.book import Book
from agents.betting.model import Actor
from bot.app import App
from bot.cli import main
from bot.settings import Settings
from storage.catalog import Filter, Query
from storage.importer import import_directory
from storage.schema import get_table
from tests.agents.test_betting_metrics import ALL_METRICS, as_of, write_fixture

ANA = Actor("1400000000000000001", "Ana, the \"Sharp\"")


def tally(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"TALLY_DATA_DIR": str(data)})
    return result.exit_code, result.stdout, result.stderr


def metrics_of(app: App, workspace: str) -> list[dict]:
    engine = app.engine(workspace)
    query = Query(ALL_METRICS, None, ("bettor",), min_count=1)
    by_bettor = engine.run(query, as_of()).rows
    by_sport = engine.run(Query(("profit_units", "bets", "clv"), None, ("sport",)), as_of()).rows
    ana = engine.run(Query(ALL_METRICS, None, (), (Filter("bettor", (ANA.display_name,)),)),
                     as_of()).values
    return [sorted(by_bettor, key=str), sorted(by_sport, key=str), ana]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A guild workspace: the hand-counted fixture plus bets recorded with the commands."""
    app = App(Settings(TALLY_DATA_DIR=tmp_path / "data"))
    app.workspaces.create("guild-1")
    warehouse = app.workspaces.warehouse("guild-1")
    import_directory(warehouse, write_fixture(tmp_path / "fixture"))
    book = Book(warehouse, app.state, "guild-1", clock=lambda: datetime(2025, 4, 8, 12, tzinfo=UTC))
    slip = {"sport": "tennis", "league": "ATP", "event": "Alcaraz v Sinner, final",
            "market": "moneyline", "selection": "Sinner", "odds_decimal": Decimal("2.3456"),
            "stake_units": Decimal("0.3333"), "closing_odds_decimal": Decimal("2.1")}
    first = book.add(ANA, slip)
    book.settle(ANA, first.bet_id, "cashout", payout=Decimal("0.5"))
    book.add(ANA, {**slip, "selection": "Alcaraz"})
    app.close()
    return tmp_path / "data"


def test_export_then_import_gives_the_same_metrics(data, tmp_path):
    code, _, err = tally(data, "bets", "export", "--workspace", "guild-1", "-o", str(tmp_path / "out"))
    assert code == 0 and "Exported 21 bets and 4 bettors" in err
    code, _, err = tally(data, "import", str(tmp_path / "out"), "--workspace", "copy", "--create")
    assert code == 0, err
    app = App(Settings(TALLY_DATA_DIR=data))
    try:
        original, copy = metrics_of(app, "guild-1"), metrics_of(app, "copy")
        assert copy == original
        assert float(copy[2]["profit_units"]) == pytest.approx(0.5 - 0.3333) and copy[2]["pending_bets"] == 1
    finally:
        app.close()


def test_export_to_stdout_has_the_import_columns_and_plain_values(data):
    code, out, _ = tally(data, "bets", "export", "-w", "guild-1")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [c.name for c in get_table("bets").columns]
    assert [r["bet_id"] for r in rows][:2] == ["1", "2"]  # numeric ids first, in order
    cashed = rows[0]
    assert (cashed["placed_at"], cashed["settled_at"]) == ("2025-04-08T12:00:00Z",) * 2
    assert (cashed["odds_decimal"], cashed["stake_units"], cashed["payout_units"]) == (
        "2.3456", "0.3333", "0.5")
    assert cashed["event"] == "Alcaraz v Sinner, final" and rows[1]["settled_at"] == ""


def test_exporting_an_unknown_workspace_is_one_line_and_exit_1(data):
    code, _, err = tally(data, "bets", "export", "-w", "nope")
    assert code == 1 and "no workspace named 'nope'" in err
