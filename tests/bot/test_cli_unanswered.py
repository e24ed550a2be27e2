"""`tally unanswered`: refused and 👎 questions by the words Tally did not understand, most
frequent first, so an admin knows what to teach; teaching from the terminal; and the
terminal's numbered choices, picked by the next `tally ask`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet

from bot.app import App
from bot.cli import main
from bot.cli.unanswered import NONE, unanswered
from bot.settings import Settings
from storage.conversations import record_answer, record_feedback
from storage.state import AnswerRow
from tests.conftest import SHOP, build_app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TALLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TALLY_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)  # no stray .env
    build_app(tmp_path / "data", SHOP).close()
    return CliRunner()


def ask(cli: CliRunner, question: str) -> dict:
    result = cli.invoke(main, ["ask", "--workspace", "shop", "--json", question])
    return json.loads(result.output.splitlines()[-1])


def opened(tmp_path: Path) -> App:
    return App(Settings(TALLY_DATA_DIR=tmp_path / "data"))


def test_refused_and_disliked_questions_are_counted_by_unknown_word(cli, tmp_path):
    for question in ("revenue in Narnia", "orders in narnia last week", "revenue by flavour"):
        assert ask(cli, question)["error"] == "unanswerable"
    assert "value" in ask(cli, "revenue march 2025")
    app = opened(tmp_path)
    with app.state.session() as s:
        liked_not = s.scalar(sa.select(AnswerRow.id).where(AnswerRow.question == "revenue march 2025"))
        narnia = s.scalar(sa.select(AnswerRow.id).where(AnswerRow.question == "revenue in Narnia"))
    record_feedback(app.state, liked_not, "cli", -1)
    record_feedback(app.state, narnia, "cli", -1)
    record_answer(app.state, platform="slack", conversation="c", workspace="shop", user_id="U1",
                  question="pls the thingy", data={"error": "unanswerable", "unknown": ["thingy"]},
                  answer="…")
    counts = {c.word: c for c in unanswered(app, "shop")}
    app.close()
    assert next(iter(counts)) == "narnia"
    assert (counts["narnia"].times, counts["narnia"].refused, counts["narnia"].disliked) == (2, 2, 1)
    assert counts["narnia"].examples == ["orders in narnia last week", "revenue in Narnia"]
    assert (counts["flavour"].times, counts["thingy"].times) == (1, 1)  # recorded words as they were
    assert counts[NONE].examples == ["revenue march 2025"] and counts[NONE].disliked == 1


def test_a_refused_typo_of_mexico_is_listed_under_mexcio_not_no_unknown_word(cli, tmp_path):
    app = opened(tmp_path)
    # the refusal recorded an empty "unknown": the parser's "did you mean MX?" names no word
    record_answer(app.state, platform="slack", conversation="c", workspace="shop", user_id="U1",
                  question="sales in mexcio last month",
                  data={"error": "unanswerable", "unknown": []}, answer="…")
    counts = {c.word: c for c in unanswered(app, "shop")}
    app.close()
    assert NONE not in counts and counts["mexcio"].examples == ["sales in mexcio last month"]


def test_the_cli_prints_a_table_and_a_taught_word_leaves_it(cli, tmp_path):
    ask(cli, "moolah march 2025")
    before = cli.invoke(main, ["unanswered", "--workspace", "shop", "--limit", "5"])
    assert before.exit_code == 0 and "Words Tally did not understand on shop" in before.output
    assert "│ moolah" in before.output
    taught = ask(cli, "when we say moolah we mean revenue")  # the terminal acts as the owner
    assert "means revenue" in taught["text"]
    assert ask(cli, "moolah march 2025")["value"] == 240
    app = opened(tmp_path)
    assert [c.word for c in unanswered(app, "shop")] == [NONE]  # read again, it is understood now
    app.close()


def test_an_unknown_workspace_is_one_line_and_exit_1(cli):
    result = cli.invoke(main, ["unanswered", "--workspace", "nope"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "nope" in result.output


def test_no_refusals_yet_says_so(cli):
    result = cli.invoke(main, ["unanswered", "--workspace", "shop"])
    assert result.exit_code == 0 and "No refused or 👎 questions on shop yet." in result.output


def test_tally_ask_numbers_the_readings_and_the_next_ask_picks_one(cli):
    offered = cli.invoke(main, ["ask", "--workspace", "shop", "revenue by weekday march 2025"])
    assert "1. revenue by week march 2025" in offered.output
    assert "Reply with a choice's number to ask it." in offered.output
    picked = cli.invoke(main, ["ask", "--workspace", "shop", "1"])
    assert picked.exit_code == 0 and "Revenue by week in March 2025: $240.00" in picked.output
