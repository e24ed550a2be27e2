"""Words that sound like metrics but are none, and what to try when a workspace lacks one.

:data:`NOT_METRICS` are refused with a pointer ("refund rate" was one until the spec
defined it); :data:`HINTS` say, by the data a workspace does have, what to ask instead of a
metric it has no data for. Re-exported by :mod:`agents.parser.lexicon`.
"""

from __future__ import annotations

_DOMAINS = " (I know sales, subscriptions, marketing, inventory and bets)"
# Words that sound like metrics but are not in the catalog: refuse with a pointer.
NOT_METRICS = {
    "revenue run rate": "a revenue run rate is a projection, and I only report what happened; "
                        "try revenue last 30 days, or ARR for subscriptions",
    "sales run rate": "a sales run rate is a projection, and I only report what happened; "
                      "try revenue last 30 days, or ARR for subscriptions",
    "cost per order": "cost per order is not a metric I have; try CPA (ad spend per "
                      "conversion) or CAC (ad spend per new customer)",
    "impression share": "impression share is not in your data (the ad platforms' auction "
                        "metrics are not imported); I can give impressions, clicks and CTR",
    "return rate": "return rate is not a metric I have; I can give refunds and orders",
    "returns": "product returns are not tracked; I can give refunds",
    "refunded": "the number of refunded orders is not a metric I have; I can give refunds "
                "(the amount refunded) and orders",
    "refunded orders": "the number of refunded orders is not a metric I have; I can give "
                       "refunds (the amount refunded) and orders",
    "headcount": "employee headcount is not in your data" + _DOMAINS,
    "employees": "employees are not in your data" + _DOMAINS,
    "employee headcount": "employee headcount is not in your data" + _DOMAINS,
    "payroll": "payroll is not in your data" + _DOMAINS,
    "weather": "the weather is not something I know; I answer questions about your data",
    "stock price": "share prices are not in your data",
    "share price": "share prices are not in your data",
    "ltv": "lifetime value (LTV) is not a metric I have; try AOV, repeat rate or ARPA",
    "lifetime value": "lifetime value (LTV) is not a metric I have; try AOV, repeat rate or "
                      "ARPA",
    "gross profit": "gross profit is not a metric I have; try gross margin or net revenue",
    "bounce rate": "bounce rate is not a metric I have; try sessions or conversion rate",
    "page views": "page views are not in your data; try sessions or users",
    "pageviews": "page views are not in your data; try sessions or users",
    "cart abandonment": "cart abandonment is not in your data",
    "abandoned carts": "abandoned carts are not in your data",
    "cogs": "cost of goods sold is not a metric I have; try gross margin",
    "taxes": "taxes are not a metric I have; try revenue or net revenue",
    "shipping": "shipping is not a metric I have; try revenue or orders",
    "cash": "cash balances are not in your data",
    "pending orders": "pending orders are not counted anywhere; I can give orders (paid, "
                      "refunded and partially refunded)",
    "burn": "cash burn is not in your data",
    "burn rate": "cash burn is not in your data; for how fast stock sells, ask for 'daily demand'",
    "inventory value": "the value of stock on hand is not a metric I have; I can give units on "
                       "hand and days of stock",
    "stock value": "the value of stock on hand is not a metric I have; I can give units on "
                   "hand and days of stock",
    "value of inventory": "the value of stock on hand is not a metric I have; I can give units "
                          "on hand and days of stock",
    "value of stock": "the value of stock on hand is not a metric I have; I can give units on "
                      "hand and days of stock",
    **dict.fromkeys(("inventory turnover", "stock turnover", "inventory turns", "stock turns",
                     "inventory turn", "stock turn", "turnover rate", "inventory turnover rate"),
                    "inventory turnover is not a metric I have; I can give sell-through (the "
                    "share of stock sold in a period) and days of stock"),
}

# When a phrase's only metrics are in verticals the workspace lacks: what to try instead,
# by the data the workspace does have (a hint is only given where it works).
_TRY_MARGIN = {"shop": "for your store, try 'gross margin' or 'net revenue'"}
_TRY_ARPA = {"saas": "for subscriptions, ask for 'ARPA' (MRR per active account)"}
_TRY_PROFIT = {"betting": "for bets, try 'profit' (units won or lost), e.g. 'profit by sport'"}
_TRY_REVENUE = {"saas": "for subscriptions, try 'MRR'", "web": "for site analytics, try 'web revenue'",
                **_TRY_PROFIT}
HINTS: dict[str, dict[str, str]] = {
    **dict.fromkeys(("profit", "profits", "net profit"), _TRY_MARGIN),
    **dict.fromkeys(("revenue", "sales", "money", "how much money did we make", "earned",
                     "earnings", "how much did we make", "how much have we made", "turnover"),
                    _TRY_REVENUE),
    "roi": {"ads": "for ads, try 'ROAS'"},
    "new customers": {"saas": "for subscriptions, try 'new subscriptions' or 'new MRR'"},
    **dict.fromkeys(("average revenue per customer", "revenue per customer",
                     "avg revenue per customer", "spend per customer"), _TRY_ARPA),
    "units": {"ops": "for stock, try 'units on hand'"},
}
