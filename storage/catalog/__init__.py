"""The metric catalog: every metric of metrics.md, defined once and compiled to SQL."""

from storage.catalog.definitions import CatalogDefs, load_definitions
from storage.catalog.engine import Engine
from storage.catalog.model import Comparison, Filter, Order, Query, Result
from storage.catalog.periods import AsOf, Period, resolve_period

__all__ = [
    "AsOf", "CatalogDefs", "Comparison", "Engine", "Filter", "Order", "Period", "Query",
    "Result", "load_definitions", "resolve_period",
]
