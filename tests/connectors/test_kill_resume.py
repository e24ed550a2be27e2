"""A sync killed anywhere and restarted writes exactly the rows of an uninterrupted one.

The kill lands on the k-th HTTP response of a run (a BaseException, like SIGKILL
nothing catches it): before a page's rows are committed, between pages, between
streams. Hypothesis picks up to three kills in a row, then a run to completion.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import ConnectorContext
from connectors.ga4 import GA4Connector
from connectors.http import RetryPolicy
from connectors.meta_ads import MetaAdsConnector
from connectors.runner import run_sync
from connectors.shopify import ShopifyConnector
from storage.warehouse import Warehouse
from tests.connectors.conftest import make_settings
from tests.connectors.shopify_data import seeded_shop
from tests.connectors.test_google import OAUTH, seeded
from tests.connectors.test_meta_ads import insight
from tests.fakes.google import PROPERTY
from tests.fakes.meta import ACCOUNT, FakeMeta
from tests.fakes.server import serve
from tests.fakes.shopify import SHOP, TOKEN

NOW = datetime(2025, 3, 5, 18, 0, tzinfo=UTC)


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the sync may catch it."""


async def _no_wait(_seconds: float) -> None:
    return None


def _meta() -> FakeMeta:
    fake = FakeMeta(page_size=1)
    fake.campaigns = [{"id": f"9{n}", "name": f"C{n}", "objective": "OUTCOME_SALES",
                       "effective_status": "ACTIVE"} for n in range(3)]
    fake.insights = [insight(f"2025-0{m}-0{d}", "90", f"{d}.00", {"purchase": "1"}, {"purchase": "9"})
                     for m, d in ((1, 9), (2, 1), (2, 9), (3, 2))]
    return fake


def _ga4() -> Any:
    fake = seeded()
    # Spread the rows over three 30-day windows, one per page.
    fake.traffic = [(day, *rest) for day, (_, *rest) in zip(
        ("20250120", "20250201", "20250220", "20250302", "20250303"), fake.traffic, strict=True)]
    return fake


@dataclass(frozen=True)
class Case:
    """A connector, its fake, and what to compare."""

    fake: Callable[[], Any]
    connector: Any
    url_settings: tuple[str, ...]
    options: dict[str, str]
    secrets: dict[str, str]
    tables: tuple[str, ...]


CASES = {
    "shopify": Case(seeded_shop, ShopifyConnector, ("SHOPIFY_API_URL",), {"shop": SHOP},
                    {"access_token": TOKEN}, ("orders", "order_items", "refunds", "products",
                                              "customers", "locations", "inventory_levels")),
    "ga4": Case(_ga4, GA4Connector, ("GA4_API_URL", "GOOGLE_OAUTH_URL"),
                {"property_id": PROPERTY, "client_id": OAUTH["client_id"], "start_date": "2025-01-15"},
                {k: v for k, v in OAUTH.items() if k != "client_id"}, ("web_traffic_daily",)),
    "meta-ads": Case(_meta, MetaAdsConnector, ("META_API_URL",),
                     {"ad_account": ACCOUNT, "start_date": "2025-01-01"}, {"access_token": "EAAfake"},
                     ("ad_campaigns", "ad_performance_daily")),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def served(request):
    case = CASES[request.param]
    with serve(case.fake().app()) as url:
        with Warehouse(":memory:") as warehouse:
            requests = _sync(case, url, warehouse, None)
            expected = _snapshot(warehouse, case.tables)
        yield case, url, expected, requests


def _snapshot(warehouse: Warehouse, tables: tuple[str, ...]) -> dict[str, list[tuple]]:
    return {t: sorted(warehouse.fetch(f"SELECT * FROM {t}"), key=repr) for t in tables}


def _sync(case: Case, url: str, warehouse: Warehouse, kill_after: int | None) -> int:
    """One run, killed at its ``kill_after``-th HTTP response; returns the responses seen.

    A run that finishes in fewer responses (it resumed past the point) is not killed.
    """
    seen = 0

    async def count(_response: httpx.Response) -> None:
        nonlocal seen
        seen += 1
        if kill_after is not None and seen >= kill_after:
            raise Killed

    async def run() -> None:
        async with httpx.AsyncClient(event_hooks={"response": [count]}) as client:
            urls = {name: url for name in case.url_settings}
            context = ConnectorContext("acme", case.options, case.secrets,
                                       make_settings(Path("/nonexistent"), **urls), client,
                                       RetryPolicy(sleep=_no_wait), lambda: NOW)
            await run_sync(case.connector(context), warehouse, "acme")
    with contextlib.suppress(Killed):
        asyncio.run(run())
    return seen


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_sync_killed_at_any_request_resumes_without_gaps_or_duplicates(served, data):
    case, url, expected, requests = served
    assert all(expected.values())  # every table has rows to lose
    kills = data.draw(st.lists(st.integers(1, requests), max_size=3), label="kill at response")
    with Warehouse(":memory:") as warehouse:
        for kill_after in kills:
            _sync(case, url, warehouse, kill_after)
        _sync(case, url, warehouse, None)

        assert _snapshot(warehouse, case.tables) == expected
