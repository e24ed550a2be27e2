"""Rankings: "top 5 products", "bottom 3 campaigns by ROAS", "which campaign had the
highest CPA", "worst channel", "best sellers", "leaderboard".

Decisions: "top/bottom/highest/lowest/most/least" are literal (sort by the value);
"best/worst" are judgements, so for a metric where lower is better (CPA, churn)
"best" sorts ascending. A number sets the limit; a singular noun ("which
campaign", "best bettor", "who") means one row; a plural without a number keeps
every row, ordered, except customers ("top customers": the top 10 of what may be
hundreds of thousands).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.parser.dimensions import DIM_WORDS, DimWord
from agents.parser.text import NUMBER, Sentence, to_int
from agents.parser.text import phrase_pattern as _rx
from agents.parser.types import Refusal

TOP_CUSTOMERS = 10


@dataclass(frozen=True)
class Ranking:
    """A ranking as said.

    Attributes:
        dimension: what is ranked; None when not said next to the superlative
            ("what was the best day" says it later, as a breakdown).
        descending: largest first, before any "best/worst" inversion.
        judgement: said as best/worst, so a lower-is-better metric flips the order.
        limit: rows to keep; None keeps all.
        metric_hint: the metric the wording implies ("sold the most" -> units_sold).
        leaderboard: "leaderboard", "standings", "who ..." (bettors ranked).
        words: the asker's words, for the notes.
    """

    dimension: DimWord | None
    descending: bool
    judgement: bool
    limit: int | None
    metric_hint: str | None
    leaderboard: bool
    words: str
    board: bool = False  # "leaderboard", "standings" said: the leaderboard whatever it sorts by
    losing: bool = False  # "who lost the most": by profit, the lowest first


_DIMS = "|".join(sorted((w.replace(" ", r"\s+") for w in DIM_WORDS), key=len, reverse=True))
_UP = "top|best|highest|biggest|largest|leading|strongest|most|longest|fastest|quickest|busiest"
_DOWN = "bottom|worst|lowest|smallest|weakest|least|fewest|shortest|slowest|cheapest|quietest"
# Before a noun, "most/least" quantify it ("the most customers"), so they do not rank.
_TOP_UP = "top|best|highest|biggest|largest|leading|strongest|longest|fastest|quickest|busiest"
_TOP_DOWN = "bottom|worst|lowest|smallest|weakest|shortest|slowest|cheapest|quietest"
# Speed is a judgement: the fastest supplier has the shortest lead time, the fastest mover
# the highest daily demand (the metric's lower_is_better decides).
_JUDGEMENTS = ("best", "worst", "strongest", "weakest", "fastest", "quickest", "slowest")
# "we have the least of", "do we hold the most of": ranked by stock on hand.
_HAVE = r"(?:that |which )?(?:we|i) (?:have|hold|stock|carry|got)"
_HOW = (r"selling|sellers?|sold|sells|performing|earning|earned|grossing|made|makes|revenue|"
        r"converting|converted|spending|spent|profitable|won|up|down|brought in|generated|"
        r"lost|losing|lose")
_HINTS = {"sell": "units_sold", "sold": "units_sold", "earn": "revenue", "gros": "revenue",
          "made": "revenue", "make": "revenue", "reve": "revenue", "brou": "revenue",
          "gene": "revenue", "conv": "conversions", "spen": "ad_spend", "prof": "profit_units",
          "won": "profit_units", "up": "profit_units", "down": "profit_units",
          "lost": "profit_units", "losi": "profit_units", "lose": "profit_units"}
# "who's down the most", "who lost the most": ranked by profit, the lowest first (the build
# decides: "which plan lost the most MRR to churn" ranks churned MRR, highest first).
_LOSING = frozenset({"down", "lost", "losing", "lose"})
_VERBS = (r"had|has|have|got|gets|with|is|are|was|were|did|does|in|of|for|at|on|by|"
          + _HOW)

_PATTERNS = [
    ("mover", _rx(rf"(?:(?:top|bottom) (?P<n>{NUMBER}) )?(?P<dir>fast|quick|slow)(?:est)?"
                  rf"(?: (?P<n2>{NUMBER}))? (?:movers|sellers|moving (?:products|items))"
                  r"(?: per day| a day| daily)?")),
    ("seller", _rx(rf"(?P<dir>best|top|worst)[ -]?sell(?:ers?|ing)(?: (?P<dim>{_DIMS}))?"
                   r"|(?P<dir2>bestsellers?|slow(?:est)? (?:movers|sellers|moving)"
                   r"(?: products| items)?)")),
    ("board", _rx(rf"(?:(?P<dir>top|bottom) (?P<n>{NUMBER}) (?:on |of |in )?(?:the )?)?"
                  r"(?:leaderboard|leader board|standings|rankings|league table|lb"
                  r"|(?:topped|tops|top of|on top of|leading|leads|led) the (?:board|table)"
                  # "where do I rank", "rank everyone by profit" (the minimum-of-bets stage
                  # has taken "everyone": a rank followed by "by" ranks the bettors)
                  r"|where (?:do|does|did) [a-z]+ (?:rank|stand)|my (?:rank|ranking|position)"
                  r"|who(?:'s| is| s) (?:winning|on top|ahead|in front|leading the way)"
                  r"|(?:rank|ranked)(?=[\s\x00]*\x00[\s\x00]*by ))")),
    ("top", _rx(rf"(?P<dir>{_TOP_UP}|{_TOP_DOWN})(?: (?P<n>{NUMBER}))?(?: (?P<how>{_HOW}))?"
                rf" (?P<dim>{_DIMS})")),
    ("top", _rx(rf"(?P<dir>most|least) (?:popular|liked|in demand) (?P<dim>{_DIMS})")),
    ("front", _rx(rf"(?:the )?front ?runners? (?:among|of|in|for) (?:the |our |all |all our )?"
                  rf"(?P<dim>{_DIMS})")),
    ("which", _rx(rf"(?P<wh>which|what|who)(?:'s)?(?: (?P<n>{NUMBER}))?(?: (?P<dim>{_DIMS}))?"
                  rf"(?P<mid>(?: (?:{_VERBS}))*)"
                  rf"(?: the)? (?P<dir>{_UP}|{_DOWN})(?: (?P<how>{_HOW}))?")),
    ("with", _rx(rf"(?:(?P<n>{NUMBER}) )?(?P<dim>{_DIMS}) (?:with|that had|that has|having"
                 rf"|(?P<have>{_HAVE})) (?:the )?(?P<dir>{_UP}|{_DOWN})(?: of)?")),
    ("rank", _rx(rf"(?:rank|ranked|ranking|sort|sorted|order|ordered)(?: (?:the|all|our|my))?"
                 rf" (?P<dim>{_DIMS})|(?P<dim2>{_DIMS}) (?:ranked|sorted|ordered)(?= by )")),
]


def find_ranking(sentence: Sentence) -> Ranking | None:
    """Consumes the ranking phrase of the question, if any."""
    for kind, pattern in _PATTERNS:
        found = sentence.take(pattern)
        if found:
            words = sentence.original(found[0].start(), found[0].end())
            return _ranking(kind, found[0], words)
    return None


def _ranking(kind: str, match: re.Match[str], words: str) -> Ranking:
    groups = match.groupdict()
    named = groups.get("dim") or groups.get("dim2")  # "bettors ranked by units"
    dim = DIM_WORDS[" ".join(named.split())] if named else None
    if kind == "board":  # "top 3 on the leaderboard": its first three rows
        limit = to_int(groups["n"]) if groups.get("n") else None
        return Ranking(DIM_WORDS["bettors"], groups.get("dir") != "bottom", True, limit, None,
                       True, words, board=not words.lower().startswith("rank"))
    if kind == "mover":  # "top 5 fastest movers", "slowest 10 sellers per day": daily demand
        number = groups.get("n") or groups.get("n2")
        return Ranking(DIM_WORDS["products"], groups.get("dir") != "slow", False,
                       to_int(number) if number else None, "avg_daily_units", False, words)
    if kind == "front":  # "the front runner among products": the one leading
        return Ranking(dim, True, True, 1, None, False, words)
    if kind == "seller":
        said = (groups.get("dir") or groups.get("dir2") or "").split()[0]
        down = said.startswith(("worst", "slow"))
        dim = dim or DIM_WORDS["product" if words.lower().endswith("seller") else "products"]
        return Ranking(dim, not down, False, None if dim.plural else 1, _seller_hint(said, dim),
                       False, words)
    said = groups.get("dir") or "top"
    descending = said in _UP.split("|")
    judgement = said in _JUDGEMENTS
    if kind == "rank":
        return Ranking(dim, True, False, None, None, False, words)
    number = groups.get("n")
    limit = to_int(number) if number else (None if dim is not None and dim.plural else 1)
    if limit == 0:  # "top 0 products" was every product: a limit of 0 reads as none
        raise Refusal(f"'{words}' asks for no rows; say how many, e.g. 'top 5 products'")
    if limit is None and dim is not None and "customer" in dim.options:
        limit = TOP_CUSTOMERS
    who = groups.get("wh") == "who"
    if who:
        dim = DIM_WORDS["bettor"]
    losing = bool(_LOSING & {groups.get("how") or "", *(groups.get("mid") or "").split()})
    return Ranking(dim, descending, judgement, limit, _hint(groups) or _speed(said, dim), who,
                   words, losing=losing)


def _speed(said: str, dim: DimWord | None) -> str | None:
    """ "Which supplier is slowest": by lead time; "fastest product": by daily demand."""
    if said not in ("fastest", "quickest", "slowest") or dim is None:
        return None
    if "supplier" in dim.options:
        return "lead_time_days"
    return "avg_daily_units" if {"product", "category"} & set(dim.options) else None


def _seller_hint(said: str, dim: DimWord) -> str:
    """ "Best/worst selling product" ranks by sales (product revenue; a country or channel
    by revenue); "slow movers" by units."""
    if said.startswith("slow"):
        return "units_sold"
    return "product_revenue" if set(dim.options) <= {"product", "category"} else "revenue"


def _hint(groups: dict[str, str | None]) -> str | None:
    """The metric implied by a verb: "sold the most" -> units_sold."""
    if groups.get("have"):  # "products we have the least of": stock on hand
        return "on_hand"
    for said in ((groups.get("how") or ""), *(groups.get("mid") or "").split()):
        if said == "converting":  # "best converting medium": the rate, not the count
            return "conversion_rate"
        key = said if len(said) <= 4 else said[:4]
        if key in _HINTS:
            return _HINTS[key]
    return None
