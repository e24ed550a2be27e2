"""What the betting commands say: confirmations, bet lists, and the requests they read.

Stored facts (event, odds, stake, status) are shown as recorded; the profit of a settled
bet comes from the catalog (:func:`profit_engine`), never from arithmetic here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.betting import parsing
from agents.betting.book import Book
from agents.betting.model import Actor, Bet
from agents.betting.odds import format_odds, format_units
from agents.betting.stats import StatsRequest, bet_engine, period_of, units
from agents.reply import Reply, TableData
from storage.catalog import AsOf, Engine, Filter, Query

PICK_WIDTH = 40
EVERYONE_WORDS = ("everyone", "server", "guild", "all bettors", "everybody")


@dataclass(frozen=True)
class ListRequest:
    """``/bet list``: whose bets (None: everyone's), which status, which page."""

    user_id: str | None
    who: str
    status: str = "all"
    page: int = 1


def profit_engine(engine: Engine) -> Engine:
    """The workspace's catalog with a ``bet`` dimension, for one bet's profit."""
    return bet_engine(engine)


def bet_profits(engine: Engine, as_of: AsOf, bet_ids: list[str]) -> dict[str, Any]:
    """Profit in units of each settled bet (void and pending bets have none), from the catalog."""
    if not bet_ids:
        return {}
    result = engine.run(Query(("profit_units",), period_of(None, as_of), ("bet",),
                              (Filter("bet", tuple(bet_ids)),)), as_of)
    return {str(r["bet"]): r["profit_units"] for r in result.rows}


def _pick(bet: Bet) -> str:
    league = f" {bet.league}" if bet.league else ""
    return f"{bet.sport}{league} · {bet.event} · {bet.market}: {bet.selection}"


def confirmation(bet: Bet, title: str, bettor: str | None, engine: Engine | None = None,
                 as_of: AsOf | None = None) -> Reply:
    """A bet's card: the title with its id, the pick, odds, stake and result."""
    fields = [("Bet", f"#{bet.bet_id}", True), ("Bettor", bettor or bet.user_id, True),
              ("Status", bet.status, True), ("Pick", _pick(bet), False),
              ("Odds", format_odds(bet.odds_decimal), True),
              ("Stake", format_units(bet.stake_units), True)]
    if bet.closing_odds_decimal is not None:
        fields.append(("Closing odds", format_odds(bet.closing_odds_decimal), True))
    if bet.payout_units is not None:
        fields.append(("Payout", format_units(bet.payout_units), True))
    result = ""
    if bet.settled and engine is not None and as_of is not None:
        profit = bet_profits(engine, as_of, [bet.bet_id]).get(bet.bet_id)
        result = f" ({units(profit)})" if profit is not None else " (stake returned)"
        fields.append(("Profit", units(profit) if profit is not None else "0u (void)", True))
    text = (f"{title}{result}: {_pick(bet)} at {format_odds(bet.odds_decimal)}, "
            f"{format_units(bet.stake_units)}.")
    return Reply(text, data={"question": title, "bet": bet.as_json(),
                             "fields": [list(f) for f in fields]})


def bet_list(bets: list[Bet], total: int, request: ListRequest, page_size: int, book: Book,
             engine: Engine, as_of: AsOf) -> Reply:
    """A page of bets: pending first, then the latest settled, with each settled bet's profit."""
    pages = max(1, -(-total // page_size))
    status = "" if request.status == "all" else f"{request.status} "
    title = f"{request.who} {status}bets".strip()
    if not bets:
        return Reply(f"{title}: none{' on this page' if total else ' yet'}.",
                     data={"question": title}, suggestions=("bet add NBA Lakers@Celtics moneyline "
                                                            "Lakers +150 1u",))
    profits = bet_profits(engine, as_of, [b.bet_id for b in bets if b.settled])
    names: dict[str, str] = {}
    rows = []
    for bet in bets:
        name = names.setdefault(bet.user_id, book.display_name(bet.user_id) or bet.user_id)
        outcome = bet.status
        if bet.bet_id in profits:
            outcome = f"{bet.status} {units(profits[bet.bet_id])}"
        pick = _pick(bet)
        pick = pick if len(pick) <= PICK_WIDTH else pick[:PICK_WIDTH - 1] + "…"
        cells = (f"#{bet.bet_id}", *((name,) if request.user_id is None else ()), pick,
                 f"{bet.odds_decimal:.2f}", format_units(bet.stake_units), outcome)
        rows.append(cells)
    columns = ("Bet", *(("Bettor",) if request.user_id is None else ()), "Pick", "Odds", "Stake",
               "Result")
    text = f"{title}: {total} in all, page {request.page} of {pages}."
    more = (f"bet list {'everyone ' if request.user_id is None else ''}"
            f"{'' if request.status == 'all' else request.status + ' '}page {request.page + 1}")
    return Reply(text, TableData(columns, tuple(rows)), data={"question": title},
                 suggestions=(more,) if request.page < pages else ())


def list_request(options: dict[str, Any] | None, text: str, actor: Actor, book: Book) -> ListRequest:
    """Whose bets, which status and page, from Discord options or typed words."""
    own = book.display_name(actor.user_id) or actor.display_name
    if options is not None:
        user = options.get("user")
        status = str(options.get("status") or "all")
        page = max(int(options.get("page") or 1), 1)
        if options.get("everyone"):
            return ListRequest(None, "Everyone's", status, page)
        if isinstance(user, dict):
            name = book.display_name(str(user["id"])) or str(user.get("name") or user["id"])
            return ListRequest(str(user["id"]), f"{name}'s", status, page)
        return ListRequest(actor.user_id, f"{own}'s", status, page)
    words = parsing.tokens(text.lower())
    status, page, everyone, rest = "all", 1, False, []
    for index, word in enumerate(words):
        if word in ("pending", "settled", "all"):
            status = word
        elif word in EVERYONE_WORDS:
            everyone = True
        elif word == "page" or (index and words[index - 1] == "page" and word.isdigit()):
            page = int(word) if word.isdigit() else page
        else:
            rest.append(word)
    if everyone:
        return ListRequest(None, "Everyone's", status, max(page, 1))
    named = " ".join(rest)
    user_id = book.user_id_of(named) if named else None
    if user_id is not None:
        return ListRequest(user_id, f"{book.display_name(user_id)}'s", status, max(page, 1))
    return ListRequest(actor.user_id, f"{own}'s", status, max(page, 1))


def _match(words: list[str], candidates: list[str]) -> tuple[str | None, list[str]]:
    """The longest candidate spelled by consecutive words (case-insensitive), and the rest."""
    lowered = [w.lower().lstrip("@") for w in words]
    for candidate in sorted(candidates, key=len, reverse=True):
        parts = candidate.lower().split()
        for start in range(len(lowered) - len(parts) + 1):
            if lowered[start:start + len(parts)] == parts:
                return candidate, words[:start] + words[start + len(parts):]
    return None, words


def stats_request(options: dict[str, Any] | None, text: str, actor: Actor, book: Book,
                  engine: Engine) -> StatsRequest:
    """Whose stats (default: the asker), which period and sport."""
    own = book.display_name(actor.user_id) or actor.display_name
    if options is not None:
        user = options.get("user")
        bettor: str | None = own
        if isinstance(user, dict):
            bettor = book.display_name(str(user["id"])) or str(user.get("name") or user["id"])
        return StatsRequest(bettor, options.get("period") or None, options.get("sport") or None)
    positional, named = parsing.split_fields(parsing.tokens(text))
    sport, words = _match(positional, engine.dimension_values("sport"))
    lowered = [w.lower() for w in words]
    if any(w in EVERYONE_WORDS for w in lowered):
        bettor, words = None, [w for w in words if w.lower() not in EVERYONE_WORDS]
    else:
        found, words = _match(words, engine.dimension_values("bettor"))
        bettor = found or own
        words = [w for w in words if w.lower() not in ("me", "my", "mine")]
    period = " ".join(words) or None
    return StatsRequest(bettor, period, named.get("sport") or sport)


def leaderboard_request(options: dict[str, Any] | None, text: str, engine: Engine
                        ) -> tuple[str | None, str | None, int | None]:
    """(period phrase, sport, minimum settled bets) from Discord options or typed words."""
    if options is not None:
        minimum = options.get("min_bets")
        return (options.get("period") or None, options.get("sport") or None,
                int(minimum) if minimum not in (None, "") else None)
    words = parsing.tokens(text)
    min_bets = None
    kept = []
    for index, word in enumerate(words):
        lowered = word.lower()
        if lowered.startswith(("min=", "min:", "min_bets=", "min_bets:")):
            min_bets = _int(lowered.split("=" if "=" in lowered else ":", 1)[1])
        elif lowered in ("min", "minimum"):
            continue
        elif index and words[index - 1].lower() in ("min", "minimum"):
            min_bets = _int(word)
        else:
            kept.append(word)
    sport, rest = _match(kept, engine.dimension_values("sport"))
    return " ".join(rest) or None, sport, min_bets


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise parsing.BetInputError(f"{text!r} is not a number of bets") from None
