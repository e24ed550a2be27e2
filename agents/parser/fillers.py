"""Everyday words around a question that do not change its meaning, and words that do.

"How much revenue did we pull in so far", "what have we generated at the moment",
"quick q: orders yesterday": the verbs and fillers carry no number. They are data here,
looked up only for words no stage understood, so a lexicon phrase, a period or a
ranking ("which product brought in the most") always wins over a filler.

:data:`QUALIFIERS` are the opposite: words that, unknown to the parser, would change
the number if read past ("median order value", "gross revenue", "repeat customers"),
so an unknown qualifier is never ignored; the asker gets choices instead.
"""

from __future__ import annotations

from functools import cache

# Single words: everyday verbs and chat words, read as filler.
EVERYDAY_WORDS = frozenset({
    "pulled", "pulling", "pull", "generated", "generate", "generating", "brought", "bring",
    "drive", "drove", "driven",
    "bringing", "raked", "rake", "raking", "earned", "earn", "earning", "produced", "produce",
    "racked", "rack", "clocked", "booked", "managed", "manage", "achieved", "achieve",
    "reached", "reach", "reaching", "sitting", "standing", "stood", "looking", "look",
    "seeing", "seen", "still", "yet", "moment", "presently", "far", "wondering", "wonder",
    "curious", "question", "wanted", "wants", "telling", "share", "showing", "shown",
    "display", "fetch", "grab", "provide", "send", "asap", "hiya", "heya", "howdy",
    "cheers", "pretty", "roughly", "approx", "approximately", "around", "exactly",
    "precisely", "whole", "entire", "basically", "honestly", "literally", "alright", "umm",
    "ummm", "lol", "haha", "boss", "buddy", "pal", "dude", "friend", "yall", "oh", "ah",
    "eh", "well", "anyhow", "gotta", "needed", "idea", "figured", "gotten", "getting",
    "went", "gone", "happened", "happen", "came", "come", "comes", "coming", "say", "saying", "ya",
    "yah", "yep", "cool", "great", "awesome", "nice", "lately", "nutshell", "bar", "pie",
    "move", "moved", "everything", "too", "aswell",
})
# Multi-word fillers, consumed together so a word inside ("in" of "pulled in") does not
# start a filter. Looked up as word tuples after every stage and the lexicon had their go,
# and never when a later word of the phrase starts a metric or dimension phrase.
FILLER_PHRASES: frozenset[tuple[str, ...]] = frozenset(tuple(p.split()) for p in (
    "pulled in", "pull in", "pulling in", "brought in", "bring in", "bringing in",
    "raked in", "rake in", "raking in", "racked up", "rack up", "clocked up", "took in",
    "take in", "taken in",
    "still have", "still got", "got back", "get back", "went through", "go through",
    "gone through", "at the moment", "at this moment", "right now", "for now", "as of now",
    "so far", "quick q", "quick question", "a quick one", "quick one", "real quick",
    "can you tell me", "could you tell me", "can you show me", "tell me", "let me know",
    "i wanna know", "i want to know", "i would like to know", "id like to know",
    "i need to know", "i was wondering", "wondering if", "do you know", "any idea",
    "thank you", "thanks in advance", "looking like", "look like", "looks like",
    "throw in", "as well", "under our belt", "under the belt",
    "in a nutshell", "give or take", "more or less", "ball park", "ballpark figure",
    "in a table", "as a table", "in a list", "as a list", "can you put", "could you put",
    "put together", "pull up", "bring up",
    # idioms whose words are also names ("a hand" is not Hand Cream, "a wash" not Body Wash)
    "give me a hand", "lend me a hand", "lend a hand", "a wash", "running total",
    "the score", "heads up", "how are we running", "how r we running", "are we short on",
    "set me up with", "set me up w", "hook me up with", "hook me up w", "any traction with",
    "any traction w", "any traction",
))
# Words that change the number when read past: never ignored, always asked about.
QUALIFIERS = frozenset({
    "median", "mean", "mode", "cumulative", "running", "rolling", "moving", "net", "gross",
    "new", "returning", "repeat", "recurring", "unique", "distinct", "active", "inactive",
    "churned", "cancelled", "canceled", "refunded", "returned", "pending", "open", "opened",
    "closed", "failed", "paid", "unpaid", "free", "trial", "organic", "daily", "weekly",
    "monthly", "yearly", "annual", "annually", "hourly", "quarterly", "percent", "percentage",
    "share", "ratio", "rate", "margin", "profit", "cost", "costs", "average", "max", "min",
    "maximum", "minimum", "forecast", "projected", "expected", "predicted", "estimate",
    "budget", "target", "goal", "first", "last", "next", "previous", "prior", "growth",
    "change", "increase", "decrease", "drop", "difference", "delta", "weekend", "weekday",
    "weekdays", "weekends", "morning", "evening", "night", "holiday", "holidays", "season",
    "peak", "lost", "won", "placed", "place", "placing", "settled", "void", "voided", "pushed", "live",
    "usually", "typically", "normally", "generally",
    "international", "domestic", "local", "abroad", "mobile", "desktop", "web", "app",
    "wholesale", "retail", "b2b", "b2c", "female", "male", "men", "women", "kids", "vip",
    "big", "small", "large", "top", "bottom", "best", "worst", "per", "each", "only",
    "excluding", "including", "except", "without", "not", "no", "never", "before", "after",
    "since", "until", "between", "during", "over", "under", "above", "below", "more",
    "less", "fewer", "least", "most", "same", "other", "all", "every", "any", "combined",
    "separately", "split", "breakdown", "total", "totals", "sum",
    # events that are metrics of their own: "sessions converted" is not sessions
    "converted", "converting", "converts", "convert", "clicked", "signed", "subscribed",
    "upgraded", "downgraded", "expanded", "contracted", "renewed", "reactivated", "shipped",
    "delivered", "fulfilled", "visited", "viewed", "staked", "wagered", "spent", "sold",
    "ordered", "purchased", "installed", "downloaded", "registered", "joined", "left",
    "abandoned", "lose", "losing", "win", "winning", "owe", "owed", "due", "overdue", "put",
    "risk", "risked", "keep", "keeping", "kept", "retain", "retained", "often", "frequently", "long",
    "fast", "slow",
})

_LONGEST = max(len(p) for p in FILLER_PHRASES)


def filler_length(words: tuple[str, ...]) -> int:
    """How many of ``words`` (from the first) a filler phrase covers; 0 for none.

    A phrase is not taken when one of its later words starts a metric or dimension
    phrase that runs past it ("still have" + "in stock" keeps "have in stock").
    """
    for length in range(min(_LONGEST, len(words)), 1, -1):
        if words[:length] in FILLER_PHRASES and not _runs_past(words, length):
            return length
    return 0


def _runs_past(words: tuple[str, ...], length: int) -> bool:
    phrases = _phrases()
    return any(words[k:end] in phrases for k in range(1, length)
               for end in range(length + 1, min(len(words), k + 8) + 1))


@cache
def _phrases() -> frozenset[tuple[str, ...]]:
    """Metric and dimension phrases as word tuples."""
    from agents.parser.dimensions import DIM_WORDS  # leaf tables; imported late, once
    from agents.parser.lexicon import phrase_table

    return frozenset(phrase_table()) | frozenset(tuple(w.split()) for w in DIM_WORDS)
