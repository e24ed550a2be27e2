"""`tally serve` with no settings, as a real process: loopback only, nothing open but health.

The first start prints a one-time sign-in link for the owner it creates; until someone
signs in, nothing answers data, whether the request comes from loopback or (through a
proxy on loopback, which uvicorn trusts for X-Forwarded-For) from outside.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.bot.serving import tally_serve
from tests.bot.test_runtime_http import shop_settings

OUTSIDE = {"X-Forwarded-For": "203.0.113.9"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shop_settings(folder)
    return folder


def test_serve_binds_loopback_and_answers_nothing_without_sign_in(data_dir, tmp_path):
    with tally_serve(data_dir, tmp_path) as served, \
            httpx.Client(base_url=f"http://127.0.0.1:{served.port}", timeout=30) as http:
        responses = {
            "page": http.get("/playground"),
            "workspaces": http.get("/playground/api/workspaces"),
            "chat": http.post("/playground/api/chat", json={
                "workspace": "shop", "conversation": "tabserve0001", "text": "orders march 2025"}),
            "outside workspaces": http.get("/playground/api/workspaces", headers=OUTSIDE),
            "outside metrics": http.get("/metrics", headers=OUTSIDE),
        }
        loopback_metrics = http.get("/metrics")
        health = http.get("/healthz", headers=OUTSIDE)
    assert re.search(r"serving on 127\.0\.0\.1:\d+", served.output)  # not 0.0.0.0
    assert responses["page"].status_code == 303
    assert {k: r.status_code for k, r in responses.items() if k != "page"} == {
        "workspaces": 401, "chat": 401, "outside workspaces": 401, "outside metrics": 401}
    assert all("shop" not in r.text for r in responses.values())
    assert loopback_metrics.status_code == 200 and health.status_code == 200


def test_the_printed_link_signs_the_first_owner_in_to_every_workspace(data_dir, tmp_path):
    with tally_serve(data_dir, tmp_path) as served:
        link = served.sign_in_link()
        base = f"http://localhost:{served.port}"
        assert urlsplit(link).netloc == f"localhost:{served.port}"
        with httpx.Client(base_url=base, timeout=30) as http:
            page = http.get(link)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
            signed_in = http.post("/sign-in/link", data={"token": token, "csrf": csrf},
                                  headers={"Origin": base})
            session = http.get("/playground/api/session").json()
            listing = http.get("/playground/api/workspaces").json()
            answer = http.post("/playground/api/chat", headers={"X-CSRF-Token": session["csrf_token"]},
                               json={"workspace": "shop", "conversation": "tabserve0001",
                                     "text": "orders march 2025"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/playground"
    assert session["email"] == "owner@localhost"
    assert [(w["name"], w["role"]) for w in listing["workspaces"]] == [("shop", "owner")]
    assert answer.status_code == 200 and "4" in answer.json()["text"]
    assert served.output.count(token) == 1  # printed once, never logged
