"""The connectors Tally knows, by the name ``tally connect`` and ``/webhooks/{connector}`` use.

Modules are imported on first use: a provider SDK is loaded only when its
connector runs.
"""

from __future__ import annotations

import importlib
from typing import Any

from connectors.errors import UnknownConnectorError

CONNECTORS: dict[str, str] = {
    "files": "connectors.files:FilesConnector",
    "shopify": "connectors.shopify:ShopifyConnector",
    "stripe": "connectors.stripe:StripeConnector",
    "ga4": "connectors.ga4:GA4Connector",
    "meta-ads": "connectors.meta_ads:MetaAdsConnector",
    "google-ads": "connectors.google_ads:GoogleAdsConnector",
}


def connector_class(name: str) -> Any:
    """The connector class called ``name``; raises UnknownConnectorError naming the known ones."""
    target = CONNECTORS.get(name)
    if target is None:
        raise UnknownConnectorError(f"unknown connector {name!r}; Tally connects "
                                    f"{', '.join(sorted(CONNECTORS))}")
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
