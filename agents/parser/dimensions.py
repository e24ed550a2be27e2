"""Dimension words ("by channel", "top 5 products") and the country-name table.

A word may stand for several catalog dimensions: "channel" is the ad channel
for ad metrics and the sales channel for store metrics. :class:`DimWord` keeps
every option, preferred first; the resolver keeps the one the question's
metrics can be split by.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DimWord:
    """A dimension as said: the catalog dimensions it may mean and whether it was plural."""

    options: tuple[str, ...]
    plural: bool


def _words(options: tuple[str, ...], singular: str, plural: str = "") -> dict[str, DimWord]:
    found = {word: DimWord(options, False) for word in singular.split("|") if word}
    found.update({word: DimWord(options, True) for word in plural.split("|") if word})
    return found


DIM_WORDS: dict[str, DimWord] = {
    **_words(("country",), "country|region|nation", "countries|regions|nations"),
    **_words(("market", "country"), "market", "markets"),
    **_words(("market",), "bet type|market type", "bet types|market types"),
    **_words(("sales_channel",), "sales channel", "sales channels"),
    **_words(("channel", "sales_channel"), "channel", "channels"),
    **_words(("channel",), "ad platform|ad channel|platform|marketing channel|ad network",
             "ad platforms|ad channels|platforms|marketing channels|ad networks"),
    **_words(("source",), "source|utm source|referrer|traffic source|referral source",
             "sources|utm sources|referrers|traffic sources|referral sources"),
    **_words(("medium",), "medium|utm medium", "mediums|utm mediums"),
    **_words(("campaign",), "campaign|ad campaign|utm campaign", "campaigns|ad campaigns|utm campaigns"),
    **_words(("product",), "product|item|sku|variant", "products|items|skus|variants"),
    **_words(("category",), "category|collection|product type|product category|product line",
             "categories|collections|product types|product categories|product lines"),
    **_words(("customer",), "customer|client|account", "customers|clients|accounts"),
    **_words(("plan",), "plan|tier|pricing plan", "plans|tiers|pricing plans"),
    **_words(("segment",), "segment", "segments"),
    **_words(("location",), "location|warehouse|store", "locations|warehouses|stores"),
    **_words(("supplier",), "supplier|vendor", "suppliers|vendors"),
    **_words(("bettor",), "bettor|capper|tipster|punter|handicapper|member|player|person|user",
             "bettors|cappers|tipsters|punters|handicappers|members|players|people|users"),
    **_words(("sport",), "sport", "sports"),
    **_words(("league",), "league|competition", "leagues|competitions"),
    **_words(("day",), "day|daily|date|day by day", "days|dates"),
    **_words(("week",), "week|weekly|week by week", "weeks"),
    **_words(("month",), "month|monthly|month by month", "months"),
}

# Short forms that only name a dimension right after "by"/"per" ("rev by cat"): alone,
# "cat" or "prod" are too likely to be something else.
BY_ONLY_WORDS: dict[str, DimWord] = {
    **_words(("category",), "cat|categ", "cats|categs"),
    **_words(("product",), "prod", "prods"),
    **_words(("customer",), "cust", "custs"),
    **_words(("country",), "ctry|geo", "ctrys|geos"),
    **_words(("source",), "src", "srcs"),
}

GRAINS = ("day", "week", "month")

# What "top 5 <dimension>" ranks by when no metric is said, by the data the workspace has.
# Absent (campaign, supplier): there is no obvious default, so the parser asks.
RANK_DEFAULTS: dict[str, tuple[str, ...]] = {
    "product": ("product_revenue",),
    "category": ("product_revenue",),
    "customer": ("revenue", "mrr"),
    "country": ("revenue", "mrr"),
    "sales_channel": ("revenue",),
    "source": ("revenue", "sessions"),
    "medium": ("sessions",),
    "plan": ("mrr",),
    "segment": ("mrr",),
    "location": ("on_hand",),
    "sport": ("profit_units",),
    "league": ("profit_units",),
    "market": ("profit_units",),
    "bettor": ("profit_units",),
    "day": ("revenue",),
    "week": ("revenue",),
    "month": ("revenue",),
}

# Common country names -> ISO 3166 codes; a name is only used when its code is in the data.
COUNTRY_NAMES: dict[str, str] = {
    "brazil": "BR", "brasil": "BR", "brazilian": "BR",
    "mexico": "MX", "mexican": "MX",
    "united states": "US", "united states of america": "US", "usa": "US", "the us": "US",
    "u s": "US", "u s a": "US", "america": "US", "american": "US", "the states": "US",
    "united kingdom": "GB", "uk": "GB", "the uk": "GB", "britain": "GB",
    "great britain": "GB", "england": "GB", "british": "GB", "brits": "GB",
    "germany": "DE", "german": "DE", "deutschland": "DE",
    "canada": "CA", "canadian": "CA",
    "france": "FR", "french": "FR",
    "spain": "ES", "spanish": "ES", "espana": "ES",
    "italy": "IT", "italian": "IT",
    "portugal": "PT", "portuguese": "PT",
    "argentina": "AR", "argentinian": "AR",
    "chile": "CL", "chilean": "CL",
    "colombia": "CO", "colombian": "CO",
    "peru": "PE", "peruvian": "PE",
    "uruguay": "UY", "paraguay": "PY",
    "australia": "AU", "australian": "AU", "aussie": "AU", "aussies": "AU",
    "new zealand": "NZ",
    "japan": "JP", "japanese": "JP",
    "india": "IN", "indian": "IN",
    "china": "CN", "chinese": "CN",
    "netherlands": "NL", "holland": "NL", "the netherlands": "NL", "dutch": "NL",
    "ireland": "IE", "irish": "IE",
    "sweden": "SE", "norway": "NO", "denmark": "DK", "finland": "FI",
    "belgium": "BE", "switzerland": "CH", "austria": "AT", "poland": "PL",
}

# Regions: every stored country of the region ("revenue in Europe" filters by all of
# them). The EU is Europe without the UK, Norway and Switzerland.
_EUROPE = ("GB", "DE", "FR", "ES", "IT", "PT", "NL", "IE", "SE", "NO", "DK", "FI", "BE", "CH",
           "AT", "PL")
_SOUTH_AMERICA = ("BR", "AR", "CL", "CO", "PE", "UY", "PY")
REGIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("europe", "european", "europeans"), _EUROPE),
    **dict.fromkeys(("eu", "the eu", "european union"),
                    tuple(c for c in _EUROPE if c not in ("GB", "NO", "CH"))),
    **dict.fromkeys(("latam", "latin america", "latin american"), ("MX", *_SOUTH_AMERICA)),
    **dict.fromkeys(("south america", "south american"), _SOUTH_AMERICA),
    **dict.fromkeys(("north america", "north american"), ("US", "CA", "MX")),
    **dict.fromkeys(("apac", "asia pacific"), ("AU", "NZ", "JP", "IN", "CN")),
    **dict.fromkeys(("asia", "asian"), ("JP", "IN", "CN")),
    **dict.fromkeys(("nordics", "scandinavia", "nordic"), ("SE", "NO", "DK", "FI")),
    "dach": ("DE", "AT", "CH"), "benelux": ("BE", "NL"), "anz": ("AU", "NZ"),
}

# Everyday names for common stored values ("website" is the online store), used only
# when the value is in the data, and weaker than a stored name: a metric that cannot be
# split by the value's dimension reads past it rather than refusing.
VALUE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "sales_channel": {
        "online_store": ("website", "web store", "webstore", "web shop", "webshop",
                         "online shop", "e commerce", "ecommerce", "online"),
        "pos": ("in store", "instore", "point of sale", "retail store", "retail stores",
                "brick and mortar", "physical store", "physical stores", "shop floor"),
    },
    "category": {
        "Apparel": ("clothing", "clothes", "garments"),
        "Beauty": ("skincare", "skin care", "cosmetics", "makeup", "personal care",
                   "toiletries"),
        "Home": ("homeware", "homewares", "home goods", "housewares", "home decor"),
        "Outdoor": ("outdoors", "outdoor gear", "camping gear"),
        "Accessories": ("accessory",),
    },
    # ad platforms and traffic sources by the names marketers use
    "channel": {
        "meta": ("facebook", "fb", "facebook ads", "fb ads", "meta ads", "instagram ads"),
        "google": ("adwords", "google ads", "gads"),
        "tiktok": ("tik tok", "tiktok ads", "tik tok ads"),
    },
    "source": {"meta": ("facebook", "fb")},
    # a guild's leagues and markets by the names bettors use
    "league": {
        "EPL": ("premier league", "english premier league", "the prem", "prem"),
        "NFL": ("national football league",),
        "NBA": ("national basketball association",),
        "NHL": ("national hockey league",),
        "MLB": ("major league baseball",),
    },
    "market": {
        "moneyline": ("money line", "money lines", "h2h", "head to head"),
        "spread": ("point spread", "point spreads", "handicap", "against the spread", "ats"),
        "total": ("over under", "over unders", "o u"),
        "parlay": ("accumulator", "accumulators", "acca", "accas"),
        "prop": ("player prop", "player props"),
        "future": ("outright", "outrights"),
    },
}
