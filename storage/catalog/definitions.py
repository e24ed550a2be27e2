"""Loads ``definitions.yaml`` into frozen definitions and checks it is consistent.

Why YAML: a metric is data (an expression, a format, words that explain it),
and people who know the business should be able to read and review it
without reading the compiler. Behaviour that is not an aggregate over rows
(MRR movements, stock cover, streaks) lives in :mod:`storage.catalog.relations`,
referenced from a source by name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlglot
import yaml
from sqlglot import exp

SourceKind = Literal["flow", "stock", "movement"]
MetricKind = Literal["flow", "stock"]
DEFINITIONS = Path(__file__).with_name("definitions.yaml")


@dataclass(frozen=True)
class MeasureDef:
    """One aggregate over one source."""

    name: str
    source: str
    expr: str
    empty_zero: bool = True


@dataclass(frozen=True)
class SourceDef:
    """A relation the catalog aggregates: a FROM clause or a named Python relation.

    ``kind`` is flow (rows in a period by ``time``), stock (rows valid at an instant
    ``{t}``) or movement (a relation computed from the period's start and end).
    """

    name: str
    kind: SourceKind
    from_sql: str | None
    relation: str | None
    where: str | None
    time: str | None
    time_type: str
    currency: str | None
    rate: str | None
    fx_time: str | None
    dimensions: dict[str, str]
    measures: tuple[str, ...]
    count: str | None
    missing: str | None = None  # a column of stored missing-rate labels ("BRL on 2025-03-31")
    rollup: Rollup | None = None


@dataclass(frozen=True)
class Rollup:
    """A pre-aggregated twin of a source, read instead when a query fits it.

    ``source`` says where the rollup's rows are (its FROM, date column and dimensions);
    ``exprs`` computes the twin's measures, by the same names, from the rolled-up
    columns. A query fits when the rollup has every measure it asks for, every dimension
    it breaks down by (time grains included) and every filter the source would apply.
    """

    source: SourceDef
    exprs: dict[str, str]


@dataclass(frozen=True)
class MetricDef:
    """A metric users ask for: an expression over measures."""

    name: str
    expr: str
    format: str
    kind: MetricKind
    label: str
    description: str
    measures: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DimensionDef:
    """A breakdown: an entity column, or a time grain (day, week, month)."""

    name: str
    label: str
    grain: str | None = None
    entities_only: bool = False  # rows without a value (guest orders) are no entity: no row


@dataclass(frozen=True)
class CatalogDefs:
    """Everything in ``definitions.yaml``."""

    sources: dict[str, SourceDef]
    measures: dict[str, MeasureDef]
    metrics: dict[str, MetricDef]
    dimensions: dict[str, DimensionDef]

    def sources_of(self, metric: str) -> list[SourceDef]:
        """The sources a metric's measures come from, in order of first use."""
        seen: dict[str, SourceDef] = {}
        for measure in self.metrics[metric].measures:
            source = self.measures[measure].source
            seen.setdefault(source, self.sources[source])
        return list(seen.values())

    def dimensions_of(self, metric: str) -> list[str]:
        """Dimensions every source of the metric supports (time grains when all are flows)."""
        sources = self.sources_of(metric)
        common = set.intersection(*(set(s.dimensions) for s in sources)) if sources else set()
        grains = [d for d, dd in self.dimensions.items() if dd.grain]
        return sorted(common) + grains


def _source(name: str, raw: dict[str, Any]) -> tuple[SourceDef, list[MeasureDef]]:
    measures: list[MeasureDef] = []
    for mname, mraw in raw.get("measures", {}).items():
        if isinstance(mraw, dict):
            measures.append(MeasureDef(mname, name, str(mraw["expr"]), mraw.get("empty", 0) == 0))
        else:
            measures.append(MeasureDef(mname, name, str(mraw)))
    source = SourceDef(
        name=name,
        kind=raw.get("kind", "flow"),
        from_sql=raw.get("from"),
        relation=raw.get("relation"),
        where=raw.get("where"),
        time=raw.get("time"),
        time_type=raw.get("time_type", "timestamp"),
        currency=raw.get("currency"),
        rate=raw.get("rate"),
        fx_time=raw.get("fx_time", raw.get("time")),
        dimensions={k: str(v) for k, v in raw.get("dimensions", {}).items()},
        measures=tuple(m.name for m in measures),
        count=raw.get("count"),
        rollup=_rollup(name, raw["rollup"], {m.name for m in measures}) if "rollup" in raw else None,
    )
    return source, measures


def _rollup(name: str, raw: dict[str, Any], measures: set[str]) -> Rollup:
    exprs = {str(k): str(v) for k, v in raw["measures"].items()}
    unknown = sorted(set(exprs) - measures)
    if unknown:
        raise ValueError(f"the rollup of {name} defines measures its source has not: {unknown}")
    source = SourceDef(
        name=f"{name}.rollup", kind="flow", from_sql=raw["from"], relation=None, where=None,
        time=raw["time"], time_type=raw.get("time_type", "date"), currency=None, rate=None,
        fx_time=None, dimensions={k: str(v) for k, v in raw.get("dimensions", {}).items()},
        measures=tuple(exprs), count=None, missing=raw.get("missing"))
    return Rollup(source, exprs)


def _measure_names(expr: str, measures: dict[str, MeasureDef]) -> tuple[str, ...]:
    tree = sqlglot.parse_one(expr, read="duckdb")
    names = [c.name for c in tree.find_all(exp.Column)]
    unknown = [n for n in names if n not in measures]
    if unknown:
        raise ValueError(f"metric expression {expr!r} names unknown measures {unknown}")
    return tuple(dict.fromkeys(names))


def parse_definitions(raw: dict[str, Any]) -> CatalogDefs:
    """Builds and checks the catalog from the parsed YAML document."""
    sources: dict[str, SourceDef] = {}
    measures: dict[str, MeasureDef] = {}
    for name, sraw in raw["sources"].items():
        source, source_measures = _source(name, sraw)
        sources[name] = source
        for m in source_measures:
            if m.name in measures:
                raise ValueError(f"measure {m.name} is defined twice")
            measures[m.name] = m
    metrics = {
        name: MetricDef(
            name=name, expr=str(m["expr"]), format=m["format"], kind=m.get("kind", "flow"),
            label=m["label"], description=m["description"],
            measures=_measure_names(str(m["expr"]), measures),
        )
        for name, m in raw["metrics"].items()
    }
    dimensions = {
        name: DimensionDef(name, d["label"], d.get("grain"), bool(d.get("entities_only", False)))
        for name, d in raw["dimensions"].items()
    }
    return CatalogDefs(sources, measures, metrics, dimensions)


@functools.cache
def load_definitions(path: Path = DEFINITIONS) -> CatalogDefs:
    """The catalog of ``definitions.yaml`` (parsed once per process)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
    with path.open(encoding="utf-8") as fh:
        return parse_definitions(yaml.load(fh, Loader=loader))
