"""Fake Google endpoints: the OAuth token endpoint, GA4 runReport and Google Ads searchStream.

Formats follow the REST references: runReport pages with ``limit``/``offset`` and
``rowCount``; searchStream answers a JSON array of result chunks, proto3 JSON
(int64 as strings, zero values left out).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CLIENT_ID = "fake-client.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"
REFRESH_TOKEN = "1//fake-refresh"
DEVELOPER_TOKEN = "fake-dev-token"
PROPERTY = "123456789"
CUSTOMER = "1234567890"


def _error(code: int, status: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "status": status}}, status_code=code)


@dataclass
class FakeGoogle:
    """GA4 rows and Ads results; tokens handed out; faults played before real answers."""

    traffic: list[tuple[str, str, str, str, list[str]]] = field(default_factory=list)
    ads_results: list[dict[str, Any]] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    chunk_size: int = 2
    refresh_token: str = REFRESH_TOKEN
    issued: list[str] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    faults: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    ranges: list[tuple[str, str]] = field(default_factory=list)

    def fail_next(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.faults.append((status, headers or {}))

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/token", self.token, methods=["POST"]),
            Route(f"/v1beta/properties/{PROPERTY}:runReport", self.run_report, methods=["POST"]),
            Route(f"/v19/customers/{CUSTOMER}/googleAds:searchStream", self.search_stream, methods=["POST"]),
        ])

    async def token(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("refresh_token") != self.refresh_token or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_grant", "error_description": "Token has been expired "
                                 "or revoked."}, status_code=400)
        token = f"ya29.fake-{len(self.issued)}"
        self.issued.append(token)
        self.valid_tokens.add(token)
        return JSONResponse({"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                             "scope": "https://www.googleapis.com/auth/analytics.readonly"})

    def _gate(self, request: Request) -> JSONResponse | None:
        auth = request.headers.get("authorization", "").removeprefix("Bearer ")
        if auth not in self.valid_tokens:
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if self.faults:
            status, headers = self.faults.pop(0)
            response = _error(status, "RESOURCE_EXHAUSTED" if status == 429 else "INTERNAL", "fault")
            response.headers.update(headers)
            return response
        return None

    async def run_report(self, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        body = json.loads(await request.body())
        span = body["dateRanges"][0]
        self.ranges.append((span["startDate"], span["endDate"]))
        first, last = (span[k].replace("-", "") for k in ("startDate", "endDate"))
        rows = [r for r in self.traffic if first <= r[0] <= last]
        offset, limit = int(body.get("offset", 0)), min(int(body.get("limit", 10000)), self.page_size)
        page = rows[offset:offset + limit]
        return JSONResponse({
            "dimensionHeaders": [{"name": d["name"]} for d in body["dimensions"]],
            "metricHeaders": [{"name": m["name"], "type": "TYPE_INTEGER"} for m in body["metrics"]],
            "rows": [{"dimensionValues": [{"value": v} for v in r[:4]],
                      "metricValues": [{"value": v} for v in r[4]]} for r in page],
            "rowCount": len(rows), "metadata": {"currencyCode": body.get("currencyCode", "USD"),
                                                "timeZone": "America/Sao_Paulo"},
            "kind": "analyticsData#runReport"})

    async def search_stream(self, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        if request.headers.get("developer-token") != DEVELOPER_TOKEN:
            return _error(401, "UNAUTHENTICATED", "The developer token is not valid.")
        query = json.loads(await request.body())["query"]
        self.queries.append(query)
        if "FROM customer" in query:
            results = [{"customer": {"resourceName": f"customers/{CUSTOMER}", "currencyCode": "BRL"}}]
        elif "segments.date" in query:
            first, last = query.split("BETWEEN '")[1].split("' AND '")
            last = last.rstrip("'")
            results = [r for r in self.ads_results if first <= r["segments"]["date"] <= last]
        else:
            results = [{"campaign": c} for c in self.campaigns]
        chunks = [{"results": results[i:i + self.chunk_size], "fieldMask": "campaign.id",
                   "requestId": f"req-{i}"} for i in range(0, len(results), self.chunk_size)]
        return JSONResponse(chunks)
