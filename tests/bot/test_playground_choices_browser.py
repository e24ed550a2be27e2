"""Choices in the playground, in a real headless Chromium against a real `tally serve`.

A question the parser is not sure of ("by weekday" is no breakdown it knows) is answered
with readings as buttons; a click asks that reading as the next message, through the
server's own pipeline. Skipped without Chromium, as the other browser tests are.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.state import AnswerRow
from storage.state_store import StateStore
from tests.bot.test_playground_browser import _ask, browser, playground, pytestmark, served, signed_in

__all__ = ["browser", "pytestmark", "served", "signed_in"]
VAGUE = "revenue by weekday march 2025"


def test_a_click_on_a_reading_asks_it_and_shows_the_exact_answer(served, signed_in):
    from playwright.sync_api import expect

    page = signed_in.new_page()
    page.goto(playground(served))
    page.wait_for_selector("#workspace option[value=shop]", state="attached")
    offered = _ask(page, VAGUE)
    choices = offered.locator("button.choice")
    expect(choices.first).to_have_text("revenue by week march 2025")
    choices.first.click()
    page.wait_for_function("() => document.querySelectorAll('.msg.bot:not(.pending)').length >= 2",
                           timeout=30_000)
    expect(page.locator(".msg.user").last).to_have_text("revenue by week march 2025")
    expect(page.locator(".msg.bot").last.locator(".answer-text")).to_contain_text(
        "Revenue by week in March 2025: $240.00 in total.")
    page.close()
    state = StateStore(f"sqlite:///{served.log.parent / 'data' / 'state.db'}")
    with state.session() as s:
        asked = s.scalars(sa.select(AnswerRow.question).where(AnswerRow.platform == "playground")).all()
    state.close()
    assert VAGUE in asked and "revenue by week march 2025" in asked  # both took the server's path
