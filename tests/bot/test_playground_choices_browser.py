"""Choices in the playground, in a real headless Chromium against a real `tally serve`.

The first answer (a reply offering readings) is served to the page by Playwright, the
way the server answers a question it is not sure of; the click on a reading is a real
request, answered by the server's own pipeline and brain. Skipped without Chromium, as
the other browser tests are.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from storage.state import AnswerRow
from storage.state_store import StateStore
from tests.bot.choosing import CHOICES, OFFER, VAGUE
from tests.bot.test_playground_browser import _ask, browser, playground, pytestmark, served, signed_in

__all__ = ["browser", "pytestmark", "served", "signed_in"]


def offer_choices(route) -> None:
    """Answers the vague question with readings; every other message goes to the server."""
    if json.loads(route.request.post_data or "{}").get("text") != VAGUE:
        route.continue_()
        return
    route.fulfill(status=200, content_type="application/json", body=json.dumps({
        "text": OFFER, "ok": False, "table": None, "chart": None, "choices": list(CHOICES),
        "suggestions": [], "answer_id": None, "data": {"question": VAGUE, "error": "unanswerable"}}))


def test_a_click_on_a_reading_asks_it_and_shows_the_exact_answer(served, signed_in):
    from playwright.sync_api import expect

    page = signed_in.new_page()
    page.route("**/playground/api/chat", offer_choices)
    page.goto(playground(served))
    page.wait_for_selector("#workspace option[value=shop]", state="attached")
    offered = _ask(page, VAGUE)
    expect(offered.locator("button.choice")).to_have_text(list(CHOICES))
    offered.locator("button.choice").nth(1).click()
    page.wait_for_function("() => document.querySelectorAll('.msg.bot:not(.pending)').length >= 2",
                           timeout=30_000)
    expect(page.locator(".msg.user").last).to_have_text("orders march 2025")
    expect(page.locator(".msg.bot").last.locator(".answer-text")).to_have_text(
        "Orders in March 2025 were 4.")
    page.close()
    state = StateStore(f"sqlite:///{served.log.parent / 'data' / 'state.db'}")
    with state.session() as s:
        asked = s.scalars(sa.select(AnswerRow.question).where(AnswerRow.platform == "playground")).all()
    state.close()
    assert "orders march 2025" in asked and VAGUE not in asked  # the pick took the server's path
