"""Betting commands typed as text (every platform): ``bet add NBA Lakers@Celtics moneyline
Lakers +150 2u``, ``bet settle 12 won``, ``bet edit 12 odds=+140``, ``stats last month``.

Fields may also be given as ``key=value`` or ``key:value`` (quotes for spaces:
``event="Lakers @ Celtics"``). Discord's slash commands send the same fields as options,
which :func:`parse_field` checks the same way.
"""

from __future__ import annotations

import re
import shlex
from decimal import Decimal
from typing import Any

from agents.betting.model import MARKETS, OUTCOMES, STATUSES
from agents.betting.odds import BetInputError, parse_odds, parse_stake, parse_units

#: A league typed where the sport goes names both ("NBA" → basketball, league NBA).
LEAGUE_SPORTS = {
    "nba": "basketball", "wnba": "basketball", "ncaab": "basketball", "euroleague": "basketball",
    "nfl": "football", "ncaaf": "football", "cfl": "football",
    "mlb": "baseball", "kbo": "baseball", "npb": "baseball",
    "nhl": "hockey", "khl": "hockey",
    "epl": "soccer", "mls": "soccer", "ucl": "soccer", "laliga": "soccer", "seriea": "soccer",
    "bundesliga": "soccer", "ligue1": "soccer",
    "ufc": "mma", "atp": "tennis", "wta": "tennis", "pga": "golf",
}
MARKET_ALIASES = {"ml": "moneyline", "money": "moneyline", "ats": "spread", "line": "spread",
                  "totals": "total", "ou": "total", "o/u": "total", "props": "prop",
                  "parlays": "parlay", "futures": "future"}
OUTCOME_ALIASES = {"win": "won", "w": "won", "loss": "lost", "lose": "lost", "l": "lost",
                   "p": "push", "cancelled": "void", "canceled": "void", "cash": "cashout",
                   "cashed": "cashout", "cash-out": "cashout"}
FIELD_ALIASES = {"odds": "odds_decimal", "stake": "stake_units", "units": "stake_units",
                 "closing": "closing_odds_decimal", "closing_odds": "closing_odds_decimal",
                 "close": "closing_odds_decimal", "result": "status", "status": "status",
                 "payout": "payout_units", "sport": "sport", "league": "league", "event": "event",
                 "game": "event", "market": "market", "selection": "selection", "pick": "selection"}
_KEY_VALUE = re.compile(r"([a-z_]+)[=:](.*)", re.IGNORECASE | re.DOTALL)


def tokens(text: str) -> list[str]:
    """Words, keeping quoted phrases together (unbalanced quotes fall back to spaces)."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def split_fields(words: list[str]) -> tuple[list[str], dict[str, str]]:
    """Positional words and ``key=value`` fields (keys resolved to bet columns)."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for word in words:
        match = _KEY_VALUE.fullmatch(word)
        if match and match[1].lower() in FIELD_ALIASES and match[2]:
            named[FIELD_ALIASES[match[1].lower()]] = match[2]
        else:
            positional.append(word)
    return positional, named


def parse_field(name: str, raw: Any) -> Any:
    """One bet field from what a person typed (or a Discord option value)."""
    column = FIELD_ALIASES.get(name, name)
    text = str(raw).strip()
    if column in ("odds_decimal", "closing_odds_decimal"):
        return parse_odds(text)
    if column == "stake_units":
        return parse_stake(text)
    if column == "payout_units":
        return parse_units(text)
    if column == "market":
        return market(text)
    if column == "status":
        return outcome(text, allow_pending=True)
    if column == "league":
        return text or None
    return text


def league_as_sport(slip: dict[str, Any]) -> None:
    """A league typed as the sport (``sport=NBA``) names both, unless a league is given."""
    sport = str(slip.get("sport") or "").strip().lower()
    if sport in LEAGUE_SPORTS and not slip.get("league"):
        slip["league"], slip["sport"] = sport.upper(), LEAGUE_SPORTS[sport]


def market(text: str) -> str:
    """A market name from ``moneyline``, ``ml``, ``spread``, ``o/u``..."""
    word = text.strip().lower()
    word = MARKET_ALIASES.get(word, word)
    if word not in MARKETS:
        raise BetInputError(f"{text!r} is not a market; use one of {', '.join(MARKETS)}")
    return word


def outcome(text: str, allow_pending: bool = False) -> str:
    """A result from ``won``, ``win``, ``lost``, ``push``, ``void``, ``cashout``..."""
    word = text.strip().lower()
    word = OUTCOME_ALIASES.get(word, word)
    allowed = STATUSES if allow_pending else OUTCOMES
    if word not in allowed:
        raise BetInputError(f"{text!r} is not a result; use one of {', '.join(allowed)}")
    return word


def _is_market(word: str) -> bool:
    return MARKET_ALIASES.get(word.lower(), word.lower()) in MARKETS


def parse_add(text: str) -> dict[str, Any]:
    """The slip of ``SPORT EVENT MARKET SELECTION ODDS STAKE`` (plus ``league=``, ``closing=``).

    Example: ``NBA Lakers@Celtics moneyline Lakers +150 2u``.
    """
    positional, named = split_fields(tokens(text))
    slip: dict[str, Any] = {}
    if positional:
        _positional_slip(positional, named, slip)
    for column, raw in named.items():
        slip[column] = parse_field(column, raw)
    if "sport" in named:
        league_as_sport(slip)
    missing = [f for f in ("sport", "event", "market", "selection", "odds_decimal", "stake_units")
               if not slip.get(f)]
    if missing or {"status", "payout_units"} & set(slip):
        raise BetInputError(
            "to record a bet say: bet add SPORT EVENT MARKET SELECTION ODDS STAKE, e.g. "
            "`bet add NBA Lakers@Celtics moneyline Lakers +150 2u`"
            + (f" (missing: {', '.join(m.replace('_decimal', '').replace('_units', '') for m in missing)})"
               if missing else ""))
    return slip


def _positional_slip(words: list[str], named: dict[str, str], slip: dict[str, Any]) -> None:
    first = words[0]
    if first.lower() in LEAGUE_SPORTS:
        slip["sport"], slip["league"] = LEAGUE_SPORTS[first.lower()], first.upper()
    else:
        slip["sport"] = first
    rest = words[1:]
    tail = 2 - ("odds_decimal" in named) - ("stake_units" in named)
    # The last words are odds and stake only if the last looks like a number: otherwise they
    # are missing, and "bet add NBA A@B moneyline A" should say so, not "'moneyline' is not odds".
    if tail and len(rest) >= tail and any(ch.isdigit() for ch in rest[-1]):
        ends = rest[len(rest) - tail:]
        rest = rest[:len(rest) - tail]
        keys = [k for k in ("odds_decimal", "stake_units") if k not in named]
        for key, word in zip(keys, ends, strict=True):
            slip[key] = parse_field(key, word)
    at = next((i for i, w in enumerate(rest) if i > 0 and _is_market(w)), None)
    if at is None:
        at = next((i for i, w in enumerate(rest) if _is_market(w)), None)
    if at is None:
        if rest:
            slip["event"] = " ".join(rest)
        return
    slip["event"] = " ".join(rest[:at])
    slip["market"] = market(rest[at])
    slip["selection"] = " ".join(rest[at + 1:])


def bet_id(word: str) -> str:
    """A bet id as typed: ``12`` or ``#12``."""
    cleaned = word.strip().lstrip("#")
    if not cleaned:
        raise BetInputError("which bet? give its id, e.g. 12 (/bet list shows them)")
    return cleaned


def parse_settle(text: str) -> tuple[str, str, Decimal | None, Decimal | None]:
    """``ID RESULT [PAYOUT] [closing=ODDS]`` → (bet id, result, payout, closing odds)."""
    positional, named = split_fields(tokens(text))
    if len(positional) < 2:
        raise BetInputError("to settle say: bet settle ID won|lost|push|void|cashout PAYOUT, "
                            "e.g. `bet settle 12 won` or `bet settle 12 cashout 1.8u`")
    result = outcome(positional[1])
    payout_text = named.get("payout_units") or (positional[2] if len(positional) > 2 else None)
    payout = parse_units(payout_text) if payout_text is not None else None
    closing = named.get("closing_odds_decimal")
    return (bet_id(positional[0]), result, payout,
            parse_odds(closing) if closing is not None else None)


def parse_edit(text: str) -> tuple[str, dict[str, Any]]:
    """``ID field=value ...`` → (bet id, typed changes)."""
    positional, named = split_fields(tokens(text))
    if len(positional) != 1 or not named:
        raise BetInputError("to edit say: bet edit ID field=value ..., e.g. `bet edit 12 odds=+140 "
                            "stake=1u`; fields: sport, league, event, market, selection, odds, "
                            "stake, closing, result, payout")
    return bet_id(positional[0]), {k: parse_field(k, v) for k, v in named.items()}
