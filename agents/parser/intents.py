"""Whole-question intents found before any metric: help, greetings, data changes, the
future, inventory alerts and the leaderboard's minimum number of bets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.parser.text import NUMBER, Sentence, to_int
from agents.parser.text import phrase_pattern as _rx
from agents.parser.types import Help, Refusal

_HELP = re.compile(
    r"^(?:(?:yo|hey|hi|hello|ok|so|and) )?(?:help|commands|command list|"
    r"what can (?:you|u|this bot|the bot|tally|this thing|it) do|what can i ask(?: you)?|what do you do"
    r"|how does this work|how do i use (?:this|you|it|the bot)(?: thing| bot| app)?|usage|menu"
    r"|options"
    r"|what can you answer|what do you know|what questions can i ask"
    r"|what (?:kinds?|sorts?|types?) of (?:questions|stuff|things)(?: can| should| do)? (?:i|we) "
    r"(?:ask|say)(?: you| u)?|what (?:data|info|information|numbers|metrics) do (?:you|u) have"
    r"|(?:(?:hi|hello|hey)(?: there)? )?(?:(?:first time|new) here )?what is this(?: thing| bot)?)"
    r"(?: (?:me|with|on|about|for))*(?: (?P<topic>[a-z0-9 ]+))?$"
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|heya|hiya|yo|sup|howdy|gm|good (?:morning|afternoon|evening)|"
    r"whats up|what s up|thanks|thank you|thx|ty|cheers|ok|okay|cool|nice|ping)"
    r"(?: (?:there|all|team|everyone|guys|folks|mate|bot|again))?$"
)
# "how are we doing?": the asker wants the state of the business, not a manual — the
# answer is the digest's snapshot (yesterday vs the same weekday, month to date).
_STATUS = re.compile(
    r"^(?:so |ok |hey |and )?(?:how (?:are|r|re|is|s|'s)(?: we| things| business| everything| it| "
    r"stuff| the business| the shop| the store| the company| my business| our business)"
    r"(?: (?:going|doing|looking|goin|doin))?(?: (?:today|lately|overall|so far|this week|"
    r"right now|at the moment|atm|this (?:week|month|quarter|year)|today|this morning|lately))?"
    r"|how(?:'s| s|s) (?:it|business|everything|things|biz)(?: (?:going|looking|doing))?"
    r"(?: (?:today|lately|overall|so far|this (?:week|month|quarter|year)))?"
    r"|(?:give me |gimme |can i get |quick |a quick )*(?:an? )?(?:quick )?(?:status(?: update| report)?|"
    r"overview|summary|snapshot|rundown|health check|pulse check)(?: (?:please|pls|plz))?"
    r"|what(?:'s| s|s) (?:new|the latest|happening|the status))$"
)
_TOPICS = {
    "shop": "shop store ecommerce e commerce sales orders products customers",
    "saas": "saas subscriptions subscription mrr arr churn",
    "marketing": "marketing ads ad advertising campaigns traffic web analytics",
    "ops": "ops operations inventory stock reorder reordering purchase orders",
    "betting": "betting bets bet picks leaderboard cappers bettors",
    "periods": "periods period dates date time",
}
_DATA_CHANGE = re.compile(
    r"^(?:(?:can|could|would|will) you |please |pls |plz |go |i want to |lets |let s )*"
    r"(?:delete|remove|erase|wipe|purge|truncate|drop|insert|overwrite|update|reset|edit"
    r"|modify|change|cancel|refund|void|add|create|set|rename|import|upload|settle|grade|mark)"
    r" (?:all|the|every|my|our|this|that|these|those|some|a|an|order|orders|customer"
    r"|customers|bet|bets|data|table|tables|everything|it|records?|rows?|campaigns?"
    r"|products?|subscriptions?|stock|inventory)\b"
    r"|\b(?:delete|drop table|truncate|wipe|erase|purge)\b"
)
# Placing an order is an action, not a question: "can you reorder the beard oil for me",
# "please order 50 more headlamps", "raise a PO for hammocks". Asking what to reorder
# ("what should I reorder", "reorder suggestions") is the reorder list, not this.
_ORDER_VERB = r"(?:re ?order|order|buy|purchase|restock|replenish)"
_PO = r"(?:place|raise|send|submit|create) (?:an? |the |new )?(?:purchase )?(?:orders?|pos?)"
_ORDER_ACTION = re.compile(
    r"^(?:(?:hey|hi|ok|okay|so|yo) )*(?:(?:can|could|would|will) (?:you|u) (?:please |pls |plz |just )?"
    rf"|please |pls |plz |go ahead and |i want you to |i need you to )+(?:{_ORDER_VERB}|{_PO})\b"
    rf"|^(?:please |pls |plz )?(?:{_ORDER_VERB} (?:the|some|more|an?|\d+|all (?:the )?)|{_PO})\b"
    r"|\b(?:re ?order|buy|purchase|restock|replenish)\b.* for (?:me|us)$"
)
_FUTURE = _rx(
    r"(?:next|coming|upcoming|following) (?:\d+ |few )?(?:days?|weeks?|months?|quarters?"
    r"|years?|wk|mo|qtr|yr)|tomorrow|tmrw|tmr|forecast(?:ed|s|ing)?|predict(?:ed|ion|ions|s)?"
    r"|project(?:ed|ion|ions)|will (?:we|it|our|the|revenue|sales|mrr|i|they|be)"
    r"|going to (?:be|make|sell|hit|reach|have|do|end)|expected|estimate[ds]?"
    r"|by (?:the )?end of (?:the |this )?(?:month|quarter|year|week)|in the future"
)
# "When will we run out of X?", "how long will our X stock last?": the product's days of
# stock, not a forecast. Words between may include a product already taken (GAP-filled).
_GAPS = r"[\s\x00]+"
_DAYS_LEFT = re.compile(
    rf"(?<![a-z0-9])(?:when{_GAPS}(?:will|would|do|does|are|is|might)(?P<mid>(?:{_GAPS}[a-z]+){{0,3}}?)"
    rf"{_GAPS}(?:be{_GAPS})?(?:run|runs|running|sell|sells|selling){_GAPS}out(?:{_GAPS}of)?"
    rf"|how{_GAPS}long{_GAPS}(?:will|would|does|do|is|can)(?P<mid2>(?:{_GAPS}[a-z]+){{0,3}}?){_GAPS}"
    rf"(?:last|lasts|run{_GAPS}out)(?:{_GAPS}(?:for|us))?"
    rf"|how{_GAPS}many{_GAPS}days?{_GAPS}(?:left{_GAPS})?(?:until|till?|before|to)"
    rf"(?P<mid3>(?:{_GAPS}[a-z]+){{0,3}}?){_GAPS}(?:(?:run|runs|sell|sells){_GAPS}out|stock{_GAPS}?out"
    rf"|(?:go|goes){_GAPS}out{_GAPS}of{_GAPS}stock)(?:{_GAPS}of)?)(?![a-z0-9])")
# The words inside a "how long will ... last" ask: left for the word pass (the product named).
_MIDDLE = ("mid", "mid2", "mid3")
# "What will run out first": every product by days of stock, the soonest first.
_OUT_FIRST = _rx(
    r"(?:will |going to |gonna |is going to )?(?:run|runs|running|sell|sells|selling|stock|stocks)"
    r" out(?: of stock)? (?:first|soonest|earliest|next)|(?:first|next) to (?:run|sell|stock) out"
)
_RUN_OUT = _rx(
    r"(?:will |going to |gonna |about to )?(?:run|runs|running|ran|sell|sells|selling) out"
    r"(?: of (?:stock|inventory))?|stocks? out|(?:go|goes|be) out of stock"
)
_HORIZON = _rx(
    rf"(?:in|within|over|during|before|by)?(?: the)?(?: next| coming)? (?P<n>{NUMBER})\s*"
    r"(?P<unit>days?|d|weeks?|wks?|w)|(?:in|within|over)(?: the)? (?:next|coming) "
    r"(?P<word>week|fortnight|month)|(?:in|within) (?P<a>a|an) (?P<aunit>week|month)"
)
_BELOW = _rx(
    rf"(?:with )?(?:less|fewer) than (?P<n>{NUMBER}) days?(?: of (?:stock|cover|inventory"
    rf"|supply))?(?: left)?|(?:under|below) (?P<n2>{NUMBER}) days?(?: of (?:stock|cover"
    r"|inventory|supply))?(?: left)?"
)
_REORDER = _rx(
    r"(?:stock\s*out|out of stock|low stock)(?: risk)? (?:list|report|alerts?|warnings?)|"
    r"(?:what|which)(?: products?| items?| skus?| stuff)?(?: should| do| must| needs?)?(?: i| we)?"
    r"(?: need to| to)?(?: be)? (?:re\s*order|restock|replenish)(?:ing|ed)?"
    r"|(?:what|which)(?: products?| items?| skus?| stuff)?(?: do| should| must)?(?: i| we)?"
    r" (?:need to|have to|should|must) order(?! count)"
    r"|re\s*order(?! point| level| threshold| pt)(?: suggestions?| recommendations?| ideas?"
    r"| candidates?| alerts?)?"
    r"|restock(?:ing)?|replenish(?:ment)?|running low|run low|low (?:on )?(?:stock|inventory)"
    r"|low stock|(?:about to|going to|will) run out|run(?:ning)? out soon|out of stock"
    r"|(?:which|what)(?: products?| items?| skus?)?(?: are| is)? at risk(?: of (?:a )?"
    r"stock\s*outs?)?"
    r"|at risk of (?:a )?(?:stock\s*outs?|stocking out|running out|selling out|going out of stock)"
    r"|(?:at or )?(?:below|under|beneath)(?: their| its| the)? re\s*order (?:points?|levels?|thresholds?)"
    r"|(?:products?|items?|skus?|stock|inventory) (?:that )?(?:are |is )?at risk"
    r"|order more|buy more"
)
_MIN_BETS = _rx(
    r"(?P<everyone>(?:for |with |including )?(?:all bettors|every bettor|everyone|everybody)"
    r"|(?:with )?no minimum|without (?:a |the )?minimum)"
    r"|(?:with )?(?P<kind>min(?:imum)?(?: of)?|at least|more than|over|>=)\s*(?P<n>\d{1,4})\+?"
    r" (?:settled )?(?:bets?|picks?|plays?|wagers?)|(?:with )?(?P<n2>\d{1,4})\+ (?:settled )?"
    r"(?:bets|picks|plays|wagers)|(?:min(?:imum)?|at least) (?:bets|picks) (?P<n3>\d{1,4})"
)
_DAYS = {"d": 1, "w": 7, "week": 7, "fortnight": 14, "month": 30}


def help_or_greeting(sentence: Sentence) -> Help | None:
    """Help for "help", "what can you do", "?", "help betting", or a bare greeting.

    Returns:
        Help with a topic (shop, saas, marketing, ops, betting, periods) or None; None
        when the message is not a help request (a question starting with "help me").
    """
    plain = sentence.plain()
    if not plain:  # "?", "hey tally", a lone emoji: the asker is calling the bot
        return Help(None) if sentence.raw.strip() else None
    if _GREETING.match(plain):
        return Help(None)
    if _STATUS.match(plain):
        return Help("status")
    match = _HELP.match(plain)
    if not match:
        return None
    topic = match.group("topic")
    if not topic:
        return Help(None)
    words = set(topic.split()) - _POLITE
    if not words:  # "help pls"
        return Help(None)
    for name, synonyms in _TOPICS.items():
        if words & set(synonyms.split()):
            return Help(name)
    return None  # "help me find revenue last week" is a question, not a help request


def refuse_changes(sentence: Sentence) -> None:
    """Refuses requests to change data ("delete all orders").

    Raises:
        Refusal: naming the change asked for.
    """
    if _ORDER_ACTION.search(sentence.plain()):
        raise Refusal("I only read your data; I can't place or change orders with suppliers. "
                      "To see what needs ordering, ask 'what should I reorder'")
    if match := _DATA_CHANGE.search(sentence.plain()):
        verb = next(w for w in match.group().split() if w not in _POLITE)
        if verb in ("settle", "grade", "mark"):
            raise Refusal("I only read your numbers; a bet is settled with the bet command, "
                          "e.g. 'bet settle 12 won' (or /bet settle on Discord)")
        raise Refusal(f"I only read your data; I can't {verb} anything. Make changes in the "
                      "source system (or re-import) and I will pick them up")


_POLITE = frozenset({"can", "could", "would", "will", "you", "please", "pls", "plz", "go",
                     "i", "want", "to", "lets", "let", "s"})


def refuse_future(sentence: Sentence) -> None:
    """Refuses questions about the future ("revenue next month", "forecast").

    Raises:
        Refusal: quoting the words about the future.
    """
    if found := sentence.take(_FUTURE):
        said = sentence.original(found[0].start(), found[0].end())
        raise Refusal(f"'{said}' is about the future; I only report what already happened "
                      "(no forecasts)")


@dataclass(frozen=True)
class StockAsk:
    """An inventory list: products running out within ``days``, or (None) to reorder;
    with ``cover``, every (named) product's days of stock ("when will we run out of X")."""

    days: int | None
    cover: bool = False


def find_stock_ask(sentence: Sentence) -> StockAsk | None:
    """Consumes "what runs out in 14 days", "less than 7 days of cover", "what to reorder",
    "when will we run out of X"."""
    if days_left := _DAYS_LEFT.search(sentence.text):
        _take_around(sentence, days_left)
        return StockAsk(None, cover=True)
    if below := sentence.take(_BELOW):
        return StockAsk(to_int(below[0].group("n") or below[0].group("n2")))
    if sentence.take(_OUT_FIRST):
        return StockAsk(None, cover=True)
    if sentence.take(_RUN_OUT):
        if horizon := sentence.take(_HORIZON):
            return StockAsk(_horizon_days(horizon[0]))
        return StockAsk(None)
    if sentence.take(_REORDER):
        return StockAsk(None)
    return None


def _take_around(sentence: Sentence, match: re.Match[str]) -> None:
    """Consumes ``match`` but its middle words ("how long will [our hoodie stock] last"),
    so the word pass still reads the product they name."""
    middle = next(((match.start(g), match.end(g)) for g in _MIDDLE if match.group(g)),
                  (match.end(), match.end()))
    sentence.blank(match.start(), middle[0])
    sentence.blank(middle[1], match.end())


def _horizon_days(match: re.Match[str]) -> int:
    if match.group("word"):
        return _DAYS[match.group("word")]
    if match.group("a"):
        return _DAYS[match.group("aunit")]
    return to_int(match.group("n")) * _DAYS[match.group("unit")[0]]


def find_min_bets(sentence: Sentence) -> int | None:
    """Consumes "min 3 bets", "at least 10 bets", "5+ bets"; "more than 10" means 11;
    "all bettors", "everyone" and "no minimum" mean one settled bet."""
    found = sentence.take(_MIN_BETS)
    if not found:
        return None
    match = found[0]
    if match.group("everyone"):
        return 1
    count = int(match.group("n") or match.group("n2") or match.group("n3"))
    kind = match.group("kind") or ""
    return count + 1 if kind.startswith(("more", "over")) else count
