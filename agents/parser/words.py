"""Small word lists the lexer needs: filler, breakdown and exclusion markers, spellings.

Filler is what a question may contain without changing its meaning. A word that
is neither filler nor understood makes the parser refuse ("revenue by weekday"
must not silently become revenue), so this list is generous with chat phrasing
and strict with anything that could carry meaning.
"""

from __future__ import annotations

from agents.parser.fillers import EVERYDAY_WORDS

FILLER = EVERYDAY_WORDS | frozenset({
    "a", "about", "actually", "again", "all", "also", "am", "amount", "an", "and", "any",
    "anyone", "anything", "anyway", "app", "are", "as", "ask", "asking", "at", "be", "been",
    "being", "bot", "bought", "break", "bro", "btw", "can", "check", "could", "count", "current",
    "currently", "data", "dear", "detail", "details", "did", "do", "does", "doing", "done",
    "everybody", "everyone", "far", "figure", "figures", "find", "folks", "for", "from", "get",
    "gimme", "give", "go", "going", "got", "guys", "had", "has", "have", "hello", "help", "here",
    "hey", "hi", "hm", "hmm", "how", "hows", "i", "im", "in", "info", "information", "into", "is",
    "it", "its", "just", "kindly", "know", "kpi", "kpis", "latest", "lemme", "let", "lets",
    "like", "list", "look", "looking", "looks", "made", "make", "many", "mate", "me", "metric",
    "metrics", "much", "my", "need", "now", "number", "numbers", "of", "ok", "okay", "on", "only",
    "our", "ours",
    "out", "overall", "overview", "perform", "performance", "performing", "please", "pls", "plz",
    "pull", "quick", "quickly", "real", "really", "recent", "recently", "report", "right", "see",
    "sell", "should", "show", "sir", "site", "so", "some", "something", "stat", "stats", "status",
    "stuff", "tally", "team", "tell", "than", "thank", "thanks", "that", "the", "their", "them",
    "then", "there", "theres", "these", "they", "thing", "things", "this", "those", "through",
    "thru", "thx", "time", "to", "total", "totals", "ty", "u", "uh", "um", "update", "us",
    "value", "values", "via", "wanna", "want", "was", "we", "website", "were", "what", "whats",
    "where", "which", "who", "whom", "whose", "why", "will", "with", "would", "yeah", "yes", "yo",
    "you", "your", "youre", "yours",
    "everyones", "everybodys",  # "everyones profit": the guild's, like "everyone"
    "ads",  # "our google ads", "clicked our ads": advertising, not a campaign named "... Ads"
})

# Words that turn the next dimension word into a breakdown ("by country", "per channel").
BY_WORDS = frozenset({"by", "per", "each", "every", "across", "split", "broken", "breakdown",
                      "grouped", "group", "segmented", "among"})
# Words that turn the next entity values into an exclusion ("excluding Brazil").
EXCLUDE_WORDS = frozenset({"excluding", "except", "exclude", "excl", "without", "ex", "outside",
                           "minus", "besides", "not", "but"})
# Words after which a short or common-looking value is read as a filter ("sessions from cpc").
FILTER_WORDS = frozenset({"in", "from", "for", "on", "via", "at", "only", "just", "of",
                          "excluding", "except", "exclude", "excl", "without", "ex", "not",
                          "and", "or", "vs", "versus", "to", "the", "minus", "besides", "through"})
# Words that make "my" mean the asker as a bettor ("my ROI", "how am I doing").
MINE_WORDS = frozenset({"my", "mine", "i", "im", "ive", "id", "myself"})
TREND_WORDS = frozenset({"trend", "trends", "timeline", "timeseries", "series", "chart",
                         "graph", "plot", "evolution"})
# "stats", "card", "summary": with a bettor and no metric, show the bettor's card.
CARD_WORDS = frozenset({"stats", "statistics", "card", "summary", "numbers", "doing", "form",
                        "performance", "results"})
# Spellings and abbreviations people type for lexicon words.
SPELLINGS = {
    "rev": "revenue", "revs": "revenue", "avg": "average", "av": "average", "cust": "customers",
    "custs": "customers", "subs": "subscriptions", "convs": "conversions", "imps": "impressions",
    "thru": "through", "pct": "%", "percent": "%", "percentage": "%", "nr": "number",
    "num": "number", "qty": "quantity", "wk": "week", "wks": "weeks",
    "mo": "month", "mos": "months", "mth": "month", "mths": "months", "yr": "year",
    "yrs": "years", "versus": "vs", "whats": "what", "hw": "how", "wat": "what", "hows": "how",
    "signup": "signups",
    "ur": "your", "plz": "please", "r": "are",
}
# Everyday words that are also stored values somewhere (a bettor "Max", a market "total"):
# they only count as values in context, like two-letter codes.
COMMON_VALUES = frozenset({
    "max", "min", "pro", "ace", "top", "best", "low", "high", "new", "old", "big", "other",
    "direct", "email", "organic", "spread", "prop", "future", "main", "free", "basic", "plus",
    "premium", "standard", "starter", "lucky", "none", "paid", "social", "referral", "home",
})
# Two-letter words that are also ISO codes or common tokens ("us", "in", "de", "ca"):
# read as values only in context. Other short values ("uk", "br", "mx") need none.
SHORT_WORDS = frozenset({
    "us", "in", "it", "de", "ca", "co", "me", "no", "at", "be", "is", "to", "or", "as", "am",
    "do", "go", "so", "on", "id", "hi", "ok", "my", "an", "by", "of", "if", "up", "we", "he",
    "la", "el", "es", "se", "al", "pe", "ex", "re", "mo", "pm", "tv", "ai", "ad", "ga", "gm",
})
# Connectors between entity values in one filter ("Brazil and Mexico").
JOINERS = frozenset({"and", "or", "vs", "versus", "plus", "&", "nor"})
