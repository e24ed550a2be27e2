"""The runtime's HTTP app as a client sees it: health, readiness, metrics, the playground API.

:func:`client` is signed in (an owner of ``shop`` by default), as the playground's page is.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from bot.app import App
from bot.http import KeyValueFormatter, log_context
from bot.logs import secret_values
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.web_auth import SESSION_COOKIE
from storage.access import Role
from storage.importer import import_directory
from storage.sign_in import NewSession, SignIn
from storage.state_store import StateStore
from storage.users import Users
from tests.conftest import FIXTURES

CONVERSATION = "tab0123456789"


def shop_and_globex(folder: Path) -> Path:
    """A data folder with the shop fixture and a second, empty workspace ``globex`` (EUR,
    Berlin) that most users have no role on."""
    app = App(shop_settings(folder))
    app.workspaces.create("globex", "EUR", "Europe/Berlin")
    app.close()
    return folder


def shop_settings(data_dir: Path, **values: object) -> Settings:
    """Settings for a data directory holding the shop fixture as workspace ``shop``.

    The workspace is created on first use; a ``.env`` of the developer is never read.
    """
    settings = Settings(_env_file=None, TALLY_DATA_DIR=data_dir, TALLY_HTTP_HOST="127.0.0.1",
                        **values)  # type: ignore[call-arg]
    if not (data_dir / "state.db").exists():
        app = App(settings)
        app.workspaces.create("shop", "USD", "America/Sao_Paulo")
        import_directory(app.workspaces.warehouse("shop"), FIXTURES / "shop")
        app.close()
    return settings


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("runtime")
    shop_settings(data_dir)
    return data_dir


@pytest_asyncio.fixture
async def runtime(shop_dir: Path) -> Runtime:
    built = build_runtime(shop_settings(shop_dir), builders={})
    yield built
    if built.scheduler.running:
        built.scheduler.shutdown(wait=False)
    built.app.close()


def sign_in_as(state: StateStore, email: str = "owner@example.com", role: Role | None = Role.OWNER,
               workspace: str = "shop") -> NewSession:
    """A session for ``email`` (created if new) with ``role`` on ``workspace``."""
    users = Users(state)
    user = users.find(email) or users.create(email, actor="test")
    if role is not None:
        users.set_role(email, workspace, role, actor="test")
    return SignIn(state).start_session(user, ip="127.0.0.1", method="test")


def session_auth(state: StateStore, email: str = "owner@example.com",
                 role: Role | None = Role.OWNER) -> dict[str, dict[str, str]]:
    """``cookies`` and ``headers`` (the CSRF token) of a new session, for an httpx client."""
    session = sign_in_as(state, email, role)
    return {"cookies": {SESSION_COOKIE: session.token},
            "headers": {"X-CSRF-Token": session.csrf_token}}


def client(runtime: Runtime, email: str | None = "owner@example.com", role: Role | None = Role.OWNER,
           client_address: tuple[str, int] = ("127.0.0.1", 50000)) -> httpx.AsyncClient:
    """A client of the app at http://localhost:8080, signed in as ``email`` (None: signed out)."""
    auth = session_auth(runtime.app.state, email, role) if email is not None else {}
    transport = httpx.ASGITransport(app=runtime.http, client=client_address)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost:8080", **auth)


async def ask(http: httpx.AsyncClient, text: str, conversation: str = CONVERSATION) -> httpx.Response:
    return await http.post("/playground/api/chat",
                           json={"workspace": "shop", "conversation": conversation, "text": text})


@pytest.mark.asyncio
async def test_healthz_is_ok_without_any_platform(runtime):
    async with client(runtime) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert [c.platform for c in runtime.channels] == ["playground"]


@pytest.mark.asyncio
async def test_readyz_is_503_until_the_scheduler_runs_then_200(runtime):
    async with client(runtime) as http:
        before = await http.get("/readyz")
        runtime.scheduler.start()
        after = await http.get("/readyz")
    assert before.status_code == 503
    assert before.json() == {"status": "not ready", "database": True, "scheduler": False}
    assert after.status_code == 200
    assert after.json() == {"status": "ready", "database": True, "scheduler": True}


@pytest.mark.asyncio
async def test_metrics_count_a_playground_question(runtime):
    async with client(runtime) as http:
        answer = await ask(http, "revenue march 2025")
        metrics = await http.get("/metrics")
    assert answer.status_code == 200 and "$240.00" in answer.json()["text"]
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'tally_messages_total{platform="playground"} 1.0' in metrics.text
    assert 'tally_answer_seconds_count{platform="playground"} 1.0' in metrics.text


@pytest.mark.asyncio
async def test_breakdown_answer_has_table_chart_url_and_no_server_path(runtime):
    async with client(runtime) as http:
        answer = (await ask(http, "revenue by country march 2025")).json()
        chart = await http.get(answer["chart"])
    assert answer["table"] == {"columns": ["Country", "Revenue"],
                               "rows": [["BR", "$110.00"], ["US", "$80.00"], ["MX", "$50.00"]]}
    assert answer["chart"].startswith("/playground/charts/") and answer["data"]["chart"] == answer["chart"]
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    assert answer["answer_id"] and answer["data"]["rows"][0] == {"country": "BR", "revenue": 110}


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["..%2Fstate.db", "../state.db", "%2E%2E%2Fsecret.key", "state.db",
                                  "0123456789abcdef01234567.PNG", "x" * 24 + ".png"])
async def test_chart_route_serves_only_generated_charts(runtime, shop_dir, name):
    (shop_dir / "charts").mkdir(exist_ok=True)
    async with client(runtime) as http:
        response = await http.get(f"/playground/charts/{name}")
    assert response.status_code == 404
    assert b"SQLite" not in response.content


@pytest.mark.asyncio
async def test_first_question_binds_the_tab_to_the_chosen_workspace(runtime):
    from bot.channels.base import ConversationRef

    async with client(runtime) as http:
        await ask(http, "orders march 2025", conversation="tabfirstuse1")
    ref = ConversationRef("playground", "tab:1:tabfirstuse1", space_id="shop")
    assert runtime.dispatcher.workspace_for(ref) == "shop"


@pytest.mark.asyncio
async def test_playground_rejects_unknown_workspace_and_bad_input(runtime):
    async with client(runtime) as http:
        unknown = await http.post("/playground/api/chat", json={
            "workspace": "nope", "conversation": CONVERSATION, "text": "revenue"})
        bad_tab = await http.post("/playground/api/chat", json={
            "workspace": "shop", "conversation": "../x", "text": "revenue"})
        empty = await http.post("/playground/api/chat", json={
            "workspace": "shop", "conversation": CONVERSATION, "text": "  "})
        not_json = await http.post("/playground/api/chat", content=b"revenue",
                                   headers={"Content-Type": "application/json"})
    assert unknown.status_code == 403 and "no workspace by that name" in unknown.json()["error"]
    assert bad_tab.status_code == 400 and empty.status_code == 400 and not_json.status_code == 400


@pytest.mark.asyncio
async def test_feedback_from_the_page_is_stored_on_the_answer(runtime):
    async with client(runtime) as http:
        answer = (await ask(http, "orders march 2025")).json()
        vote = await http.post("/playground/api/feedback", json={
            "answer_id": answer["answer_id"], "conversation": CONVERSATION, "score": -1})
        missing = await http.post("/playground/api/feedback", json={
            "answer_id": "nope", "conversation": CONVERSATION, "score": 1})
    assert vote.json() == {"ok": True} and missing.status_code == 404


@pytest.mark.asyncio
async def test_page_and_assets_are_served_with_a_strict_content_policy(runtime):
    async with client(runtime) as http:
        page = await http.get("/playground")
        script = await http.get("/playground/static/playground.js")
        other = await http.get("/playground/static/playground.html")
        workspaces = await http.get("/playground/api/workspaces")
    assert page.status_code == 200 and 'id="workspace"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text  # nothing from a CDN
    assert script.status_code == 200 and "textContent" in script.text and ".innerHTML" not in script.text
    assert other.status_code == 404
    assert workspaces.json() == {"workspaces": [
        {"name": "shop", "currency": "USD", "timezone": "America/Sao_Paulo", "role": "owner"}]}


@pytest.mark.asyncio
async def test_connector_webhook_route_is_mounted(runtime):
    async with client(runtime) as http:
        response = await http.post("/webhooks/not-a-connector", content=b"{}")
    assert response.status_code == 404 and "not-a-connector" in response.json()["error"]


def test_log_lines_carry_context_and_never_a_secret():
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN=SecretStr("xoxb-very-secret-token"))  # type: ignore[call-arg]
    formatter = KeyValueFormatter(secret_values(settings))
    with log_context(platform="slack", conversation="slack:T1:C1", workspace="shop"):
        record = logging.LogRecord("bot.test", logging.WARNING, __file__, 1,
                                   "posting with %s failed", ("xoxb-very-secret-token",), None)
        line = formatter.format(record)
    assert "xoxb-very-secret-token" not in line
    assert 'msg="posting with *** failed"' in line
    assert line.endswith("platform=slack conversation=slack:T1:C1 workspace=shop")
