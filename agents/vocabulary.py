"""The entity values of a workspace's own data, which the parser matches words against.

Built from the warehouse (dimension values, verticals with data, SKU aliases), kept in
memory per workspace and in a JSON file beside the warehouse, so a cold ``tally ask``
does not scan the tables again; rebuilt when the workspace's data changes.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from agents.parser import Vocabulary
from agents.parser.lexicon import METRICS
from agents.ports import Engines
from storage.catalog import Engine
from storage.catalog.engine import RELATION_DIMENSION_VALUES

logger = logging.getLogger(__name__)

VOCABULARY_DIMENSIONS = ("country", "sales_channel", "source", "product", "sku", "category",
                         "plan", "segment", "channel", "campaign", "medium", "location",
                         "supplier", "bettor", "sport", "league", "market")
TABLE_VERTICALS = {"orders": "shop", "subscription_mrr": "saas", "ad_performance_daily": "marketing",
                   "web_traffic_daily": "marketing", "inventory_levels": "ops", "bets": "betting"}


def workspace_verticals(engine: Engine) -> frozenset[str]:
    """The verticals a workspace has data for (shop, saas, marketing, ops, betting)."""
    counts = engine.warehouse.row_counts()
    return frozenset(v for table, v in TABLE_VERTICALS.items() if counts.get(table))


def build_vocabulary(engine: Engine) -> Vocabulary:
    """Dimension values (all, and per data source), verticals with data, and aliases
    (SKU → product title)."""
    listed = {dim: engine.dimension_values_by_source(dim) for dim in VOCABULARY_DIMENSIONS}
    values = {dim: _all_values(engine, dim, listed[dim]) for dim in VOCABULARY_DIMENSIONS}
    verticals = workspace_verticals(engine)
    skus = engine.warehouse.fetch("SELECT sku, title FROM products WHERE sku IS NOT NULL")
    aliases = {"product": {sku: title for sku, title in skus if title}}
    return Vocabulary(values=values, verticals=verticals, aliases=aliases,
                      by_source=_by_source(engine, listed, values))


def _all_values(engine: Engine, dimension: str, listed: dict[str, list[str]]) -> list[str]:
    if dimension in RELATION_DIMENSION_VALUES:  # locations, suppliers: their own tables
        return engine.dimension_values(dimension)
    return sorted({value for found in listed.values() for value in found})


def _by_source(engine: Engine, listed: dict[str, dict[str, list[str]]],
               values: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """The values each parser source (ads, web, shop...) has, where they are fewer than all:
    an ad campaign is named "Meta — Retargeting", a web campaign "retargeting". A source
    whose metrics read an unlisted relation (stock, MRR movements) is left out."""
    found: dict[str, dict[str, list[str]]] = {}
    for source in sorted({entry.source for entry in METRICS}):
        for dim in VOCABULARY_DIMENSIONS:
            catalog = {s.name for e in METRICS if e.source == source and dim in e.dimensions
                       and e.name in engine.defs.metrics for s in engine.defs.sources_of(e.name)}
            if not catalog or not catalog <= listed[dim].keys():
                continue
            own = sorted({value for name in catalog for value in listed[dim][name]})
            if own and own != values[dim]:
                found.setdefault(source, {})[dim] = own
    return found


@dataclass(frozen=True)
class _Cached:
    version: str
    vocabulary: Vocabulary


class Vocabularies:
    """The vocabulary of each workspace, rebuilt when its data changes (thread-safe).

    Args:
        engines: opens a workspace's engine and says where its vocabulary is cached.
    """

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self._cached: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def get(self, workspace: str) -> Vocabulary:
        """The workspace's vocabulary, from memory, the file cache, or built anew."""
        engine = self.engines.engine(workspace)
        version = engine.warehouse.load_version()
        with self._lock:
            cached = self._cached.get(workspace)
            if cached and cached.version == version:
                return cached.vocabulary
        path = self.engines.vocabulary_path(workspace)
        vocabulary = _read(path, version) if path else None
        if vocabulary is None:
            vocabulary = build_vocabulary(engine)
            if path:
                _write(path, version, vocabulary)
        with self._lock:
            self._cached[workspace] = _Cached(version, vocabulary)
        return vocabulary


def _read(path: Path, version: str) -> Vocabulary | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no cache yet, or a broken one: build it again
        return None
    if raw.get("version") != version or "by_source" not in raw:  # an older cache: rebuild
        return None
    return Vocabulary(values=raw["values"], verticals=frozenset(raw["verticals"]),
                      aliases=raw["aliases"], by_source=raw["by_source"])


def _write(path: Path, version: str, vocabulary: Vocabulary) -> None:
    payload = {"version": version, "values": dict(vocabulary.values),
               "verticals": sorted(vocabulary.verticals), "aliases": dict(vocabulary.aliases),
               "by_source": dict(vocabulary.by_source)}
    try:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a file
    except OSError:
        logger.warning("could not cache the vocabulary at %s", path)
