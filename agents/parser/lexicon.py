"""The metric lexicon: every catalog metric and the words people use for it.

One :class:`MetricEntry` per catalog metric. A phrase may belong to several
metrics ("customers" is a shop count and a SaaS count; "conversions" are the ad
platforms' or the web analytics'); the order of :data:`METRICS` is the
preference when nothing in the question or the workspace decides (shop first).

Phrases are written folded, the way :mod:`agents.parser.text` leaves the
question: lower case, no punctuation, "click-through" as "click through".
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.parser.not_metrics import HINTS, NOT_METRICS

__all__ = ["BY_NAME", "HINTS", "METRICS", "NOT_METRICS", "NO_DATA", "SOURCE_VERTICAL", "MetricEntry",
           "phrase_table"]

TIME = frozenset({"day", "week", "month"})
SHOP_ORDER = frozenset({"country", "sales_channel", "source", "customer"}) | TIME
SHOP_ITEM = SHOP_ORDER | {"product", "category"}
SHOP_CUSTOMER = frozenset({"country", "sales_channel", "source"}) | TIME
SAAS = frozenset({"plan", "segment", "country", "customer"}) | TIME
ADS = frozenset({"channel", "campaign"}) | TIME
WEB = frozenset({"source", "medium", "campaign"}) | TIME
OPS = frozenset({"product", "category", "location", "supplier"})
BETS = frozenset({"bettor", "sport", "league", "market"}) | TIME

# Sources are finer than verticals: marketing holds both ad-platform and web-analytics data.
SOURCE_VERTICAL = {"shop": "shop", "saas": "saas", "ads": "marketing", "web": "marketing",
                   "ops": "ops", "betting": "betting"}
NO_DATA = {
    "shop": "there is no order data in this workspace (no store connected or orders imported)",
    "saas": "there is no subscription data in this workspace (no Stripe or subscriptions "
            "imported)",
    "ads": "there is no ad platform data in this workspace",
    "web": "there is no web analytics data in this workspace",
    "ops": "there is no inventory data in this workspace",
    "betting": "there are no bets recorded in this workspace",
}


@dataclass(frozen=True)
class MetricEntry:
    """One catalog metric as people say it.

    Attributes:
        name: the catalog metric name.
        source: shop, saas, ads, web, ops or betting (the data it needs).
        phrases: folded phrases that name it.
        dimensions: what it can be broken down or filtered by.
        lower_is_better: "best" means the lowest value (CPA, churn).
        needs: other sources it also reads (MER and CAC need orders too).
    """

    name: str
    source: str
    phrases: tuple[str, ...]
    dimensions: frozenset[str]
    lower_is_better: bool = False
    needs: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


def _m(name: str, source: str, dims: frozenset[str], phrases: str, *, lower: bool = False,
       needs: frozenset[str] = frozenset()) -> MetricEntry:
    """An entry from a ``|``-separated phrase list (keeps the table below readable)."""
    words = tuple(p.strip() for p in phrases.split("|") if p.strip())
    return MetricEntry(name, source, words, dims, lower, needs)


METRICS: tuple[MetricEntry, ...] = (
    # --- shop -------------------------------------------------------------------------
    _m("revenue", "shop", SHOP_ORDER,
       "revenue|revenues|sales|gross sales|gross revenue|total sales|total revenue|turnover|"
       "total order value|total order values|total value of orders|order totals|"
       "top line|topline|gmv|takings|store revenue|shop revenue|order revenue|"
       "how much did we make|how much have we made|how much we made|how much did we sell|"
       "how much have we sold|how much did we earn|how much money did we make|"
       "how much money have we made|how much money|money made|money did we make|made the most money|"
       "most money|money|earned|earnings|earned the most|how much did we earn|gross|"
       "how much have we earned|sell to|sold to|did we sell to|make|made|pull in|pulled in|"
       "bring in|brought in|bring|brought|earn|by spend|spend by customer|how much|"
       "biggest spenders|top spenders"),
    _m("refunds", "shop", SHOP_ORDER,
       "refunds|refund|refund amount|refunded amount|amount refunded|money refunded|"
       "how much did we refund|how much was refunded", lower=True),
    _m("net_revenue", "shop", SHOP_ORDER,
       "net revenue|net sales|revenue after refunds|sales after refunds|"
       "revenue net of refunds|net"),
    _m("refund_rate", "shop", SHOP_ORDER,
       "refund rate|refunds rate|refund ratio|refund %|refunds as a % of revenue|"
       "refunds as % of revenue|refunds as a share of revenue|share of revenue refunded|"
       "% of revenue refunded|percent of revenue refunded|refunds vs revenue|"
       "refunds over revenue|refunds to revenue|refund to revenue ratio", lower=True),
    _m("cancelled_orders", "shop", SHOP_ORDER,
       "cancelled orders|canceled orders|cancelled order|canceled order|orders cancelled|"
       "orders canceled|order cancellations|cancelled order count|canceled order count|"
       "number of cancelled orders|number of canceled orders|how many cancelled orders|"
       "how many canceled orders|how many orders were cancelled|how many orders were canceled|"
       "how many orders got cancelled|how many orders got canceled|cancelled|canceled|"
       "got cancelled|got canceled|were cancelled|were canceled|cancellations|cancellation",
       lower=True),
    _m("orders", "shop", SHOP_ORDER,
       "orders|number of orders|order count|how many orders|transactions|order volume|"
       "how many sales|number of sales|sales count|count of sales|how many transactions"),
    _m("aov", "shop", SHOP_ORDER,
       "aov|average order value|average order|order value|average basket|basket size|"
       "average basket size|average basket value|average ticket|average cart|"
       "average cart value|average order size|revenue per order|sales per order|"
       "average revenue per order|spend per order|per order|make per order|made per order|"
       "did we make per order"),
    _m("revenue_per_customer", "shop", SHOP_CUSTOMER,
       "revenue per customer|average revenue per customer|avg revenue per customer|"
       "spend per customer|average spend per customer|average customer spend|"
       "sales per customer|average sales per customer|revenue per buyer|spend per buyer|"
       "average revenue per buyer|average spend per buyer|customer spend|"
       "how much does each customer spend|how much does a customer spend|"
       "how much do customers spend|how much does the average customer spend"),
    _m("units_sold", "shop", SHOP_ITEM,
       "units sold|units|items sold|quantity sold|pieces sold|how many units|"
       "how many units did we sell|how many did we sell|how many have we sold|"
       "how many items|how many items did we sell|how many sold|did we sell|have we sold|"
       "we sold|were sold|did we sold|do we sell|sold|did we move|have we moved|we moved|"
       "selling|is selling"),
    _m("product_revenue", "shop", SHOP_ITEM,
       "product revenue|product sales|revenue per product|sales per product|item revenue"),
    _m("customers", "shop", SHOP_CUSTOMER,
       "customers|buyers|shoppers|unique customers|how many customers|purchasers|"
       "customer count|number of customers|people bought|how many people bought|"
       "people who bought|people ordered|how many people ordered"),
    _m("new_customers", "shop", SHOP_CUSTOMER,
       "new customers|new buyers|new shoppers|first time customers|first time buyers|"
       "first time shoppers|new customer count"),
    _m("returning_customers", "shop", SHOP_CUSTOMER,
       "returning customers|repeat customers|repeat buyers|returning buyers|"
       "existing customers|returning shoppers|came back|come back|bought again|buy again|"
       "ordered again|came back and bought again|people came back|ppl came back|"
       "customers who came back|customers that came back|customers who returned|"
       "customers that returned"),
    _m("repeat_rate", "shop", SHOP_CUSTOMER,
       "repeat rate|repeat purchase rate|repeat customer rate|returning customer rate|"
       "returning rate|repurchase rate|% repeat customers|% of repeat customers|"
       "% returning customers|% of returning customers|share of repeat customers|"
       "share of returning customers"),
    _m("gross_margin", "shop", SHOP_ITEM,
       "gross margin|margin|margins|gm|profit margin|product margin|gross margin %|gm %|"
       "margin %"),
    # --- saas -------------------------------------------------------------------------
    _m("mrr", "saas", SAAS,
       "mrr|monthly recurring revenue|recurring revenue|subscription revenue"),
    _m("arr", "saas", SAAS,
       "arr|annual recurring revenue|annualized revenue|annualised revenue|run rate|"
       "annual run rate"),
    _m("new_mrr", "saas", SAAS,
       "new mrr|new business mrr|new recurring revenue|mrr from new customers|new business"),
    _m("expansion_mrr", "saas", SAAS,
       "expansion mrr|expansion|expansion revenue|upsell mrr|upsells|upgrades|upgrade mrr"),
    _m("contraction_mrr", "saas", SAAS,
       "contraction mrr|contraction|downgrades|downgrade mrr|downsells|downsell mrr",
       lower=True),
    _m("churned_mrr", "saas", SAAS,
       "churned mrr|mrr churned|lost mrr|mrr lost|churned revenue|money lost to churn|"
       "revenue lost to churn|mrr lost to churn|lost to churn|mrr churn|"
       "how much did we lose to churn|how much mrr did we lose", lower=True),
    _m("reactivation_mrr", "saas", SAAS,
       "reactivation mrr|reactivation|reactivations|reactivated mrr|win back mrr|winbacks|"
       "mrr came back|mrr that came back|mrr won back|mrr from returning customers|"
       "win backs"),
    _m("net_new_mrr", "saas", SAAS,
       "net new mrr|net mrr|net mrr change|net new recurring revenue|net mrr growth|add|added|"
       "did we add|have we added|book|booked|did we book|have we booked"),
    _m("active_customers", "saas", SAAS,
       "active customers|paying customers|active accounts|paid accounts|subscribers|"
       "active subscribers|paying subscribers|logos|customers|how many customers|"
       "customer count|number of customers|active subs|active subscriptions|"
       "accounts are paying|how many accounts are paying|accounts paying|paying accounts|"
       "paying subs|paying subscriptions"),
    _m("new_subscriptions", "saas", SAAS,
       "new subscriptions|new subs|new subscribers|subscriptions started|new signups|signups|"
       "sign ups|new sign ups|subscriptions|how many signups|new paying subs|"
       "new paying subscriptions|new paying subscribers"),
    _m("churned_customers", "saas", SAAS,
       "churned customers|customers churned|customers lost|lost customers|churned accounts|"
       "cancellations|cancelled customers|canceled customers|churned logos|churned|"
       "how many customers churned|how many churned|customers did we lose|"
       "how many customers did we lose|cancelled|canceled|people cancelled|people canceled|"
       "ppl cancelled|ppl canceled|subscribers cancelled|accounts cancelled|users cancelled|"
       "how many people cancelled|how many ppl cancelled|who left|that left", lower=True),
    _m("logo_churn_rate", "saas", SAAS,
       "logo churn|logo churn rate|churn rate|customer churn|customer churn rate|churn|"
       "account churn|logo churn %|% of customers churned|what % of customers churned|"
       "% of customers lost|% of customers did we lose|share of customers churned|"
       "share of customers lost", lower=True),
    _m("revenue_churn_rate", "saas", SAAS,
       "revenue churn|revenue churn rate|gross mrr churn|gross mrr churn rate|mrr churn rate|"
       "gross churn|gross revenue churn|dollar churn|% of mrr did we lose|"
       "what % of mrr did we lose|% of mrr lost|% of mrr churned|share of mrr lost", lower=True),
    _m("nrr", "saas", SAAS,
       "nrr|net revenue retention|net retention|ndr|net dollar retention|revenue retention"),
    _m("arpa", "saas", SAAS,
       "arpa|arpu|average revenue per account|average revenue per user|revenue per account|"
       "revenue per subscriber|average revenue per subscriber|"
       "mrr per account|mrr per subscriber|average mrr per account|average mrr per subscriber|"
       "what does the average account pay|average account pay|average account pays|"
       "what does the average account pay us per month|average account pay us per month|"
       "average account pay per month|average account pays per month|"
       "average mrr|average mrr per customer|mrr per customer"),
    # --- marketing: ad platforms -----------------------------------------------------------
    _m("ad_spend", "ads", ADS,
       "ad spend|ads spend|spend|spent|ad cost|ad costs|ads cost|advertising spend|"
       "advertising|marketing spend|media spend|paid spend|how much did we spend|"
       "how much did we spend on ads|how much have we spent|how much have we spent on ads|"
       "spend on ads|spent on ads|ad spent|spending|how much are we spending|"
       "how much have we been spending|spending on ads|by spend|cost|cost us|costs|costing|"
       "did it cost|did it cost us|expensive|blow on ads|blew on ads|"
       "burn on ads|burned on ads|how much did we blow|how much have we blown|"
       "how much did we blew|how much did we burn|how much have we burned|how much did we burn through",
       lower=True),
    _m("impressions", "ads", ADS,
       "impressions|impression|impr|imps|ad impressions|ads shown|were our ads shown|"
       "times were our ads shown|how many times were our ads shown|times shown"),
    _m("clicks", "ads", ADS,
       "clicks|link clicks|ad clicks|how many clicks|clicked|people clicked|"
       "how many people clicked"),
    _m("conversions", "ads", ADS,
       "conversions|ad conversions|convs|conv|platform conversions|how many conversions"),
    _m("conversion_value", "ads", ADS,
       "conversion value|conversions value|conv value|ad revenue|attributed revenue|"
       "purchase value|did the ads make us|the ads make us|ads made us|according to the platforms|"
       "according to the ad platforms|platform reported revenue"),
    _m("ctr", "ads", ADS,
       "ctr|click through rate|clickthrough rate|click rate|click through"),
    _m("cpc", "ads", ADS,
       "cpc|cost per click|average cpc|avg cpc|each click cost|each click cost us|"
       "did each click cost|did each click cost us|per click cost|per click|each click|"
       "for each click|every click|to get each click|to get a click", lower=True),
    _m("cpm", "ads", ADS,
       "cpm|cost per mille|cost per thousand|cost per thousand impressions|"
       "cost per 1000 impressions|per 1000 impressions|paying per 1000 impressions|"
       "pay per 1000 impressions|per thousand impressions", lower=True),
    _m("cpa", "ads", ADS,
       "cpa|cost per acquisition|cost per conversion|cost per action|cost per purchase|"
       "cost per result|per conversion|each conversion|for each conversion|every conversion|"
       "to get each conversion|to get a conversion|to get one conversion", lower=True),
    _m("roas", "ads", ADS,
       "roas|return on ad spend|ad roas|platform roas|for every dollar we put into|"
       "for every dollar we spend on|for every dollar spent on|for every dollar we put in|"
       "how much did we get back|did we get back|get back per dollar|return per dollar"),
    _m("blended_roas", "ads", TIME,
       "blended roas|mer|marketing efficiency ratio|marketing efficiency|"
       "blended return on ad spend|revenue divided by ad spend|store revenue divided by ad spend|"
       "revenue over ad spend|revenue divided by spend|revenue per ad dollar",
       needs=frozenset({"shop"})),
    _m("cac", "ads", TIME,
       "cac|customer acquisition cost|cost to acquire a customer|acquisition cost|"
       "cost per new customer|cost per customer|blended cac|cost to acquire a new customer|"
       "cost to acquire|it cost to acquire a new customer|did it cost to acquire a new customer",
       lower=True,
       needs=frozenset({"shop"})),
    # --- marketing: web analytics -----------------------------------------------------------
    _m("sessions", "web", WEB,
       "sessions|visits|traffic|site visits|website visits|web sessions|site traffic|"
       "website traffic|web traffic"),
    _m("users", "web", WEB,
       "users|visitors|unique visitors|site users|web users|uniques|website visitors|"
       "people visited|how many people visited|people who visited|people visiting"),
    _m("web_conversions", "web", WEB,
       "web conversions|site conversions|website conversions|goal completions|"
       "ga conversions|ga4 conversions|conversions|conv|convs|how many conversions"),
    _m("web_revenue", "web", WEB,
       "web revenue|site revenue|website revenue|ga revenue|ga4 revenue|analytics revenue"),
    _m("conversion_rate", "web", WEB,
       "conversion rate|conv rate|cvr|site conversion rate|website conversion rate|"
       "conversion %|share of sessions that converted|sessions that converted|"
       "% of sessions that converted|converting|converts|convert"),
    # --- commerce operations --------------------------------------------------------------
    _m("on_hand", "ops", OPS,
       "on hand|stock on hand|units on hand|stock|stock level|stock levels|inventory|"
       "inventory level|inventory levels|how much stock|how many in stock|in stock|"
       "how many do we have|current stock|qty on hand|soh|do we have|we have|have left|"
       "do we have left|left in stock|we got|have we got|do we got|left|are left|is left|"
       "units|how many units|quantity|pieces|pcs|on the shelves|on the shelf|sitting|"
       "do we hold|we hold"),
    _m("avg_daily_units", "ops", OPS,
       "avg daily units|average daily units|daily demand|average daily demand|"
       "average daily sales|sales velocity|velocity|daily run rate|average units per day|"
       "sell rate|inventory burn rate|stock burn rate|daily sales velocity|units a day|"
       "units per day|sell a day|sell per day|sold a day|sold per day|do we sell a day|"
       "we sell a day|sell each day|a day on average|per day on average|move a day|"
       "sales per day|daily velocity|do we sell a day on average|we sell a day on average|"
       "sell a day on average|sold a day on average|sell per day on average"),
    _m("days_of_stock", "ops", OPS,
       "days of stock|days of cover|days of inventory|days of supply|days on hand|"
       "stock cover|inventory cover|cover|coverage|how long will stock last|days left|"
       "how many days of stock|days of stock left|days of cover left|days of inventory left|"
       "days of supply left|doc|doh|dos|dsi"),
    _m("lead_time_days", "ops", OPS,
       "lead time|lead times|lead time days|supplier lead time|delivery time|lead time in days|"
       "take to deliver|takes to deliver|take to arrive|takes to arrive|to deliver|"
       "delivery times|how long to deliver", lower=True),
    _m("safety_stock", "ops", OPS, "safety stock|buffer stock|safety stock level"),
    _m("reorder_point", "ops", OPS,
       "reorder point|reorder points|rop|reorder level|reorder threshold"),
    _m("stockout_risk", "ops", OPS,
       "stockout risk|stock out risk|risk of stockout|risk of stock out|stockout|stockouts|"
       "out of stock risk", lower=True),
    _m("open_po_units", "ops", OPS,
       "open po units|open pos|open po|open purchase orders|purchase orders|"
       "units on order|on order|incoming stock|incoming units|inbound|inbound units|po units|"
       "on purchase orders|on purchase order|on po|on pos|on open pos|on open purchase orders|"
       "waiting on|still waiting on|waiting for|still waiting for|waiting on from suppliers|"
       "still waiting on from suppliers|waiting for from suppliers|on order from suppliers|"
       "coming in|have we got coming in|we have coming in|got coming in|arriving|"
       "units incoming|stock incoming|po quantity|po quantities|quantity on order|"
       "on order quantity|units due in|stock due in|due in from|how many units incoming|"
       "units are incoming|what is incoming|stock is incoming"),
    _m("sell_through", "ops", OPS,
       "sell through|sell through rate|sellthrough|sell thru|str|sell through %|% sell through|"
       "sell through percent|sell through percentage|% sold|percent sold|percentage sold|"
       "share sold|share of stock sold|% of stock sold|percent of stock sold"),
    # --- betting ------------------------------------------------------------------------
    _m("profit_units", "betting", BETS,
       "profit units|profit|profits|p&l|pnl|p l|units up|units won|units profit|net units|"
       "profit and loss|winnings|net profit|how much did i win|how much have i won|"
       "how many units up|units|how many units|money|how much money did we make|"
       "how much money have we made|how much money|made the most money|most money|"
       "how much did we make|how much have we made|how much did we earn|how much have we earned|"
       "earned|earnings|earned the most|won|win|how much did we win|how much have we won|"
       "are we up|am i up|we up|i up|how much are we up|how much am i up|are we up or down|"
       "am i up or down|up or down|how many units are we up|how many units am i up|"
       "how are we doing money wise|net result|am i down|are we down|how much am i down|"
       "how much are we down|how much did we lose|how much have i lost|how much have we lost|"
       "how much did i lose|make|made|earn|pull in|pulled in|bring in|brought in|how much|"
       "lose|losing|losses"),
    _m("staked_units", "betting", BETS,
       "staked units|staked|units staked|stake|stakes|total staked|amount staked|"
       "how much did i stake|volume|turnover|units risked|risked|handle|how much did i bet|"
       "how much have i bet|how much did we bet|how much have we bet|how much did i wager|"
       "how much have i wagered|how much did we wager|how much have we wagered|wagered|"
       "amount wagered|amount bet|how much bet|how much wagered|put in|units put in|"
       "have i put in|total risk|risk|bet the most units|bets the most units|"
       "wagered the most|staked the most|bet the most|risked the most", lower=True),
    _m("roi", "betting", BETS, "roi|return on investment|yield|return"),
    _m("win_rate", "betting", BETS,
       "win rate|hit rate|win %|win percentage|winning percentage|strike rate|win pct|hit %|"
       "win ratio|success rate|winrate|hitrate|how often do i win|how often did i win|"
       "how often do we win|how often we win|how often i win|% of my bets hit|% of bets hit|"
       "% of my bets won|% of bets won|% of my bets win|how often do my bets hit"),
    _m("record", "betting", BETS,
       "record|w l|w l p|win loss|win loss record|wins and losses|wins losses|"
       "win loss push|overall record|wins|how many wins|number of wins|wins and losses|"
       "bets won|won bets|winning bets|how many bets won|how many bets did we win|"
       "how many bets have we won|how many did we win|how many have we won"),
    _m("bets", "betting", BETS,
       "bets|number of bets|bet count|picks|plays|how many bets|wagers|settled bets|active"),
    _m("avg_odds", "betting", BETS,
       "avg odds|average odds|average price|mean odds|odds"),
    _m("clv", "betting", BETS,
       "clv|closing line value|beat the close|beating the close|closing line|"
       "beating the closing line|beat the closing line|beating the line|beat the line|"
       "average clv|avg clv|mean clv"),
    _m("streak", "betting", BETS,
       "streak|current streak|hot streak|cold streak|win streak|losing streak|heater|"
       "on a heater|cold|hot|ice cold|on fire|current run|on a run"),
    _m("pending_bets", "betting", BETS,
       "pending bets|pending|open bets|unsettled bets|pending picks|open picks|still live|"
       "bets pending|outstanding bets|open|still open|unsettled|outstanding|still pending|"
       "bets still open|bets still pending|bets open|bets are open|bets are still open|"
       "bets are pending|bets are still pending|bets not settled|bets not yet settled|"
       "not settled|not yet settled|yet to settle|open picks|open plays|open wagers|"
       "pending wagers|pending plays"),  # "live bets" are in-play bets, a market we lack
)

BY_NAME = {entry.name: entry for entry in METRICS}

# "on order" is stock on purchase orders; "on orders" is said of orders ("how did last
# week compare on orders"): phrases starting with these words take no plural.
_NO_PLURAL = frozenset({"on", "in", "at", "to", "did", "do", "we", "have", "are", "is"})


# Where a phrase's first sense is not the lexicon's order (shop first): "spend" is ad spend,
# unless the question only fits a customer's spend ("top 10 customers by spend").
_FIRST = {"by spend": "ad_spend"}


def phrase_table() -> dict[tuple[str, ...], list[MetricEntry]]:
    """Folded phrase (as a word tuple) -> the metrics it may name, preferred first.

    Every single-word phrase also matches with a trailing "s" added or removed
    ("order" / "orders"), so the table need not list both.
    """
    table: dict[tuple[str, ...], list[MetricEntry]] = {}
    for entry in METRICS:
        for phrase in entry.phrases:
            words = tuple(phrase.split())
            for key in (words, *_plural_variants(words)):
                bucket = table.setdefault(key, [])
                if entry not in bucket:
                    bucket.append(entry)
    for phrase, name in _FIRST.items():
        table[tuple(phrase.split())].sort(key=lambda entry: entry.name != name)
    return table


def _plural_variants(words: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    last = words[-1]
    if len(last) < 4 or not last.isalpha() or words[0] in _NO_PLURAL:
        return ()
    other = last[:-1] if last.endswith("s") else last + "s"
    return ((*words[:-1], other),)
