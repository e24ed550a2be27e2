"""Deterministic demo data for every vertical, in the import format of ``data-model.md``.

``generate_demo(out_dir, end=...)`` writes two workspaces' folders of Parquet
files, ready for ``tally import``:

- ``out_dir/demo``: a shop (orders, items, refunds, customers, FX), a SaaS
  company (plans, subscriptions, MRR spans, invoices), its marketing (ads, web
  traffic, touchpoints) and commerce operations (stock, suppliers, POs), about
  two years of data ending the day before ``end``;
- ``out_dir/demo-guild``: a Discord betting guild (bettors and a year of bets).

The same ``(end, scale, seed)`` always gives byte-identical files. Anomalies
for alerting are planted on days relative to ``end``: see
:data:`PLANTED_ANOMALIES` and :func:`planted_anomalies`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from storage.demo._common import Calendar, Progress, Window
from storage.demo.anomalies import PLANTED_ANOMALIES, PlantedAnomaly, planted_anomalies
from storage.demo.betting import write_betting
from storage.demo.fx import write_fx_rates
from storage.demo.inventory import write_inventory
from storage.demo.marketing import write_marketing
from storage.demo.saas_billing import write_saas
from storage.demo.shop import write_shop
from storage.demo.shop_catalog import product_costs, write_products

DEMO_WORKSPACES: dict[str, dict[str, str]] = {
    "demo": {"currency": "USD", "timezone": "America/New_York"},
    "demo-guild": {"currency": "USD", "timezone": "UTC"},
}
DEMO_DAYS = 730

__all__ = [
    "DEMO_DAYS",
    "DEMO_WORKSPACES",
    "PLANTED_ANOMALIES",
    "PlantedAnomaly",
    "generate_demo",
    "planted_anomalies",
]


def _prefixed(progress: Callable[[str, int], None] | None, workspace: str) -> Progress | None:
    if progress is None:
        return None
    return lambda table, rows: progress(f"{workspace}/{table}", rows)


def generate_demo(out_dir: Path, *, end: date, scale: float = 1.0, seed: int = 7,
                  progress: Callable[[str, int], None] | None = None,
                  ) -> dict[str, dict[str, int]]:
    """Writes ``out_dir/demo/<table>.parquet`` and ``out_dir/demo-guild/<table>.parquet``.

    Args:
        out_dir: parent folder; the two workspace folders are created (files of
            the same names are overwritten, other files are left alone).
        end: "today": the data covers the ``DEMO_DAYS`` days before it, up to
            and including yesterday (the guild: the last 365 days).
        scale: volume multiplier; 1.0 ≈ 40,000 orders, 250 ≈ 10 million.
        seed: random seed; the same (end, scale, seed) gives identical bytes.
        progress: called as ``progress("demo/orders", rows_so_far)`` while writing.

    Returns:
        ``{workspace: {table: rows}}``.

    Raises:
        ValueError: if ``scale`` is not positive.
    """
    if not scale > 0:
        raise ValueError(f"scale must be above 0, got {scale}")
    window = Window(end, DEMO_DAYS, float(scale), int(seed))
    demo, guild = Path(out_dir) / "demo", Path(out_dir) / "demo-guild"
    demo.mkdir(parents=True, exist_ok=True)
    guild.mkdir(parents=True, exist_ok=True)
    report = _prefixed(progress, "demo")
    calendar = Calendar(window.start, window.n_days, DEMO_WORKSPACES["demo"]["timezone"])
    shop = write_shop(demo, window, calendar, report)
    rows = dict(shop.rows)
    rows["products"] = write_products(demo, window, report)
    rows["fx_rates"] = write_fx_rates(demo, window, report)
    rows.update(write_marketing(demo, window, report))
    rows.update(write_saas(demo, window, calendar, report))
    rows.update(write_inventory(demo, window, calendar, shop.units, product_costs(window),
                                report))
    guild_rows = write_betting(guild, window, _prefixed(progress, "demo-guild"))
    return {"demo": dict(sorted(rows.items())), "demo-guild": guild_rows}
