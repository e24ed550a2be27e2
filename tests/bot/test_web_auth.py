"""Closed by default: the playground and sign-in through the runtime's real Starlette app.

Nothing answers data without a signed-in user; a user sees and asks only the workspaces
they have a role on; cross-site, wrong-host and token-less writes are refused and write
nothing; sign-in attempts and questions are rate limited per address, email and user.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from bot.runtime import Runtime, build_runtime
from bot.web_auth import SESSION_COOKIE
from storage.access import Role
from storage.audit import list_audit
from storage.sign_in import SignIn
from storage.state import AnswerRow
from storage.users import Users
from tests.bot.test_runtime_http import CONVERSATION, client, shop_and_globex, shop_settings

BASE = "http://localhost:8080"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop fixture plus a second workspace, globex, that most users have no role on."""
    return shop_and_globex(tmp_path_factory.mktemp("web"))


@pytest_asyncio.fixture
async def runtime(data_dir: Path) -> Runtime:
    built = build_runtime(shop_settings(data_dir, TALLY_USER_RATE_LIMIT=3), builders={})
    yield built
    built.app.close()


def answers(runtime: Runtime, text: str) -> int:
    with runtime.app.state.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(AnswerRow)
                        .where(AnswerRow.question == text)) or 0


def anonymous(runtime: Runtime, address: str = "127.0.0.1", base: str = BASE) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=runtime.http, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=base)


def chat(text: str, workspace: str = "shop", conversation: str = CONVERSATION) -> dict[str, str]:
    return {"workspace": workspace, "conversation": conversation, "text": text}


# --- signed out ----------------------------------------------------------------------------
@pytest.mark.asyncio
@pytest.mark.parametrize("address", ["127.0.0.1", "203.0.113.9"])
async def test_signed_out_nothing_answers_data_from_loopback_or_not(runtime, address):
    async with anonymous(runtime, address) as http:
        page = await http.get("/playground")
        listing = await http.get("/playground/api/workspaces")
        asked = await http.post("/playground/api/chat", json=chat("orders march 2025"))
        script = await http.get("/playground/static/playground.js")
    assert page.status_code == 303 and page.headers["location"] == "/sign-in?next=/playground"
    assert listing.status_code == 401 and listing.json()["error"] == "sign in first"
    assert asked.status_code == 401 and "shop" not in asked.text
    assert script.status_code == 303
    assert answers(runtime, "orders march 2025") == 0


@pytest.mark.asyncio
async def test_health_stays_open_to_anyone(runtime):
    async with anonymous(runtime, "203.0.113.9") as http:
        assert (await http.get("/healthz")).status_code == 200


# --- workspaces and roles ------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_user_lists_only_the_workspaces_they_have_a_role_on(runtime):
    async with client(runtime, "viewer@example.com", Role.VIEWER) as http:
        listing = (await http.get("/playground/api/workspaces")).json()
    assert [(w["name"], w["role"]) for w in listing["workspaces"]] == [("shop", "viewer")]


@pytest.mark.asyncio
async def test_another_workspace_is_refused_exactly_like_one_that_does_not_exist(runtime):
    async with client(runtime, "viewer@example.com", Role.VIEWER) as http:
        other = await http.post("/playground/api/chat", json=chat("orders march 2025", "globex"))
        unknown = await http.post("/playground/api/chat", json=chat("orders march 2025", "nope"))
    assert other.status_code == unknown.status_code == 403
    assert other.json() == unknown.json()
    assert answers(runtime, "orders march 2025") == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(("email", "role"), [("viewer@example.com", Role.VIEWER),
                                             ("member@example.com", Role.MEMBER)])
async def test_the_message_carries_the_user_and_their_role(runtime, email, role):
    seen = []
    handle = runtime.dispatcher.handle

    async def spy(message):
        seen.append(message)
        return await handle(message)

    runtime.dispatcher.handle = spy
    async with client(runtime, email, role) as http:
        response = await http.post("/playground/api/chat", json=chat("orders march 2025"))
    user = Users(runtime.app.state).get(email)
    assert response.status_code == 200 and "4" in response.json()["text"]
    assert (seen[0].user_id, seen[0].user_name, seen[0].role) == (f"user:{user.id}", email, role.value)


@pytest.mark.asyncio
async def test_feedback_on_an_answer_of_a_workspace_without_a_role_is_refused(runtime):
    async with client(runtime) as owner:
        answer = (await owner.post("/playground/api/chat", json=chat("orders march 2025"))).json()
    async with client(runtime, "outsider@example.com", None) as outsider:
        vote = await outsider.post("/playground/api/feedback", json={
            "answer_id": answer["answer_id"], "conversation": CONVERSATION, "score": -1})
    assert vote.status_code == 404 and vote.json() == {"ok": False}


# --- hosts, origins, CSRF ------------------------------------------------------------------
@pytest.mark.asyncio
@pytest.mark.parametrize("host", ["evil.example", "localhost:9999", "192.168.1.20:8080"])
async def test_a_host_that_is_not_this_server_is_refused(runtime, host):
    async with client(runtime) as http:
        response = await http.get("/playground/api/workspaces", headers={"Host": host})
        sign_in = await http.get("/sign-in", headers={"Host": host})
    assert response.status_code == sign_in.status_code == 400
    assert "unknown Host" in response.json()["error"]


@pytest.mark.asyncio
@pytest.mark.parametrize("headers", [
    {"Content-Type": "text/plain"},                                      # a cross-site form post
    {"Content-Type": "text/plain", "Origin": "http://localhost:9999"},
    {"Content-Type": "application/json", "Origin": "http://127.0.0.1:9999"},
    {"Content-Type": "application/json", "Origin": "null"},
    {"Content-Type": "application/json", "Referer": "http://evil.example/page"},
])
async def test_a_cross_site_write_is_refused_and_writes_nothing(runtime, headers):
    text = "subscribe daily digest at 8:00"
    async with client(runtime) as http:
        response = await http.post("/playground/api/chat", headers=headers,
                                   content=f'{{"workspace": "shop", "conversation": "{CONVERSATION}", '
                                           f'"text": "{text}"}}')
    assert response.status_code == 403 and "cross-site" in response.json()["error"]
    assert answers(runtime, text) == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("token", [None, "", "0" * 64])
async def test_a_write_without_the_session_csrf_token_is_refused(runtime, token):
    async with client(runtime) as http:
        if token is None:
            del http.headers["X-CSRF-Token"]
        else:
            http.headers["X-CSRF-Token"] = token
        response = await http.post("/playground/api/chat", json=chat("refunds march 2025"),
                                   headers={"Origin": BASE})
    assert response.status_code == 403 and "CSRF" in response.json()["error"]
    assert answers(runtime, "refunds march 2025") == 0


@pytest.mark.asyncio
async def test_a_same_origin_write_with_the_token_is_answered(runtime):
    async with client(runtime) as http:
        response = await http.post("/playground/api/chat", json=chat("orders march 2025"),
                                   headers={"Origin": BASE, "Referer": f"{BASE}/playground"})
    assert response.status_code == 200


@pytest.mark.asyncio
async def test_the_public_url_host_is_allowed_and_makes_cookies_secure(data_dir):
    built = build_runtime(shop_settings(data_dir, TALLY_PUBLIC_URL="https://tally.example.com"),
                          builders={})
    users = Users(built.app.state)
    users.create("pub@example.com", actor="test")
    users.set_password("pub@example.com", PASSWORD, actor="test")
    async with anonymous(built, base="https://tally.example.com") as http:
        response = await sign_in_with_password(http, "pub@example.com", PASSWORD,
                                               origin="https://tally.example.com")
    built.app.close()
    cookie = response.headers["set-cookie"]
    assert response.status_code == 303 and "Secure" in cookie and "HttpOnly" in cookie


# --- signing in ----------------------------------------------------------------------------
async def sign_in_with_password(http: httpx.AsyncClient, email: str, password: str,
                                origin: str = BASE) -> httpx.Response:
    page = await http.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return await http.post("/sign-in", data={"email": email, "password": password, "csrf": csrf,
                                             "next": "/playground"}, headers={"Origin": origin})


@pytest.fixture
def pat(runtime: Runtime) -> str:
    users = Users(runtime.app.state)
    if users.find("pat@example.com") is None:
        users.create("pat@example.com", actor="test")
        users.set_password("pat@example.com", PASSWORD, actor="test")
    users.set_role("pat@example.com", "shop", Role.MEMBER, actor="test")
    return "pat@example.com"


@pytest.mark.asyncio
async def test_signing_in_with_a_password_sets_a_strict_http_only_session_cookie(runtime, pat):
    async with anonymous(runtime) as http:
        response = await sign_in_with_password(http, pat, PASSWORD)
        listing = await http.get("/playground/api/workspaces")
    cookie = response.headers["set-cookie"]
    assert response.status_code == 303 and response.headers["location"] == "/playground"
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would never come back
    assert [w["name"] for w in listing.json()["workspaces"]] == ["shop"]


@pytest.mark.asyncio
async def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(runtime, pat):
    async with anonymous(runtime) as http:
        wrong = await sign_in_with_password(http, pat, "not the password")
        unknown = await sign_in_with_password(http, "nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.text and "do not match" in unknown.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


@pytest.mark.asyncio
async def test_a_sign_in_form_posted_without_its_token_is_refused(runtime, pat):
    async with anonymous(runtime) as http:
        response = await http.post("/sign-in", data={"email": pat, "password": PASSWORD},
                                   headers={"Origin": BASE})
        other_site = await http.post("/sign-in", data={"email": pat, "password": PASSWORD},
                                     headers={"Origin": "http://localhost:9999"})
    assert response.status_code == 400 and "expired" in response.text
    assert other_site.status_code == 403


@pytest.mark.asyncio
async def test_a_sign_in_link_opens_a_session_once(runtime, pat):
    person = Users(runtime.app.state).get(pat)
    token = SignIn(runtime.app.state).create_link(person, actor="test")
    async with anonymous(runtime) as http:
        page = await http.get(f"/sign-in/link?token={token}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        first = await http.post("/sign-in/link", data={"token": token, "csrf": csrf},
                                headers={"Origin": BASE})
    async with anonymous(runtime) as other_browser:
        used = await other_browser.get(f"/sign-in/link?token={token}")
        unknown = await other_browser.get("/sign-in/link?token=not-a-link")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert f'<strong id="account">{pat}</strong>' in page.text  # whom the button signs in
    assert first.status_code == 303 and SESSION_COOKIE in first.headers["set-cookie"]
    for gone in (used, unknown):  # a clear page, not a button that can only fail
        assert gone.status_code == 400 and "expired or was already used" in gone.text
        assert 'id="continue"' not in gone.text and pat not in gone.text


@pytest.mark.asyncio
async def test_sign_out_ends_the_session(runtime):
    async with client(runtime) as http:
        out = await http.post("/playground/api/sign-out", json={})
        after = await http.get("/playground/api/workspaces")
    assert out.status_code == 204 and after.status_code == 401


# --- rate limits ---------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_questions_are_limited_per_user_whatever_conversation_they_claim(runtime):
    async with client(runtime, "busy@example.com", Role.MEMBER) as busy:
        codes = [(await busy.post("/playground/api/chat", json=chat(
            "orders march 2025", conversation=f"tabrate{n:06d}"))).status_code for n in range(4)]
    async with client(runtime, "calm@example.com", Role.MEMBER) as calm:
        other = await calm.post("/playground/api/chat", json=chat("orders march 2025"))
    assert codes == [200, 200, 200, 429]
    assert other.status_code == 200


@pytest.mark.asyncio
async def test_password_guesses_are_limited_per_address(runtime, pat):
    async with anonymous(runtime, "198.51.100.7") as http:
        codes = [(await sign_in_with_password(http, f"guess{n}@example.com", PASSWORD)).status_code
                 for n in range(10)]
        right = await sign_in_with_password(http, pat, PASSWORD)
    assert codes == [401] * 10
    assert right.status_code == 429 and "Too many" in right.text


@pytest.mark.asyncio
async def test_password_guesses_are_limited_per_email_from_many_addresses(runtime, pat):
    codes = []
    for n in range(6):
        async with anonymous(runtime, f"198.51.100.{n + 10}") as http:
            codes.append((await sign_in_with_password(http, pat, f"guess number {n}")).status_code)
    assert codes == [401] * 5 + [429]


# --- refused sign-ins leave a trace --------------------------------------------------------
def _failures(runtime, ip: str) -> list[dict]:
    return [e.after for e in list_audit(runtime.app.state, limit=1000)
            if e.action == "user.sign_in_failed" and e.after and e.after["ip"] == ip]


def _refusals(caplog: pytest.LogCaptureFixture, ip: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if "web sign-in refused" in r.getMessage() and ip in r.getMessage()]


@pytest.mark.asyncio
async def test_a_wrong_password_is_logged_and_audited_with_the_email_as_typed(runtime, pat, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.web_sign_in"):
        async with anonymous(runtime, "192.0.2.1") as http:
            wrong = await sign_in_with_password(http, "  Pat@Example.COM ", "not the password")

    failures = _failures(runtime, "192.0.2.1")
    assert wrong.status_code == 401
    assert failures == [{"reason": "wrong_password", "method": "password",
                         "email": "pat@example.com", "ip": "192.0.2.1"}]
    assert len(_refusals(caplog, "192.0.2.1")) == 1
    assert "not the password" not in json.dumps(failures) + caplog.text


@pytest.mark.asyncio
async def test_a_flood_of_rate_limited_sign_ins_is_logged_each_time_but_audited_once(runtime, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.web_sign_in"):
        async with anonymous(runtime, "192.0.2.2") as http:
            codes = [(await sign_in_with_password(http, f"guess{n}@example.com", "x" * 3)).status_code
                     for n in range(16)]

    reasons = [f["reason"] for f in _failures(runtime, "192.0.2.2")]
    assert codes == [401] * 10 + [429] * 6
    assert sorted(reasons) == ["rate_limited"] + ["wrong_password"] * 10
    assert len(_refusals(caplog, "192.0.2.2")) == 16


@pytest.mark.asyncio
async def test_a_used_sign_in_link_is_logged_and_audited(runtime, pat, caplog):
    token = SignIn(runtime.app.state).create_link(Users(runtime.app.state).get(pat), actor="test")
    codes = []
    with caplog.at_level(logging.WARNING, logger="bot.web_sign_in"):
        for _ in range(2):  # a fresh browser each time: the second replays the used link
            async with anonymous(runtime, "192.0.2.3") as http:
                page = await http.get("/sign-in")
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                codes.append((await http.post("/sign-in/link", data={"token": token, "csrf": csrf},
                                              headers={"Origin": BASE})).status_code)

    assert codes == [303, 400]
    assert [f["reason"] for f in _failures(runtime, "192.0.2.3")] == ["link_used_or_expired"]
    assert len(_refusals(caplog, "192.0.2.3")) == 1
    assert token not in caplog.text and token not in json.dumps(_failures(runtime, "192.0.2.3"))


# --- metrics -------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_metrics_are_open_on_loopback_only_or_with_the_token(data_dir):
    built = build_runtime(shop_settings(data_dir, TALLY_METRICS_TOKEN="metrics-secret-0123"),
                          builders={})
    async with anonymous(built) as local:
        loopback = await local.get("/metrics")
    async with anonymous(built, "203.0.113.9") as remote:
        bare = await remote.get("/metrics")
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await remote.get("/metrics", headers={"Authorization": "Bearer metrics-secret-0123"})
    built.app.close()
    assert loopback.status_code == 200 and "tally_messages_total" in loopback.text
    assert bare.status_code == wrong.status_code == 401
    assert right.status_code == 200


def test_a_sliding_window_lets_in_again_after_a_minute_and_forgets_idle_keys():
    from bot.web_auth import SlidingWindow

    now = [0.0]
    window = SlidingWindow(2, clock=lambda: now[0])
    window.max_keys = 3
    assert [window.allow("a") for _ in range(3)] == [True, True, False]
    now[0] = 60.0
    assert window.allow("a")
    for key in "bcde":
        window.allow(key)
    now[0] = 200.0
    window.allow("f")
    assert set(window._seen) == {"f"}
