"""Operations idioms, said around a name, rewritten to the metric they ask for.

"How long does Rio Leather take to deliver" is the supplier's lead time; "at what level
should I reorder trail runners" the product's reorder point; "what % of our beard oil did
we sell" its sell-through. The name sits inside the idiom, so no lexicon phrase can hold
it: the message is rewritten first (with the slang, :mod:`agents.parser.slang`), keeping
the name where it was ("lead time for Rio Leather"). Data, one line per idiom.
"""

from __future__ import annotations

_VERB = r"(?:take|takes|taking)"
_ARRIVE = r"(?:deliver|arrive|ship|restock|replenish|come in|get here|get (?:more|new) stock)"
_EVERY_DAY = r"(?:a|per|each|every) day"

IDIOMS: tuple[tuple[str, str], ...] = (
    # lead time: "how long does rio leather take to deliver", "how many days does it take
    # to restock the hammock"
    (rf"\bhow (?:long|many days) (?:does|do|will|would|did) (?!it\b)(.{{1,40}}?) {_VERB} to {_ARRIVE}\b",
     r"lead time for \1"),
    (rf"\bhow (?:long|many days) (?:does|do|will|would|did) (?:it|they) {_VERB} (?:to|for) {_ARRIVE}\b",
     "lead time for"),
    # reorder point: "at what level should i reorder trail runners"
    (r"\b(?:at )?what (?:level|point|stock level|quantity|qty|number) (?:should|do|must|would)"
     r" (?:i|we) (?:re ?order|restock|replenish)(?: at)?\b", "reorder point for"),
    # sell-through: "what % of our beard oil did we sell last month"
    (r"\bwhat (?:%|percent|percentage|share|fraction|proportion|part) of (?:our |the |my )?"
     r"(.{1,40}?) (?:did|have|has) (?:we |i )?(?:sell|sold)\b", r"sell through for \1"),
    # daily demand: "how many units a day do we move of the tee", "how many beard oils do
    # we sell a day on avg"
    (rf"\b(?:how many (?:units|items) )?{_EVERY_DAY} (?:do|did|does) (?:we|they|it)"
     r" (?:move|sell|shift)(?: of)?\b",
     "average daily units of"),
    (rf"\b(?:do|did|does) (?:we|they|it) (?:move|sell|shift) {_EVERY_DAY}(?: on (?:avg|average))?",
     "average daily units"),
    # "how fast is the hammock selling", "how quickly are hoodies moving": daily demand
    (r"\bhow (?:fast|quickly|quick) (?:is|are|do|does) (?:the |our |my )?"
     r"(?!(?:the|our|my|we|i|you|they|it|total|revenue|sales|orders|mrr|arr|profit|traffic|sessions|"
     r"signups|customers|subscriptions|spend|bets|stock|inventory|units|things|stuff)\b)"
     r"(.{1,40}?) (?:selling|sell|moving|move"
     r"|flying off(?: the shelves?)?)\b", r"average daily units for \1"),
)
