"""The playground in a real headless Chromium against a real `tally serve` process.

Sign in with the link `tally serve` prints, choose a workspace, ask, read the answer and
its chart; markup in a question never runs; a page on another localhost port cannot make
the signed-in browser write anything. CI installs Debian's chromium (.ci/run); without
/usr/bin/chromium the tests are skipped, saying so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from storage.state import AnswerRow, SubscriptionRow
from storage.state_store import StateStore
from tests.bot.serving import Served, tally_serve
from tests.bot.test_runtime_http import shop_settings
from tests.fakes.server import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium "
                                       "(apt-get install -y chromium; CI installs it)")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("browser")
    shop_settings(root / "data")
    with tally_serve(root / "data", root) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def signed_in(served, browser) -> Iterator[object]:
    """A browser profile signed in by opening the link `tally serve` printed, as a person would."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(served.sign_in_link())
    page.click("#continue")
    page.wait_for_url(f"http://localhost:{served.port}/playground", timeout=30_000)
    page.close()
    yield context
    context.close()


def playground(served: Served) -> str:
    return f"http://localhost:{served.port}/playground"


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


def test_a_signed_out_browser_gets_the_sign_in_page(served, browser):
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    page.goto(playground(served))
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("#email")).to_be_visible()
    assert page.url.endswith("/sign-in?next=/playground")
    context.close()


def test_the_printed_link_signs_in_and_a_question_shows_number_table_and_chart(served, signed_in):
    from playwright.sync_api import expect

    page = signed_in.new_page()
    page.goto(playground(served))
    expect(page.locator("#who")).to_have_text("owner@localhost")
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


def test_markup_in_a_question_is_shown_as_text_and_never_runs(served, signed_in):
    page = signed_in.new_page()
    page.goto(playground(served))
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


ATTACK = """<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="form" method="post" enctype="text/plain" target="sink" action="TARGET">
  <input name='FIELD' value='"}'>
</form>
<script>
(async () => {
  const target = "TARGET";
  const body = JSON.stringify({workspace: "shop", conversation: "tabattack0001",
                               text: "subscribe daily digest at 8:00"});
  const results = [];
  try {
    await fetch(target, {method: "POST", mode: "no-cors", credentials: "include",
                         headers: {"Content-Type": "text/plain"}, body});
    results.push("no-cors sent");
  } catch (error) { results.push("no-cors failed"); }
  try {
    const response = await fetch(target, {method: "POST", credentials: "include",
                                          headers: {"Content-Type": "application/json"}, body});
    results.push("cors " + response.status);
  } catch (error) { results.push("cors blocked"); }
  document.querySelector("iframe").addEventListener("load", () => {
    results.push("form posted");
    window.__results = results;
  });
  document.getElementById("form").submit();
})();
</script></body></html>"""


# text/plain form posts send "name=value": this name and value make the body a JSON object.
FORM_FIELD = ('{"workspace": "shop", "conversation": "tabattack0002", '
              '"text": "subscribe daily digest at 9:00", "x": "')


def test_a_page_on_another_localhost_port_cannot_write_through_the_signed_in_browser(
        served, signed_in, tmp_path):
    target = f"http://localhost:{served.port}/playground/api/chat"

    async def attack_page(_request):
        return HTMLResponse(ATTACK.replace("TARGET", target).replace("FIELD", FORM_FIELD))

    refused_before = served.output.count("cross-site request refused")
    with serve(Starlette(routes=[Route("/", attack_page)])) as evil:
        page = signed_in.new_page()
        page.goto(evil.replace("127.0.0.1", "localhost") + "/")  # same site, another origin
        page.wait_for_function("() => window.__results && window.__results.length === 3",
                               timeout=30_000)
        results = page.evaluate("window.__results")
        page.close()
    time.sleep(0.5)  # the server's log line follows its response
    state = StateStore(f"sqlite:///{served.log.parent / 'data' / 'state.db'}")
    with state.session() as s:
        answered = s.scalar(sa.select(sa.func.count()).select_from(AnswerRow).where(
            AnswerRow.question.like("subscribe daily digest%")))
        subscribed = s.scalar(sa.select(sa.func.count()).select_from(SubscriptionRow))
    state.close()
    assert results == ["no-cors sent", "cors blocked", "form posted"]
    assert answered == 0 and subscribed == 0
    # The two requests the browser did send (the preflighted one never left) were refused.
    assert served.output.count("cross-site request refused") - refused_before == 2


def test_signing_in_with_a_password_in_the_form_then_signing_out(served, browser):
    from playwright.sync_api import expect

    from storage.access import Role
    from storage.users import Users

    state = StateStore(f"sqlite:///{served.log.parent / 'data' / 'state.db'}")
    users = Users(state)
    users.create("ana@example.com", actor="test")
    users.set_password("ana@example.com", "correct horse battery staple", actor="test")
    users.set_role("ana@example.com", "shop", Role.VIEWER, actor="test")
    state.close()
    context = browser.new_context()
    page = context.new_page()
    page.goto(playground(served))
    page.fill("#email", "ana@example.com")
    page.fill("#password", "correct horse battery staple")
    page.click("button[type=submit]")  # a form post from the page: its Origin must be ours
    expect(page.locator("#who")).to_have_text("ana@example.com")
    page.click("#sign-out")
    page.wait_for_url("**/sign-in?next=/playground", timeout=30_000)
    page.goto(playground(served))
    expect(page.locator("h1")).to_have_text("Sign in")
    context.close()
