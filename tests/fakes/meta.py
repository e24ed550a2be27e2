"""A fake Meta Graph API: ad account, campaigns and insights with cursor paging and real errors."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.meta_ads import GRAPH_VERSION

TOKEN = "EAAfake"
ACCOUNT = "1234567890"


@dataclass
class FakeMeta:
    """Campaigns and daily insights; faults (status, error body, headers) played first."""

    campaigns: list[dict[str, Any]] = field(default_factory=list)
    insights: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    token: str = TOKEN
    faults: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def fail_next(self, status: int, error: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.faults.append((status, {"error": error}, headers or {}))

    def app(self) -> Starlette:
        base = f"/{GRAPH_VERSION}/act_{ACCOUNT}"
        return Starlette(routes=[Route(base, self.account), Route(base + "/campaigns", self.list_campaigns),
                                 Route(base + "/insights", self.list_insights)])

    def _gate(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"error": {
                "message": "Error validating access token: Session has expired on Friday, 07-Mar-25.",
                "type": "OAuthException", "code": 190, "error_subcode": 463,
                "fbtrace_id": "AbCdEf"}}, status_code=400)
        if self.faults:
            status, body, headers = self.faults.pop(0)
            return JSONResponse(body, status_code=status, headers=headers)
        return None

    async def account(self, request: Request) -> JSONResponse:
        return self._gate(request) or JSONResponse({"id": f"act_{ACCOUNT}", "name": "Acme Ads",
                                                    "currency": "EUR"})

    async def list_campaigns(self, request: Request) -> JSONResponse:
        return self._gate(request) or self._page(request, self.campaigns)

    async def list_insights(self, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        span = json.loads(request.query_params["time_range"])
        rows = [i for i in self.insights if span["since"] <= i["date_start"] <= span["until"]]
        return self._page(request, rows)

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> JSONResponse:
        after = request.query_params.get("after")
        start = int(base64.b64decode(after)) if after else 0
        end = start + self.page_size
        paging: dict[str, Any] = {"cursors": {"before": base64.b64encode(str(start).encode()).decode(),
                                              "after": base64.b64encode(str(end).encode()).decode()}}
        if end < len(rows):
            paging["next"] = f"{request.url}&after={paging['cursors']['after']}"
        return JSONResponse({"data": rows[start:end], "paging": paging})
