"""The playground in a real headless Chromium: choose a workspace, ask, read the answer and chart.

Runs the runtime's real HTTP app under uvicorn on 127.0.0.1. CI installs Debian's
chromium (.ci/run); without /usr/bin/chromium the test is skipped, saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime import build_runtime
from tests.bot.test_runtime_http import shop_settings
from tests.fakes.server import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium "
                                       "(apt-get install -y chromium; CI installs it)")


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    runtime = build_runtime(shop_settings(tmp_path_factory.mktemp("browser")), builders={})
    with serve(runtime.http) as url:
        yield url
    runtime.app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


def _ask(page, text: str):
    """Types a question, sends it, and returns the finished answer bubble."""
    answers = page.locator(".msg.bot")
    before = answers.count()
    page.fill("#message", text)
    page.click("#send")
    page.wait_for_function(
        "n => document.querySelectorAll('.msg.bot:not(.pending)').length > n", arg=before,
        timeout=30_000)
    return answers.nth(before)


def test_question_in_the_page_shows_the_number_table_and_a_loaded_chart(playground, browser):
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{playground}/playground")
    expect(page.locator("#workspace option")).to_have_text(["shop (USD)"])
    answer = _ask(page, "revenue by month 2025")
    expect(answer.locator(".answer-text")).to_have_text("Revenue by month in 2025: $1,320.00 in total.")
    expect(answer.locator("table.answer-table tbody tr")).to_have_count(3)
    expect(answer.locator("table.answer-table tbody tr").nth(1)).to_contain_text("$240.00")
    chart = answer.locator("img.answer-chart")
    expect(chart).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 300",
                           arg=chart.element_handle(), timeout=30_000)
    page.close()


def test_markup_in_a_question_is_shown_as_text_and_never_runs(playground, browser):
    page = browser.new_page()
    page.goto(f"{playground}/playground")
    page.wait_for_selector("#workspace option[value=shop]", state="attached")
    attack = '<img src=x onerror="window.__pwned = 1"> what is the weather'
    answer = _ask(page, attack)
    assert page.locator(".msg.user").last.text_content() == attack
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".log img:not(.answer-chart)").count() == 0
    chips = answer.locator(".chip")
    assert chips.count() >= 1  # the honest "I can't answer" comes with questions that work
    chips.first.click()
    page.wait_for_function("() => document.querySelectorAll('.msg.bot:not(.pending)').length >= 2",
                           timeout=30_000)
    assert page.locator(".msg.user").count() == 2
    page.close()
