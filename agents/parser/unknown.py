"""Words the parser did not understand, explained to the asker.

A refusal is only useful if it says what went wrong: "Narnia is not a country
in your data" rather than "I didn't understand".
"""

from __future__ import annotations

from agents.parser.lexer import Lexed
from agents.parser.vocab_index import VocabIndex
from agents.parser.words import BY_WORDS

_PLACE_WORDS = frozenset({"in", "from", "at", "inside", "within"})
_NAME_WORDS = frozenset({"for", "on", "about", "of", "to", "via", "excluding", "except",
                         "without", "not"})
# Which dimension a place ("in X") most likely names, by the data of the question.
_PLACE_DIMENSIONS = ("country", "location", "league")


def explain_unknown(lexed: Lexed, index: VocabIndex) -> str:
    """What was not understood, in words that help the asker rephrase."""
    first = lexed.unknown[0]
    said = " ".join(u.said for u in lexed.unknown[:3])
    if first.folded in index.absent_countries:
        return f"{first.said} is not a country in your data"
    if first.before in BY_WORDS:
        return (f"I can't break down by '{first.said}'; try by day, week or month, or by "
                "a dimension such as country, product, channel, campaign, plan or sport")
    dims = {dim for m in lexed.metrics for e in m.candidates for dim in e.dimensions}
    if first.before in _PLACE_WORDS:
        place = next((d for d in _PLACE_DIMENSIONS if d in dims or not dims), None)
        if place:
            return f"{first.said} is not a {place} in your data"
    if first.before in _NAME_WORDS or (lexed.metrics and first.said[:1].isupper()):
        return f"I couldn't find '{first.said}' in your data (not a metric or a name I know)"
    if not lexed.metrics:
        return (f"I don't know what '{said}' means; I answer questions about metrics such as "
                "revenue, orders, MRR, ROAS, days of stock or ROI")
    return f"I don't understand '{said}' in this question"
