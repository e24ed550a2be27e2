"""Help: the kinds of questions Tally answers, with examples that work on the workspace.

Every example here is answered by ``tally ask`` on the demo workspaces (a test checks it),
and bench/ask.py times them at 10M orders: an example must answer within the latency targets
(a distinct count of a month's customers does not: revenue per customer is not one).
Given the workspace's vocabulary, help and refusals only show the examples that parse
there: a bettor's name becomes one of the workspace's bettors, and an example needing
data the workspace lacks (sessions in an ads-only workspace, CAC without a store) is left
out, so a suggestion never leads to another refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from agents.parser import ParseContext, Parsed, Vocabulary, parse
from agents.reply import Reply
from storage.catalog.periods import AsOf

EXAMPLES: dict[str, tuple[str, ...]] = {
    "shop": (
        "revenue last week by country",
        "orders yesterday vs the day before",
        "aov this month vs last month",
        "top 5 products by revenue last 30 days",
        "new customers last month",
        "refunds last month",
        "how many orders were cancelled last week",
        "gross margin by category this year",
    ),
    "saas": (
        "what's our MRR",
        "churned MRR last month",
        "net revenue retention last quarter",
        "MRR by plan",
        "new subscriptions this month",
    ),
    "marketing": (
        "ROAS by channel last month",
        "ad spend this month vs last month",
        "which campaign had the highest CPA last 30 days",
        "sessions by source last week",
        "CAC last month",
    ),
    "ops": (
        "what runs out of stock in 14 days",
        "days of cover by product",
        "open PO units",
        "what should I reorder",
        # last: the terminal's batch is one conversation, and a breakdown by location
        # carried to the next question would be refused (only on hand splits by location)
        "stock by location",
    ),
    "betting": (
        "leaderboard this month",
        "Sharpie's record last week",
        "profit by sport this year",
        "win rate by league",
        "how many bets are still open",
    ),
}
TITLES = {"shop": "Sales & customers", "saas": "Subscriptions (SaaS)",
          "marketing": "Marketing & ads", "ops": "Inventory & operations", "betting": "Betting"}
ORDER = ("shop", "saas", "marketing", "ops", "betting")
_EXAMPLE_BETTOR = "Sharpie"  # the demo guild's bettor the examples name


def examples_for(workspace: frozenset[str] | Vocabulary) -> list[str]:
    """A few examples from each vertical the workspace has data for (all when it has none).

    Args:
        workspace: its verticals, or its vocabulary: then only examples that parse on it.
    """
    if isinstance(workspace, Vocabulary):
        by_vertical, verticals = _working(workspace), workspace.verticals
    else:
        by_vertical, verticals = EXAMPLES, workspace
    chosen = [v for v in ORDER if v in verticals] or list(ORDER)
    found: list[str] = []
    for depth in range(3):
        found.extend(by_vertical[v][depth] for v in chosen if depth < len(by_vertical[v]))
    return found


def help_reply(verticals: frozenset[str], topic: str | None, question: str = "",
               vocabulary: Vocabulary | None = None) -> Reply:
    """The help message: kinds of questions, periods, breakdowns, with working examples
    (those that parse on ``vocabulary``, when given)."""
    by_vertical = _working(vocabulary) if vocabulary is not None else EXAMPLES
    chosen = [v for v in ORDER if v in verticals] or list(ORDER)
    if topic:
        wanted = [v for v in ORDER if topic.lower() in (v, TITLES[v].lower().split()[0])]
        chosen = wanted or chosen
    lines = ["Ask me about your numbers in plain words. For example:"]
    for vertical in chosen:
        if by_vertical[vertical]:
            lines.append(f"• {TITLES[vertical]}: "
                         + " · ".join(f'"{q}"' for q in by_vertical[vertical]))
    lines.append("Periods: today, yesterday, last week, this month, MTD, last quarter, YTD, "
                 "last 7 days, March 2025, Q1 2025, from 2025-03-01 to 2025-03-15.")
    lines.append("Add \"by country\", \"per channel\", \"top 5\", \"vs last month\" or \"YoY\" "
                 "to break down, rank or compare. `tally metrics` lists every metric.")
    text = "\n".join(lines)
    examples = [q for v in chosen for q in by_vertical[v]]
    return Reply(text=text, suggestions=tuple(examples[:3]),
                 data={"question": question, "text": text, "agent": "analytics",
                       "help": True, "examples": examples})


@dataclass(frozen=True)
class _Checked:
    vocabulary: Vocabulary
    examples: dict[str, tuple[str, ...]]


_CHECKED: dict[int, _Checked] = {}


def _working(vocabulary: Vocabulary) -> dict[str, tuple[str, ...]]:
    """The examples of each vertical that parse on ``vocabulary`` (checked once per
    vocabulary object: a workspace keeps one until its data changes)."""
    cached = _CHECKED.get(id(vocabulary))
    if cached is not None and cached.vocabulary is vocabulary:
        return cached.examples
    ctx = ParseContext(AsOf.for_day(datetime.now(UTC).date(), ZoneInfo("UTC")), vocabulary)
    bettors = list(vocabulary.values.get("bettor", ()))
    named = _EXAMPLE_BETTOR if _EXAMPLE_BETTOR in bettors else (bettors[0] if bettors else None)
    found: dict[str, tuple[str, ...]] = {}
    for vertical, questions in EXAMPLES.items():
        spelled = [q.replace(_EXAMPLE_BETTOR, named) if named else q for q in questions]
        found[vertical] = tuple(q for q in spelled if isinstance(parse(q, ctx), Parsed))
    if len(_CHECKED) > 64:  # a bot serves a handful of workspaces; keep memory flat anyway
        _CHECKED.clear()
    _CHECKED[id(vocabulary)] = _Checked(vocabulary, found)
    return found
