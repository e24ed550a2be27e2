"""Help: the kinds of questions Tally answers, with examples from the workspace's verticals.

Every example here is answered by ``tally ask`` on the demo workspaces (a test checks it).
"""

from __future__ import annotations

from agents.reply import Reply

EXAMPLES: dict[str, tuple[str, ...]] = {
    "shop": (
        "revenue last week by country",
        "orders yesterday vs the day before",
        "aov this month vs last month",
        "top 5 products by revenue last 30 days",
        "new customers last month",
        "refunds last month",
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
    ),
    "betting": (
        "leaderboard this month",
        "Sharpie's record last week",
        "profit by sport this year",
        "win rate by league",
        "how many pending bets",
    ),
}
TITLES = {"shop": "Sales & customers", "saas": "Subscriptions (SaaS)",
          "marketing": "Marketing & ads", "ops": "Inventory & operations", "betting": "Betting"}
ORDER = ("shop", "saas", "marketing", "ops", "betting")


def examples_for(verticals: frozenset[str]) -> list[str]:
    """A few examples from each vertical the workspace has data for (all when it has none)."""
    chosen = [v for v in ORDER if v in verticals] or list(ORDER)
    found: list[str] = []
    for depth in range(3):
        found.extend(EXAMPLES[v][depth] for v in chosen if depth < len(EXAMPLES[v]))
    return found


def help_reply(verticals: frozenset[str], topic: str | None, question: str = "") -> Reply:
    """The help message: kinds of questions, periods, breakdowns, with working examples."""
    chosen = [v for v in ORDER if v in verticals] or list(ORDER)
    if topic:
        wanted = [v for v in ORDER if topic.lower() in (v, TITLES[v].lower().split()[0])]
        chosen = wanted or chosen
    lines = ["Ask me about your numbers in plain words. For example:"]
    for vertical in chosen:
        lines.append(f"• {TITLES[vertical]}: " + " · ".join(f'"{q}"' for q in EXAMPLES[vertical]))
    lines.append("Periods: today, yesterday, last week, this month, MTD, last quarter, YTD, "
                 "last 7 days, March 2025, Q1 2025, from 2025-03-01 to 2025-03-15.")
    lines.append("Add \"by country\", \"per channel\", \"top 5\", \"vs last month\" or \"YoY\" "
                 "to break down, rank or compare. `tally metrics` lists every metric.")
    text = "\n".join(lines)
    examples = [q for v in chosen for q in EXAMPLES[v]]
    return Reply(text=text, suggestions=tuple(examples[:3]),
                 data={"question": question, "text": text, "agent": "analytics",
                       "help": True, "examples": examples})
